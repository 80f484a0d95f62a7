"""`python -m bot kb ...`: operator commands over the knowledge base."""

from __future__ import annotations

import argparse
import sys

from bot.cli import EXIT_FAILED, EXIT_OK, add_config_option
from bot.cli.common import settings_from
from bot.cli.kb_eval import register_eval
from bot.cli.kb_insights import register_insights
from bot.cli.kb_learned import register_learned
from bot.cli.kb_queue import register_queue
from bot.cli.kb_versions import register_versions
from bot.cli.safe_text import shown
from bot.core.errors import KnowledgeError
from bot.core.knowledge.loader import load_knowledge


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the kb command family."""
    kb = subparsers.add_parser("kb", help="check and manage the knowledge base")
    commands = kb.add_subparsers(dest="kb_command", metavar="KB_COMMAND", required=True)

    check = commands.add_parser("check", help="validate a knowledge directory (exit 1 listing every problem)")
    check.add_argument("path", nargs="?", help="knowledge directory (default: knowledge.path from the config)")
    add_config_option(check)
    check.set_defaults(handler=run_check)

    register_eval(commands)
    register_versions(commands)
    register_queue(commands)
    register_insights(commands)
    register_learned(commands)


def run_check(args: argparse.Namespace) -> int:
    """Validate the knowledge directory and list every problem found."""
    path = args.path or settings_from(args).knowledge.path
    try:
        kb = load_knowledge(path)
    except KnowledgeError as exc:
        print(f"{shown(path)}: {len(exc.issues)} problem(s)", file=sys.stderr)
        for issue in exc.issues:  # file names and ids come from the files: shown, never obeyed
            print(f"  {shown(issue)}", file=sys.stderr)
        return EXIT_FAILED
    print(f"{path}: ok, {len(kb.entries)} entries, {len(kb.rules)} rules")
    return EXIT_OK
