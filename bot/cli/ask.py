"""`python -m bot ask TEXT`: print what the bot would do with one message."""

from __future__ import annotations

import argparse
import json
import sys

from bot.cli import EXIT_FAILED, EXIT_OK, add_config_option
from bot.cli.common import engine_from, settings_from
from bot.cli.render import render_decision
from bot.cli.stdin_lines import InputLine, stdin_lines


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ask command."""
    parser = subparsers.add_parser("ask", help="print the bot's decision for one message")
    parser.add_argument(
        "words",
        nargs="+",
        metavar="TEXT",
        help="the message, as a member would type it (quoted or not: the words are joined with spaces); "
        "- reads one message a line from stdin",
    )
    parser.add_argument(
        "--json", action="store_true", help="print one JSON object (decision, entry, score, candidates)"
    )
    parser.add_argument("--why", action="store_true", help="also print the reasoning behind the decision")
    add_config_option(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Decide on the message (or each line of stdin for `-`) and print the decision.

    With `-`, a line that is not UTF-8 gets `{"error": ..., "line": N}` in place of its decision (one
    line of output per line of input still), the rest are decided, and the exit code is 1.
    """
    engine = engine_from(settings_from(args))
    text = " ".join(args.words)  # `ask how do i buy connects` is the same message as its quoted form
    lines = stdin_lines() if args.words == ["-"] else iter([InputLine(1, text)])
    failed = False
    for line in lines:
        if line.text is None:
            failed = True
            if args.json:
                print(json.dumps({"error": line.problem, "line": line.number}), flush=True)
            else:
                print(f"error: {line.problem}", file=sys.stderr, flush=True)
            continue
        message = line.text
        decision = engine.decide(message)
        if args.json:
            print(json.dumps(decision.to_json()), flush=True)
        else:
            print(render_decision(engine.kb, decision, explain=args.why), flush=True)
    return EXIT_FAILED if failed else EXIT_OK
