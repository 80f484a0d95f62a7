"""`python -m bot kb report` and `kb forget-member`: the insights for operators, and a member's right to be forgotten.

`kb report` reads the same figures as /faq insights (bot.core.insights.gather) from the files the running
bot writes: `--json` prints them, `--html FILE` writes one self-contained page (bot/cli/report_page.py).
`kb forget-member ID` removes one member's texts and ids from every file the bot writes and says what
went (bot.core.insights.forget); the running bot may stay up meanwhile.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from pathlib import Path

from bot.cli import EXIT_FAILED, EXIT_OK, add_config_option
from bot.cli.common import engine_from, settings_from
from bot.cli.numbers import whole_number
from bot.cli.safe_text import shown

DEFAULT_DAYS = 30


def register_insights(commands: argparse._SubParsersAction) -> None:
    """Add `kb report` and `kb forget-member` to the kb command family."""
    report = commands.add_parser("report", help="how the bot is doing: figures as JSON or one self-contained HTML page")
    report.add_argument(
        "--days", type=whole_number(1, 3650), default=DEFAULT_DAYS, help="days back, today included (default 30)"
    )
    report.add_argument("--html", metavar="FILE", help="write the report page here")
    report.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    add_config_option(report)
    report.set_defaults(handler=run_report)

    forget = commands.add_parser("forget-member", help="remove every stored text and id of one member")
    forget.add_argument("member", metavar="DISCORD_ID", help="the member's Discord user id")
    add_config_option(forget)
    forget.set_defaults(handler=run_forget)


def run_report(args: argparse.Namespace) -> int:
    """Print the figures (--json) and/or write the page (--html)."""
    page_path = Path(args.html) if args.html else None
    if page_path is not None and (problem := unwritable(page_path)):  # say so before the figures are gathered
        print(f"error: cannot write the report to {shown(page_path)}: {problem}", file=sys.stderr)
        return EXIT_FAILED
    from bot.core.channel.feedback import FeedbackStore
    from bot.core.channel.question_groups import QUEUE_LIMIT
    from bot.core.insights.decision_log import DecisionLog
    from bot.core.insights.gather import gather

    settings = settings_from(args)
    engine = engine_from(settings)
    feedback = FeedbackStore(settings.feedback.path)
    log = DecisionLog(settings.insights.path)
    try:
        queue = feedback.list_unanswered(QUEUE_LIMIT)
        insights = gather(settings, engine, log, queue, days=args.days, now=time.time(), with_quality=True)
    finally:
        log.close()
        feedback.close()
    from bot.cli.report_page import plain_report, render_page

    if page_path is not None:
        from bot.core.knowledge.files import atomic_write

        page = render_page(insights, generated=dt.datetime.now(dt.UTC))
        try:
            atomic_write(page_path, page)
        except OSError as exc:
            print(f"error: cannot write the report to {shown(page_path)}: {exc.strerror or exc}", file=sys.stderr)
            return EXIT_FAILED
        if not args.json:
            shown_path = shown(page_path)
            print(f"wrote {shown_path}: {insights.first} – {insights.last}, {insights.total('questions')} questions")
    if args.json:
        print(json.dumps(insights.to_json(), ensure_ascii=False))
    if page_path is None and not args.json:
        print(plain_report(insights))
    return EXIT_OK


def unwritable(path: Path) -> str | None:
    """Why the report cannot be written at path (None: it can be tried): a folder, or no folder to hold it."""
    if path.is_dir():
        return "it is a folder"
    if not path.parent.is_dir():
        return f"no folder {shown(path.parent)}"
    return None


def run_forget(args: argparse.Namespace) -> int:
    """Remove one member's texts and ids from every file the bot writes; say what was removed."""
    raw = str(args.member).strip()
    if not raw.isdigit() or not 0 < int(raw) < 2**64:
        print(f"error: not a Discord user id: {args.member!r}", file=sys.stderr)
        return EXIT_FAILED
    from bot.core.insights.forget import forget_member
    from bot.core.ledger.audit import audit_path

    settings = settings_from(args)
    report = forget_member(
        int(raw),
        feedback=settings.feedback.path,
        decisions=settings.insights.path,
        history=settings.knowledge.history_path,
        ledger=settings.ledger.path,
        audit=audit_path(settings.ledger.path),
        learning=settings.learning.path,
    )
    for forgotten in report:
        print(forgotten)
    total = sum(sum(f.removed.values()) for f in report)
    print(f"member {raw}: {total} stored item(s) removed or made anonymous; counts per day and entry are kept")
    return EXIT_OK
