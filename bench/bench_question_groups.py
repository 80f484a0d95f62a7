"""How long grouping the unanswered queue takes, and how much memory, from tens to a few thousand questions.

Usage: python bench/bench_question_groups.py [--sizes 50,500,2000] [--repeats 3]

Questions: the labelled member questions and chatter of tests/data, each size drawn with a word dropped
or two words swapped so the texts stay distinct. For each size, median of --repeats runs of:
  vectorise  the lexical fallback (TF-IDF over stems + character 4-grams);
  cluster    average linkage through the nearest-neighbour chain (what the bot runs);
  closest    the answer engine's ranking for each group's most central questions;
  baseline   the textbook greedy average linkage (argmax over the whole similarity matrix each merge),
             on the same vectors, sizes up to 1,000 only; it must give the same groups.
Peak memory: tracemalloc's peak during one full group_queue() call.
"""

from __future__ import annotations

import argparse
import functools
import random
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.config import load_settings  # noqa: E402
from bot.core.channel.feedback import UnansweredItem  # noqa: E402
from bot.core.channel.question_groups import (  # noqa: E402
    LexicalVectoriser,
    closest_entry,
    cluster,
    distinct_questions,
    group_queue,
)
from bot.core.matching.answers import AnswerEngine  # noqa: E402


def source_texts() -> list[str]:
    examples = ROOT / "knowledge" / "examples"
    texts = [
        q["text"]
        for path in (examples / "member-questions.yaml", ROOT / "tests" / "data" / "holdout.yaml")
        for q in yaml.safe_load(path.read_text(encoding="utf-8"))["questions"]
    ]
    off_topic = yaml.safe_load((examples / "off-topic.yaml").read_text(encoding="utf-8"))["off_topic"]
    return texts + [c["text"] for c in off_topic]


def items_of(size: int, rng: random.Random) -> list[UnansweredItem]:
    base, seen, out = source_texts(), set(), []
    while len(out) < size:
        words = rng.choice(base).split()
        if len(words) > 3 and rng.random() < 0.7:
            i = rng.randrange(len(words) - 1)
            words[i], words[i + 1] = words[i + 1], words[i]
            if rng.random() < 0.5:
                del words[rng.randrange(len(words))]
        text = " ".join(words)
        if text.casefold() not in seen:
            seen.add(text.casefold())
            out.append(UnansweredItem(len(out) + 1, "silence", text, None, 0.3, 1, len(out), 2, "2025-01-01T00:00:00"))
    return out


def greedy_average_linkage(vectors: np.ndarray, threshold: float) -> list[list[int]]:
    n = len(vectors)
    sums = (vectors @ vectors.T).astype(np.float64)
    np.fill_diagonal(sums, -np.inf)
    sizes = np.ones(n)
    alive = np.ones(n, dtype=bool)
    members = {i: [i] for i in range(n)}
    while True:
        avg = sums / np.outer(sizes, sizes)
        avg[~alive, :] = -np.inf
        avg[:, ~alive] = -np.inf
        a, b = divmod(int(np.argmax(avg)), n)
        if avg[a, b] < threshold:
            break
        keep, drop = min(a, b), max(a, b)
        sums[keep] += sums[drop]
        sums[:, keep] += sums[:, drop]
        sums[keep, keep] = -np.inf
        sizes[keep] += sizes[drop]
        alive[drop] = False
        members[keep].extend(members.pop(drop))
    return [sorted(m) for m in sorted(members.values(), key=min)]


def median_ms(fn, repeats: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), result


def measure(size: int, engine: AnswerEngine, threshold: float, background: list[str], repeats: int) -> str:
    items = items_of(size, random.Random(size))
    questions = distinct_questions(items)
    texts = [q.text for q in questions]
    t_vec, vectors = median_ms(functools.partial(LexicalVectoriser(background), texts), repeats)
    t_cluster, clusters = median_ms(functools.partial(cluster, vectors, threshold), repeats)
    groups = [[questions[i] for i in c] for c in clusters]
    t_closest, _ = median_ms(functools.partial(closest_all, groups, engine), repeats)
    tracemalloc.start()
    group_queue(items, engine, threshold=threshold)
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    baseline, same = "-", "-"
    if size <= 1000:
        t_base, base = median_ms(functools.partial(greedy_average_linkage, vectors, threshold), 1)
        baseline, same = f"{t_base:.0f}", str(base == clusters)
    total = t_vec + t_cluster + t_closest
    return (
        f"{size:>9} {len(clusters):>6} {t_vec:>9.0f} {t_cluster:>8.0f} {t_closest:>8.0f} {total:>8.0f} "
        f"{peak:>7.1f} {baseline:>16} {same:>11}"
    )


def closest_all(groups, engine):
    return [closest_entry(g, engine.rank) for g in groups]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="50,500,2000")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    settings = load_settings()
    engine = AnswerEngine.from_settings(settings)
    threshold = settings.feedback.group_similarity
    background = [p for e in engine.kb.entries.values() for p in e.phrasings]
    print(f"threshold {threshold}; median of {args.repeats} run(s), milliseconds")
    print(
        f"{'questions':>9} {'groups':>6} {'vectorise':>9} {'cluster':>8} {'closest':>8} {'total':>8} "
        f"{'peak MB':>7} {'baseline cluster':>16} {'same groups':>11}"
    )
    for size in (int(s) for s in args.sizes.split(",")):
        print(measure(size, engine, threshold, background, args.repeats))


if __name__ == "__main__":
    main()
