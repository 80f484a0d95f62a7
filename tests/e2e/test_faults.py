"""When Discord refuses or goes away: a refused command sync, refused replies, an unreachable Discord at
start-up, a rejected token and a dropped gateway connection. Retry waits are injected (conftest.Pauses),
so nothing here waits on the clock."""

from __future__ import annotations

import logging
import math

import pytest

from bot.discord_bot import TokenRejected
from tests.e2e.conftest import ErrorLog, Pauses, StartBot, World
from tests.e2e.fake_faults import INVALID_FORM_BODY, MISSING_ACCESS, MISSING_PERMISSIONS, invalid_field_errors

QUESTION = "How many Connects does a proposal cost, and why is it different between jobs?"
GUILD_SYNC = r"/applications/\d+/guilds/\d+/commands"


def records(caplog: pytest.LogCaptureFixture, logger: str, level: int = logging.WARNING) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == logger and r.levelno >= level]


# --- a refused command sync --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "code", "errors", "says"),
    [
        (
            400,
            INVALID_FORM_BODY,
            invalid_field_errors("0.description", "Must be between 1 and 100 in length."),
            ("400", "In command 'ask'", "description: Must be between 1 and 100 in length.", "definition"),
        ),
        (403, MISSING_ACCESS, None, ("403", "Missing Access", "discord.guild_ids", "applications.commands")),
    ],
    ids=["field-rejected", "missing-access"],
)
async def test_refused_sync_is_one_line_the_bot_keeps_answering_and_syncs_later(
    world: World,
    start_bot: StartBot,
    bot_errors: ErrorLog,
    caplog: pytest.LogCaptureFixture,
    status: int,
    code: int,
    errors: dict | None,
    says: tuple[str, ...],
) -> None:
    message = "Missing Access" if code == MISSING_ACCESS else "Invalid Form Body"
    fault = world.fake.refuse("PUT", GUILD_SYNC, status, code=code, message=message, errors=errors, times=math.inf)
    pauses = Pauses(hold=True)
    running = await start_bot(pause=pauses)

    # Serving in the support channel while the commands are refused.
    msg = await world.fake.post_message(world.support_id, world.alice, QUESTION)
    assert (await running.outcome(msg["id"])).action == "answer"
    await pauses.wait_for(1)
    (refused,) = bot_errors.take()
    line = refused.getMessage()
    assert "\n" not in line and refused.exc_info is None
    assert str(world.guild_id) in line
    assert all(part in line for part in says), line  # what was refused, and how to fix it
    assert len(fault.hits) == 1 and world.fake.commands == {}

    # Still refused at the next try: one more line (a warning), and a longer wait after it.
    pauses.release()
    await pauses.wait_for(2)
    assert pauses.delays[1] > pauses.delays[0] >= 30
    assert len(records(caplog, "bot.discord_bot")) == 2

    # Fixed on Discord's side: the next try syncs.
    fault.times = 0
    pauses.release()
    await world.fake.wait_for_request("PUT", GUILD_SYNC, lambda r: isinstance(r.response, list), timeout=5)
    assert {c["name"] for c in world.fake.commands[world.guild_id]} >= {"ask", "faq"}
    assert len(pauses.delays) == 2


# --- refused replies -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "code", "level"),
    [(503, 0, logging.WARNING), (400, INVALID_FORM_BODY, logging.ERROR), (403, MISSING_PERMISSIONS, logging.WARNING)],
    ids=["server-error", "bad-request", "forbidden"],
)
async def test_refused_reply_spends_neither_the_cooldown_nor_the_member_slot(
    world: World,
    start_bot: StartBot,
    bot_errors: ErrorLog,
    caplog: pytest.LogCaptureFixture,
    status: int,
    code: int,
    level: int,
) -> None:
    running = await start_bot(member_rate_limit_count=1)
    support_posts = rf"/channels/{world.support_id}/messages"
    world.fake.refuse("POST", support_posts, status, code=code, times=1)

    refused = await world.fake.post_message(world.support_id, world.alice, QUESTION)
    outcome = await running.outcome(refused["id"])
    assert outcome.action in ("reply refused", "forbidden") and outcome.reply_id is None
    assert str(status) in outcome.reason
    (logged,) = records(caplog, "bot.cogs.support")
    assert logged.levelno == level and "\n" not in logged.getMessage()
    bot_errors.take()

    # Asking again gets the answer: not "rate limited", not "answered just above" at her own question.
    again = await world.fake.post_message(world.support_id, world.alice, QUESTION)
    outcome = await running.outcome(again["id"])
    assert outcome.action == "answer"
    (answer,) = world.fake.replies_to(int(again["id"]))
    # And the cooldown now points others at the answer that was posted.
    other = await world.fake.post_message(world.support_id, world.bob, QUESTION)
    assert (await running.outcome(other["id"])).action == "point to the earlier answer"
    (pointer,) = world.fake.replies_to(int(other["id"]))
    assert answer.response["id"] in pointer.json["content"] and refused["id"] not in pointer.json["content"]


async def test_refused_suggestion_gives_the_member_slot_back(
    world: World, start_bot: StartBot, caplog: pytest.LogCaptureFixture
) -> None:
    from tests.e2e.conftest import find_text

    running = await start_bot(member_rate_limit_count=1)
    text = find_text(running.services, "suggest")
    world.fake.refuse("POST", rf"/channels/{world.support_id}/messages", 503, times=1)
    first = await world.fake.post_message(world.support_id, world.alice, text)
    assert (await running.outcome(first["id"])).action == "reply refused"
    second = await world.fake.post_message(world.support_id, world.alice, text)
    assert (await running.outcome(second["id"])).action == "suggest"


# --- Discord unreachable at start-up, a rejected token ---------------------------------------------


async def test_unreachable_discord_is_retried_with_backoff_one_line_per_attempt(
    world: World, start_bot: StartBot, caplog: pytest.LogCaptureFixture
) -> None:
    await world.fake.stop()  # nothing listens on its port now

    async def back_on_the_third_wait(n: int) -> None:
        if n == 3:
            await world.fake.start(world.fake.port)

    pauses = Pauses(on_pause=back_on_the_third_wait)
    running = await start_bot(pause=pauses)
    assert pauses.delays == [1, 2, 4]
    lines = [r for r in records(caplog, "bot.discord_bot") if "reach Discord" in r.getMessage()]
    assert len(lines) == 3 and all(r.exc_info is None and "\n" not in r.getMessage() for r in lines)
    assert f"127.0.0.1:{world.fake.port}" in lines[0].getMessage() and "attempt 1" in lines[0].getMessage()
    msg = await world.fake.post_message(world.support_id, world.alice, QUESTION)
    assert (await running.outcome(msg["id"])).action == "answer"
    assert len(world.fake.find_requests("PUT", GUILD_SYNC)) == 1  # set up once, not once per attempt


async def test_rejected_token_is_not_retried(world: World, start_bot: StartBot) -> None:
    world.fake.refuse("GET", r"/users/@me", 401, times=math.inf)
    pauses = Pauses()
    handle = await start_bot(wait_ready=False, pause=pauses)
    with pytest.raises(TokenRejected):
        await handle.task
    assert pauses.delays == [] and len(world.fake.find_requests("GET", r"/users/@me")) == 1


# --- a dropped gateway connection ----------------------------------------------------------------


async def test_dropped_gateway_connection_is_resumed_and_missed_messages_answered(
    world: World, start_bot: StartBot
) -> None:
    running = await start_bot()
    await world.fake.drop_gateway()
    # Sent while the bot is away: Discord keeps it for the resumed session.
    missed = await world.fake.post_message(world.support_id, world.alice, QUESTION)
    await world.fake.wait_for_resume()
    assert (await running.outcome(missed["id"])).action == "answer"
    assert world.fake.identifies == 1 and world.fake.resumes[0]["session_id"] == "fake-session"
    assert len(world.fake.find_requests("PUT", GUILD_SYNC)) == 1
