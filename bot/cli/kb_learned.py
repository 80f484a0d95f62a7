"""`python -m bot kb learned [--json]`, `kb learned accept ID [--entry ID | --off-topic]`, `kb learned reject ID`.

The same candidates /faq learned shows (bot.core.learning). Accepting runs the guard here and now: the
examples are written to knowledge/examples/ only if the model trained on them does no worse, and the
command prints what the guard found. A running bot serves them at its knowledge watcher's next poll. An
accept that would give a question the knowledge already labels another label is refused (exit 1, the
candidate stays pending, marked with the clash: file or candidate, and label); one that says what the
knowledge already says is settled as a duplicate (exit 0, nothing written, no retrain). See
bot.core.learning.clashes. Questions are members' text: control characters are shown as escapes, never
sent to the terminal.
"""

from __future__ import annotations

import argparse
import json
import unicodedata

from bot.cli import EXIT_FAILED, EXIT_OK, add_config_option
from bot.cli.common import engine_from, settings_from, settings_to_change_knowledge
from bot.cli.kb_versions import operator
from bot.core.learning import candidates as cs
from bot.core.learning.candidates import Candidate, CandidateStore

INVISIBLE = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"})


def register_learned(commands: argparse._SubParsersAction) -> None:
    """Add `kb learned` and its accept / reject actions."""
    learned = commands.add_parser("learned", help="candidate examples learned from members' picks and votes")
    learned.add_argument("--json", action="store_true", help="print a JSON list of candidates")
    learned.add_argument("--all", action="store_true", help="every candidate, not only those to review")
    add_config_option(learned)
    learned.set_defaults(handler=run_list)
    actions = learned.add_subparsers(dest="learned_action", metavar="ACTION")

    accept = actions.add_parser(
        "accept", help="accept candidate ID (refused if the knowledge labels it otherwise; the guard checks it first)"
    )
    accept.add_argument("id", type=int, help="the candidate's id in `kb learned`")
    target = accept.add_mutually_exclusive_group()
    target.add_argument("--entry", help="accept it as this entry instead (move it)")
    target.add_argument("--off-topic", action="store_true", help="accept it as a question to stay silent on")
    _config_after_action(accept)
    accept.set_defaults(handler=run_accept)

    reject = actions.add_parser("reject", help="reject candidate ID: it is never learned")
    reject.add_argument("id", type=int, help="the candidate's id in `kb learned`")
    _config_after_action(reject)
    reject.set_defaults(handler=run_reject)


def _config_after_action(parser: argparse.ArgumentParser) -> None:
    # SUPPRESS: an action's own --config must not reset one given before the action to None.
    parser.add_argument("--config", metavar="PATH", default=argparse.SUPPRESS, help="config file (as for kb learned)")


def run_list(args: argparse.Namespace) -> int:
    """Print the candidates to review (pending, and held back by the guard)."""
    store = CandidateStore(settings_from(args).learning.path)
    try:
        statuses = cs.STATUSES if args.all else (cs.PENDING, cs.HELD)
        found = store.with_status(*statuses)
    finally:
        store.close()
    if args.json:
        print(json.dumps([c.to_json() for c in found], ensure_ascii=False))
        return EXIT_OK
    if not found:
        print("Nothing to review." if not args.all else "No candidates yet.")
        return EXIT_OK
    print(f"{len(found)} candidate(s); `kb learned accept ID [--entry ID | --off-topic]`, `kb learned reject ID`")
    for candidate in found:
        print()
        print(format_candidate(candidate))
    return EXIT_OK


def run_accept(args: argparse.Namespace) -> int:
    """Accept a candidate (as it is, moved, or off-topic), then run the guard and say what it did."""
    from bot.core.learning.loop import LearningLoop

    settings = settings_to_change_knowledge(args, "kb learned accept")
    engine = engine_from(settings)
    loop = LearningLoop.from_settings(settings, engine)
    if loop is None:
        print("error: learning is off (learning.enabled: false in the config)")
        return EXIT_FAILED
    told: list[str] = []
    loop.add_listener(told.append)
    try:
        candidate = loop.accept(args.id, by=operator(), entry_id=args.entry, off_topic=args.off_topic)
        if candidate.status == cs.SERVED:  # a duplicate of a labelled example: settled, nothing to check
            print(f"#{candidate.id} {visible(candidate.note or 'already known')}")
            return EXIT_OK
        print(f"#{candidate.id} accepted as {candidate.result}; the guard is checking it (a few seconds)…")
        loop.wait_for_retraining()
        final = loop.store.get(candidate.id)
    finally:
        loop.close()
    for line in told:
        print(visible(line))
    print(f"#{final.id}: {final.status}")
    return EXIT_OK if final.status == cs.SERVED else EXIT_FAILED


def run_reject(args: argparse.Namespace) -> int:
    """Reject a candidate."""
    store = CandidateStore(settings_from(args).learning.path)
    try:
        candidate = store.decide(args.id, cs.REJECTED, by=operator())
    finally:
        store.close()
    print(f"#{candidate.id} rejected: {visible(candidate.question)}")
    return EXIT_OK


def format_candidate(c: Candidate) -> str:
    """A candidate as lines: id, status, signal, who, when; the question; the entry; every signal."""
    what = f"entry: {c.entry_id}" if c.entry_id else f"not this entry: {c.not_entry}"
    if c.result and c.result != c.entry_id:
        what += f" (accepted as {c.result})"
    signals = ", ".join(f"{s.signal} by {s.who}{' (asker)' if s.by_asker else ''}" for s in c.signals)
    lines = [
        f"#{c.id} {c.status} · {c.signal} by {c.who} · {c.created_at}",
        f"   > {visible(c.question)}",
        f"   {what}",
        f"   signals: {signals}",
    ]
    if c.note:
        lines.append(f"   {visible(c.note)}")
    return "\n".join(lines)


def visible(text: str) -> str:
    """Text safe to print: control and format characters (escape sequences, bidi overrides) as escapes."""
    return "".join(
        (f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}")
        if unicodedata.category(ch) in INVISIBLE
        else ch
        for ch in text
    )
