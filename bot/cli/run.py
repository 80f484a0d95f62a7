"""`python -m bot run`: connect to Discord and serve the support channels and slash commands.

The token comes from the DISCORD_TOKEN environment variable only, and a logging filter keeps it out
of every log line and traceback. SIGINT/SIGTERM close the gateway, then the services (pending
feedback writes finish) before the process exits.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import gc
import logging
import os
import signal
import sys
import traceback

from bot.cli import EXIT_OK, EXIT_USAGE, add_config_option
from bot.cli.common import settings_to_change_knowledge
from bot.config import Settings

log = logging.getLogger(__name__)

TOKEN_VARIABLE = "DISCORD_TOKEN"
NO_TOKEN_HELP = (
    f"error: {TOKEN_VARIABLE} is not set; export {TOKEN_VARIABLE}=<bot token> "
    "(Discord Developer Portal > your application > Bot > Reset Token) and run again"
)
REDACTED = "[redacted]"


class RedactSecret(logging.Filter):
    """Replace a secret in log messages, their arguments and formatted tracebacks."""

    def __init__(self, secret: str) -> None:
        super().__init__()
        self.secret = secret

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if self.secret in message:
            record.msg, record.args = message.replace(self.secret, REDACTED), None
        if record.exc_info and not record.exc_text:
            record.exc_text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
        if record.exc_text and self.secret in record.exc_text:
            record.exc_text = record.exc_text.replace(self.secret, REDACTED)
        if record.stack_info and self.secret in record.stack_info:
            record.stack_info = record.stack_info.replace(self.secret, REDACTED)
        return True


class IsoTimeFormatter(logging.Formatter):
    """Start every line of a record (a traceback's too) with the record's time in ISO 8601, UTC, to the
    millisecond: operators read a bot's log by time, and a grep for a minute should catch whole records."""

    def __init__(self) -> None:
        super().__init__("%(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        stamp = dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds")
        return "\n".join(f"{stamp} {line}" for line in super().format(record).splitlines())


def stamp_log_lines(logger: logging.Logger | None = None) -> None:
    """Put IsoTimeFormatter on every handler of logger (default: the root logger)."""
    for handler in (logger or logging.getLogger()).handlers:
        handler.setFormatter(IsoTimeFormatter())


def install_redaction(secret: str, logger: logging.Logger | None = None) -> RedactSecret:
    """Put a redacting filter on every handler of logger (default: the root logger)."""
    target = logger or logging.getLogger()
    redactor = RedactSecret(secret)
    for handler in target.handlers:
        handler.addFilter(redactor)
    return redactor


def register(subparsers: argparse._SubParsersAction) -> None:
    """Register `run`."""
    parser = subparsers.add_parser(
        "run",
        help="connect to Discord and answer in the support channels",
        description=f"Connect to Discord with the bot token from ${TOKEN_VARIABLE}.",
    )
    add_config_option(parser)
    parser.set_defaults(handler=run_command)


def run_command(args: argparse.Namespace) -> int:
    """Check the token and config, then run the bot until it is stopped."""
    token = os.environ.get(TOKEN_VARIABLE, "").strip()
    if not token:
        print(NO_TOKEN_HELP, file=sys.stderr)
        return EXIT_USAGE
    install_redaction(token)
    stamp_log_lines()
    # ConfigError: one line naming the key, exit 2 (bot.cli.main). Moderators edit knowledge/ from Discord.
    settings = settings_to_change_knowledge(args, "run")
    logging.getLogger().setLevel(settings.log_level)
    return asyncio.run(serve(settings, token))


def tune_garbage_collector() -> None:
    """Keep collector pauses out of reply latency in a long-running, allocation-heavy process.

    What is loaded at start-up (the knowledge index, discord.py's modules) lives for the whole run:
    freeze it so full collections don't walk it again. Then collect less often: per-message garbage
    is freed by reference counting, the collector only looks for cycles. Measured with
    bench/bench_discord.py: fewer collector runs, higher throughput, lower p99.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 20, 100)


async def serve(settings: Settings, token: str) -> int:
    """Build the services and the bot, run until closed by Discord or a signal, then close everything."""
    from bot.discord_bot import SupportBot
    from bot.services import build_services

    services = build_services(settings)
    bot = SupportBot(services)
    tune_garbage_collector()
    loop = asyncio.get_running_loop()
    closing: set[asyncio.Task[None]] = set()

    def stop(signame: str) -> None:
        log.info("%s received: shutting down", signame)
        task = loop.create_task(bot.close())
        closing.add(task)
        task.add_done_callback(closing.discard)

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop, sig.name)
    try:
        async with bot:
            await bot.start(token)
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        services.close()
        log.info("stopped")
    return EXIT_OK
