"""`python -m bot chat`: an interactive console that behaves like the support channel."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Iterator

from bot.cli import add_config_option
from bot.cli.common import engine_from, settings_from
from bot.cli.ledger import member_ledger
from bot.cli.render import render_answer, render_decision
from bot.cli.safe_text import shown_marked
from bot.cli.stdin_lines import decode_line, stdin_lines
from bot.config import Settings
from bot.core.channel.desk import Posted, Reply, ReplyPlan, SupportDesk
from bot.core.channel.policy import MessageFacts
from bot.core.ledger.access import Viewer
from bot.core.ledger.service import LedgerService
from bot.core.matching.answers import AnswerEngine

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


# The console is one member in one support channel; the ids only have to differ from each other.
CONSOLE_CHANNEL, CONSOLE_MEMBER, CONSOLE_BOT = 1, 2, 3


def console_desk(settings: Settings, engine: AnswerEngine, *, explains_charges: bool) -> SupportDesk:
    """The channel's desk with the channel's cooldowns and member limit; it records nothing."""
    return SupportDesk.from_settings(
        settings, engine, explains_charges=explains_charges, support_channel_ids=(CONSOLE_CHANNEL,)
    )


def listed_number(line: str, count: int) -> int | None:
    """The suggestion a typed line picks (1..count), or None when it is not one of the numbers shown.

    Only ASCII digits: str.isdigit() also accepts "²" (which int() refuses) and "٣" (which int() reads
    as 3); and the length is checked first, because int() refuses a number past 4,300 digits.
    """
    digits = line.lstrip("0")
    if not (line.isascii() and line.isdigit() and len(digits) <= len(str(count))):
        return None
    number = int(digits or "0")
    return number if 1 <= number <= count else None


class ChatSession:
    """One console conversation: each typed line goes through the support channel's desk, then is printed."""

    def __init__(self, desk: SupportDesk, ledger: LedgerService | None = None, viewer: Viewer | None = None) -> None:
        self.desk = desk
        self.ledger = ledger
        self.viewer = viewer
        self.last: ReplyPlan | None = None
        self._sent = 0
        self._runner = asyncio.Runner()  # one event loop for the session: the desk is async, like the channel

    def close(self) -> None:
        """Stop the session's event loop."""
        self._runner.close()

    def respond(self, line: str) -> str | None:
        """Return the bot's reply to one typed line, or None to end the session."""
        line = line.strip()
        if line in ("/quit", "/exit"):
            return None
        if line == "/why":
            return self.last.reason if self.last else "nothing asked yet"
        if line == "/help":
            return BANNER
        if self.last is not None and self.last.reply is Reply.SUGGEST and self.last.decision is not None:
            candidates = self.last.decision.candidates
            picked = listed_number(line, len(candidates))
            if picked is not None:
                self.last = None
                chosen = candidates[picked - 1]
                return render_answer(self.desk.engine.kb, chosen.entry_id, chosen.score)
        if not line:
            return ""
        self._sent += 1
        facts = MessageFacts(
            author_id=CONSOLE_MEMBER,
            author_is_bot=False,
            is_webhook=False,
            channel_id=CONSOLE_CHANNEL,
            parent_id=None,
            in_guild=True,
            content=line,
            message_id=self._sent,
            jump_url=f"your question #{self._sent}",
        )
        plan = self._runner.run(self.desk.plan(facts, bot_user_id=CONSOLE_BOT))
        self.last = plan
        text = self._render(line, plan)
        if plan.reply.speaks:
            self.desk.settle(facts, plan, Posted(self._sent, f"the reply to your question #{self._sent}"))
        return text

    def _render(self, line: str, plan: ReplyPlan) -> str:
        kb = self.desk.engine.kb
        if plan.reply is Reply.OFFER_EXPLANATION:
            # The console is already private: the explanation itself, from the member's own ledger.
            assert self.ledger is not None and self.viewer is not None
            answer = self.ledger.answer_charge_question(self.viewer, line)
            return shown_marked(answer.text) if answer is not None else "(no explanation)"
        if plan.reply is Reply.POINT_TO_EARLIER:
            return f"(answered just above: see {plan.earlier_jump_url})"
        if plan.reply is Reply.RATE_LIMITED:
            limits = self.desk.cooldowns
            return (
                f"(the bot stays quiet: at most {limits.member_rate_limit_count} replies per member every "
                f"{limits.member_rate_limit_seconds:g} s, as in the channel)"
            )
        if plan.decision is None:
            return f"(the bot stays silent)\nwhy: {plan.reason}"
        return render_decision(kb, plan.decision)


def _lines(interactive: bool) -> Iterator[str]:
    """The typed lines; one that is not UTF-8 text is named on stderr and skipped (the chat goes on)."""
    if not interactive:
        for line in stdin_lines():
            if line.text is None:
                print(f"error: {line.problem}", file=sys.stderr, flush=True)
            else:
                yield line.text
        return
    number = 0
    while True:
        number += 1
        try:
            yield input("you> ")
        except UnicodeDecodeError as exc:  # the terminal's line is consumed; only that line is lost
            print(f"error: {decode_line(number, exc.object).problem}", file=sys.stderr, flush=True)
        except EOFError:
            print()
            return


def run(args: argparse.Namespace) -> int:
    """Run the console loop until /quit or end of input."""
    settings = settings_from(args)
    ledger, viewer = member_ledger(settings, args.as_member) if args.as_member else (None, None)
    desk = console_desk(settings, engine_from(settings), explains_charges=ledger is not None)
    session = ChatSession(desk, ledger, viewer)
    interactive = sys.stdin.isatty()
    if interactive:
        print(BANNER)
    try:
        for line in _lines(interactive):
            reply = session.respond(line)
            if reply is None:
                break
            if reply:
                print(("bot> " if interactive else "") + reply.replace("\n", "\n     " if interactive else "\n"))
    finally:
        session.close()
    return 0
