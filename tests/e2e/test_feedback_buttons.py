"""Feedback buttons end to end: votes are stored, "Not helpful" feeds the queue, buttons survive restarts."""

from __future__ import annotations

from tests.e2e.conftest import RunningBot, StartBot, World
from tests.e2e.payloads import EPHEMERAL


async def answer_in_channel(world: World, running: RunningBot, entry_id: str) -> tuple[dict, int]:
    question = running.services.engine.kb.entry(entry_id).question
    msg = await world.fake.post_message(world.support_id, world.alice, question)
    outcome = await running.outcome(msg["id"])
    assert outcome.action == "answer" and outcome.entry_id == entry_id
    return msg, outcome.reply_id


async def test_votes_are_recorded_per_entry_and_question(world: World, running: RunningBot) -> None:
    fake, store = world.fake, running.services.feedback
    msg, answer_id = await answer_in_channel(world, running, "expiry-rollover")

    helpful = await fake.click(answer_id, "fb:helpful:expiry-rollover", user_id=world.alice)
    await fake.wait_for_callback(helpful)
    assert helpful.callback_data["flags"] & EPHEMERAL
    assert helpful.callback_data["content"] == "Thanks! Glad it helped."

    unhelpful = await fake.click(answer_id, "fb:unhelpful:expiry-rollover", user_id=world.bob)
    await fake.wait_for_callback(unhelpful)
    assert "A moderator will look" in unhelpful.callback_data["content"]

    again = await fake.click(answer_id, "fb:helpful:expiry-rollover", user_id=world.alice)
    await fake.wait_for_callback(again)
    assert again.callback_data["content"] == "You already voted that way."

    (stats,) = [s for s in await store.submit(store.entry_stats) if s.entry_id == "expiry-rollover"]
    assert (stats.posted, stats.helpful, stats.not_helpful) == (1, 1, 1)
    (question,) = await store.submit(store.question_stats, "expiry-rollover")
    assert (question.question, question.helpful, question.not_helpful) == (msg["content"], 1, 1)
    (item,) = await store.submit(store.list_unanswered, 10)
    assert (item.kind, item.entry_id, item.question, item.author_id) == (
        "not_helpful",
        "expiry-rollover",
        msg["content"],
        world.bob,
    )


async def test_buttons_keep_working_after_a_restart(world: World, start_bot: StartBot) -> None:
    first = await start_bot()
    msg, answer_id = await answer_in_channel(world, first, "taxes-vat")
    await first.bot.close()
    await first.task
    first.services.close()  # pending writes (the post record) finish here

    second = await start_bot()
    ix = await world.fake.click(answer_id, "fb:unhelpful:taxes-vat", user_id=world.carol)
    await world.fake.wait_for_callback(ix)
    assert ix.callback_data["flags"] & EPHEMERAL
    store = second.services.feedback
    (item,) = await store.submit(store.list_unanswered, 10)
    assert (item.entry_id, item.question, item.message_id) == ("taxes-vat", msg["content"], answer_id)
