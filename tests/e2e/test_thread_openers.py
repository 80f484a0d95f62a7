"""A short follow-up in a thread is read with the thread's opening question, wherever Discord keeps it.

A thread started from a channel message has that message's id, and the message stays in the PARENT
channel; only a forum post keeps its opening message inside the post. The fake serves each message only
from its own channel, as Discord does, so reading the opener from the wrong place is silence here too.
"""

from __future__ import annotations

import asyncio

from tests.e2e.conftest import RunningBot, World

OPENER = "How do I buy connects?"
FOLLOW_UP = "and for the agency?"
AGENCY_BUYING = "agency-buying-billing"


async def test_a_follow_up_in_a_thread_started_from_a_channel_message_reads_the_parent_s_opener(
    world: World, running: RunningBot
) -> None:
    fake = world.fake
    opener = await fake.post_message(world.support_id, world.alice, OPENER)
    await running.outcome(opener["id"])
    thread_id = await fake.start_thread(int(opener["id"]), "question")
    assert thread_id == int(opener["id"])

    follow_up = await fake.post_message(thread_id, world.bob, FOLLOW_UP)
    outcome = await running.outcome(follow_up["id"])

    assert (outcome.action, outcome.entry_id) == ("answer", AGENCY_BUYING)
    (reply,) = fake.replies_to(int(follow_up["id"]))
    assert reply.path == f"/channels/{thread_id}/messages"
    # The opener was read from the parent channel, where Discord keeps it, and not from the thread.
    reads = [r.path for r in fake.find_requests("GET", r"/channels/\d+/messages/\d+")]
    assert reads == [f"/channels/{world.support_id}/messages/{thread_id}"]


async def test_a_follow_up_in_a_forum_post_reads_the_opener_inside_the_post(world: World, running: RunningBot) -> None:
    fake = world.fake
    first_outcome = asyncio.ensure_future(running.bot.wait_for("support_outcome", timeout=5))
    post_id = await fake.create_thread(world.forum_id, "Buying", opener=OPENER, author_id=world.alice)
    assert (await first_outcome).message_id == post_id  # the post's opening message, answered on its own

    follow_up = await fake.post_message(post_id, world.bob, FOLLOW_UP)
    outcome = await running.outcome(follow_up["id"])

    assert (outcome.action, outcome.entry_id) == ("answer", AGENCY_BUYING)
    reads = [r.path for r in fake.find_requests("GET", r"/channels/\d+/messages/\d+")]
    assert reads == [f"/channels/{post_id}/messages/{post_id}"]


async def test_a_thread_whose_opener_is_gone_falls_back_to_its_name(world: World, running: RunningBot) -> None:
    fake = world.fake
    opener = await fake.post_message(world.support_id, world.alice, "hello there")
    await running.outcome(opener["id"])
    thread_id = await fake.start_thread(int(opener["id"]), "How do I buy connects for my agency")
    del fake.messages[thread_id]  # the member deleted the message the thread was started from

    follow_up = await fake.post_message(thread_id, world.bob, FOLLOW_UP)
    outcome = await running.outcome(follow_up["id"])

    assert (outcome.action, outcome.entry_id) == ("answer", AGENCY_BUYING)
