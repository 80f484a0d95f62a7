"""Questions asked while the bot was away: answered once after a session Discord would not resume, or a restart.

The fake models Discord: the outage invalidates the session (the bot's RESUME gets op 9, d=false), the
bot identifies afresh (READY, not RESUMED), and nothing posted meanwhile is replayed; it is only in the
channels' history (`GET /channels/{id}/messages?after=`) and the active threads (`GET
/guilds/{id}/threads/active`). Each test waits for the catch-up's own `catch_up_done` event.
"""

from __future__ import annotations

import asyncio
import logging
import time

import pytest

from bot.core.channel.feedback import FeedbackStore
from bot.core.channel.handled_store import HandledStore
from tests.e2e.conftest import RunningBot, StartBot, World
from tests.e2e.fake_discord import FakeDiscord
from tests.e2e.fake_outage import channel_history, snowflake_at

QUESTION = "How many Connects does a proposal cost, and why is it different between jobs?"
OTHER = "How do I buy Connects for my agency?"
HISTORY = r"/channels/\d+/messages"


def caught_up(running: RunningBot, fake: FakeDiscord) -> asyncio.Task:
    """Start waiting for the catch-up of the next fresh session (before the event that starts it)."""
    session = fake.identifies + 1
    return asyncio.create_task(
        running.bot.wait_for("catch_up_done", check=lambda _: fake.identifies >= session, timeout=10)
    )


async def first_catch_up(running: RunningBot) -> int:
    """Wait for the catch-up of the bot's first session (it may be done already); return what it handed on."""
    cog = running.bot.get_cog("CatchUpCog")
    assert cog is not None
    if cog.handed_per_catch_up:  # type: ignore[attr-defined]
        return cog.handed_per_catch_up[0]  # type: ignore[attr-defined]
    return await running.bot.wait_for("catch_up_done", timeout=10)


async def started_with_one_answer(world: World, start_bot: StartBot) -> tuple[RunningBot, dict]:
    """A bot that has answered one question live (a new install has nothing to catch up on before that)."""
    running = await start_bot()
    await first_catch_up(running)
    answered = await world.fake.post_message(world.support_id, world.alice, QUESTION)
    assert (await running.outcome(answered["id"])).action == "answer"
    return running, answered


def answers_to(world: World, message: dict) -> list[dict]:
    return [r.json for r in world.fake.replies_to(int(message["id"]))]


async def outage(world: World, running: RunningBot, *posts: tuple[int, int, str]) -> tuple[list[dict], int]:
    """An outage that invalidates the session, with messages posted meanwhile; return them and the catch-up's count."""
    fake = world.fake
    await fake.start_outage()
    posted = [await fake.post_message(channel, author, text) for channel, author, text in posts]
    done = caught_up(running, fake)
    fake.end_outage()
    return posted, await done


async def test_a_question_posted_during_an_outage_that_invalidates_the_session_is_answered_once(
    world: World, start_bot: StartBot
) -> None:
    running, before = await started_with_one_answer(world, start_bot)
    fake = world.fake

    (missed, in_thread, chatter), handed = await outage(
        world,
        running,
        (world.support_id, world.bob, OTHER),
        (world.thread_id, world.carol, QUESTION),
        (world.support_id, world.carol, "thanks everyone!"),
    )
    # Discord's way: the RESUME was refused, a fresh session began, and nothing was replayed.
    assert fake.invalidations == 1 and fake.identifies == 2 and len(fake.resumes) == 1
    assert handed == 3
    (late,) = answers_to(world, missed)
    assert late["embeds"][0]["footer"]["text"].startswith("agency-buying-billing")
    assert not late.get("content")  # seconds late: no note (it would not help anyone)
    assert len(answers_to(world, in_thread)) == 1 and answers_to(world, chatter) == []
    assert len(answers_to(world, before)) == 1  # not answered again

    # A second outage: only what was posted during it is read back and answered.
    (second,), handed = await outage(world, running, (world.support_id, world.carol, OTHER))
    assert handed == 1 and fake.invalidations == 2
    assert len(answers_to(world, second)) == 1
    for message in (before, missed, in_thread):
        assert len(answers_to(world, message)) == 1
    reads = fake.find_requests("GET", HISTORY)
    assert reads and all("after" in r.query and int(r.query["limit"]) == 50 for r in reads)

    # And the bot is live again.
    live = await fake.post_message(world.support_id, world.alice, "How do I use my agency's connects instead of mine?")
    assert (await running.outcome(live["id"])).action == "answer"


async def test_a_thread_opened_during_the_outage_is_found_through_the_active_threads(
    world: World, start_bot: StartBot
) -> None:
    running, _ = await started_with_one_answer(world, start_bot)
    fake = world.fake
    await fake.start_outage()
    post = fake.add_thread(world.guild_id, world.forum_id, "buying connects for the agency")  # a forum post
    opener = fake.post_while_away(post, world.bob, OTHER)
    opener_id = int(opener["id"])
    done = caught_up(running, fake)
    fake.end_outage()
    assert await done == 1
    assert fake.find_requests("GET", rf"/guilds/{world.guild_id}/threads/active")
    assert len(fake.replies_to(opener_id)) == 1


async def test_after_a_restart_it_catches_up_from_the_last_handled_message(
    world: World, start_bot: StartBot, tmp_path
) -> None:
    fake = world.fake
    first = await start_bot()
    await first_catch_up(first)
    answered = await fake.post_message(world.support_id, world.alice, QUESTION)
    answer = asyncio.create_task(first.outcome(answered["id"]))  # waiting before the faster silence is decided
    silent = await fake.post_message(world.support_id, world.bob, "can someone explain the weather in Lagos today?")
    await first.outcome(silent["id"])
    assert (await answer).action == "answer"
    await first.bot.close()
    await asyncio.wait_for(first.task, 10)
    first.services.close()
    queued = FeedbackStore(tmp_path / "data" / "feedback.sqlite3")
    silences = [item.message_id for item in queued.list_unanswered()]
    queued.close()
    assert silences == [int(silent["id"])]

    # Posted while the process was down (the supervisor restarts it a few minutes later).
    missed = fake.post_while_away(world.support_id, world.carol, OTHER)
    in_thread = fake.post_while_away(world.thread_id, world.carol, QUESTION)
    second = await start_bot()
    assert await first_catch_up(second) == 2
    assert len(answers_to(world, missed)) == 1 and len(answers_to(world, in_thread)) == 1
    assert len(answers_to(world, answered)) == 1  # the first process answered it: not again
    await second.services.feedback.submit(lambda: None)  # the writes queued before it are done
    assert [item.message_id for item in second.services.feedback.list_unanswered()] == silences  # not twice


async def test_the_catch_up_is_bounded_in_age_and_count_and_a_late_reply_says_why(
    world: World, start_bot: StartBot, tmp_path, caplog: pytest.LogCaptureFixture
) -> None:
    fake = world.fake
    # The last message this bot handled was an hour ago (its file survives the restart).
    store = HandledStore(tmp_path / "data" / "catch-up.sqlite3")
    store.advance({world.support_id: snowflake_at(time.time() - 3600)})
    store.close()
    too_old = fake.post_while_away(world.support_id, world.alice, QUESTION, seconds_ago=20 * 60)
    kept = [fake.post_while_away(world.support_id, world.bob, OTHER, seconds_ago=300 - i) for i in range(3)]
    caplog.set_level(logging.INFO, logger="bot.cogs.catch_up")
    running = await start_bot(catch_up={"max_messages": 2})
    assert await first_catch_up(running) == 2
    (read,) = fake.find_requests("GET", rf"/channels/{world.support_id}/messages")
    assert int(too_old["id"]) < int(read.query["after"]) < int(kept[0]["id"])  # 15 minutes back, not an hour
    assert answers_to(world, too_old) == []
    # The first two (an answer, then a pointer to it: the entry's cooldown), not the third.
    assert [len(answers_to(world, m)) for m in kept] == [1, 1, 0]
    # Five minutes late: the reply says why.
    (reply,) = answers_to(world, kept[0])
    assert reply["content"] == "Sorry for the wait: I was offline when you asked (5 minutes ago)."
    assert reply["embeds"][0]["footer"]["text"].startswith("agency-buying-billing")
    assert any("more than 2 messages" in r.getMessage() for r in caplog.records)


def test_the_fake_serves_history_newest_first_as_discord_does(world: World) -> None:
    fake = world.fake
    ids = [int(fake.post_while_away(world.support_id, world.alice, f"m{i}")["id"]) for i in range(5)]
    after = channel_history(fake, world.support_id, {"after": str(ids[0]), "limit": "2"})
    assert [int(m["id"]) for m in after] == [ids[2], ids[1]]  # the two right after, newest first
    before = channel_history(fake, world.support_id, {"before": str(ids[4]), "limit": "2"})
    assert [int(m["id"]) for m in before] == [ids[3], ids[2]]
    assert [int(m["id"]) for m in channel_history(fake, world.support_id, {"limit": "50"})] == ids[::-1]
