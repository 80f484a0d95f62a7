"""What `run` logs while Discord keeps refusing something: the refusal once in full, then briefly."""

from __future__ import annotations

import logging
import math

import pytest

from tests.e2e.conftest import ErrorLog, Pauses, StartBot, World
from tests.e2e.fake_faults import INVALID_FORM_BODY

GUILD_SYNC = r"/applications/\d+/guilds/\d+/commands"
TOO_LONG = "Must be between 1 and 100 in length. " * 8


def every_description_refused(commands: int, text: str) -> dict:
    """Discord's `errors` for a sync whose every command's description is refused (a long error)."""
    return {
        str(i): {"description": {"_errors": [{"code": "BASE_TYPE_BAD_LENGTH", "message": text}]}}
        for i in range(commands)
    }


async def test_a_long_command_refusal_is_said_once_in_full_then_briefly(
    world: World, start_bot: StartBot, bot_errors: ErrorLog, caplog: pytest.LogCaptureFixture
) -> None:
    errors = every_description_refused(3, TOO_LONG)
    fault = world.fake.refuse(
        "PUT", GUILD_SYNC, 400, code=INVALID_FORM_BODY, message="Invalid Form Body", errors=errors, times=math.inf
    )
    pauses = Pauses(hold=True)
    await start_bot(pause=pauses)
    await pauses.wait_for(1)
    (first,) = bot_errors.take()
    assert len(first.getMessage()) > 900 and first.getMessage().count(TOO_LONG.strip()) == 3
    for n in (2, 3):  # refused the same way at each retry: one short line
        pauses.release()
        await pauses.wait_for(n)
    later = [
        r.getMessage() for r in caplog.records if r.name == "bot.discord_bot" and "still refused" in r.getMessage()
    ]
    assert later == [f"slash commands for server {world.guild_id} still refused (HTTP 400, as logged before)"] * 2

    # A different refusal is new information: said in full once more.
    fault.body["errors"] = every_description_refused(1, "Must not contain a thing Discord dislikes now.")
    pauses.release()
    await pauses.wait_for(4)
    newest = [r for r in caplog.records if "still refused" in r.getMessage()][-1]
    assert "now:" in newest.getMessage() and "dislikes now" in newest.getMessage()
    assert newest.levelno == logging.WARNING
