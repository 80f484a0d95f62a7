"""Moderators curate the knowledge base from Discord, end to end: forms, buttons, menus, files on disk."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.core.knowledge.loader import load_knowledge
from tests.e2e.conftest import RunningBot, StartBot, World, find_text
from tests.e2e.fake_discord import FakeInteraction
from tests.e2e.payloads import CHANNEL_MESSAGE, EPHEMERAL, MESSAGE_COMMAND, MODAL, UPDATE_MESSAGE

NEW_ENTRY = {
    "id": "connects-mobile-app",
    "question": "Can I use Connects in the Upwork mobile app?",
    "alternates": "\n".join(
        [
            "can i send proposals with connects from the mobile app",
            "  does the upwork phone app spend connects  ",
            "buy connects on the android app",
            "connects on the iphone app",
            "mobile app connects balance",
            "apply to jobs from my phone connects",
        ]
    ),
    "answer": "Yes. The mobile app spends and shows the same Connects as the website.\n\nBuying works there too.",
    "sources": "https://support.upwork.com/hc/en-us/articles/211062898",
}
MOBILE_QUESTION = "can i spend connects from the upwork mobile app on my phone?"


async def answered(world: World, ix: FakeInteraction) -> dict[str, Any]:
    """Wait for the bot's answer to an interaction and return its data."""
    await world.fake.wait_for_callback(ix)
    return ix.callback_data


def button(message: dict[str, Any], label_start: str) -> str:
    """The custom_id of the first button on a message whose label starts with label_start."""
    for row in message.get("components") or []:
        for comp in row.get("components") or []:
            if comp.get("type") == 2 and comp.get("label", "").startswith(label_start):
                return comp["custom_id"]
    raise KeyError(f"no button {label_start!r} in {message.get('components')}")


def modal_values(ix: FakeInteraction) -> dict[str, str]:
    """The pre-filled values of the modal the bot opened, by input custom_id."""
    values = {}
    for comp in ix.callback_data["components"]:
        inner = comp.get("component") or comp["components"][0]
        if "value" in inner:
            values[inner["custom_id"]] = inner["value"]
    return values


def entry_file(tmp_path: Path, entry_id: str) -> Path:
    return tmp_path / "knowledge" / "entries" / f"{entry_id}.yaml"


async def outcome_of(world: World, running: RunningBot, text: str, author: int) -> Any:
    msg = await world.fake.post_message(world.support_id, author, text)
    return msg, await running.outcome(msg["id"])


@pytest.fixture
def log_channel(world: World) -> int:
    return world.fake.add_channel(world.guild_id, "kb-log")


async def test_add_via_the_form_writes_the_file_and_the_next_question_is_answered(
    world: World, start_bot: StartBot, tmp_path: Path, log_channel: int
) -> None:
    running = await start_bot(log_channel_id=log_channel)
    _, before = await outcome_of(world, running, MOBILE_QUESTION, world.alice)
    assert before.entry_id != "connects-mobile-app"

    opened = await world.fake.slash("faq add", user_id=world.moderator, channel_id=world.support_id)
    await world.fake.wait_for_callback(opened)
    assert opened.callback_type == MODAL
    submitted = await world.fake.submit_modal(opened, NEW_ENTRY)
    data = await answered(world, submitted)

    assert data["flags"] & EPHEMERAL
    assert data["content"].startswith("Added `connects-mobile-app` → version 1")
    text = entry_file(tmp_path, "connects-mobile-app").read_text(encoding="utf-8")
    assert "  - does the upwork phone app spend connects\n" in text and "answer: |\n  Yes." in text
    assert load_knowledge(tmp_path / "knowledge").entry("connects-mobile-app").question == NEW_ENTRY["question"]

    msg, after = await outcome_of(world, running, MOBILE_QUESTION, world.bob)
    assert (after.action, after.entry_id) == ("answer", "connects-mobile-app")
    (reply,) = world.fake.replies_to(int(msg["id"]))
    assert reply.json["embeds"][0]["title"] == NEW_ENTRY["question"]

    logged = await world.fake.wait_for_request("POST", rf"/channels/{log_channel}/messages")
    assert f"<@{world.moderator}> added `connects-mobile-app` (version 1)" in logged.json["content"]
    assert logged.json["allowed_mentions"] == {"parse": []}
    versions = running.services.knowledge.history_of("connects-mobile-app")
    assert [(v.version, v.action) for v in versions] == [(1, "add")]
    assert versions[0].actor == f"discord:{world.moderator} (mod)"


async def test_invalid_form_saves_nothing_says_what_is_wrong_and_reopens_filled_in(
    world: World, running: RunningBot, tmp_path: Path
) -> None:
    before = sorted(p.name for p in (tmp_path / "knowledge" / "entries").iterdir())
    opened = await world.fake.slash("faq add", user_id=world.moderator, channel_id=world.support_id)
    await world.fake.wait_for_callback(opened)
    bad = {**NEW_ENTRY, "alternates": "mobile app connects\nphone connects", "sources": "support.upwork.com"}
    submitted = await world.fake.submit_modal(opened, bad)
    data = await answered(world, submitted)

    assert data["flags"] & EPHEMERAL
    assert data["content"].startswith("Nothing was saved. Please fix:")
    assert "`alternates`: needs at least 6 phrasings, has 2" in data["content"]
    assert "`sources[0]`: must be a URL" in data["content"]
    assert sorted(p.name for p in (tmp_path / "knowledge" / "entries").iterdir()) == before
    assert "connects-mobile-app" not in running.services.engine.kb.entries

    reopen = await world.fake.click(
        int(submitted.original_message["id"]), button(submitted.original_message, "Fix"), user_id=world.moderator
    )
    await world.fake.wait_for_callback(reopen)
    assert reopen.callback_type == MODAL
    assert modal_values(reopen)["alternates"] == bad["alternates"]  # what was typed is not lost


async def test_second_save_of_the_same_version_is_refused(world: World, running: RunningBot, tmp_path: Path) -> None:
    first = await world.fake.slash(
        "faq edit", {"id": "expiry-rollover"}, user_id=world.moderator, channel_id=world.support_id
    )
    second = await world.fake.slash(
        "faq edit", {"id": "expiry-rollover"}, user_id=world.moderator, channel_id=world.support_id
    )
    await world.fake.wait_for_callback(first)
    await world.fake.wait_for_callback(second)
    original_answer = running.services.engine.kb.entry("expiry-rollover").answer
    assert modal_values(first)["answer"] == original_answer

    saved = await answered(world, await world.fake.submit_modal(first, {"answer": "First moderator's answer."}))
    assert saved["content"].startswith("Edited `expiry-rollover` → version 2")
    refused_ix = await world.fake.submit_modal(second, {"answer": "Second moderator's answer."})
    refused = await answered(world, refused_ix)

    assert refused["content"].startswith(
        "Nothing was saved: `expiry-rollover` was changed (now version 2) after you opened version 1."
    )
    assert "Second moderator's answer." in refused["content"]  # their text is shown, not lost
    assert running.services.engine.kb.entry("expiry-rollover").answer == "First moderator's answer."
    assert "First moderator's answer." in entry_file(tmp_path, "expiry-rollover").read_text(encoding="utf-8")
    latest = await world.fake.click(
        int(refused_ix.original_message["id"]),
        button(refused_ix.original_message, "Open the latest"),
        user_id=world.moderator,
    )
    await world.fake.wait_for_callback(latest)
    assert modal_values(latest)["answer"] == "First moderator's answer."


async def test_teach_from_a_message_adds_the_phrasing_and_the_message_then_matches(
    world: World, start_bot: StartBot, tmp_path: Path
) -> None:
    running = await start_bot(entry_cooldown_seconds=0)
    # A labelled question the bot only half-knows: it suggests, and a moderator teaches it the top pick.
    text = "  " + find_text(running.services, "suggest") + "  "
    msg, first = await outcome_of(world, running, text, world.alice)
    assert first.action == "suggest"
    target = running.services.engine.decide(text).candidates[0].entry_id
    sync = world.fake.find_requests("PUT", r"/applications/\d+/guilds/\d+/commands")[-1]
    (menu,) = [c for c in sync.json if c.get("type") == MESSAGE_COMMAND]
    assert menu["name"] == "Teach the bot" and int(menu["default_member_permissions"]) == 1 << 13

    opened = await world.fake.message_command("Teach the bot", int(msg["id"]), user_id=world.moderator)
    await world.fake.wait_for_callback(opened)
    assert opened.callback_type == MODAL
    assert modal_values(opened)["phrasing"] == text
    submitted = await world.fake.submit_modal(opened, {"entry": [target]})
    data = await answered(world, submitted)

    phrasing = " ".join(text.split())
    assert data["content"].startswith(f"Taught a phrasing to `{target}` → version 2: +phrasing “{phrasing}”")
    assert f"  - {phrasing}\n" in entry_file(tmp_path, target).read_text(encoding="utf-8")
    await world.fake.wait_for_request("POST", r"/webhooks/\d+/[^/]+", lambda r: "now gets" in r.json["content"])
    _, again = await outcome_of(world, running, text, world.bob)
    assert (again.action, again.entry_id) == ("answer", target)


async def test_teaching_another_entrys_phrasing_is_refused(world: World, running: RunningBot, tmp_path: Path) -> None:
    taken = running.services.engine.kb.entry("proposal-cost").alternates[0]
    msg = await world.fake.post_message(world.offtopic_id, world.alice, taken.upper() + "?")
    before = entry_file(tmp_path, "expiry-rollover").read_bytes()
    opened = await world.fake.message_command("Teach the bot", int(msg["id"]), user_id=world.moderator)
    await world.fake.wait_for_callback(opened)
    data = await answered(world, await world.fake.submit_modal(opened, {"entry_id": "expiry-rollover"}))
    assert data["content"].startswith("Nothing was saved. Please fix:")
    assert "of entry 'proposal-cost'" in data["content"]
    assert entry_file(tmp_path, "expiry-rollover").read_bytes() == before


async def test_remove_asks_first_then_restore_brings_it_back(world: World, running: RunningBot, tmp_path: Path) -> None:
    kb = running.services.engine.kb
    referenced = {r for e in kb.entries.values() for r in e.related} | {r for x in kb.rules.values() for r in x.entries}
    entry_id = next(e for e in sorted(kb.entries) if e not in referenced)
    question = kb.entry(entry_id).question
    original = entry_file(tmp_path, entry_id).read_bytes()

    ix = await world.fake.slash("faq remove", {"id": entry_id}, user_id=world.moderator, channel_id=world.support_id)
    data = await answered(world, ix)
    assert data["flags"] & EPHEMERAL and data["content"].startswith(f"Remove `{entry_id}`")
    assert entry_file(tmp_path, entry_id).exists()  # nothing happens before the confirmation
    press = await world.fake.click(
        int(ix.original_message["id"]), button(ix.original_message, "Remove"), user_id=world.moderator
    )
    await world.fake.wait_for_callback(press)
    assert press.callback_type == UPDATE_MESSAGE
    assert press.callback_data["content"].startswith(f"Removed `{entry_id}`")
    assert not entry_file(tmp_path, entry_id).exists()
    assert running.services.engine.decide(question).entry_id != entry_id

    choices = await world.fake.autocomplete(
        "faq restore", {"id": ""}, "id", user_id=world.moderator, channel_id=world.support_id
    )
    await world.fake.wait_for_callback(choices)
    assert [c["value"] for c in choices.callback_data["choices"]] == [entry_id]
    restored = await answered(
        world,
        await world.fake.slash("faq restore", {"id": entry_id}, user_id=world.moderator, channel_id=world.support_id),
    )
    assert restored["content"].startswith(f"Restored `{entry_id}` → version 3")
    assert entry_file(tmp_path, entry_id).read_bytes() == original
    assert running.services.engine.decide(question).entry_id == entry_id


async def test_revert_and_history_go_back_to_older_versions(world: World, running: RunningBot, tmp_path: Path) -> None:
    store = running.services.knowledge
    original = entry_file(tmp_path, "taxes-vat").read_bytes()
    opened = store.open("taxes-vat")
    store.edit("taxes-vat", {"answer": "Changed once."}, expected_version=opened.version, actor="cli:ops")

    ix = await world.fake.slash(
        "faq revert", {"id": "taxes-vat", "version": 1}, user_id=world.moderator, channel_id=world.support_id
    )
    data = await answered(world, ix)
    assert data["content"].startswith("Reverted `taxes-vat` → version 3: back to version 1")
    assert entry_file(tmp_path, "taxes-vat").read_bytes() == original
    assert running.services.engine.kb.entry("taxes-vat").answer != "Changed once."

    hist = await world.fake.slash(
        "faq history", {"id": "taxes-vat"}, user_id=world.moderator, channel_id=world.support_id
    )
    data = await answered(world, hist)
    (embed,) = data["embeds"]
    assert embed["description"].startswith("**v3** reverted by discord:")
    assert (
        "**v2** edited by cli:ops" in embed["description"] and "**v1** original on disk by disk" in embed["description"]
    )
    select = data["components"][0]["components"][0]
    assert [o["value"] for o in select["options"]] == ["2", "1"]
    press = await world.fake.click(
        int(hist.original_message["id"]), select["custom_id"], user_id=world.moderator, values=["2"]
    )
    await world.fake.wait_for_callback(press)
    assert press.callback_data["content"].startswith("Reverted `taxes-vat` → version 4: back to version 2")
    assert running.services.engine.kb.entry("taxes-vat").answer == "Changed once."


@pytest.mark.parametrize(
    ("command", "options"),
    [
        ("faq add", {}),
        ("faq edit", {"id": "taxes-vat"}),
        ("faq remove", {"id": "taxes-vat"}),
        ("faq unanswered", {}),
        ("faq stats", {}),
        ("faq reload", {}),
    ],
)
async def test_a_member_without_the_moderator_role_is_refused(
    world: World, running: RunningBot, tmp_path: Path, command: str, options: dict
) -> None:
    before = entry_file(tmp_path, "taxes-vat").read_bytes()
    data = await answered(
        world, await world.fake.slash(command, options, user_id=world.alice, channel_id=world.support_id)
    )
    assert data["flags"] & EPHEMERAL
    assert data["content"] == "You don't have the role this command needs."
    assert entry_file(tmp_path, "taxes-vat").read_bytes() == before


async def test_a_member_is_refused_the_teach_menu(world: World, running: RunningBot) -> None:
    msg = await world.fake.post_message(world.offtopic_id, world.bob, "how do connects work on the moon")
    ix = await world.fake.message_command("Teach the bot", int(msg["id"]), user_id=world.alice)
    data = await answered(world, ix)
    assert ix.callback_type == CHANNEL_MESSAGE and data["flags"] & EPHEMERAL
    assert data["content"] == "You don't have the role this command needs."


async def test_stats_list_usage_votes_and_review_dates(world: World, running: RunningBot) -> None:
    entry = running.services.engine.kb.entry("proposal-cost")
    _, outcome = await outcome_of(world, running, entry.question, world.alice)
    assert outcome.action == "answer"
    feedback = running.services.feedback
    await feedback.submit(feedback.record_vote, outcome.reply_id, world.bob, "proposal-cost", False)

    data = await answered(
        world, await world.fake.slash("faq stats", user_id=world.moderator, channel_id=world.support_id)
    )
    (embed,) = data["embeds"]
    assert embed["title"].startswith(f"FAQ stats: {len(running.services.engine.kb)} entries, ")
    first = embed["description"].splitlines()[0]
    assert first == f"`proposal-cost` posted 1 · 👍 0 · 👎 1 · reviewed {entry.reviewed.isoformat()}" + (
        " ⚠️ stale" if "⚠️" in first else ""
    )


async def test_reload_keeps_the_last_good_base_on_a_broken_file(
    world: World, running: RunningBot, tmp_path: Path
) -> None:
    path = entry_file(tmp_path, "taxes-vat")
    good = path.read_text(encoding="utf-8")
    path.write_text(good.replace("question:", "qestion:"), encoding="utf-8")
    data = await answered(
        world, await world.fake.slash("faq reload", user_id=world.moderator, channel_id=world.support_id)
    )
    assert "keeps answering from the last good version" in data["content"]
    assert (
        "`knowledge/entries/taxes-vat.yaml` entry `taxes-vat` `qestion`: unknown field (did you mean 'question'?)"
        in data["content"]
    )
    assert "taxes-vat" in running.services.engine.kb.entries

    data = yaml.safe_load(good)
    data["answer"] = "Reloaded answer."
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    reloaded = await answered(
        world, await world.fake.slash("faq reload", user_id=world.moderator, channel_id=world.support_id)
    )
    assert reloaded["content"].startswith("Reloaded from disk:")
    assert running.services.engine.kb.entry("taxes-vat").answer == "Reloaded answer."
