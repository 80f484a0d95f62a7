"""`python -m bot run` pieces that need no Discord: the token redaction filter and the start-up checks.

The command itself runs as a process against the fake Discord in tests/e2e/test_startup.py.
"""

from __future__ import annotations

import io
import logging

import pytest

from bot.cli import main
from bot.cli.run import REDACTED, install_redaction

TOKEN = "MTIzNDU2Nzg5MDEy.GhIjKl.mnopqrstuvwxyz0123456789"


@pytest.fixture
def captured() -> tuple[logging.Logger, io.StringIO]:
    stream = io.StringIO()
    logger = logging.getLogger("test.redaction")
    logger.handlers[:] = [logging.StreamHandler(stream)]
    logger.propagate = False
    install_redaction(TOKEN, logger)
    return logger, stream


def test_token_in_message_and_arguments_is_redacted(captured) -> None:
    logger, stream = captured
    logger.warning(f"login with {TOKEN} failed")
    logger.warning("header was %s for %d tries", f"Bot {TOKEN}", 3)
    out = stream.getvalue()
    assert TOKEN not in out
    assert out.splitlines() == [f"login with {REDACTED} failed", f"header was Bot {REDACTED} for 3 tries"]


def test_token_in_a_traceback_is_redacted(captured) -> None:
    logger, stream = captured
    try:
        raise ValueError(f"Authorization: Bot {TOKEN}")
    except ValueError:
        logger.exception("request failed")
    out = stream.getvalue()
    assert TOKEN not in out
    assert "ValueError: Authorization: Bot [redacted]" in out
    assert "Traceback (most recent call last)" in out


def test_messages_without_the_token_are_untouched(captured) -> None:
    logger, stream = captured
    logger.info("not shown")  # below the logger's effective level in this test
    logger.error("ready: %d guilds", 2)
    assert stream.getvalue() == "ready: 2 guilds\n"


def test_no_token_is_one_line_and_exit_2(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    monkeypatch.delenv("DISCORD_TOKEN", raising=False)
    assert main(["run"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1 and "DISCORD_TOKEN" in err


def test_blank_token_counts_as_missing(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", "   ")
    assert main(["run"]) == 2
    assert "DISCORD_TOKEN is not set" in capsys.readouterr().err
