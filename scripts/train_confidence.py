"""Train the confidence models (bot/models/confidence.json) and choose their thresholds by cross-validation.

    python scripts/train_confidence.py [--config config.yaml] [--repeats 3] [--tuning-only] [--write]

1. The labelled examples (knowledge/examples/: member questions, members' situations, real forum posts,
   off-topic posts) are split into 5 folds, real posts grouped by their thread, REPEATS times with
   another shuffle each (every example gets REPEATS out-of-fold rows: with 36 real questions one split
   alone moves a threshold by chance); the threads kept aside (threads.py) take no
   part in anything here but the last report. For each fold the meaning head is trained without it, and
   every example of the fold that reaches the model gets its features and two labels: was the top-ranked
   entry right, and was the right entry among the suggestions. The models only ever learn from heads
   that did not see the text, nor its thread; real posts weigh FORUM_WEIGHT times a written question
   (they are what the bot must be calibrated for).
2. Both models are cross-validated over those rows (fit on 4 folds, predict the 5th, within each repeat),
   and the thresholds are chosen on those held-out predictions, all repeats pooled:
   - answer_confidence: recall at a fixed precision, the lowest threshold at which at most WRONG_TARGET
     of the questions are answered wrongly and at most OFF_TOPIC_ANSWER_TARGET of the off-topic posts
     get an answer;
   - suggest_confidence: the lowest cost, where a question left without help costs 1, a suggestion
     holding the right entry SUGGESTED_COST, and a suggestion on an off-topic post as much as a missed
     question.
3. The kept-aside threads are then decided by a head trained on everything else and the models fitted
   on all rows (all repeats): the estimate for real posts nobody tuned on (skipped with --tuning-only, to
   spend no look at them). With --write, the models fitted on all rows are written; put the printed
   thresholds in config.yaml.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.config import load_settings  # noqa: E402
from bot.core.knowledge.loader import load_knowledge  # noqa: E402
from bot.core.matching.cross_validation import FOLDS, fold_rankers  # noqa: E402
from bot.core.matching.embeddings.cache import EmbeddingCache  # noqa: E402
from bot.core.matching.embeddings.confidence import BUNDLED_CONFIDENCE, ConfidenceModel, fit_confidence  # noqa: E402
from bot.core.matching.embeddings.encoder import load_encoder  # noqa: E402
from bot.core.matching.embeddings.meaning import MeaningModel  # noqa: E402
from bot.core.matching.embeddings.semantic import FEATURE_NAMES  # noqa: E402
from bot.core.matching.examples import Example, load_examples  # noqa: E402
from bot.core.matching.matcher import Matcher  # noqa: E402

FORUM_WEIGHT = 3.0
WRONG_TARGET = 0.025
OFF_TOPIC_ANSWER_TARGET = 0.01
SUGGESTED_COST = 0.3
# Repeated cross-validation: 36 real questions in 5 folds; one split alone moves a threshold by a post or two.
REPEATS = 3
GRID = np.round(np.arange(0.10, 0.976, 0.025), 3)


@dataclass
class Row:
    """One example as the bot saw it: decided early (early_answer: the entry, or None for silence), or scored."""

    example: Example
    weight: float
    fold: int
    features: np.ndarray | None = None
    top: tuple[str, ...] = ()
    near_miss: bool = False
    early_answer: str | None = None
    p_answer: float = 0.0
    p_suggest: float = 0.0

    def outcome(self, answer_at: float, suggest_at: float) -> str:
        """'right' | 'wrong' | 'suggest-hit' | 'suggest-miss' | 'silent'."""
        truth = self.example.entry_id
        if self.features is None:
            if self.early_answer is None:
                return "silent"
            return "right" if self.early_answer == truth else "wrong"
        if self.near_miss:
            return "silent"
        if self.p_answer >= answer_at:
            return "right" if self.top[0] == truth else "wrong"
        if self.p_suggest >= suggest_at:
            return "suggest-hit" if truth in self.top else "suggest-miss"
        return "silent"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", type=Path, default=ROOT / "config.yaml")
    parser.add_argument("--write", action="store_true", help=f"write {BUNDLED_CONFIDENCE.relative_to(ROOT)}")
    parser.add_argument("--repeats", type=int, default=REPEATS, help="cross-validation repeats, each another split")
    parser.add_argument(
        "--tuning-only", action="store_true", help="do not decide or report the kept-aside threads (spends no look)"
    )
    args = parser.parse_args()
    settings = load_settings(args.config)
    kb = load_knowledge(settings.knowledge.path)
    matcher = Matcher(kb, settings.matcher)
    encoder = load_encoder(settings.embedding.model_path)
    cache = EmbeddingCache(settings.embedding.cache_path, encoder.sha256, encoder.dim)
    n = len(FEATURE_NAMES)
    placeholder = ConfidenceModel(np.zeros(n), np.ones(n), np.zeros(n), 0.0)
    examples = [e for e in load_examples(settings.embedding.examples_path) if not e.lenient]
    meaning = MeaningModel(settings.embedding, encoder, placeholder, cache, examples)
    tuning: list[Row] = []
    for seed in range(args.repeats):
        assignment, rankers = fold_rankers(meaning, kb, matcher, examples, FOLDS, seed=seed)
        rows = [
            score_row(rankers[fold], e, fold, settings.embedding.min_lexical_score)
            for e, fold in zip(examples, assignment, strict=True)
        ]
        if seed == 0:
            # The kept-aside ranker trains on every tuning example whatever the split: one repeat decides them.
            aside = [r for r in rows if r.fold == FOLDS]
        repeat = [r for r in rows if r.fold < FOLDS]
        out_of_fold_probabilities([r for r in repeat if r.features is not None])
        tuning += repeat
    scored = [r for r in tuning if r.features is not None]
    x, top1, top_k, w = training_arrays(scored)
    print(
        f"{len(tuning) // args.repeats} examples tuned on ({len(aside)} kept aside), {args.repeats} repeats of "
        f"{FOLDS}-fold cross-validation; {len(scored) // args.repeats} reach the model; top-1 right on "
        f"{top1.mean():.1%}, the right entry among the suggestions on {top_k.mean():.1%} of those"
    )
    answer_at, suggest_at = choose_thresholds(tuning)
    print(f"chosen by cross-validation: answer_confidence {answer_at:.3f}, suggest_confidence {suggest_at:.3f}")
    print("cross-validated:")
    report(tuning, answer_at, suggest_at, args.repeats)
    final = fit_confidence(x, top1, weight=w)
    final = ConfidenceModel(final.mean, final.scale, final.weights, final.bias, fit_confidence(x, top_k, weight=w))
    if not args.tuning_only:
        for r in (r for r in aside if r.features is not None):
            r.p_answer, r.p_suggest = final.probability(r.features), final.suggest_probability(r.features)
        print("kept aside (decided by a head and models that never saw them, at the thresholds above):")
        report(aside, answer_at, suggest_at)
    print("weights:", dict(zip(FEATURE_NAMES, final.weights.round(3).tolist(), strict=True)))
    if args.write:
        BUNDLED_CONFIDENCE.write_text(json.dumps(final.to_json(), indent=2) + "\n", encoding="utf-8")
        print(f"wrote {BUNDLED_CONFIDENCE}")
    cache.close()
    return 0


def training_arrays(scored: list[Row]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Features, the two labels (best entry right; right entry among the suggestions) and the row weights."""
    x = np.array([r.features for r in scored])
    top1 = np.array([float(r.top[0] == r.example.entry_id) for r in scored])
    top_k = np.array([float(r.example.entry_id in r.top) for r in scored])
    return x, top1, top_k, np.array([r.weight for r in scored])


def out_of_fold_probabilities(scored: list[Row]) -> None:
    """Give each row the two models' probabilities, fitted on the other folds of its repeat."""
    x, top1, top_k, w = training_arrays(scored)
    folds = np.array([r.fold for r in scored])
    for k in range(FOLDS):
        answer = fit_confidence(x[folds != k], top1[folds != k], weight=w[folds != k])
        suggest = fit_confidence(x[folds != k], top_k[folds != k], weight=w[folds != k])
        for r in (r for r in scored if r.fold == k):
            r.p_answer, r.p_suggest = answer.probability(r.features), suggest.probability(r.features)


def score_row(ranker, example: Example, fold: int, min_lexical: float) -> Row:
    """The example as the ranker sees it (the same order of checks as MeaningRanker.decide)."""
    row = Row(example, FORUM_WEIGHT if "forum" in example.origin else 1.0, fold)
    early, query = ranker.before_model(example.text)
    if early is not None:
        row.early_answer = early.entry_id if early.action == "answer" else None
        return row
    lexical = ranker.lexical(query)
    if max(lexical.values(), default=0.0) < min_lexical:
        return row
    scored = ranker.score(query, lexical)
    order = scored.analysis.order
    ids = ranker.index.entry_ids
    row.features = scored.analysis.features
    row.top = tuple(ids[i] for i in order[: ranker._settings.suggest_limit])
    row.near_miss = ranker.index.is_near_miss(scored.vector, order[0])
    return row


def rates(rows: list[Row], answer_at: float, suggest_at: float) -> dict[str, float]:
    """Weighted rates over the questions (right, wrong, helped) and the off-topic posts (answered, posted)."""
    q = [r for r in rows if r.example.entry_id is not None]
    o = [r for r in rows if r.example.entry_id is None]
    qw, ow = sum(r.weight for r in q) or 1.0, sum(r.weight for r in o) or 1.0
    out = {"right": 0.0, "wrong": 0.0, "helped": 0.0, "off_answered": 0.0, "off_posted": 0.0, "cost": 0.0}
    for r in q:
        what = r.outcome(answer_at, suggest_at)
        out["right"] += r.weight * (what == "right") / qw
        out["wrong"] += r.weight * (what == "wrong") / qw
        out["helped"] += r.weight * (what in ("right", "suggest-hit")) / qw
        out["cost"] += r.weight * {"right": 0.0, "suggest-hit": SUGGESTED_COST}.get(what, 1.0)
    for r in o:
        what = r.outcome(answer_at, suggest_at)
        out["off_answered"] += r.weight * (what in ("right", "wrong")) / ow
        out["off_posted"] += r.weight * (what != "silent") / ow
        out["cost"] += r.weight * (what != "silent")
    return out


def choose_thresholds(rows: list[Row]) -> tuple[float, float]:
    """Answer: the lowest threshold within the precision targets; suggest: the cheapest below it."""
    answer_at = next(
        (
            float(a)
            for a in GRID
            if (m := rates(rows, a, 2.0))["wrong"] <= WRONG_TARGET and m["off_answered"] <= OFF_TOPIC_ANSWER_TARGET
        ),
        float(GRID[-1]),
    )
    costs = [(rates(rows, answer_at, s)["cost"], float(s)) for s in GRID]
    return answer_at, min(costs)[1]


def report(rows: list[Row], answer_at: float, suggest_at: float, repeats: int = 1) -> None:
    """Print each set's figures, unweighted, as members would count them (over every repeat's rows)."""
    for name in sorted({r.example.origin for r in rows}):
        part = [r for r in rows if r.example.origin == name]
        q = [r.outcome(answer_at, suggest_at) for r in part if r.example.entry_id is not None]
        o = [r.outcome(answer_at, suggest_at) for r in part if r.example.entry_id is None]
        line = f"  {name}: "
        if q:
            right, wrong, hit = q.count("right"), q.count("wrong"), q.count("suggest-hit")
            line += f"right {right / len(q):.1%}, wrong {wrong / len(q):.1%}, "
            line += f"helped {(right + hit) / len(q):.1%} of {len(q) // repeats}; "
        if o:
            line += f"off-topic: nothing posted on {o.count('silent') / len(o):.1%} of {len(o) // repeats}"
        print(line)


if __name__ == "__main__":
    sys.exit(main())
