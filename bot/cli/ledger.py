"""`python -m bot ledger import|reset|history|explain|audit`: the Connects ledger from the command line.

The operator running the CLI is trusted like a community manager and is recorded in the access log as
"cli:<os user>". `--json` output shapes are a contract (see the issue): extra keys may be added, never
removed or renamed.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from bot.cli import EXIT_OK, EXIT_USAGE, add_config_option
from bot.cli.common import settings_from
from bot.cli.ledger_help import IMPORT_DESCRIPTION, IMPORT_EPILOG
from bot.cli.numbers import whole_number
from bot.cli.safe_text import aligned, shown, shown_marked
from bot.config import Settings
from bot.core.errors import KnowledgeError, LedgerError
from bot.core.knowledge.loader import load_knowledge
from bot.core.knowledge.model import KnowledgeBase
from bot.core.ledger import open_ledger
from bot.core.ledger.access import OTHERS_HIDDEN, Viewer
from bot.core.ledger.models import History, parse_since
from bot.core.ledger.service import LedgerService
from bot.core.ledger.store import LedgerStore
from bot.core.wording import counted

PROGRESS_MIN_BYTES = 1_000_000  # below this an import is over before a bar would help
LIMIT = whole_number(1, 1_000_000)  # --limit: rows a listing shows


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ledger command family."""
    parser = subparsers.add_parser("ledger", help="the Connects ledger: import, history, explain, audit")
    sub = parser.add_subparsers(dest="ledger_command", metavar="SUBCOMMAND", required=True)

    p = sub.add_parser(
        "import",
        help="import PROFILES.yaml and/or ENTRIES.csv (all or nothing)",
        description=IMPORT_DESCRIPTION,
        epilog=IMPORT_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--profiles", metavar="PROFILES.yaml", type=Path, help="profiles and agency memberships")
    p.add_argument("--entries", metavar="ENTRIES.csv", type=Path, help="ledger entries")
    p.add_argument(
        "--replace-demo",
        action="store_true",
        help="the ledger holds the bundled demo: remove its people in the same all-or-nothing import",
    )
    add_config_option(p)
    p.set_defaults(handler=run_import)

    p = sub.add_parser("reset", help="remove the bundled demo people from a demo ledger (never imported data)")
    add_config_option(p)
    p.set_defaults(handler=run_reset)

    p = sub.add_parser("history", help="a profile's entries and balances (agency and freelancer kept apart)")
    p.add_argument("who", metavar="WHO", help="a profile id or a linked Discord user id")
    p.add_argument("--since", metavar="DATE", help="only entries on or after this date (ISO 8601)")
    p.add_argument("--limit", metavar="N", type=LIMIT, default=50, help="newest N entries per balance")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    add_config_option(p)
    p.set_defaults(handler=run_history)

    p = sub.add_parser("explain", help="explain a charge in plain words: an entry id or a job reference")
    p.add_argument("ref", metavar="REF", help="an entry id (e-1042) or a job reference (~01ab...)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    add_config_option(p)
    p.set_defaults(handler=run_explain)

    p = sub.add_parser("audit", help="who looked at whose ledger, newest first")
    p.add_argument("--limit", metavar="N", type=LIMIT, default=50, help="how many records")
    p.add_argument("--subject", metavar="PROFILE", help="only reads of this profile's ledger")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    add_config_option(p)
    p.set_defaults(handler=run_audit)


def _knowledge(settings: Settings) -> KnowledgeBase | None:
    try:
        return load_knowledge(settings.knowledge.path)
    except KnowledgeError as exc:
        # Explanations still work without the FAQ links; say why they are missing.
        print(f"warning: knowledge base not loaded, FAQ links omitted: {shown(exc.lines()[0])}", file=sys.stderr)
        return None


def _service(args: argparse.Namespace) -> LedgerService:
    settings = settings_from(args)
    return LedgerService(open_ledger(settings.ledger.path), _knowledge(settings))


def member_ledger(settings: Settings, ref: str) -> tuple[LedgerService, Viewer]:
    """Return the ledger service and the Viewer for `chat --as`: a member, seen with a member's rights."""
    service = LedgerService(open_ledger(settings.ledger.path), _knowledge(settings))
    profile = service.store.find_profile(ref)
    if profile.is_agency:
        raise LedgerError(f"--as needs a freelancer profile or a linked Discord id; {profile.id} is an agency")
    # The console operator is logged as themselves, acting as the member.
    return service, Viewer(label=f"{Viewer.operator().label} as {profile.id}", profile=profile.id)


def _print_json(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2))


# --- import ----------------------------------------------------------------------------------------------


class _Bar:
    """A one-line progress bar on stderr, drawn only when stderr is a terminal."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.last = -1

    def __call__(self, done: int, total: int) -> None:
        percent = 100 if total <= 0 else min(100, done * 100 // total)
        if percent == self.last:
            return
        self.last = percent
        filled = percent * 30 // 100
        sys.stderr.write(f"\r{self.label} [{'#' * filled}{'.' * (30 - filled)}] {percent:3d}%")
        if percent == 100:
            sys.stderr.write("\nchecking ids and balances, building indexes ...\n")
        sys.stderr.flush()


def run_import(args: argparse.Namespace) -> int:
    """Import the given files into the configured ledger."""
    if args.profiles is None and args.entries is None:
        print("error: give --profiles, --entries, or both", file=sys.stderr)
        return EXIT_USAGE
    settings = settings_from(args)
    progress = None
    if args.entries is not None and sys.stderr.isatty():
        try:
            if args.entries.stat().st_size >= PROGRESS_MIN_BYTES:
                progress = _Bar(f"importing {args.entries.name}")
        except OSError:
            pass  # the importer reports the unreadable file
    from bot.core.ledger.importer import import_ledger  # with numpy: only for an import

    # An import fills the ledger it names: a missing file becomes an empty ledger, not the demo one.
    with LedgerStore(settings.ledger.path) as store:
        result = import_ledger(
            store,
            profiles_path=args.profiles,
            entries_path=args.entries,
            progress=progress,
            replace_demo=args.replace_demo,
        )
    phases = ", ".join(f"{name} {seconds:.2f}s" for name, seconds in result.phases)
    print(
        f"imported {counted(result.profiles, 'profile', 'profiles')} and {counted(result.entries, 'entry', 'entries')} "
        f"into {settings.ledger.path} "
        f"in {result.seconds:.2f}s ({phases})"
    )
    return EXIT_OK


def run_reset(args: argparse.Namespace) -> int:
    """Empty a ledger created from the bundled demo, so real data can be imported into it."""
    settings = settings_from(args)
    path = Path(settings.ledger.path)
    if not path.exists():
        raise LedgerError(f"{path}: no ledger here; `ledger import` creates an empty one")
    from bot.core.ledger.importer import reset_demo

    with LedgerStore(path) as store:
        reset_demo(store)
    print(f"removed the demo people from {path}; the access log is kept")
    return EXIT_OK


# --- history ---------------------------------------------------------------------------------------------


def run_history(args: argparse.Namespace) -> int:
    """Print a profile's history, one section per balance."""
    since = None
    if args.since:
        try:
            since = parse_since(args.since)
        except ValueError:
            raise LedgerError(f"--since must be an ISO 8601 date like 2026-09-01, got {args.since!r}") from None
    service = _service(args)
    history = service.history(Viewer.operator(), args.who, since_ts=since, limit=args.limit)
    if args.json:
        _print_json(history.to_json())
    else:
        print(render_history(history))
    return EXIT_OK


def render_history(history: History) -> str:
    """Render a history as text: each balance in its own section, newest entries first.

    Names, ids, jobs and notes come from an import: control characters are shown, never obeyed (a note
    with a newline cannot add a row, a name cannot start a section)."""
    subject = history.subject
    name = shown(subject.name)
    lines = [f"{name} ({shown(subject.id)}, {subject.kind})"]
    if len(history.sections) > 1:
        lines.append("Separate balances: Connects are never shared or moved between these profiles.")
    for s in history.sections:
        lines.append("")
        head = f"{'Agency' if s.profile.is_agency else 'Freelancer'} {shown(s.profile.id)} · {shown(s.profile.name)} · "
        head += f"balance {s.balance}"
        if s.scope == "acted":
            head += f" · only the entries {name} acted on" + (f" ({s.role.replace('_', ' ')})" if s.role else "")
        lines.append(head)
        if s.others_hidden:
            lines.append(f"  ({OTHERS_HIDDEN})")
        if not s.entries:
            lines.append("  (no entries)")
        # Columns as wide as their widest cell: a 64-character entry id shifts the section, not one row.
        amounts = [f"{e.connects:+d}" for e in s.entries]
        amount_width = max((len(a) for a in amounts), default=0)
        rows = []
        for e, amount in zip(s.entries, amounts, strict=True):
            job = f"{shown(e.job)} " if e.job else ""
            actor = f"by {shown(e.actor)}" if e.actor and s.profile.is_agency else ""
            note = f"  {shown(e.note)}" if e.note else ""
            rest = f"{job}{actor}".rstrip() + note
            cells = [
                shown(e.occurred_at),
                shown(e.id),
                shown(e.kind),
                amount.rjust(amount_width),
                f"→ {e.balance_after}",
            ]
            rows.append([*cells, rest])
        lines.extend("  " + line for line in aligned(rows))
    return "\n".join(lines)


# --- explain ---------------------------------------------------------------------------------------------


def run_explain(args: argparse.Namespace) -> int:
    """Explain an entry or every entry of a job."""
    explanations = _service(args).explain(Viewer.operator(), args.ref)
    if args.json:
        _print_json({"explanations": [x.to_json() for x in explanations]})
        return EXIT_OK
    blocks = []
    for x in explanations:
        e = x.entry
        head = (
            f"{shown(e.id)} · {shown(e.occurred_at)} · {shown(e.kind)} {e.connects:+d} · {shown(x.profile.name)} "
            f"({shown(e.profile)})"
        )
        rules = f"rules: {', '.join(x.rules)}" if x.rules else "rules: none cover this entry"
        faq = f"  ·  see also: {', '.join(x.faq)}" if x.faq else ""
        blocks.append(f"{head}\n{shown_marked(x.text)}\n{rules}{faq}")
    print("\n\n".join(blocks))
    return EXIT_OK


# --- audit -----------------------------------------------------------------------------------------------


def run_audit(args: argparse.Namespace) -> int:
    """Print the access log, newest first."""
    records = _service(args).audit(Viewer.operator(), limit=args.limit, subject=args.subject)
    if args.json:
        _print_json({"records": [r.to_json() for r in records]})
        return EXIT_OK
    if not records:
        print("(no ledger reads recorded)")
        return EXIT_OK
    rows = [["when", "viewer", "subject", "what", "verdict", "reason"]]
    for r in records:
        verdict = "allowed" if r.allowed else "REFUSED"
        rows.append([shown(r.at), shown(r.viewer), shown(r.subject), shown(r.what), verdict, shown(r.reason)])
    print("\n".join(aligned(rows)))
    return EXIT_OK
