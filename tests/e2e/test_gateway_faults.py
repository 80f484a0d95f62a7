"""What Discord's gateway can throw at the bot: events discord.py cannot parse.

An independent Discord-compatible server sent a CHANNEL_UPDATE without `position`; discord.py's parser
indexes it unguarded (`data['position']`), and the KeyError used to end `Client.connect`, so the bot
died of one event. Now the event is skipped with one log line per event type and the bot keeps serving.
"""

from __future__ import annotations

import logging

import pytest

from tests.e2e.conftest import StartBot, World

QUESTION = "How many Connects does a proposal cost, and why is it different between jobs?"


def without(payload: dict, *keys: str) -> dict:
    return {k: v for k, v in payload.items() if k not in keys}


async def test_a_malformed_event_is_logged_once_and_the_bot_answers_the_next_question(
    world: World, start_bot: StartBot, caplog: pytest.LogCaptureFixture
) -> None:
    running = await start_bot()
    fake = world.fake
    broken = without(fake.channel_payload(world.support_id), "position")
    await fake.dispatch("CHANNEL_UPDATE", broken)
    msg = await fake.post_message(world.support_id, world.alice, QUESTION)
    assert (await running.outcome(msg["id"])).action == "answer"

    # The same kind of event again: still served, and not logged again.
    await fake.dispatch("CHANNEL_UPDATE", broken)
    await fake.dispatch("CHANNEL_UPDATE", without(fake.channel_payload(world.offtopic_id), "position"))
    again = await fake.post_message(world.support_id, world.bob, "How do I buy Connects for my agency?")
    assert (await running.outcome(again["id"])).action != "ignored"
    lines = [r for r in caplog.records if "CHANNEL_UPDATE" in r.getMessage() and r.levelno >= logging.WARNING]
    assert len(lines) == 1, [r.getMessage() for r in lines]
    (line,) = lines
    assert line.exc_info is None and "\n" not in line.getMessage()
    assert "KeyError" in line.getMessage() and "position" in line.getMessage()
    assert not running.task.done() and fake.identifies == 1
