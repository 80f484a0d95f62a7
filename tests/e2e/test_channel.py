"""The bot in a support channel, end to end: real discord.py against the fake Discord."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.e2e.conftest import RunningBot, StartBot, World, find_text

QUESTION = "How many Connects does a proposal cost, and why is it different between jobs?"


async def ask_in(world: World, running: RunningBot, channel_id: int, author: int, text: str, **kw) -> tuple:
    """Post a message and wait for the listener's verdict on it."""
    msg = await world.fake.post_message(channel_id, author, text, **kw)
    outcome = await running.outcome(msg["id"])
    return msg, outcome


async def test_question_gets_answer_embed_as_reply_with_safe_mentions(world: World, running: RunningBot) -> None:
    entry = running.services.engine.kb.entry("proposal-cost")
    msg, outcome = await ask_in(world, running, world.support_id, world.alice, entry.question)

    assert outcome.action == "answer" and outcome.entry_id == "proposal-cost"
    (reply,) = world.fake.replies_to(int(msg["id"]))
    body = reply.json
    assert reply.path == f"/channels/{world.support_id}/messages"
    assert body["message_reference"]["message_id"] == int(msg["id"])
    (embed,) = body["embeds"]
    assert embed["title"] == entry.question
    assert embed["description"] == entry.answer
    assert embed["footer"]["text"] == f"proposal-cost · reviewed {entry.reviewed.isoformat()}"
    buttons = body["components"][0]["components"]
    assert [(b["label"], b["custom_id"]) for b in buttons] == [
        ("Helpful", "fb:helpful:proposal-cost"),
        ("Not helpful", "fb:unhelpful:proposal-cost"),
    ]
    assert body["allowed_mentions"] == {"parse": [], "replied_user": False}


async def test_mention_asker_allows_only_the_asker(world: World, start_bot: StartBot) -> None:
    running = await start_bot(mention_asker=True)
    msg, _ = await ask_in(world, running, world.support_id, world.alice, QUESTION)
    (reply,) = world.fake.replies_to(int(msg["id"]))
    mentions = reply.json["allowed_mentions"]
    assert mentions["replied_user"] is True
    assert "everyone" not in mentions["parse"] and "roles" not in mentions["parse"]


async def test_everyone_in_an_answer_never_pings(world: World, start_bot: StartBot, tmp_path: Path) -> None:
    # A moderator's answer text containing @everyone and a role mention must not ping anybody.
    path = tmp_path / "knowledge" / "entries" / "proposal-cost.yaml"
    from tests.e2e.conftest import write_config

    write_config(world, tmp_path)  # creates the tmp knowledge copy
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["answer"] = f"@everyone <@&{world.moderator_role_id}> @here " + data["answer"]
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    running = await start_bot()

    msg, outcome = await ask_in(world, running, world.support_id, world.alice, QUESTION)
    assert outcome.action == "answer"
    (reply,) = world.fake.replies_to(int(msg["id"]))
    assert reply.json["embeds"][0]["description"].startswith("@everyone")
    assert reply.json["allowed_mentions"] == {"parse": [], "replied_user": False}


async def test_chatter_gets_nothing(world: World, running: RunningBot) -> None:
    for text in ("good morning everyone", "thanks, that fixed it!", "lol"):
        msg, outcome = await ask_in(world, running, world.support_id, world.alice, text)
        assert outcome.action == "silent", text
        assert world.fake.replies_to(int(msg["id"])) == []
    assert world.fake.find_requests("POST", r"/channels/\d+/messages") == []


async def test_reply_to_another_person_gets_nothing(world: World, running: RunningBot) -> None:
    first, _ = await ask_in(world, running, world.support_id, world.bob, "anyone around today")
    msg, outcome = await ask_in(world, running, world.support_id, world.alice, QUESTION, reply_to=int(first["id"]))
    assert (outcome.action, outcome.reason) == (
        "ignored",
        "a reply to another person, who is already helping",
    )
    assert world.fake.replies_to(int(msg["id"])) == []


async def test_follow_up_replying_to_the_bot_is_answered(world: World, running: RunningBot) -> None:
    first, _ = await ask_in(world, running, world.support_id, world.alice, QUESTION)
    (answer,) = world.fake.replies_to(int(first["id"]))
    answer_id = int(answer.response["id"])
    refund = running.services.engine.kb.entry("refunds-returned-connects").question
    _, outcome = await ask_in(world, running, world.support_id, world.alice, refund, reply_to=answer_id)
    assert outcome.action == "answer" and outcome.entry_id == "refunds-returned-connects"


async def test_bots_webhooks_and_other_channels_get_nothing(world: World, running: RunningBot) -> None:
    cases = [
        (world.support_id, world.other_bot, {}, "sent by a bot"),
        (world.support_id, world.alice, {"webhook": True}, "sent by a webhook"),
        (world.offtopic_id, world.alice, {}, "not a support channel"),
    ]
    for channel_id, author, kw, reason in cases:
        msg, outcome = await ask_in(world, running, channel_id, author, QUESTION, **kw)
        assert (outcome.action, outcome.reason) == ("ignored", reason)
        assert world.fake.replies_to(int(msg["id"])) == []
    assert world.fake.find_requests("POST", r"/channels/\d+/messages") == []


async def test_threads_and_forum_posts_count_as_the_support_channel(world: World, running: RunningBot) -> None:
    new_post = await world.fake.create_thread(world.forum_id, "How do boosts work?")
    for channel_id in (world.thread_id, world.forum_post_id, new_post):
        msg, outcome = await ask_in(world, running, channel_id, world.alice, QUESTION)
        assert outcome.action == "answer", channel_id
        (reply,) = world.fake.replies_to(int(msg["id"]))
        assert reply.path == f"/channels/{channel_id}/messages"


async def test_same_entry_within_cooldown_points_to_the_earlier_answer(world: World, running: RunningBot) -> None:
    first, _ = await ask_in(world, running, world.support_id, world.alice, QUESTION)
    (answer,) = world.fake.replies_to(int(first["id"]))
    answer_id = int(answer.response["id"])
    second, outcome = await ask_in(world, running, world.support_id, world.bob, QUESTION)

    assert outcome.action == "point to the earlier answer"
    (pointer,) = world.fake.replies_to(int(second["id"]))
    assert pointer.json.get("embeds") in (None, [])
    jump = f"https://discord.com/channels/{world.guild_id}/{world.support_id}/{answer_id}"
    assert jump in pointer.json["content"]
    # Another channel is not affected by this channel's cooldown.
    _, outcome = await ask_in(world, running, world.thread_id, world.carol, QUESTION)
    assert outcome.action == "answer"


async def test_member_rate_limit_stops_one_person_making_the_bot_spam(world: World, start_bot: StartBot) -> None:
    running = await start_bot(member_rate_limit_count=2, entry_cooldown_seconds=0)
    actions = []
    for _ in range(4):
        _, outcome = await ask_in(world, running, world.support_id, world.alice, QUESTION)
        actions.append(outcome.action)
    assert actions == ["answer", "answer", "member rate limit reached", "member rate limit reached"]
    _, outcome = await ask_in(world, running, world.support_id, world.bob, QUESTION)
    assert outcome.action == "answer"


async def test_unanswered_question_goes_to_the_queue(world: World, running: RunningBot) -> None:
    text = find_text(running.services, "silent", question_shaped=True)
    msg, outcome = await ask_in(world, running, world.support_id, world.alice, text)
    assert outcome.action == "silent"
    assert world.fake.replies_to(int(msg["id"])) == []
    store = running.services.feedback
    items = await store.submit(store.list_unanswered, 10)
    assert [(i.kind, i.question, i.message_id, i.author_id) for i in items] == [
        ("silence", text, int(msg["id"]), world.alice)
    ]


async def test_suggestion_only_the_asker_may_pick_and_the_pick_replaces_it(world: World, running: RunningBot) -> None:
    fake = world.fake
    text = find_text(running.services, "suggest")
    msg, outcome = await ask_in(world, running, world.support_id, world.alice, text)
    assert outcome.action == "suggest"
    (reply,) = fake.replies_to(int(msg["id"]))
    buttons = reply.json["components"][0]["components"]
    assert 1 <= len(buttons) <= 3
    assert all(b["custom_id"].startswith(f"pick:{world.alice}:") for b in buttons)
    suggestion_id = outcome.reply_id
    picked = buttons[0]["custom_id"].rsplit(":", 1)[1]

    stranger = await fake.click(suggestion_id, buttons[0]["custom_id"], user_id=world.bob)
    await fake.wait_for_callback(stranger)
    assert stranger.callback_type == 4 and stranger.callback_data["flags"] == 64
    assert "Only the person who asked" in stranger.callback_data["content"]

    asker = await fake.click(suggestion_id, buttons[0]["custom_id"], user_id=world.alice)
    await fake.wait_for_callback(asker)
    assert asker.callback_type == 7  # the suggestion message itself is updated
    entry = running.services.engine.kb.entry(picked)
    assert asker.callback_data["embeds"][0]["title"] == entry.question
    assert asker.callback_data["components"][0]["components"][0]["custom_id"] == f"fb:helpful:{picked}"
    assert fake.messages[suggestion_id]["embeds"][0]["description"] == entry.answer


async def test_missing_permission_is_one_warning_not_an_error(
    world: World, running: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    world.fake.forbidden_channels.add(world.support_id)
    for author in (world.alice, world.bob):
        _, outcome = await ask_in(world, running, world.support_id, author, QUESTION)
        assert outcome.action == "forbidden"
    warnings = [r.getMessage() for r in caplog.records if r.name == "bot.cogs.support" and r.levelname == "WARNING"]
    assert len(warnings) == 1 and "Send Messages" in warnings[0] and "connects-help" in warnings[0]
