"""Train the confidence model (bot/models/confidence.json) and choose its thresholds by cross-validation.

    python scripts/train_confidence.py [--config config.yaml] [--write]

1. The labelled examples (knowledge/examples/: member questions, real forum posts, off-topic posts) are
   split into 5 folds. For each fold the meaning head is trained without it, and every example of the
   fold that reaches the model gets its features and whether the top-ranked entry was right: the
   confidence model only ever learns from heads that did not see the text.
2. Thresholds: the confidence model is itself cross-validated over those rows (fit on 4/5, predict
   1/5) and the answer / suggest thresholds that do best on the held-out predictions are printed.
   The objective puts precision first: a wrong answer costs four right ones, a post on an off-topic
   message two, and the real forum posts count three times (they are what members write).
3. With --write, the model fitted on all rows is written; put the printed thresholds in config.yaml.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.config import load_settings  # noqa: E402
from bot.core.knowledge.loader import load_knowledge  # noqa: E402
from bot.core.matching.cross_validation import FOLDS, fold_of, fold_rankers  # noqa: E402
from bot.core.matching.embeddings.cache import EmbeddingCache  # noqa: E402
from bot.core.matching.embeddings.confidence import BUNDLED_CONFIDENCE, ConfidenceModel, fit_confidence  # noqa: E402
from bot.core.matching.embeddings.encoder import load_encoder  # noqa: E402
from bot.core.matching.embeddings.meaning import MeaningModel  # noqa: E402
from bot.core.matching.embeddings.semantic import FEATURE_NAMES  # noqa: E402
from bot.core.matching.examples import read_examples  # noqa: E402
from bot.core.matching.matcher import Matcher  # noqa: E402

FORUM_WEIGHT = 3.0
WRONG_COST = 4.0
OFF_TOPIC_COST = 2.0
HELPED_VALUE = 0.3


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", type=Path, default=ROOT / "config.yaml")
    parser.add_argument("--write", action="store_true", help=f"write {BUNDLED_CONFIDENCE.relative_to(ROOT)}")
    args = parser.parse_args()
    settings = load_settings(args.config)
    kb = load_knowledge(settings.knowledge.path)
    matcher = Matcher(kb, settings.matcher)
    encoder = load_encoder(settings.embedding.model_path)
    cache = EmbeddingCache(settings.embedding.cache_path, encoder.sha256, encoder.dim)
    n = len(FEATURE_NAMES)
    placeholder = ConfidenceModel(np.zeros(n), np.ones(n), np.zeros(n), 0.0)
    examples, weights, files = [], [], []
    for path in sorted(Path(settings.embedding.examples_path).glob("*.yaml")):
        for example in read_examples(path):
            examples.append(example)
            weights.append(FORUM_WEIGHT if "forum" in path.name else 1.0)
            files.append(path.name)
    meaning = MeaningModel(settings.embedding, encoder, placeholder, cache, examples)
    assignment, rankers = fold_rankers(meaning, kb, matcher, examples, FOLDS)

    rows, right, row_weight, row_item = [], [], [], []
    for i, (example, fold) in enumerate(zip(examples, assignment, strict=True)):
        early, query = rankers[fold].before_model(example.text)
        if early is not None:
            continue
        scored = rankers[fold].score(query)
        best = rankers[fold].index.entry_ids[scored.analysis.order[0]]
        rows.append(scored.analysis.features)
        right.append(float(example.entry_id == best))
        row_weight.append(weights[i])
        row_item.append((i, scored.analysis.order[:3], rankers[fold].index.entry_ids))
    x, y, w = np.array(rows), np.array(right), np.array(row_weight)
    print(f"{len(examples)} examples, {len(rows)} reach the model, top-1 right on {y.mean():.1%} of those")

    held_out = np.zeros(len(rows))
    part = np.array(fold_of(rows, FOLDS, seed=1))
    for k in range(FOLDS):
        model = fit_confidence(x[part != k], y[part != k])
        held_out[part == k] = [model.probability(f) for f in x[part == k]]
    best = choose_thresholds(held_out, row_item, examples, w)
    print(f"chosen by cross-validation: answer_confidence {best[0]:.3f}, suggest_confidence {best[1]:.3f}")
    for name in sorted(set(files)):
        chosen = [k for k, (i, _, _) in enumerate(row_item) if files[i] == name]
        total = [i for i, f in enumerate(files) if f == name]
        report(name, held_out[chosen], [row_item[k] for k in chosen], examples, total, *best[:2])
    final = fit_confidence(x, y)
    print("weights:", dict(zip(FEATURE_NAMES, final.weights.round(3).tolist(), strict=True)))
    if args.write:
        BUNDLED_CONFIDENCE.write_text(json.dumps(final.to_json(), indent=2) + "\n", encoding="utf-8")
        print(f"wrote {BUNDLED_CONFIDENCE}")
    cache.close()
    return 0


def outcomes(p, row_item, examples, answer_at, suggest_at):
    """Per example reaching the model: 'right' | 'wrong' | 'suggest-hit' | 'suggest-miss' | 'silent'."""
    out = []
    for prob, (i, top, ids) in zip(p, row_item, strict=True):
        truth = examples[i].entry_id
        if prob >= answer_at:
            out.append(("right" if ids[top[0]] == truth else "wrong", i))
        elif prob >= suggest_at:
            out.append(("suggest-hit" if truth in {ids[t] for t in top} else "suggest-miss", i))
        else:
            out.append(("silent", i))
    return out


def choose_thresholds(p, row_item, examples, w):
    best = None
    for answer_at in np.arange(0.30, 0.975, 0.025):
        for suggest_at in np.arange(0.10, answer_at + 1e-9, 0.025):
            score = 0.0
            for (what, i), weight in zip(outcomes(p, row_item, examples, answer_at, suggest_at), w, strict=True):
                if examples[i].entry_id is None:
                    score -= OFF_TOPIC_COST * weight * (what != "silent")
                else:
                    score += weight * (
                        (what == "right") - WRONG_COST * (what == "wrong") + HELPED_VALUE * (what == "suggest-hit")
                    )
            if best is None or score > best[2]:
                best = (float(answer_at), float(suggest_at), score)
    return best


def report(name, p, row_item, examples, total, answer_at, suggest_at):
    """Print a set's cross-validated figures; examples that never reach the model count as silent."""
    counts = Counter(
        (examples[i].entry_id is None, what) for what, i in outcomes(p, row_item, examples, answer_at, suggest_at)
    )
    answerable = sum(1 for i in total if examples[i].entry_id is not None)
    off_topic = len(total) - answerable
    right, wrong = counts[(False, "right")], counts[(False, "wrong")]
    helped = right + counts[(False, "suggest-hit")]
    posted = sum(v for (is_off, what), v in counts.items() if is_off and what != "silent")
    line = f"  {name}: "
    if answerable:
        line += f"right {right / answerable:.1%}, wrong {wrong / answerable:.1%}, helped {helped / answerable:.1%} "
        line += f"of {answerable}; "
    if off_topic:
        line += f"off-topic: nothing posted on {1 - posted / off_topic:.1%} of {off_topic}"
    print(line)


if __name__ == "__main__":
    sys.exit(main())
