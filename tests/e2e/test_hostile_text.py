"""Hostile text through every Discord surface: nothing a member or an import controls comes out live.

The ledger (tests/hostile_text.py) holds names, ids, jobs, notes and billing methods that try to close
a code span and plant a masked link, ping with mentions, forge a heading with a newline, clear a
terminal. A member types a reference that does the same, and asks a question that does. Every message
the bot sends (ephemeral replies, embeds, the log channel, /connects audit, the unanswered queue, error
replies) is read the way Discord's markdown would read it: no live link, mention or broken code span,
and the words themselves still shown.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.conftest import StartBot, World
from tests.e2e.ledger_bot import Ledger, start_ledger_bot
from tests.e2e.test_unanswered_groups import open_queue
from tests.hostile_text import (
    BONUS_ID,
    LINK,
    MENTIONS,
    PROPOSAL_ID,
    REFERENCE,
    SHOWN,
    markdown_problems,
    message_texts,
    unescaped,
    write_hostile_ledger,
)


@pytest.fixture
async def hostile(world: World, start_bot: StartBot, tmp_path: Path) -> Ledger:
    def hostile_ledger(path: Path) -> None:
        write_hostile_ledger(path, tmp_path, discord_id=world.alice)

    return await start_ledger_bot(world, start_bot, tmp_path / "data" / "ledger.sqlite3", hostile_ledger)


def assert_inert(texts: list[str], *, shows: tuple[str, ...] = ()) -> None:
    assert texts, "the bot sent nothing to check"
    for text in texts:
        assert markdown_problems(text) == [], text
    seen = unescaped("\n".join(texts))
    for words in shows:
        assert words in seen, f"{words!r} was not shown at all"


async def test_ledger_text_and_typed_references_reach_discord_inert(hostile: Ledger) -> None:
    world = hostile.world
    history = await hostile.send("connects history", user=world.alice)
    assert_inert(message_texts(history.callback_data), shows=SHOWN)

    # The bonus and the purchase quote the note; the agency proposal and boost name Mallory.
    for ref, shows in (
        (BONUS_ID, "click here"),
        ("e-2001", "click here"),
        (PROPOSAL_ID, "Mallory"),
        ("e-2003", "Evil **Agency**"),
    ):
        explained = await hostile.send("connects explain", {"reference": ref}, user=world.alice)
        assert explained.callback_data.get("embeds"), ref
        assert_inert(message_texts(explained.callback_data), shows=(shows,))

    typed = await hostile.send("connects explain", {"reference": REFERENCE}, user=world.alice)
    assert_inert(message_texts(typed.callback_data), shows=(SHOWN[0],))
    by_manager = await hostile.send("connects explain", {"reference": REFERENCE}, user=hostile.manager)
    assert_inert(message_texts(by_manager.callback_data), shows=(SHOWN[0],))

    audit = await hostile.send("connects audit", user=hostile.manager)
    assert_inert(message_texts(audit.callback_data), shows=(SHOWN[0],))
    assert_inert(await hostile.log_lines(7), shows=(SHOWN[0],))


async def test_members_questions_reach_the_unanswered_queue_inert(hostile: Ledger) -> None:
    world = hostile.world
    question = f"do connects work on the moon? {LINK} {MENTIONS} `x"
    msg = await world.fake.post_message(world.support_id, world.bob, question)
    assert (await hostile.running.outcome(msg["id"])).action == "silent"

    _, queue = await open_queue(world)
    assert_inert(message_texts(queue), shows=("do connects work on the moon?", SHOWN[0]))


async def test_a_typed_id_comes_back_inert_in_an_error_reply(hostile: Ledger) -> None:
    shown = await hostile.send("faq show", {"id": REFERENCE}, user=hostile.world.bob)
    assert_inert(message_texts(shown.callback_data), shows=(SHOWN[0],))
