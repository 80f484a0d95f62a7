"""Matcher speed and memory on synthetic knowledge bases of 25 to 100,000 entries.

Usage: python bench/bench_matcher_speed.py [--sizes 25 1000 10000 100000] [--queries 2000]

Each size runs in a fresh subprocess (so resident memory belongs to that size alone):
  1. write N entries (6 phrasings each) as YAML files in a temp knowledge directory;
  2. time load_knowledge + index build (the real loader and the real Matcher);
  3. time decide() on a query mix: perturbed phrasings (a word dropped, a typo), unrelated
     chatter, and long multi-sentence posts; report p50 / p99 and throughput;
  4. as a same-run baseline, time naive rapidfuzz (process.extractOne with WRatio over every
     phrasing) on a sample of the same queries.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

WORDS_PER_PHRASING = (5, 14)
CHATTER = [
    "good morning everyone",
    "thanks a lot, that worked",
    "anyone here from Lagos?",
    "lol same",
    "just got my first client!!",
    "can someone help me?",
    "hello hello",
    "have a great weekend all",
]


def vocabulary(rng: random.Random, size: int) -> list[str]:
    """Pseudo-words with a natural length spread (3..10 letters)."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    words: set[str] = set()
    while len(words) < size:
        words.add("".join(rng.choice(letters) for _ in range(rng.randint(3, 10))))
    return sorted(words)


def write_knowledge(root: Path, n_entries: int, rng: random.Random) -> list[list[str]]:
    """Write a synthetic knowledge directory; return each entry's phrasings."""
    vocab = vocabulary(rng, max(2000, min(60000, n_entries * 3)))
    # Zipf-like word frequencies; cumulative once, or choices() re-sums 60,000 weights on every call.
    cum_weights = list(itertools.accumulate(1 / (rank + 1) ** 0.9 for rank in range(len(vocab))))
    entries_dir = root / "entries"
    entries_dir.mkdir(parents=True)
    (root / "rules.yaml").write_text("rules: []\n", encoding="utf-8")
    all_phrasings = []
    for i in range(n_entries):
        topic = rng.choices(vocab, k=3)  # words this entry is about, repeated across its phrasings
        phrasings = []
        while len(phrasings) < 7:
            body = rng.choices(vocab, cum_weights=cum_weights, k=rng.randint(*WORDS_PER_PHRASING))
            body[rng.randrange(len(body))] = topic[len(phrasings) % 3]
            text = " ".join(body)
            if text not in phrasings:
                phrasings.append(text)
        all_phrasings.append(phrasings)
        alternates = "\n".join(f"  - {p}" for p in phrasings[1:])
        (entries_dir / f"entry-{i:06d}.yaml").write_text(
            f"id: entry-{i:06d}\nquestion: {phrasings[0]}\nalternates:\n{alternates}\n"
            f"answer: Synthetic answer {i}.\nrelated: []\nsources: [https://example.org/{i}]\n"
            f"reviewed: 2026-11-28\n",
            encoding="utf-8",
        )
    return all_phrasings


def make_queries(phrasings: list[list[str]], rng: random.Random, count: int) -> list[str]:
    """A realistic mix: 60% perturbed phrasings, 25% chatter, 15% long posts."""
    queries = []
    for _ in range(count):
        roll = rng.random()
        words = rng.choice(rng.choice(phrasings)).split()
        if roll < 0.60:
            if len(words) > 3:
                words.pop(rng.randrange(len(words)))
            j = rng.randrange(len(words))
            if len(words[j]) > 4:  # a typo: swap two letters
                w = words[j]
                k = rng.randrange(len(w) - 1)
                words[j] = w[:k] + w[k + 1] + w[k] + w[k + 2 :]
            queries.append(" ".join(words) + "?")
        elif roll < 0.85:
            queries.append(rng.choice(CHATTER))
        else:
            queries.append(f"Hi all, hope you are well. {rng.choice(CHATTER)}. {' '.join(words)}? Thanks in advance!")
    return queries


def rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def run_one(size: int, n_queries: int, seed: int) -> dict[str, float]:
    """Measure one knowledge-base size in this process."""
    from rapidfuzz import fuzz, process, utils

    from bot.config import load_settings
    from bot.core.knowledge.loader import load_knowledge
    from bot.core.matching.matcher import Matcher

    rng = random.Random(seed)
    settings = load_settings(ROOT / "config.yaml").matcher
    with tempfile.TemporaryDirectory() as tmp:
        phrasings = write_knowledge(Path(tmp), size, rng)
        rss_before = rss_mb()
        start = time.perf_counter()
        kb = load_knowledge(tmp)
        loaded = time.perf_counter()
        matcher = Matcher(kb, settings)
        indexed = time.perf_counter()
    queries = make_queries(phrasings, rng, n_queries)
    for q in queries[:50]:  # warm caches (stems, corrections) as a running bot would have
        matcher.decide(q)
    latencies = []
    for q in queries:
        t0 = time.perf_counter()
        matcher.decide(q)
        latencies.append((time.perf_counter() - t0) * 1000)
    flat = [p for ps in phrasings for p in ps]
    naive_n = max(20, min(len(queries), int(200_000 / max(len(flat), 1))))
    naive = []
    for q in queries[:naive_n]:
        t0 = time.perf_counter()
        process.extractOne(q, flat, scorer=fuzz.WRatio, processor=utils.default_process)
        naive.append((time.perf_counter() - t0) * 1000)
    return {
        "entries": size,
        "load_ms": (loaded - start) * 1000,
        "index_ms": (indexed - loaded) * 1000,
        "rss_mb": rss_mb(),
        "kb_rss_mb": rss_mb() - rss_before,
        "p50_ms": statistics.median(latencies),
        "p99_ms": percentile(latencies, 0.99),
        "qps": len(latencies) / (sum(latencies) / 1000),
        "naive_p50_ms": statistics.median(naive),
        "naive_queries": naive_n,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="matcher speed and memory benchmark")
    parser.add_argument("--sizes", type=int, nargs="+", default=[25, 1000, 10000, 100000])
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one is not None:
        print(json.dumps(run_one(args.one, args.queries, args.seed)))
        return
    print(
        f"{'entries':>8} {'load ms':>9} {'index ms':>9} {'p50 ms':>8} {'p99 ms':>8} {'q/s':>8} "
        f"{'RSS MB':>7} {'naive WRatio p50 ms':>20} {'speed-up':>9}"
    )
    for size in args.sizes:
        out = subprocess.run(
            [sys.executable, __file__, "--one", str(size), "--queries", str(args.queries), "--seed", str(args.seed)],
            check=True,
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONHASHSEED": "0"},
        )
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(
            f"{r['entries']:>8} {r['load_ms']:>9.0f} {r['index_ms']:>9.0f} {r['p50_ms']:>8.3f} {r['p99_ms']:>8.2f} "
            f"{r['qps']:>8.0f} {r['rss_mb']:>7.0f} {r['naive_p50_ms']:>20.2f} {r['naive_p50_ms'] / r['p50_ms']:>8.1f}x",
            flush=True,
        )


if __name__ == "__main__":
    main()
