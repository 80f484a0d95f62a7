"""Grid-search the matcher's weights and thresholds on the labelled data; print the best settings.

Usage: python bench/tune_matcher.py [--silence 0.97] [--quick]

For each weight combination it ranks every labelled question and chatter line once, then sweeps the
thresholds: the objective is the share of questions answered with the right entry, subject to the
chatter staying silent at least --silence of the time. Scores are reported on knowledge/examples/member-questions.yaml
(tuning) and tests/data/holdout.yaml (never tuned on), so over-fitting shows as a gap.
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.config import load_settings  # noqa: E402
from bot.core.knowledge.loader import load_knowledge  # noqa: E402
from bot.core.matching.evaluation import load_chatter, load_questions  # noqa: E402
from bot.core.matching.matcher import Matcher  # noqa: E402


def ranked(matcher: Matcher, texts: list[str]) -> list[tuple[str | None, float, float, bool]]:
    """Return (top entry, top score, margin, too-few-words) per text."""
    out = []
    for text in texts:
        chatter = matcher.decide(text).reason.startswith(("chatter", "empty"))
        r = matcher.rank(text, 2)
        top = r[0] if r else None
        second = r[1].score if len(r) > 1 else 0.0
        out.append(
            (top.entry_id if top else None, top.score if top else 0.0, (top.score - second) if top else 0.0, chatter)
        )
    return out


def sweep(q_rows, labels, c_rows, silence_target):
    """Best (answered-correct rate, answer_thr, margin, suggest_thr) meeting the silence target."""
    q_top = np.array([r[1] for r in q_rows])
    q_margin = np.array([r[2] for r in q_rows])
    q_ok = np.array([r[0] == lab for r, lab in zip(q_rows, labels, strict=True)])
    q_chat = np.array([r[3] for r in q_rows])
    c_top = np.array([r[1] for r in c_rows])
    c_margin = np.array([r[2] for r in c_rows])
    c_chat = np.array([r[3] for r in c_rows])
    best = None
    for answer_thr in np.arange(0.40, 0.86, 0.01):
        for margin in (0.0, 0.02, 0.04, 0.06, 0.08, 0.10):
            answered_c = (c_top >= answer_thr) & (c_margin >= margin) & ~c_chat
            for suggest_thr in np.arange(0.30, answer_thr + 0.001, 0.02):
                noisy = ((c_top >= suggest_thr) & ~c_chat) | answered_c
                if 1 - noisy.mean() < silence_target:
                    continue
                answered = (q_top >= answer_thr) & (q_margin >= margin) & ~q_chat
                score = (answered & q_ok).mean()
                if best is None or score > best[0] + 1e-9:
                    best = (score, round(answer_thr, 2), margin, round(suggest_thr, 2))
                break  # lowest suggest threshold meeting the target for this pair
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--silence", type=float, default=0.97)
    parser.add_argument("--quick", action="store_true", help="a smaller grid")
    args = parser.parse_args()
    settings = load_settings(ROOT / "config.yaml")
    kb = load_knowledge(ROOT / "knowledge")
    questions = load_questions(ROOT / "knowledge/examples/member-questions.yaml")
    holdout = load_questions(ROOT / "tests/data/holdout.yaml")
    chatter = load_chatter(ROOT / "knowledge/examples/off-topic.yaml")
    grid = {
        "fuzzy_weight": (0.0, 0.15, 0.3, 0.45),
        "phrasing_weight": (0.5, 0.65, 0.8),
        "unknown_word_weight": (0.3, 0.55, 0.8),
        "off_domain_factor": (0.6, 0.7, 0.8),
    }
    if args.quick:
        grid = {k: v[::2] for k, v in grid.items()}
    results = []
    for values in itertools.product(*grid.values()):
        params = dict(zip(grid, values, strict=True))
        params["lexical_weight"] = 1.0 - params["fuzzy_weight"]
        m = Matcher(kb, dataclasses.replace(settings.matcher, **params))
        q_rows = ranked(m, [q.text for q in questions])
        c_rows = ranked(m, chatter)
        best = sweep(q_rows, [q.topic for q in questions], c_rows, args.silence)
        top1 = np.mean([r[0] == q.topic for r, q in zip(q_rows, questions, strict=True)])
        if best:
            results.append((best[0], top1, params, best))
    results.sort(key=lambda r: (-r[0], -r[1]))
    for answered_ok, top1, params, best in results[:8]:
        m = Matcher(
            kb,
            dataclasses.replace(
                settings.matcher, **params, answer_threshold=best[1], answer_margin=best[2], suggest_threshold=best[3]
            ),
        )
        h_ok = np.mean([m.decide(q.text).entry_id == q.topic for q in holdout])
        h_top1 = np.mean(
            [(m.rank(q.text, 1) or [None])[0] is not None and m.rank(q.text, 1)[0].entry_id == q.topic for q in holdout]
        )
        print(
            f"answered-right {answered_ok:.3f} top1 {top1:.3f} | holdout answered-right {h_ok:.3f} "
            f"top1 {h_top1:.3f} | thr {best[1:]} | {params}"
        )


if __name__ == "__main__":
    main()
