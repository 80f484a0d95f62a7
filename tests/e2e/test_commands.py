"""Slash commands end to end: sync, /ask, /faq show with autocomplete, the error handler."""

from __future__ import annotations

import asyncio

import pytest

import bot.cogs.ask as ask_cog
from bot.core.errors import EntryNotFound
from tests.e2e.conftest import ErrorLog, RunningBot, World, find_text
from tests.e2e.payloads import AUTOCOMPLETE_RESULT, CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE, EPHEMERAL


async def test_commands_are_synced_to_the_configured_guild(world: World, running: RunningBot) -> None:
    (sync,) = world.fake.find_requests("PUT", r"/applications/\d+/guilds/\d+/commands")
    assert sync.path == f"/applications/{world.fake.application_id}/guilds/{world.guild_id}/commands"
    by_name = {c["name"]: c for c in sync.json}
    assert {"ask", "faq"} <= set(by_name)
    ask_options = {o["name"]: o for o in by_name["ask"]["options"]}
    assert ask_options["question"]["required"] is True and ask_options["private"]["type"] == 5
    assert all(o["description"] for o in ask_options.values())
    show = next(o for o in by_name["faq"]["options"] if o["name"] == "show")
    assert show["type"] == 1 and show["options"][0]["autocomplete"] is True
    assert world.fake.find_requests("PUT", r"/applications/\d+/commands") == []  # nothing global


async def test_ask_answers_in_the_channel(world: World, running: RunningBot) -> None:
    entry = running.services.engine.kb.entry("refunds-returned-connects")
    ix = await world.fake.slash("ask", {"question": entry.question}, user_id=world.alice, channel_id=world.offtopic_id)
    callback = await world.fake.wait_for_callback(ix)
    assert callback.json["type"] == CHANNEL_MESSAGE
    data = ix.callback_data
    assert not int(data.get("flags") or 0) & EPHEMERAL
    assert data["embeds"][0]["title"] == entry.question
    assert data["embeds"][0]["footer"]["text"].startswith("refunds-returned-connects · reviewed ")
    assert data["allowed_mentions"] == {"parse": []}  # no @everyone, no roles, no users
    assert data["components"][0]["components"][1]["custom_id"] == "fb:unhelpful:refunds-returned-connects"
    assert ix.followups == []  # answered exactly once


async def test_a_slow_decision_is_acknowledged_first_then_answered_once(
    world: World, running: RunningBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The decision is held until the test has seen the acknowledgement: slower than THINKING_AFTER, always.
    desk = running.services.desk
    decided, release = desk.plan_ask, asyncio.Event()

    async def held(*args: object, **kwargs: object):
        await release.wait()
        return await decided(*args, **kwargs)

    monkeypatch.setattr(desk, "plan_ask", held)
    monkeypatch.setattr(ask_cog, "THINKING_AFTER", 0.01)
    entry = running.services.engine.kb.entry("refunds-returned-connects")
    ix = await world.fake.slash("ask", {"question": entry.question}, user_id=world.alice, channel_id=world.offtopic_id)
    callback = await world.fake.wait_for_callback(ix)
    assert callback.json["type"] == DEFERRED_CHANNEL_MESSAGE
    assert ix.followups == []
    release.set()
    followup = await world.fake.wait_for_request("POST", rf"/webhooks/\d+/{ix.token}")
    assert followup.json["embeds"][0]["title"] == entry.question
    assert len(ix.followups) == 1
    store = running.services.feedback
    post = await store.submit(store.post_for_message, int(followup.response["id"]))
    assert post is not None and post.entry_id == entry.id and post.via == "ask"


async def test_ask_private_is_ephemeral(world: World, running: RunningBot) -> None:
    entry = running.services.engine.kb.entry("refunds-returned-connects")
    ix = await world.fake.slash(
        "ask", {"question": entry.question, "private": True}, user_id=world.alice, channel_id=world.support_id
    )
    await world.fake.wait_for_callback(ix)
    assert ix.callback_data["flags"] & EPHEMERAL
    assert ix.callback_data["embeds"][0]["title"] == entry.question


async def test_ask_without_a_confident_answer_says_so_and_lists_closest(world: World, running: RunningBot) -> None:
    text = find_text(running.services, "silent", question_shaped=True)
    closest = running.services.engine.rank(text, limit=3)
    ix = await world.fake.slash("ask", {"question": text}, user_id=world.alice, channel_id=world.support_id)
    await world.fake.wait_for_callback(ix)
    (embed,) = ix.callback_data["embeds"]
    assert ix.callback_data["flags"] & EPHEMERAL
    assert "don't have a confident answer" in embed["description"]
    for candidate in closest:
        assert f"/faq show id:{candidate.entry_id}" in embed["description"]
    store = running.services.feedback
    items = await store.submit(store.list_unanswered, 5)
    assert [(i.kind, i.question) for i in items] == [("silence", text)]


async def test_faq_show_posts_the_entry(world: World, running: RunningBot) -> None:
    entry = running.services.engine.kb.entry("expiry-rollover")
    ix = await world.fake.slash("faq show", {"id": "expiry-rollover"}, user_id=world.bob, channel_id=world.offtopic_id)
    await world.fake.wait_for_callback(ix)
    assert ix.callback_data["embeds"][0]["description"] == entry.answer


async def test_faq_show_unknown_id_is_a_short_ephemeral_message(world: World, running: RunningBot) -> None:
    ix = await world.fake.slash("faq show", {"id": "expiry-rolover"}, user_id=world.bob, channel_id=world.support_id)
    await world.fake.wait_for_callback(ix)
    assert ix.callback_data["flags"] & EPHEMERAL
    assert ix.callback_data["content"].startswith(
        "There is no FAQ entry `expiry-rolover`. Did you mean `expiry-rollover`"
    )


@pytest.mark.parametrize("typed", ["boost", "agncy billing", ""])
async def test_autocomplete_offers_fuzzy_choices(world: World, running: RunningBot, typed: str) -> None:
    ix = await world.fake.autocomplete("faq show", {"id": typed}, "id", user_id=world.bob, channel_id=world.support_id)
    await world.fake.wait_for_callback(ix)
    assert ix.callback_type == AUTOCOMPLETE_RESULT
    choices = ix.callback_data["choices"]
    expected = running.services.engine.search_entries(typed, limit=25)
    assert [c["value"] for c in choices] == [e.id for e in expected]
    assert 1 <= len(choices) <= 25
    assert all(len(c["name"]) <= 100 and c["name"].startswith(c["value"]) for c in choices)
    if typed == "boost":
        assert "boosted-proposals" in [c["value"] for c in choices]
    if typed == "agncy billing":
        assert "agency-buying-billing" in [c["value"] for c in choices[:3]]


async def test_unexpected_error_is_logged_and_the_member_gets_one_apology(
    world: World, running: RunningBot, bot_errors: ErrorLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object) -> None:
        raise EntryNotFound("ghost-entry")

    def crash(*args: object) -> None:
        raise ZeroDivisionError("boom")

    # Both ways the engine decides (a short message is settled without the encoder).
    monkeypatch.setattr(running.services.engine, "decide_quickly", crash)
    monkeypatch.setattr(running.services.engine, "decide", crash)
    ix = await world.fake.slash("ask", {"question": "why?"}, user_id=world.alice, channel_id=world.support_id)
    await world.fake.wait_for_callback(ix)
    assert ix.callback_data["flags"] & EPHEMERAL
    assert ix.callback_data["content"].startswith("Sorry, something went wrong")
    (record,) = bot_errors.take()
    assert record.exc_info is not None and record.exc_info[0] is ZeroDivisionError
    assert "/ask" in record.getMessage()
    assert ix.followups == []

    monkeypatch.setattr(running.services.engine, "decide_quickly", broken)
    monkeypatch.setattr(running.services.engine, "decide", broken)
    ix = await world.fake.slash("ask", {"question": "why?"}, user_id=world.alice, channel_id=world.support_id)
    await world.fake.wait_for_callback(ix)
    assert ix.callback_data["flags"] & EPHEMERAL
    assert ix.callback_data["content"] == "There is no FAQ entry `ghost-entry`."
    assert bot_errors.take() == []  # a named domain error is a message, not a logged failure
