"""`python -m bot kb ...`: operator commands over the knowledge base."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.cli import EXIT_FAILED, EXIT_OK, EXIT_USAGE, add_config_option
from bot.cli.common import engine_from, settings_from
from bot.cli.kb_versions import register_versions
from bot.core.errors import KnowledgeError
from bot.core.evaluation import evaluate, format_report, load_chatter, load_questions
from bot.core.knowledge import load_knowledge

DATA = Path(__file__).resolve().parents[2] / "tests" / "data"
DEFAULT_QUESTIONS = DATA / "questions.yaml"
DEFAULT_CHATTER = DATA / "chatter.yaml"


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the kb command family."""
    kb = subparsers.add_parser("kb", help="check and manage the knowledge base")
    commands = kb.add_subparsers(dest="kb_command", metavar="KB_COMMAND", required=True)

    check = commands.add_parser("check", help="validate a knowledge directory (exit 1 listing every problem)")
    check.add_argument("path", nargs="?", help="knowledge directory (default: knowledge.path from the config)")
    add_config_option(check)
    check.set_defaults(handler=run_check)

    evaluate = commands.add_parser("eval", help="measure the matcher on labelled questions; print the confusion report")
    evaluate.add_argument("--questions", default=str(DEFAULT_QUESTIONS), help="labelled questions (questions: list)")
    evaluate.add_argument("--chatter", default=str(DEFAULT_CHATTER), help="lines that must get silence (chatter: list)")
    evaluate.add_argument("--summary", action="store_true", help="print only the figures")
    add_config_option(evaluate)
    evaluate.set_defaults(handler=run_eval)
    register_versions(commands)


def run_check(args: argparse.Namespace) -> int:
    """Validate the knowledge directory and list every problem found."""
    path = args.path or settings_from(args).knowledge.path
    try:
        kb = load_knowledge(path)
    except KnowledgeError as exc:
        print(f"{path}: {len(exc.issues)} problem(s)", file=sys.stderr)
        for issue in exc.issues:
            print(f"  {issue}", file=sys.stderr)
        return EXIT_FAILED
    print(f"{path}: ok, {len(kb.entries)} entries, {len(kb.rules)} rules")
    return EXIT_OK


def run_eval(args: argparse.Namespace) -> int:
    """Evaluate the configured knowledge base against labelled data and print the report."""
    for path in (Path(args.questions), Path(args.chatter)):
        if not path.is_file():  # the labelled sets live in a checkout's tests/data/, not in an installed package
            print(f"error: {path}: labelled data not found; pass --questions FILE and --chatter FILE", file=sys.stderr)
            return EXIT_USAGE
    engine = engine_from(settings_from(args))
    report = evaluate(engine, load_questions(args.questions), load_chatter(args.chatter))
    print(format_report(report, details=not args.summary))
    return EXIT_OK
