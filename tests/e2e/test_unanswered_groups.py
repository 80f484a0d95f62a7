"""/faq unanswered end to end: the queue grouped by meaning, "Teach this group", new entry, dismiss, pages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.core.channel.feedback import Post
from tests.e2e.conftest import RunningBot, StartBot, World
from tests.e2e.fake_discord import FakeInteraction
from tests.e2e.payloads import DEFERRED_CHANNEL_MESSAGE, DEFERRED_UPDATE, EPHEMERAL, MODAL, UPDATE_MESSAGE
from tests.e2e.test_moderation import button, entry_file, modal_values

STUDENTS = [  # one question four ways; the bundled knowledge base has no phrasing for it (silence)
    "is there a student deal on connects?",
    "do students get cheaper connects?",
    "student discount connects please?",
    "can i get connects cheaper as a student?",
]
LIGHTNING = ["the lightning icon keeps eating my connects?", "why does the green lightning thing cost connects?"]
MOON = "do connects work on the moon?"


def select_of(message: dict[str, Any]) -> dict[str, Any]:
    for row in message.get("components") or []:
        for comp in row.get("components") or []:
            if comp.get("type") == 3:
                return comp
    raise KeyError("no select menu on the queue message")


def preselected(message: dict[str, Any]) -> list[str]:
    return [o["value"] for o in select_of(message)["options"] if o.get("default")]


async def open_queue(world: World) -> tuple[FakeInteraction, dict[str, Any]]:
    """Run /faq unanswered as the moderator; return the interaction and the queue message once filled in."""
    ix = await world.fake.slash("faq unanswered", user_id=world.moderator, channel_id=world.support_id)
    await world.fake.wait_for_callback(ix)
    assert ix.callback_type == DEFERRED_CHANNEL_MESSAGE and ix.callback_data["flags"] & EPHEMERAL
    await world.fake.wait_for_request("PATCH", rf"/webhooks/\d+/{ix.token}/messages/@original")
    return ix, ix.original_message


async def press(world: World, queue: FakeInteraction, custom_id: str, **kw: Any) -> FakeInteraction:
    """Press a component of the queue message as the moderator and wait for the bot to acknowledge it."""
    ix = await world.fake.click(int(queue.original_message["id"]), custom_id, user_id=world.moderator, **kw)
    await world.fake.wait_for_callback(ix)
    return ix


async def refreshed(world: World, queue: FakeInteraction, since: int) -> dict[str, Any]:
    """Wait until the queue message was rewritten after request index `since`; return it."""
    await world.fake.wait_for_request("PATCH", rf"/webhooks/\d+/{queue.token}/messages/@original", since=since)
    return queue.original_message


@pytest.fixture
async def running(start_bot: StartBot) -> RunningBot:
    """These flows group by word vectors (the meaning model off); the embedding grouping is tested in core."""
    return await start_bot(meaning=False)


async def ask(world: World, running: RunningBot, text: str, author: int) -> Any:
    msg = await world.fake.post_message(world.support_id, author, text)
    return await running.outcome(msg["id"])


@pytest.fixture
def log_channel(world: World) -> int:
    return world.fake.add_channel(world.guild_id, "kb-log")


async def test_teach_this_group_writes_every_phrasing_once_and_the_next_question_gets_the_entry(
    world: World, start_bot: StartBot, tmp_path: Path, log_channel: int
) -> None:
    # Grouped by word vectors (the meaning model off): the embedding grouping is tested in core.
    running = await start_bot(log_channel_id=log_channel, entry_cooldown_seconds=0, meaning=False)
    members = [world.alice, world.bob, world.carol]
    for n, text in enumerate([*STUDENTS, *LIGHTNING, MOON]):
        assert (await ask(world, running, text, members[n % 3])).action == "silent"

    queue, message = await open_queue(world)
    embed = message["embeds"][0]
    assert embed["title"] == "Unanswered questions: 3 group(s), 7 question(s)"
    first, representative = embed["description"].splitlines()[:2]
    assert first.startswith("**Group 1 of 3** · 4 questions · no answer")  # the biggest gap first
    assert representative[2:] in STUDENTS
    assert embed["fields"][0]["value"].splitlines()[0].startswith("**2.** 2 questions · no answer: ")
    assert f"Closest entry: `{preselected(message)[0]}`" in embed["description"]
    assert preselected(message) != ["buying-connects"]  # the moderator will pick another entry

    picked = await press(world, queue, select_of(message)["custom_id"], values=["buying-connects"])
    assert picked.callback_type == UPDATE_MESSAGE
    assert preselected(queue.original_message) == ["buying-connects"]
    teach_id = button(queue.original_message, "Teach this group (4 phrasings) → buying-connects")

    since = len(world.fake.requests)
    taught = await press(world, queue, teach_id)
    assert taught.callback_type == DEFERRED_UPDATE
    note = await world.fake.wait_for_request("POST", rf"/webhooks/\d+/{taught.token}", since=since)
    assert note.json["content"] == (
        "Taught 4 phrasing(s) to `buying-connects` → version 2: +4 phrasings. "
        "4 of 4 now get `buying-connects`; the group is off the queue."
    )
    text = entry_file(tmp_path, "buying-connects").read_text(encoding="utf-8")
    assert all(f"  - {q}\n" in text for q in STUDENTS)
    versions = running.services.knowledge.history_of("buying-connects")
    assert [(v.version, v.action) for v in versions] == [(2, "teach"), (1, "original")]  # one write, one version
    logged = await world.fake.wait_for_request("POST", rf"/channels/{log_channel}/messages")
    assert "`buying-connects` (version 2): +4 phrasings" in logged.json["content"]
    assert logged.json["allowed_mentions"] == {"parse": []}

    after = await refreshed(world, queue, since)
    assert after["embeds"][0]["title"] == "Unanswered questions: 2 group(s), 3 question(s)"
    feedback = running.services.feedback
    left = await feedback.submit(feedback.list_unanswered, 10)
    assert sorted(i.question for i in left) == sorted([*LIGHTNING, MOON])

    outcome = await ask(world, running, "do students get cheaper connects?", world.carol)
    assert (outcome.action, outcome.entry_id) == ("answer", "buying-connects")


async def test_one_click_teaches_the_closest_entry_and_not_helpful_votes_form_their_own_group(
    world: World, running: RunningBot, tmp_path: Path
) -> None:
    feedback = running.services.feedback
    for n, text in enumerate(LIGHTNING):
        feedback.record_silence(text, score=0.4, channel_id=world.support_id, message_id=n + 1, author_id=world.bob)
    for n, voter in enumerate([world.alice, world.bob, world.carol]):
        feedback.record_post(Post(100 + n, "taxes-vat", world.support_id, "why do i pay 20% more for connects?"))
        feedback.record_vote(100 + n, voter, "taxes-vat", False)

    queue, message = await open_queue(world)
    description = message["embeds"][0]["description"]
    assert description.startswith("**Group 1 of 2** · 3 questions · 👎 “Not helpful” on `taxes-vat` ×3")
    assert "> why do i pay 20% more for connects?" in description

    turned = await press(world, queue, button(message, "Smaller ▶"))
    assert turned.callback_type == UPDATE_MESSAGE
    page = queue.original_message
    assert page["embeds"][0]["description"].startswith("**Group 2 of 2** · 2 questions · no answer")
    (closest,) = preselected(page)
    assert closest == "availability-badge"

    since = len(world.fake.requests)
    await press(world, queue, button(page, "Teach this group (2 phrasings) → availability-badge"))
    await world.fake.wait_for_request("POST", r"/webhooks/\d+/[^/]+$", lambda r: "Taught 2" in r.json["content"])
    text = entry_file(tmp_path, "availability-badge").read_text(encoding="utf-8")
    assert all(f"  - {q}\n" in text for q in LIGHTNING)
    after = await refreshed(world, queue, since)
    assert after["embeds"][0]["description"].startswith("**Group 1 of 1** · 3 questions · 👎")

    since = len(world.fake.requests)
    await press(world, queue, button(after, "Dismiss group"))
    emptied = await refreshed(world, queue, since)
    assert emptied["embeds"][0]["description"] == "The queue is empty. 🎉"
    assert await feedback.submit(feedback.list_unanswered, 10) == []


async def test_a_group_holding_another_entrys_phrasing_is_refused_whole(
    world: World, running: RunningBot, tmp_path: Path
) -> None:
    taken = running.services.engine.kb.entry("proposal-cost").alternates[0]
    feedback = running.services.feedback
    for n, text in enumerate([taken + "?", taken.upper()]):  # one question, asked twice: one phrasing
        feedback.record_silence(text, score=0.3, channel_id=world.support_id, message_id=n + 1, author_id=world.alice)
    before = entry_file(tmp_path, "expiry-rollover").read_bytes()

    queue, message = await open_queue(world)
    await press(world, queue, select_of(message)["custom_id"], values=["expiry-rollover"])
    refused = await press(world, queue, button(queue.original_message, "Teach this group (1 phrasing)"))
    await world.fake.wait_for_request("POST", rf"/webhooks/\d+/{refused.token}")
    (note,) = refused.followups
    assert note.json["content"].startswith("Nothing was saved. Please fix:")
    assert "of entry 'proposal-cost'" in note.json["content"]
    assert entry_file(tmp_path, "expiry-rollover").read_bytes() == before
    assert len(await feedback.submit(feedback.list_unanswered, 10)) == 2  # still queued


async def test_new_entry_from_a_group_is_filled_in_and_clears_what_it_answers(
    world: World, running: RunningBot, tmp_path: Path
) -> None:
    feedback = running.services.feedback
    for n, text in enumerate([*STUDENTS, MOON]):
        feedback.record_silence(text, score=0.3, channel_id=world.support_id, message_id=n + 1, author_id=world.alice)

    queue, message = await open_queue(world)
    opened = await press(world, queue, button(message, "New entry from this group"))
    assert opened.callback_type == MODAL
    values = modal_values(opened)
    assert values["question"] in STUDENTS
    assert sorted([values["question"], *values["alternates"].splitlines()]) == sorted(STUDENTS)

    since = len(world.fake.requests)
    form = {
        "id": "student-discount",
        "question": "Is there a student discount on Connects?",
        "alternates": values["alternates"]
        + f"\n{values['question']}\nstudent price for connects\nconnects for students",
        "answer": "No. Connects cost the same for everyone.",
        "sources": "https://support.upwork.com/hc/en-us/articles/211062898",
    }
    saved = await world.fake.submit_modal(opened, form)
    await world.fake.wait_for_callback(saved)
    assert saved.callback_data["content"].startswith("Added `student-discount` → version 1")
    assert entry_file(tmp_path, "student-discount").exists()
    after = await refreshed(world, queue, since)
    assert after["embeds"][0]["title"] == "Unanswered questions: 1 group(s), 1 question(s)"
    (left,) = await feedback.submit(feedback.list_unanswered, 10)
    assert left.question == MOON
