"""`python -m bot kb eval`: answer quality held-in, cross-validated and held-out, as members see it."""

from __future__ import annotations

import argparse
from pathlib import Path

from bot.cli import EXIT_OK, add_config_option
from bot.cli.common import engine_from, settings_from
from bot.cli.numbers import whole_number
from bot.core.insights.quality import outcome_figures, quality_path, save_quality
from bot.core.matching.cross_validation import FOLDS, Labelled, Outcomes, cross_validate, tally
from bot.core.matching.evaluation import load_chatter, load_questions
from bot.core.matching.examples import read_examples

HOLDOUT = Path(__file__).resolve().parents[2] / "tests" / "data" / "holdout.yaml"


def register_eval(commands: argparse._SubParsersAction) -> None:
    """Add `kb eval`."""
    parser = commands.add_parser(
        "eval", help="answered right / wrong, helped and silent on the labelled examples (held-in and cross-validated)"
    )
    parser.add_argument("--questions", help="also measure these labelled questions (questions: list of topic, text)")
    parser.add_argument("--chatter", help="also measure these must-be-silent lines (chatter: list of text)")
    parser.add_argument("--folds", type=whole_number(0, 20), default=FOLDS, help="cross-validation folds (0 = skip)")
    parser.add_argument("--summary", action="store_true", help="print only the figures, not the misses")
    add_config_option(parser)
    parser.set_defaults(handler=run_eval)


def run_eval(args: argparse.Namespace) -> int:
    """Print the figures for every examples file, then the cross-validated and held-out ones."""
    settings = settings_from(args)
    engine = engine_from(settings)
    sets = _labelled_sets(settings.embedding.examples_path)
    meaning = engine.meaning
    print(f"engine: {'meaning model (' + meaning.encoder.name + ') + lexical' if meaning else 'lexical matcher only'}")
    print("held-in (the head in service trained on these examples):" if meaning else "labelled examples:")
    figures: dict[str, dict[str, object]] = {"held_in": {}, "cross_validated": {}, "held_out": {}}
    for name, items in sets.items():
        figures["held_in"][name] = _print(name, tally(items, engine.decide), args.summary)
    if meaning is not None and args.folds > 1:
        print(f"cross-validated ({args.folds} folds; each decided by a head trained without its fold):")
        pooled = [item for items in sets.values() for item in items]
        decisions = cross_validate(meaning, engine.kb, engine.matcher, pooled, args.folds)
        for name in sets:
            outcomes = Outcomes()
            for item, decision in zip(pooled, decisions, strict=True):
                if item.source == name:
                    outcomes.add(item, decision)
            figures["cross_validated"][name] = _print(name, outcomes, args.summary)
    extra = _extra_sets(args)
    if extra:
        print("held out (never trained or tuned on):")
        for name, items in extra.items():
            figures["held_out"][name] = _print(name, tally(items, engine.decide), args.summary)
    # Kept for `kb report` (the HTML report shows the last figures computed).
    kind = "meaning model + lexical" if meaning else "lexical matcher only"
    save_quality(quality_path(settings.insights.path), kind, figures)
    return EXIT_OK


def _labelled_sets(folder: Path | None) -> dict[str, list[Labelled]]:
    sets: dict[str, list[Labelled]] = {}
    for path in sorted(Path(folder).glob("*.yaml")) if folder else []:
        sets[path.name] = [Labelled(e.text, e.entry_id, path.name, e.lenient) for e in read_examples(path)]
    return sets


def _extra_sets(args: argparse.Namespace) -> dict[str, list[Labelled]]:
    extra: dict[str, list[Labelled]] = {}
    if HOLDOUT.exists():
        extra[HOLDOUT.name] = [Labelled(q.text, q.topic) for q in load_questions(HOLDOUT)]
    if args.questions:
        extra[Path(args.questions).name] = [Labelled(q.text, q.topic) for q in load_questions(args.questions)]
    if args.chatter:
        extra[Path(args.chatter).name] = [Labelled(t, None) for t in load_chatter(args.chatter)]
    return extra


def _print(name: str, outcomes: Outcomes, summary: bool) -> dict[str, object]:
    print(f"  {name}: {outcomes.summary()}")
    if summary:
        return outcome_figures(outcomes)
    for item, decision in outcomes.misses:
        got = decision.entry_id or ",".join(c.entry_id for c in decision.candidates) or "-"
        print(
            f"      [{item.entry_id or 'silence'} -> {decision.action}:{got} {decision.score:.2f}] {item.text[:110]!r}"
        )
    return outcome_figures(outcomes)
