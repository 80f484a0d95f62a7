"""`python -m bot kb history ID` and `kb revert ID VERSION`: the knowledge base's version history for operators.

Operators act as `cli:<os user>` in the history. The running bot shares the same history file and
picks the reverted file up with its watcher (or `/faq reload`).
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import getpass
import sys
from collections.abc import Iterator
from pathlib import Path

from bot.cli import EXIT_OK, add_config_option
from bot.cli.common import settings_from, settings_to_change_knowledge
from bot.cli.numbers import whole_number
from bot.cli.safe_text import shown
from bot.core.errors import EntryNotFound, KnowledgeError
from bot.core.knowledge.history import EntryVersion, KnowledgeHistory
from bot.core.knowledge.model import ENTRIES_DIR
from bot.core.knowledge.store import KnowledgeStore


def register_versions(commands: argparse._SubParsersAction) -> None:
    """Add `kb history` and `kb revert` to the kb command family."""
    history = commands.add_parser("history", help="list every version of an entry: who, when, what changed")
    history.add_argument("id", help="entry id")
    history.add_argument("--show", type=whole_number(1), metavar="VERSION", help="print the file as it was at VERSION")
    add_config_option(history)
    history.set_defaults(handler=run_history)

    revert = commands.add_parser("revert", help="make an entry what it was at VERSION (recorded as a new version)")
    revert.add_argument("id", help="entry id")
    revert.add_argument("version", type=whole_number(1), help="the version to go back to (see kb history)")
    add_config_option(revert)
    revert.set_defaults(handler=run_revert)


def operator() -> str:
    """Name the person at the terminal in the history."""
    try:
        return f"cli:{getpass.getuser()}"
    except (OSError, KeyError):  # no login name (some containers)
        return "cli:unknown"


@contextlib.contextmanager
def naming_close_ids(knowledge: Path) -> Iterator[None]:
    """An unknown entry id (a typo: `kb history proposal-cos`) names the closest ids on disk."""
    try:
        yield
    except EntryNotFound as exc:
        if exc.suggestions:
            raise
        ids = [path.stem for path in (knowledge / ENTRIES_DIR).glob("*.yaml")]
        raise EntryNotFound(exc.entry_id, tuple(difflib.get_close_matches(exc.entry_id, ids, n=3))) from None


def run_history(args: argparse.Namespace) -> int:
    """Print an entry's versions, newest first (or one version's file with --show)."""
    settings = settings_from(args)
    with naming_close_ids(settings.knowledge.path):
        return _print_history(args, settings.knowledge.path, KnowledgeHistory(settings.knowledge.history_path))


def _print_history(args: argparse.Namespace, knowledge: Path, history: KnowledgeHistory) -> int:
    try:
        versions = KnowledgeStore(knowledge, history).history_of(args.id)
    except KnowledgeError as exc:
        # The history is most wanted when the files are broken: show what was recorded.
        print(
            f"warning: knowledge/ does not load ({len(exc.issues)} problem(s)); recorded versions only", file=sys.stderr
        )
        versions = history.versions(args.id)
        if not versions:
            raise EntryNotFound(args.id) from None
    if args.show is not None:
        chosen = next((v for v in versions if v.version == args.show), None)
        if chosen is None:
            chosen = history.get(args.id, args.show)  # raises VersionNotFound, naming the range
        print(chosen.content, end="" if chosen.content.endswith("\n") else "\n")
        return EXIT_OK
    for v in versions:
        print(format_version(v))
    return EXIT_OK


def run_revert(args: argparse.Namespace) -> int:
    """Revert an entry to an earlier version and say what changed."""
    settings = settings_to_change_knowledge(args, "kb revert")
    store = KnowledgeStore.from_settings(settings)
    with naming_close_ids(settings.knowledge.path):
        change = store.revert(args.id, args.version, actor=operator())
    if not change.changed:
        print(f"{args.id}: already as at version {args.version}; nothing written")
    else:
        print(f"{args.id}: now version {change.version} ({change.summary})")
    return EXIT_OK


def format_version(v: EntryVersion) -> str:
    """One line per version: number, time, action, who, what changed."""
    state = " [removed]" if v.removed else ""
    return f"v{v.version:<3} {v.at:%Y-%m-%d %H:%M} UTC  {v.action:<8} {shown(v.actor)}{state}  {shown(v.summary)}"
