"""The command-line front end: one parser, one error handler, a module per command family.

Each module in COMMAND_MODULES exposes `register(subparsers)`, which adds its sub-parsers and sets
`handler=function(args) -> int` on each. Handlers load what they need (config, knowledge, ledger)
themselves, so `ask` never opens the ledger and `ledger import` never indexes the knowledge base.
Domain errors are turned into messages here, in one place.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from bot.core.errors import BotError, ConfigError

COMMAND_MODULES = ("ask", "chat", "kb", "ledger", "run", "init")

# Exit codes: 0 ok, 1 the thing asked about is wrong or missing (bad knowledge, unknown id),
# 2 the invocation or environment is wrong (bad config, missing token, bad arguments).
EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """Build the parser: only the command family argv names, else (help, a typo) every one.

    Importing a family costs start-up time (`ask` needs numpy and the encoder, `ledger import` neither),
    so a command loads only its own module.
    """
    named = command_named(argv or ())
    families = (named,) if named in COMMAND_MODULES else COMMAND_MODULES
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        description="Connects support bot: answer questions, curate the knowledge base, explain ledger charges.",
    )
    parser.add_argument("--version", action="version", version=f"connects-bot {package_version()}")
    # Before the command too (`--config X ask ...`); its own dest, because argparse lets a sub-parser's
    # default (None) overwrite a value the main parser already set under the same name.
    add_config_option(parser, dest=GLOBAL_CONFIG)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in families:
        module = importlib.import_module(f"bot.cli.{name}")
        module.register(subparsers)
    return parser


GLOBAL_CONFIG = "config_before_command"


def command_named(argv: Sequence[str]) -> str | None:
    """The command word in argv: its first word that is not an option (nor --config's value)."""
    words = iter(argv)
    for word in words:
        if word == "--config":
            next(words, None)
        elif not word.startswith("-"):
            return word
    return None


def package_version() -> str:
    """The installed distribution's version (what `--version` prints)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("connects-support-bot")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown (not installed)"


def add_config_option(parser: argparse.ArgumentParser, dest: str = "config") -> None:
    """Give a command the shared --config option."""
    parser.add_argument(
        "--config",
        dest=dest,
        metavar="PATH",
        default=None,
        help="config file (default: $CONNECTS_BOT_CONFIG, else ./config.yaml, else the packaged default)",
    )


def print_error(exc: BotError) -> None:
    """Print a domain error on stderr, every line through the console's escaping helper.

    A message carries text a member or an import controls (a profile id, a note, a file name): shown raw,
    an ESC or a right-to-left override in it would drive the terminal.
    """
    from bot.cli.safe_text import shown

    print("error: " + "\n".join(shown(line) for line in exc.lines()), file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Parse arguments, run the chosen command, and turn domain errors into one-line messages."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    if getattr(args, "config", None) is None:  # `--config X` after the command wins over one before it
        args.config = getattr(args, GLOBAL_CONFIG)
    if args.command != "run":  # under `run`, progress records are ordinary log lines
        from bot.cli.progress import show_progress

        show_progress()
    try:
        return int(args.handler(args) or EXIT_OK)
    except BotError as exc:  # a ConfigError is the invocation's fault (exit 2); the rest, the thing asked about
        print_error(exc)
        return EXIT_USAGE if isinstance(exc, ConfigError) else EXIT_FAILED
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # Output piped into `head` and closed early: not an error worth a traceback.
        return EXIT_OK
