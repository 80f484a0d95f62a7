"""`python -m bot kb eval`: answer quality held-in, cross-validated, kept aside and held out, as members see it."""

from __future__ import annotations

import argparse
from pathlib import Path

from bot.cli import EXIT_OK, add_config_option
from bot.cli.common import engine_from, settings_from
from bot.cli.kb_eval_tables import print_calibration, print_entry_precision, print_gate_false_positives
from bot.cli.numbers import whole_number
from bot.core.errors import LabelledFileError
from bot.core.insights.quality import outcome_figures, quality_path, save_quality
from bot.core.matching.cross_validation import (
    FOLDS,
    Labelled,
    Outcomes,
    cross_validate,
    labelled_from_examples,
    tally,
)
from bot.core.matching.evaluation import load_chatter, load_questions
from bot.core.matching.examples import Example, read_examples

HOLDOUT = Path(__file__).resolve().parents[2] / "tests" / "data" / "holdout.yaml"
# Posts written by sessions that never saw the knowledge base: questions, and what must get silence.
BLIND_QUESTIONS = HOLDOUT.with_name("blind-questions.yaml")
BLIND_CHATTER = HOLDOUT.with_name("blind-chatter.yaml")
# The chatter bench/bench_discord.py replays: never trained on, so measured beside the holdout.
CHANNEL_CHATTER = HOLDOUT.with_name("channel-chatter.yaml")


def register_eval(commands: argparse._SubParsersAction) -> None:
    """Add `kb eval`."""
    parser = commands.add_parser(
        "eval", help="answered right / wrong, helped and silent on the labelled examples (held-in and cross-validated)"
    )
    parser.add_argument("--questions", help="also measure these labelled questions (questions: list of topic, text)")
    parser.add_argument("--chatter", help="also measure these must-be-silent lines (chatter: list of text)")
    parser.add_argument("--folds", type=whole_number(0, 20), default=FOLDS, help="cross-validation folds (0 = skip)")
    parser.add_argument("--summary", action="store_true", help="print only the figures, not the misses")
    parser.add_argument(
        "--tuning-only",
        action="store_true",
        help="print nothing about the kept-aside threads (for working on misses without looking at them); "
        "the figures are not saved for `kb report`",
    )
    add_config_option(parser)
    parser.set_defaults(handler=run_eval)


def run_eval(args: argparse.Namespace) -> int:
    """Print the figures for every examples file, then the cross-validated, kept-aside and held-out ones."""
    settings = settings_from(args)
    engine = engine_from(settings)
    extra = _extra_sets(args, set(engine.kb.entries))  # a bad file named on the command line stops us first
    sets = _example_sets(settings.embedding.examples_path)
    meaning = engine.meaning
    print(f"engine: {'meaning model (' + meaning.encoder.name + ') + lexical' if meaning else 'lexical matcher only'}")
    print("held-in (the head in service trained on these examples):" if meaning else "labelled examples:")
    figures: dict[str, dict[str, object]] = {"held_in": {}, "cross_validated": {}, "kept_aside": {}, "held_out": {}}
    for name, examples in sets.items():
        shown = [e for e in examples if not e.kept_aside] if args.tuning_only else examples
        figures["held_in"][name] = _print(name, tally(labelled_from_examples(shown), engine.decide), args.summary)
    if meaning is not None and args.folds > 1:
        pooled = [e for examples in sets.values() for e in examples]
        items = labelled_from_examples(pooled)
        decisions = cross_validate(meaning, engine.kb, engine.matcher, pooled, args.folds)
        print(
            f"cross-validated ({args.folds} folds, real posts grouped by thread; each decided by a head trained "
            "without its fold; the kept-aside threads take no part):"
        )
        figures["cross_validated"] = _print_part(sets, items, decisions, kept_aside=False, summary=args.summary)
        aside = [item for item in items if item.kept_aside]
        if aside and not args.tuning_only:
            print(f"kept aside ({len(aside)} real posts; nothing trained, tuned or designed on them):")
            figures["kept_aside"] = _print_part(sets, items, decisions, kept_aside=True, summary=args.summary)
            print("every real post (the cross-validated part and the kept-aside part together):")
            _print_part(sets, items, decisions, kept_aside=None, summary=True, only={i.source for i in aside})
        tuning = [(i, d) for i, d in zip(items, decisions, strict=True) if not i.kept_aside]
        print_calibration([i for i, _ in tuning], [d for _, d in tuning])
        print_entry_precision([i for i, _ in tuning], [d for _, d in tuning], args.summary)
        gated = tuning if args.tuning_only else list(zip(items, decisions, strict=True))
        print_gate_false_positives([i for i, _ in gated], [d for _, d in gated], extra, meaning.gate)
    if extra:
        print("held out (never trained or tuned on):")
        for name, labelled in extra.items():
            figures["held_out"][name] = _print(name, tally(labelled, engine.decide), args.summary)
    if args.tuning_only:  # partial figures would hide the kept-aside ones from `kb report`
        return EXIT_OK
    # Kept for `kb report` (the HTML report shows the last figures computed).
    kind = "meaning model + lexical" if meaning else "lexical matcher only"
    save_quality(quality_path(settings.insights.path), kind, figures)
    return EXIT_OK


def _print_part(
    sets: dict[str, list[Example]],
    items: list[Labelled],
    decisions: list,
    *,
    kept_aside: bool | None,
    summary: bool,
    only: set[str] | None = None,
) -> dict[str, object]:
    """Print each set's figures over its tuned-on part (kept_aside False), kept-aside part (True) or both (None)."""
    printed: dict[str, object] = {}
    for name in sets if only is None else [n for n in sets if n in only]:
        outcomes = Outcomes()
        for item, decision in zip(items, decisions, strict=True):
            if item.source == name and kept_aside in (None, item.kept_aside):
                outcomes.add(item, decision)
        if outcomes.answerable or outcomes.off_topic:
            printed[name] = _print(name, outcomes, summary)
    return printed


def _example_sets(folder: Path | None) -> dict[str, list[Example]]:
    return {path.name: read_examples(path) for path in sorted(Path(folder).glob("*.yaml"))} if folder else {}


def _extra_sets(args: argparse.Namespace, entry_ids: set[str]) -> dict[str, list[Labelled]]:
    """The held-out sets: the repository's own (when present) and the files named by --questions / --chatter."""
    question_files = [p for p in (HOLDOUT, BLIND_QUESTIONS) if p.exists()] + [Path(p) for p in [args.questions] if p]
    chatter_files = [p for p in (CHANNEL_CHATTER, BLIND_CHATTER) if p.exists()] + [Path(p) for p in [args.chatter] if p]
    extra: dict[str, list[Labelled]] = {}
    for path in question_files:
        questions = load_questions(path)
        for number, question in enumerate(questions, 1):
            if question.topic not in entry_ids:
                raise LabelledFileError(path, f"questions item {number}: topic {question.topic!r} is not an entry id")
        extra[path.name] = [Labelled(q.text, q.topic) for q in questions]
    for path in chatter_files:
        extra[path.name] = [Labelled(t, None) for t in load_chatter(path)]
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
