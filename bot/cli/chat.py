"""`python -m bot chat`: an interactive console that behaves like the support channel."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator

from bot.cli import add_config_option
from bot.cli.common import engine_from, settings_from
from bot.cli.ledger import member_ledger
from bot.cli.render import render_answer, render_decision
from bot.core.ledger.access import Viewer
from bot.core.ledger.service import LedgerService
from bot.core.matching.answers import AnswerEngine
from bot.core.matching.matcher import Decision

BANNER = """Connects support bot — offline console. Type a question as a member would.
  a number picks a suggestion · /why explains the last decision · /quit leaves"""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the chat command."""
    parser = subparsers.add_parser("chat", help="talk to the bot in the console, as in the support channel")
    parser.add_argument(
        "--as",
        dest="as_member",
        metavar="PROFILE_OR_DISCORD_ID",
        help="chat as this member: questions about a specific charge are answered from their own ledger",
    )
    add_config_option(parser)
    parser.set_defaults(handler=run)


class ChatSession:
    """One console conversation: turns typed lines into what the bot would post."""

    def __init__(self, engine: AnswerEngine, ledger: LedgerService | None = None, viewer: Viewer | None = None) -> None:
        self.engine = engine
        self.last: Decision | None = None
        self.ledger = ledger
        self.viewer = viewer

    def respond(self, line: str) -> str | None:
        """Return the bot's reply to one typed line, or None to end the session."""
        line = line.strip()
        if line in ("/quit", "/exit"):
            return None
        if line == "/why":
            return self.last.reason if self.last else "nothing asked yet"
        if line == "/help":
            return BANNER
        if self.last is not None and self.last.action == "suggest" and line.isdigit():
            picked = int(line) - 1
            if 0 <= picked < len(self.last.candidates):
                candidate = self.last.candidates[picked]
                self.last = None
                return render_answer(self.engine.kb, candidate.entry_id, candidate.score)
        if not line:
            return ""
        if self.ledger is not None and self.viewer is not None:
            # A question about one specific charge is answered from the member's own ledger, not the FAQ.
            charge = self.ledger.answer_charge_question(self.viewer, line)
            if charge is not None:
                self.last = None
                return charge.text
        self.last = self.engine.decide(line)
        return render_decision(self.engine.kb, self.last)


def _lines(interactive: bool) -> Iterator[str]:
    if not interactive:
        yield from sys.stdin
        return
    while True:
        try:
            yield input("you> ")
        except EOFError:
            print()
            return


def run(args: argparse.Namespace) -> int:
    """Run the console loop until /quit or end of input."""
    settings = settings_from(args)
    ledger, viewer = member_ledger(settings, args.as_member) if args.as_member else (None, None)
    session = ChatSession(engine_from(settings), ledger, viewer)
    interactive = sys.stdin.isatty()
    if interactive:
        print(BANNER)
    for line in _lines(interactive):
        reply = session.respond(line)
        if reply is None:
            break
        if reply:
            print(("bot> " if interactive else "") + reply.replace("\n", "\n     " if interactive else "\n"))
    return 0
