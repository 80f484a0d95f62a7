"""The channel policy on plain values: when the bot may speak up unprompted, and what it replies."""

from __future__ import annotations

import dataclasses

import pytest

from bot.core.channel.cooldowns import Cooldowns
from bot.core.channel.policy import MessageFacts, Reply, Verdict, is_support_channel, judge_message, plan_reply
from bot.core.matching.matcher import Candidate, Decision

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


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def decision(action: str, entry_id: str | None = "proposal-cost") -> Decision:
    candidates = (Candidate(entry_id or "x", 0.7, "p"),) if action != "silent" else ()
    return Decision(action, entry_id if action == "answer" else None, 0.7, candidates, "test")


def test_plan_reply_applies_member_limit_then_entry_cooldown() -> None:
    clock = Clock()
    cooldowns = Cooldowns(
        entry_cooldown_seconds=60, member_rate_limit_count=2, member_rate_limit_seconds=30, clock=clock
    )
    plan = plan_reply(decision("answer"), cooldowns, channel_id=SUPPORT, author_id=ALICE)
    assert plan.reply is Reply.ANSWER and plan.entry_id == "proposal-cost"
    cooldowns.record_answer(SUPPORT, "proposal-cost", "https://discord.com/channels/1/100/7")

    plan = plan_reply(decision("answer"), cooldowns, channel_id=SUPPORT, author_id=BOB)
    assert plan.reply is Reply.POINT_TO_EARLIER
    assert plan.earlier_jump_url == "https://discord.com/channels/1/100/7"
    assert plan_reply(decision("answer"), cooldowns, channel_id=OTHER, author_id=BOB).reply is Reply.ANSWER

    assert plan_reply(decision("suggest"), cooldowns, channel_id=SUPPORT, author_id=ALICE).reply is Reply.SUGGEST
    assert plan_reply(decision("answer"), cooldowns, channel_id=SUPPORT, author_id=ALICE).reply is Reply.RATE_LIMITED
    clock.now += 61
    assert plan_reply(decision("answer"), cooldowns, channel_id=SUPPORT, author_id=ALICE).reply is Reply.ANSWER


def test_silence_never_uses_a_member_slot() -> None:
    cooldowns = Cooldowns(
        entry_cooldown_seconds=60, member_rate_limit_count=1, member_rate_limit_seconds=30, clock=Clock()
    )
    for _ in range(5):
        assert plan_reply(decision("silent"), cooldowns, channel_id=SUPPORT, author_id=ALICE).reply is Reply.SILENT
    assert plan_reply(decision("answer"), cooldowns, channel_id=SUPPORT, author_id=ALICE).reply is Reply.ANSWER
