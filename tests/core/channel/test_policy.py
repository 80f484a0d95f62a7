"""The channel policy on plain values: when the bot may speak up unprompted (what it replies: test_desk.py)."""

from __future__ import annotations

import dataclasses

import pytest

from bot.core.channel.policy import MessageFacts, Verdict, is_support_channel, judge_message

BOT, ALICE, BOB = 1, 2, 3
SUPPORT, FORUM, OTHER = 100, 200, 300
SUPPORT_IDS = frozenset({SUPPORT, FORUM})
BASE = MessageFacts(
    author_id=ALICE,
    author_is_bot=False,
    is_webhook=False,
    channel_id=SUPPORT,
    parent_id=None,
    in_guild=True,
    content="how many connects does a proposal cost?",
)


def judge(**changes: object) -> Verdict:
    return judge_message(dataclasses.replace(BASE, **changes), bot_user_id=BOT, support_channel_ids=SUPPORT_IDS)


@pytest.mark.parametrize(
    ("changes", "verdict"),
    [
        ({}, Verdict.CONSIDER),
        ({"channel_id": 555, "parent_id": SUPPORT}, Verdict.CONSIDER),  # thread in a support channel
        ({"channel_id": 556, "parent_id": FORUM}, Verdict.CONSIDER),  # forum post
        ({"channel_id": OTHER}, Verdict.NOT_SUPPORT_CHANNEL),
        ({"channel_id": 557, "parent_id": OTHER}, Verdict.NOT_SUPPORT_CHANNEL),
        ({"author_is_bot": True}, Verdict.FROM_BOT),
        ({"is_webhook": True, "author_is_bot": True}, Verdict.FROM_WEBHOOK),
        ({"is_system": True}, Verdict.SYSTEM_MESSAGE),
        ({"in_guild": False}, Verdict.NOT_IN_GUILD),
        ({"content": "   "}, Verdict.EMPTY),
        ({"is_reply": True, "replied_to_author_id": BOB}, Verdict.REPLY_TO_HUMAN),
        ({"is_reply": True, "replied_to_author_id": None}, Verdict.REPLY_TO_HUMAN),  # target unknown
        ({"is_reply": True, "replied_to_author_id": BOT}, Verdict.CONSIDER),  # follow-up to the bot
        ({"is_reply": True, "replied_to_author_id": ALICE}, Verdict.CONSIDER),  # adding to own message
    ],
)
def test_judge_message(changes: dict, verdict: Verdict) -> None:
    assert judge(**changes) is verdict
    assert verdict.acts == (verdict is Verdict.CONSIDER)


def test_a_bot_in_another_channel_is_reported_as_a_bot_first() -> None:
    # Cheap checks come first so the bot never spends work on other bots' traffic.
    assert judge(author_is_bot=True, channel_id=OTHER) is Verdict.FROM_BOT


def test_is_support_channel() -> None:
    assert is_support_channel(SUPPORT, None, SUPPORT_IDS)
    assert is_support_channel(9, FORUM, SUPPORT_IDS)
    assert not is_support_channel(OTHER, None, SUPPORT_IDS)
    assert not is_support_channel(9, None, ())
