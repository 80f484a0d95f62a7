"""/connects end to end: a member's ledger in Discord, private by design, every lookup in the audit trail.

Expected balances and entries are computed here from the bundled demo ledger files, not copied from
the bot's output. Alice is linked to the seed-story member (fl-ben), Bob to fl-yuki, Carol to nobody.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from bot.core.ledger import seed_demo
from bot.core.ledger.store import LedgerStore
from tests.e2e.conftest import StartBot, World
from tests.e2e.ledger_bot import Ledger, start_ledger_bot
from tests.e2e.payloads import CHANNEL_MESSAGE, EPHEMERAL, UPDATE_MESSAGE, USER_COMMAND

SEED_MEMBER, AGENCY, OTHER_MEMBER = "fl-ben", "ag-brightpath", "fl-yuki"
REFUSED = "You can only look up your own Connects ledger."
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def demo_rows() -> list[dict[str, str]]:
    """The demo ledger's entries, read from the shipped CSV (comment lines skipped)."""
    text = (resources.files("bot.core.ledger.demo") / "entries.csv").read_text(encoding="utf-8")
    return list(csv.DictReader(line for line in text.splitlines() if not line.startswith("#")))


def balances() -> dict[str, int]:
    totals: dict[str, int] = defaultdict(int)
    for row in demo_rows():
        totals[row["profile"]] += int(row["connects"])
    return dict(totals)


def newest_ids(profile: str, actor: str | None = None) -> list[str]:
    """Entry ids of a profile (optionally only those an actor did), newest first."""
    rows = [r for r in demo_rows() if r["profile"] == profile and (actor is None or r["actor"] == actor)]
    rows.sort(key=lambda r: r["occurred_at"], reverse=True)
    return [r["id"] for r in rows]


@pytest.fixture
async def ledger(world: World, start_bot: StartBot, tmp_path: Path) -> Ledger:
    def demo_with_links(path: Path) -> None:
        seed_demo(path)
        with LedgerStore(path) as store:
            store.link_discord(SEED_MEMBER, world.alice)
            store.link_discord(OTHER_MEMBER, world.bob)

    return await start_ledger_bot(world, start_bot, tmp_path / "data" / "ledger.sqlite3", demo_with_links)


def button(message: dict[str, Any], label: str) -> dict[str, Any]:
    for row in message.get("components") or []:
        for comp in row.get("components") or []:
            if comp.get("type") == 2 and comp.get("label") == label:
                return comp
    raise KeyError(f"no button {label!r}")


def entry_ids_in(embed: dict[str, Any]) -> list[str]:
    """The entry ids an embed lists, in order (each entry line starts with its id in backticks)."""
    return [line.split("`")[1] for line in embed["description"].splitlines() if line.startswith("`")]


def assert_seed_history(data: dict[str, Any], *, page_size: int = 5) -> None:
    expected = balances()
    freelancer, agency = data["embeds"]
    assert freelancer["title"] == f"Ben Okafor — own freelancer balance: {expected[SEED_MEMBER]} Connects"
    assert agency["title"] == (
        f"Brightpath Studio — agency balance (shared by its members): {expected[AGENCY]} Connects"
    )
    mixed = str(expected[SEED_MEMBER] + expected[AGENCY])
    assert all(mixed not in e["title"] for e in data["embeds"])  # never one mixed total
    assert entry_ids_in(freelancer) == newest_ids(SEED_MEMBER)[:page_size]
    assert entry_ids_in(agency) == newest_ids(AGENCY, actor=SEED_MEMBER)[:page_size]
    assert "Only the agency entries Ben acted on" in agency["description"]
    billing = {
        e["title"]: next(f["value"] for f in e["fields"] if f["name"] == "Billing method") for e in data["embeds"]
    }
    assert list(billing.values()) == ["Visa •••• 7310", "Mastercard •••• 8830"]  # masked, never "ending 7310"
    assert data["flags"] & EPHEMERAL


async def test_manager_sees_the_seed_members_two_balances_apart_with_a_chart(ledger: Ledger) -> None:
    ix = await ledger.send("connects history", {"member": ledger.world.alice}, user=ledger.manager)
    assert ix.callback_type == CHANNEL_MESSAGE
    assert_seed_history(ix.callback_data)
    (png,) = ix.callback.files
    assert png.filename == "connects-balances.png" and png.data.startswith(PNG_SIGNATURE)
    assert ix.callback_data["embeds"][-1]["image"]["url"] == "attachment://connects-balances.png"
    assert ix.followups == []
    (record,) = [r for r in ledger.access_log() if r.viewer == f"discord:{ledger.manager}"]
    assert (record.subject, record.what, record.allowed, record.reason) == (
        SEED_MEMBER,
        "history",
        True,
        "community manager",
    )
    (line,) = await ledger.log_lines(1)
    assert line == f"🔎 <@{ledger.manager}> looked up <@{ledger.world.alice}>'s Connects history"


async def test_the_context_menu_shows_the_same_history_to_a_manager(ledger: Ledger) -> None:
    sync = ledger.world.fake.find_requests("PUT", r"/applications/\d+/guilds/\d+/commands")[-1]
    assert [c["name"] for c in sync.json if c.get("type") == USER_COMMAND] == ["Connects history"]
    ix = await ledger.world.fake.user_command(
        "Connects history", ledger.world.alice, user_id=ledger.manager, channel_id=ledger.world.support_id
    )
    await ledger.world.fake.wait_for_callback(ix)
    assert_seed_history(ix.callback_data)


async def test_a_member_sees_their_own_and_is_refused_anyone_elses(ledger: Ledger) -> None:
    world = ledger.world
    own = await ledger.send("connects history", user=world.alice)
    assert_seed_history(own.callback_data)

    refused = [
        await ledger.send("connects history", {"member": world.bob}, user=world.alice),  # linked to fl-yuki
        await ledger.send("connects history", {"member": world.carol}, user=world.alice),  # linked to nobody
    ]
    menu = await world.fake.user_command(
        "Connects history", world.bob, user_id=world.alice, channel_id=world.offtopic_id
    )
    await world.fake.wait_for_callback(menu)
    refused.append(menu)
    for ix in refused:
        data = ix.callback_data
        assert data["flags"] & EPHEMERAL
        assert data["content"].startswith(REFUSED)  # the same words whether or not they have a profile
        assert not data.get("embeds") and not ix.callback.files
        assert "Yuki" not in data["content"] and OTHER_MEMBER not in data["content"]

    mine = [
        (r.subject, r.what, r.allowed) for r in reversed(ledger.access_log()) if r.viewer == f"discord:{world.alice}"
    ]
    assert mine == [
        (SEED_MEMBER, "history", True),
        (OTHER_MEMBER, "history", False),
        (f"discord:{world.carol}", "history", False),
        (OTHER_MEMBER, "history", False),
    ]


async def test_pages_turn_only_for_the_viewer(ledger: Ledger) -> None:
    world = ledger.world
    ix = await ledger.send("connects history", {"member": world.alice}, user=ledger.manager)
    message = ix.original_message
    assert button(message, "◀ Newer").get("disabled") is True
    older = button(message, "Older ▶")
    assert not older.get("disabled")

    stranger = await world.fake.click(int(message["id"]), older["custom_id"], user_id=world.bob)
    await world.fake.wait_for_callback(stranger)
    assert stranger.callback_data["flags"] & EPHEMERAL
    assert stranger.callback_data["content"] == "These buttons belong to whoever asked for this history."
    assert entry_ids_in(world.fake.messages[int(message["id"])]["embeds"][1]) == newest_ids(AGENCY, SEED_MEMBER)[:5]

    turned = await world.fake.click(int(message["id"]), older["custom_id"], user_id=ledger.manager)
    await world.fake.wait_for_callback(turned)
    assert turned.callback_type == UPDATE_MESSAGE
    freelancer, agency = turned.callback_data["embeds"]
    assert entry_ids_in(agency) == newest_ids(AGENCY, SEED_MEMBER)[5:10]
    assert entry_ids_in(freelancer) == newest_ids(SEED_MEMBER)[5:10]
    assert agency["footer"]["text"].startswith("Page 2/2")
    assert "attachments" not in turned.callback_data  # the chart stays on the message
    assert button(turned.callback_data, "Older ▶").get("disabled") is True
    assert not button(turned.callback_data, "◀ Newer").get("disabled")


async def test_explain_cites_rules_and_links_the_faq_only_for_whoever_may_see_it(ledger: Ledger) -> None:
    world = ledger.world
    ix = await ledger.send("connects explain", {"reference": "e-1042"}, user=world.alice)
    data = ix.callback_data
    assert data["flags"] & EPHEMERAL
    (embed,) = data["embeds"]
    assert "Brightpath Studio's collective agency balance" in embed["description"]
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert "`proposal-draws-from-submitting-profile`" in fields["Rules cited"]
    assert "`separate-balances`" in fields["Rules cited"]
    kb = ledger.running.services.engine.kb
    for faq_id in kb.rules["separate-balances"].entries:
        assert f"`/faq show id:{faq_id}`" in fields["Read more in the FAQ"]
        assert kb.entries[faq_id].sources[0] in fields["Read more in the FAQ"]

    yuki_entry = newest_ids(OTHER_MEMBER)[0]
    refused = await ledger.send("connects explain", {"reference": yuki_entry}, user=world.alice)
    missing = await ledger.send("connects explain", {"reference": "e-999999"}, user=world.alice)
    assert refused.callback_data["content"] == f"I can't find `{yuki_entry}` in your Connects ledger."
    assert missing.callback_data["content"] == "I can't find `e-999999` in your Connects ledger."  # same words
    naming = await ledger.send("connects explain", {"reference": "e-1042", "member": world.bob}, user=world.alice)
    assert naming.callback_data["content"].startswith(REFUSED)

    by_manager = await ledger.send(
        "connects explain", {"reference": "~01ab7c9d2e4f6a8b0c", "member": world.alice}, user=ledger.manager
    )
    (embed,) = by_manager.callback_data["embeds"]
    assert embed["title"] == "Job `~01ab7c9d2e4f6a8b0c`" and "`e-1042`" in embed["description"]

    mine = [
        (r.subject, r.what, r.allowed) for r in reversed(ledger.access_log()) if r.viewer == f"discord:{world.alice}"
    ]
    assert mine == [
        (AGENCY, "explain e-1042", True),
        (OTHER_MEMBER, f"explain {yuki_entry}", False),
        ("unknown", "explain e-999999", False),
        (OTHER_MEMBER, "explain e-1042", False),
    ]


async def test_link_and_unlink_decide_whose_ledger_a_member_sees(ledger: Ledger) -> None:
    world = ledger.world
    before = await ledger.send("connects history", user=world.carol)
    assert before.callback_data["content"].startswith("No marketplace profile is linked to your Discord account")

    denied = await ledger.send("connects link", {"member": world.carol, "profile": "fl-sam"}, user=world.alice)
    assert denied.callback_data["flags"] & EPHEMERAL
    assert denied.callback_data["content"].startswith("You can't do that: only community managers")

    linked = await ledger.send("connects link", {"member": world.carol, "profile": "fl-sam"}, user=ledger.manager)
    assert linked.callback_data["content"] == f"Linked <@{world.carol}> to `fl-sam` (Sam Carter)."
    with LedgerStore(ledger.path) as store:
        assert store.profile_by_discord(world.carol).id == "fl-sam"
    own = await ledger.send("connects history", user=world.carol)
    (section,) = own.callback_data["embeds"]
    assert section["title"] == f"Sam Carter — own freelancer balance: {balances()['fl-sam']} Connects"

    refused = await ledger.send("connects unlink", {"member": world.carol}, user=world.alice)
    assert refused.callback_data["content"].startswith(REFUSED)
    unlinked = await ledger.send("connects unlink", {"member": world.carol}, user=ledger.manager)
    assert unlinked.callback_data["content"] == f"Unlinked <@{world.carol}> from `fl-sam`."
    with LedgerStore(ledger.path) as store:
        assert store.profile_by_discord(world.carol) is None
    after = await ledger.send("connects history", user=world.carol)
    assert after.callback_data["content"].startswith("No marketplace profile is linked to your Discord account")

    log = [(r.viewer, r.subject, r.what, r.allowed) for r in reversed(ledger.access_log())]
    carol, alice, manager = (f"discord:{u}" for u in (world.carol, world.alice, ledger.manager))
    assert log == [
        (carol, f"discord:{world.carol}", "history", False),
        (alice, "fl-sam", f"link discord:{world.carol}", False),
        (manager, "fl-sam", f"link discord:{world.carol}", True),
        (carol, "fl-sam", "history", True),
        (alice, "fl-sam", "unlink", False),
        (manager, "fl-sam", "unlink", True),
        (carol, f"discord:{world.carol}", "history", False),
    ]


async def test_the_audit_trail_shows_every_lookup_refused_ones_included(ledger: Ledger) -> None:
    world = ledger.world
    await ledger.send("connects history", user=world.alice)
    await ledger.send("connects history", {"member": world.bob}, user=world.alice)
    await ledger.send("connects explain", {"reference": "e-1042"}, user=world.bob)
    await ledger.send("connects history", {"member": world.bob}, user=ledger.manager)
    not_allowed = await ledger.send("connects audit", user=world.alice)
    assert not_allowed.callback_data["content"] == "Only community managers can read the ledger lookups."

    records = ledger.access_log()
    assert len(records) == 5 and sum(not r.allowed for r in records) == 3
    ix = await ledger.send("connects audit", {"limit": 25}, user=ledger.manager)
    (embed,) = ix.callback_data["embeds"]
    assert ix.callback_data["flags"] & EPHEMERAL
    lines = embed["description"].splitlines()
    reading, *older = ledger.access_log()  # reading the log is recorded too, before the records are read
    assert (reading.viewer, reading.subject, reading.what) == (f"discord:{ledger.manager}", "*", "audit")
    assert older == records
    records = [reading, *records]
    assert len(lines) == len(records)
    for line, record in zip(lines, records, strict=True):  # newest first
        assert f"{record.viewer} → `{record.subject}`: {record.what}" in line
        assert line.startswith("✅" if record.allowed else "⛔")
        if not record.allowed:
            assert f"(refused: {record.reason})" in line

    only_bob = await ledger.send("connects audit", {"member": world.bob}, user=ledger.manager)
    (embed,) = only_bob.callback_data["embeds"]
    assert all(f"`{OTHER_MEMBER}`" in line for line in embed["description"].splitlines())
    assert len(embed["description"].splitlines()) == 3  # bob's two lookups, and this reading of them

    lines = await ledger.log_lines(5)  # one line per lookup, refused ones included
    assert [line[0] for line in lines] == ["🔎", "⛔", "⛔", "🔎", "⛔"]


async def test_a_charge_question_in_the_channel_is_explained_privately_and_only_to_the_asker(ledger: Ledger) -> None:
    world, fake = ledger.world, ledger.world.fake
    question = await fake.post_message(
        world.support_id, world.alice, "why did I lose 16 connects on job ~01ab7c9d2e4f6a8b0c?"
    )
    outcome = await ledger.running.outcome(question["id"])
    assert outcome.action == "offer a private explanation"
    (reply,) = fake.replies_to(int(question["id"]))
    public = reply.json
    assert not int(public.get("flags") or 0) & EPHEMERAL  # in the channel, for everyone
    assert not public.get("embeds") and not reply.files
    expected = balances()
    for private in ("Ben", "Brightpath", SEED_MEMBER, AGENCY, str(expected[AGENCY]), str(expected[SEED_MEMBER])):
        assert private not in public["content"]  # no account data in public
    offer = button(reply.response, "Explain privately")
    assert offer["custom_id"] == f"cx:why:{world.alice}:job:~01ab7c9d2e4f6a8b0c"

    intruder = await fake.click(int(reply.response["id"]), offer["custom_id"], user_id=world.bob)
    await fake.wait_for_callback(intruder)
    assert intruder.callback_data["flags"] & EPHEMERAL
    assert intruder.callback_data["content"] == "Only the member who asked can open this explanation."
    assert not intruder.callback_data.get("embeds")

    asker = await fake.click(int(reply.response["id"]), offer["custom_id"], user_id=world.alice)
    await fake.wait_for_callback(asker)
    data = asker.callback_data
    assert data["flags"] & EPHEMERAL
    (embed,) = data["embeds"]
    assert embed["title"] == "Job `~01ab7c9d2e4f6a8b0c`"
    assert "Brightpath Studio's collective agency balance" in embed["description"]
    assert "`separate-balances`" in embed["fields"][0]["value"]

    # Bob asks about Ben's entry: he gets the offer for himself, and pressing it explains nothing.
    theirs = await fake.post_message(world.support_id, world.bob, "what is entry e-1042? why was it charged?")
    await ledger.running.outcome(theirs["id"])
    (reply,) = fake.replies_to(int(theirs["id"]))
    pressed = await fake.click(int(reply.response["id"]), f"cx:why:{world.bob}:entry:e-1042", user_id=world.bob)
    await fake.wait_for_callback(pressed)
    assert pressed.callback_data["content"] == "I can't find entry e-1042 in your Connects ledger."
    assert not pressed.callback_data.get("embeds")

    log = [(r.viewer, r.subject, r.what, r.allowed) for r in reversed(ledger.access_log())]
    bob, alice = f"discord:{world.bob}", f"discord:{world.alice}"
    assert log == [
        (bob, SEED_MEMBER, "explain ~01ab7c9d2e4f6a8b0c", False),
        (alice, AGENCY, "explain ~01ab7c9d2e4f6a8b0c", True),
        (bob, AGENCY, "explain e-1042", False),
    ]


async def test_explain_privately_keeps_working_after_a_restart(
    world: World, start_bot: StartBot, ledger: Ledger
) -> None:
    question = await world.fake.post_message(world.support_id, world.alice, "what is entry e-1042?")
    await ledger.running.outcome(question["id"])
    (reply,) = world.fake.replies_to(int(question["id"]))
    await ledger.running.bot.close()
    await ledger.running.task
    ledger.running.services.close()

    await start_bot(manager_role_ids=[], log_channel_id=ledger.log_channel)
    pressed = await world.fake.click(
        int(reply.response["id"]), f"cx:why:{world.alice}:entry:e-1042", user_id=world.alice
    )
    await world.fake.wait_for_callback(pressed)
    (embed,) = pressed.callback_data["embeds"]
    assert pressed.callback_data["flags"] & EPHEMERAL
    assert (
        embed["title"] == "Entry `e-1042`" and "Brightpath Studio's collective agency balance" in embed["description"]
    )
