"""The matcher on public intent benchmarks, beside naive lexical baselines computed in the same run.

Usage: python bench/bench_intents.py [--k 5 10] [--datasets clinc150 banking77] [--limit N]

Protocol (../shared/datasets/README.md): each intent becomes one entry whose phrasings are the first K
training utterances of that intent, as a moderator would write an FAQ. CLINC150: the answer threshold of
every method is chosen on val + oos_val (maximising in-scope accuracy + out-of-scope recall), then
reported on test + oos_test: top-1 (no threshold), in-scope accuracy (answered and right), out-of-scope
recall (left unanswered) and precision of the answers given. BANKING77 has no out-of-scope set: top-1 only.

Ours twice: the meaning model as shipped (its head trained on the K phrasings, plus CLINC's oos_train
utterances as the off-topic class; the bundled confidence model unchanged), and the lexical matcher with
the project's config weights, minus the Connects domain words (a different domain).
Its chatter filter stays on, so CLINC's "greeting"/"thank_you"/"yes"/"no" intents are, by design, silent.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import datetime as dt
import json
import math
import statistics
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path

import numpy as np
from rapidfuzz import fuzz, process, utils

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.config import load_settings  # noqa: E402
from bot.core.knowledge.model import Entry, KnowledgeBase  # noqa: E402
from bot.core.matching.matcher import Matcher  # noqa: E402

DATASETS = ROOT.parent / "shared" / "datasets"
# The current data set's out-of-scope *training* utterances: the meaning head's off-topic class.
OFF_TOPIC_TRAIN: list[str] = []
Scorer = Callable[[str], tuple[str | None, float]]


def few_shot(train: list[tuple[str, str]], k: int) -> dict[str, list[str]]:
    """First k utterances of each intent, in file order."""
    phrasings: dict[str, list[str]] = defaultdict(list)
    for text, intent in train:
        if len(phrasings[intent]) < k:
            phrasings[intent].append(text)
    return dict(phrasings)


def _kb(phrasings: dict[str, list[str]]) -> KnowledgeBase:
    entries = {
        intent: Entry(
            id=intent,
            question=texts[0],
            alternates=tuple(texts[1:]),
            answer="-",
            related=(),
            sources=(),
            reviewed=dt.date(2026, 1, 1),
        )
        for intent, texts in phrasings.items()
    }
    return KnowledgeBase(entries=entries, rules={})


def ours(phrasings: dict[str, list[str]]) -> Scorer:
    settings = dataclasses.replace(load_settings(ROOT / "config.yaml").matcher, domain_words=())
    matcher = Matcher(_kb(phrasings), settings)

    def score(text: str) -> tuple[str | None, float]:
        if matcher.decide(text).reason.startswith(("chatter", "empty")):
            return None, 0.0
        ranked = matcher.rank(text, 1)
        return (ranked[0].entry_id, ranked[0].score) if ranked else (None, 0.0)

    return score


def meaning(phrasings: dict[str, list[str]], off_topic: list[str]) -> Scorer:
    """The shipped meaning model: embeddings + a head trained on the K phrasings (and the data set's own
    out-of-scope training utterances as the off-topic class, where it has them) + the shipped confidence
    model, unchanged (its features are domain-free). The score is p(top entry is right)."""
    from bot.core.matching.embeddings.cache import EmbeddingCache
    from bot.core.matching.embeddings.confidence import load_confidence
    from bot.core.matching.embeddings.encoder import load_encoder
    from bot.core.matching.embeddings.ranker import MeaningRanker
    from bot.core.matching.embeddings.semantic import SemanticIndex
    from bot.core.matching.examples import Example

    kb = _kb(phrasings)
    settings = load_settings(ROOT / "config.yaml")
    matcher = Matcher(kb, dataclasses.replace(settings.matcher, domain_words=()))
    encoder = load_encoder()
    cache = EmbeddingCache(None, encoder.sha256, encoder.dim)
    examples = [Example(text, None) for text in off_topic]
    index = SemanticIndex.build(kb, examples, encoder, cache, settings.embedding.head_weight)
    ranker = MeaningRanker(matcher, index, encoder, load_confidence(), settings.embedding)

    def score(text: str) -> tuple[str | None, float]:
        early, query = ranker.before_model(text)
        if early is not None:
            return early.entry_id, early.score
        scored = ranker.score(query)
        return index.entry_ids[scored.analysis.order[0]], scored.confidence

    return score


def nearest(phrasings: dict[str, list[str]], scorer: Callable[..., float]) -> Scorer:
    """Naive rapidfuzz: the intent of the single closest phrasing."""
    flat = [(t, intent) for intent, texts in phrasings.items() for t in texts]
    choices = [t for t, _ in flat]

    def score(text: str) -> tuple[str | None, float]:
        best = process.extractOne(text, choices, scorer=scorer, processor=utils.default_process)
        return (flat[best[2]][1], best[1] / 100) if best else (None, 0.0)

    return score


def bm25(phrasings: dict[str, list[str]], k1: float = 1.5, b: float = 0.75) -> Scorer:
    """Okapi BM25 over phrasings (lower-cased words), best phrasing per intent."""
    docs = [(utils.default_process(t).split(), intent) for intent, texts in phrasings.items() for t in texts]
    avg = sum(len(d) for d, _ in docs) / len(docs)
    df = Counter(w for d, _ in docs for w in set(d))
    idf = {w: math.log(1 + (len(docs) - n + 0.5) / (n + 0.5)) for w, n in df.items()}
    postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for i, (d, _) in enumerate(docs):
        for w, tf in Counter(d).items():
            postings[w].append((i, idf[w] * tf * (k1 + 1) / (tf + k1 * (1 - b + b * len(d) / avg))))

    def score(text: str) -> tuple[str | None, float]:
        acc: dict[int, float] = defaultdict(float)
        for w in set(utils.default_process(text).split()):
            for i, v in postings.get(w, ()):
                acc[i] += v
        if not acc:
            return None, 0.0
        i = max(acc, key=acc.__getitem__)
        return docs[i][1], acc[i]

    return score


def run(score: Scorer, items: list[tuple[str, str | None]]) -> tuple[list[tuple[str | None, float, str | None]], float]:
    """Score every (text, gold intent or None for out-of-scope); return rows and p50 latency in ms."""
    rows, times = [], []
    for text, gold in items:
        t0 = time.perf_counter()
        predicted, value = score(text)
        times.append((time.perf_counter() - t0) * 1000)
        rows.append((predicted, value, gold))
    return rows, statistics.median(times)


def metrics(rows, threshold: float) -> dict[str, float]:
    inscope = [r for r in rows if r[2] is not None]
    oos = [r for r in rows if r[2] is None]
    answered = [r for r in rows if r[0] is not None and r[1] >= threshold]
    right = [r for r in answered if r[0] == r[2]]
    return {
        "top1": sum(r[0] == r[2] for r in inscope) / len(inscope),
        "inscope_acc": sum(1 for r in inscope if r[0] == r[2] and r[1] >= threshold) / len(inscope),
        "oos_recall": (sum(1 for r in oos if r[0] is None or r[1] < threshold) / len(oos)) if oos else float("nan"),
        "precision": len(right) / len(answered) if answered else 0.0,
    }


def choose_threshold(rows) -> float:
    values = sorted({r[1] for r in rows})
    candidates = np.quantile(values, np.linspace(0, 1, 200)) if len(values) > 200 else values
    return max(candidates, key=lambda t: (lambda m: m["inscope_acc"] + m["oos_recall"])(metrics(rows, t)))


def clinc(limit: int | None) -> tuple[list, list, list]:
    data = json.loads((DATASETS / "clinc150" / "data_full.json").read_text(encoding="utf-8"))
    val = [(t, i) for t, i in data["val"]] + [(t, None) for t, _ in data["oos_val"]]
    test = [(t, i) for t, i in data["test"]] + [(t, None) for t, _ in data["oos_test"]]
    if limit:
        val, test = val[:: max(1, len(val) // limit)], test[:: max(1, len(test) // limit)]
    return [(t, i) for t, i in data["train"]], val, test


def banking(limit: int | None) -> tuple[list, list]:
    def read(name: str) -> list[tuple[str, str]]:
        with (DATASETS / "banking77" / name).open(encoding="utf-8", newline="") as f:
            return [(row["text"], row["category"]) for row in csv.DictReader(f)]

    test = read("test.csv")
    if limit:
        test = test[:: max(1, len(test) // limit)]
    return read("train.csv"), test


METHODS: dict[str, Callable[[dict[str, list[str]]], Scorer]] = {
    "ours: meaning model": lambda p: meaning(p, OFF_TOPIC_TRAIN),
    "ours: lexical matcher": ours,
    "rapidfuzz WRatio": lambda p: nearest(p, fuzz.WRatio),
    "rapidfuzz token_set_ratio": lambda p: nearest(p, fuzz.token_set_ratio),
    "BM25": bm25,
}


def main() -> None:
    parser = argparse.ArgumentParser(description="intent benchmarks: ours vs lexical baselines")
    parser.add_argument("--k", type=int, nargs="+", default=[5, 10])
    parser.add_argument("--datasets", nargs="+", default=["clinc150", "banking77"])
    parser.add_argument("--limit", type=int, help="subsample val/test to about this many items (quick runs)")
    args = parser.parse_args()
    if "clinc150" in args.datasets:
        train, val, test = clinc(args.limit)
        data = json.loads((DATASETS / "clinc150" / "data_full.json").read_text(encoding="utf-8"))
        OFF_TOPIC_TRAIN[:] = [t for t, _ in data["oos_train"]]
        print(f"CLINC150 ({len(test)} test items incl. out-of-scope; threshold chosen on {len(val)} val items)")
        header = f"{'K':>3} {'method':<27} {'top-1':>6} {'in-scope acc':>13} {'OOS recall':>11} {'precision':>10}"
        print(f"{header} {'p50 ms':>7}")
        for k in args.k:
            phrasings = few_shot(train, k)
            for name, build in METHODS.items():
                scorer = build(phrasings)
                threshold = choose_threshold(run(scorer, val)[0])
                rows, p50 = run(scorer, test)
                m = metrics(rows, threshold)
                print(
                    f"{k:>3} {name:<27} {m['top1']:>6.3f} {m['inscope_acc']:>13.3f} {m['oos_recall']:>11.3f} "
                    f"{m['precision']:>10.3f} {p50:>7.2f}",
                    flush=True,
                )
    if "banking77" in args.datasets:
        OFF_TOPIC_TRAIN.clear()  # BANKING77 has no out-of-scope utterances
        train, test = banking(args.limit)
        print(f"\nBANKING77 ({len(test)} test items; top-1, no threshold)")
        print(f"{'K':>3} {'method':<27} {'top-1':>6} {'p50 ms':>7}")
        for k in args.k:
            phrasings = few_shot(train, k)
            for name, build in METHODS.items():
                rows, p50 = run(build(phrasings), test)
                print(f"{k:>3} {name:<27} {metrics(rows, 0.0)['top1']:>6.3f} {p50:>7.2f}", flush=True)


if __name__ == "__main__":
    main()
