"""SupportBot pieces that need no fake server: the backoff schedule and discord.py's reconnect log line."""

from __future__ import annotations

import inspect
import itertools
import logging

import discord
import pytest

from bot.discord_bot import RECONNECT_MESSAGE, backoff_delays, quiet_reconnect_tracebacks


def test_backoff_doubles_up_to_the_cap() -> None:
    assert list(itertools.islice(backoff_delays(1, 300), 11)) == [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300]


def test_discord_py_still_logs_reconnects_with_this_message() -> None:
    # The filter matches discord.py's own message: a discord.py upgrade that rewords it fails here.
    assert f"_log.exception('{RECONNECT_MESSAGE}', retry)" in inspect.getsource(discord.Client.connect)


def test_a_gateway_reconnect_attempt_is_one_warning_line(caplog: pytest.LogCaptureFixture) -> None:
    quiet_reconnect_tracebacks()
    quiet_reconnect_tracebacks()  # installing twice adds one filter
    client_log = logging.getLogger("discord.client")
    try:
        raise OSError(111, "Connect call failed ('162.159.135.232', 443)")
    except OSError:
        client_log.exception(RECONNECT_MESSAGE, 1.234)
    (record,) = [r for r in caplog.records if r.name == "discord.client"]
    assert record.levelno == logging.WARNING and record.exc_info is None
    assert record.getMessage() == (
        "lost the connection to Discord (ConnectionRefusedError: [Errno 111] Connect call failed "
        "('162.159.135.232', 443)); reconnecting in 1.2 s"
    )
    assert sum(f.__class__.__name__ == "OneLineReconnects" for f in client_log.filters) == 1


def test_other_discord_client_errors_keep_their_traceback(caplog: pytest.LogCaptureFixture) -> None:
    quiet_reconnect_tracebacks()
    try:
        raise ValueError("boom")
    except ValueError:
        logging.getLogger("discord.client").exception("Ignoring exception in %s", "on_message")
    (record,) = [r for r in caplog.records if r.name == "discord.client"]
    assert record.levelno == logging.ERROR and record.exc_info is not None
