"""The support desk: one plan per message, the same for the channel and the console, with plain values."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from bot.config import load_settings
from bot.core.channel.cooldowns import Cooldowns
from bot.core.channel.desk import Posted, Reply, SupportDesk
from bot.core.channel.policy import MessageFacts, Verdict
from bot.core.knowledge.loader import load_knowledge
from bot.core.matching.answers import AnswerEngine
from bot.core.matching.matcher import Candidate, Decision

ROOT = Path(__file__).resolve().parents[3]
BOT, ALICE, BOB = 1, 2, 3
SUPPORT, OTHER, THREAD = 100, 300, 555
QUESTION = "How many connects does it cost to send a proposal?"
FOLLOW_UP = "and for an agency?"
# Enough content words to stand alone (over embedding.followup_max_words).
LONG_QUESTION = "Why were my freelancer connects charged instead of the agency balance when I submitted the proposal?"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def engine() -> AnswerEngine:
    # The lexical engine on the real knowledge base: the desk's rules do not depend on the meaning model.
    return AnswerEngine(load_knowledge(ROOT / "knowledge"), load_settings(ROOT / "config.yaml").matcher)


def make_desk(engine: AnswerEngine, *, count: int = 2, explains_charges: bool = False) -> tuple[SupportDesk, Clock]:
    clock = Clock()
    cooldowns = Cooldowns(
        entry_cooldown_seconds=60, member_rate_limit_count=count, member_rate_limit_seconds=30, clock=clock
    )
    return SupportDesk(engine, cooldowns, support_channel_ids={SUPPORT}, explains_charges=explains_charges), clock


def facts(content: str = QUESTION, author: int = ALICE, channel: int = SUPPORT, message_id: int = 7, **more):
    return MessageFacts(
        author_id=author,
        author_is_bot=False,
        is_webhook=False,
        channel_id=channel,
        parent_id=None,
        in_guild=True,
        content=content,
        message_id=message_id,
        jump_url=f"https://discord.com/channels/1/{channel}/{message_id}",
        **more,
    )


def decision(action: str, entry_id: str | None = "proposal-cost") -> Decision:
    candidates = (Candidate(entry_id or "x", 0.7, "p"),) if action != "silent" else ()
    return Decision(action, entry_id if action == "answer" else None, 0.7, candidates, "test")


def test_member_limit_then_entry_cooldown(engine: AnswerEngine) -> None:
    desk, clock = make_desk(engine)
    plan = desk.reply_to(facts(), decision("answer"))
    assert plan.reply is Reply.ANSWER and plan.entry_id == "proposal-cost"
    assert plan.took_member_slot and plan.reserved_cooldown
    desk.settle(facts(), plan, Posted(8, "https://discord.com/channels/1/100/8"))

    plan = desk.reply_to(facts(author=BOB), decision("answer"))
    assert plan.reply is Reply.POINT_TO_EARLIER
    assert plan.earlier_jump_url == "https://discord.com/channels/1/100/8"  # the reply, once it was posted
    assert desk.reply_to(facts(author=BOB, channel=OTHER), decision("answer")).reply is Reply.ANSWER

    assert desk.reply_to(facts(), decision("suggest")).reply is Reply.SUGGEST
    assert desk.reply_to(facts(), decision("answer")).reply is Reply.RATE_LIMITED
    clock.now += 61
    assert desk.reply_to(facts(), decision("answer")).reply is Reply.ANSWER


def test_an_answer_being_sent_is_already_reserved(engine: AnswerEngine) -> None:
    desk, _ = make_desk(engine)
    first = desk.reply_to(facts(message_id=7), decision("answer"))
    # Before the first reply is posted, the same question is pointed at the first question.
    second = desk.reply_to(facts(author=BOB, message_id=9), decision("answer"))
    assert first.reply is Reply.ANSWER and second.reply is Reply.POINT_TO_EARLIER
    assert second.earlier_jump_url == facts(message_id=7).jump_url


def test_a_refused_reply_gives_back_the_slot_and_the_cooldown(engine: AnswerEngine) -> None:
    desk, _ = make_desk(engine, count=1)
    plan = desk.reply_to(facts(), decision("answer"))
    desk.settle(facts(), plan, None)  # Discord refused it
    again = desk.reply_to(facts(), decision("answer"))
    assert again.reply is Reply.ANSWER  # neither "rate limited" nor "answered just above"


def test_silence_never_uses_a_member_slot(engine: AnswerEngine) -> None:
    desk, _ = make_desk(engine, count=1)
    for _ in range(5):
        plan = desk.reply_to(facts(), decision("silent"))
        assert plan.reply is Reply.SILENT and not plan.reply.speaks and not plan.took_member_slot
    assert desk.reply_to(facts(), decision("answer")).reply is Reply.ANSWER


async def test_plan_ignores_what_the_policy_refuses_and_answers_the_rest(engine: AnswerEngine) -> None:
    desk, _ = make_desk(engine)
    ignored = await desk.plan(facts(channel=OTHER), bot_user_id=BOT)
    assert ignored.reply is Reply.IGNORE and ignored.reason == Verdict.NOT_SUPPORT_CHANNEL.value
    chatter = await desk.plan(facts("good morning everyone"), bot_user_id=BOT)
    assert chatter.reply is Reply.SILENT and not chatter.unanswered  # no feedback store: nothing queued
    answered = await desk.plan(facts(), bot_user_id=BOT)
    assert answered.reply is Reply.ANSWER and answered.entry_id == engine.decide(QUESTION).entry_id


async def test_a_charge_question_is_offered_privately_only_with_a_ledger(engine: AnswerEngine) -> None:
    text = "why did I lose 6 connects on job ~01ab7c9d2e4f6a8b0c?"
    with_ledger, _ = make_desk(engine, explains_charges=True)
    plan = await with_ledger.plan(facts(text), bot_user_id=BOT)
    assert plan.reply is Reply.OFFER_EXPLANATION and plan.charge is not None
    assert plan.charge.ref == "~01ab7c9d2e4f6a8b0c" and plan.took_member_slot
    long_ref = await with_ledger.plan(facts(f"what is entry e-{'1' * 70}?"), bot_user_id=BOT)
    assert long_ref.reply is Reply.SILENT and long_ref.reason.endswith("no offer")
    without, _ = make_desk(engine, explains_charges=False)
    assert (await without.plan(facts(text), bot_user_id=BOT)).reply is not Reply.OFFER_EXPLANATION


async def test_the_thread_opener_is_read_only_for_a_short_follow_up_in_a_thread() -> None:
    settings = load_settings(ROOT / "config.yaml")
    from bot.core.matching.embeddings.meaning import load_meaning
    from tests.shared_cache import EMBEDDING_CACHE

    embedding = dataclasses.replace(settings.embedding, cache_path=EMBEDDING_CACHE)
    engine = AnswerEngine(load_knowledge(ROOT / "knowledge"), settings.matcher, load_meaning(embedding))
    desk, _ = make_desk(engine)
    asked: list[int] = []

    async def opener() -> str | None:
        asked.append(1)
        return QUESTION

    await desk.plan(
        dataclasses.replace(facts(FOLLOW_UP), channel_id=THREAD, parent_id=SUPPORT), bot_user_id=BOT, opener=opener
    )
    assert asked == [1]
    await desk.plan(
        dataclasses.replace(facts(LONG_QUESTION, author=BOB), channel_id=THREAD, parent_id=SUPPORT),
        bot_user_id=BOT,
        opener=opener,
    )
    await desk.plan(facts(FOLLOW_UP, author=BOB), bot_user_id=BOT, opener=opener)  # not in a thread
    assert asked == [1]


async def test_an_explicit_question_skips_the_channel_rules(engine: AnswerEngine) -> None:
    desk, _ = make_desk(engine, count=1)
    asked = dataclasses.replace(facts(channel=OTHER), message_id=None, jump_url="")
    for _ in range(3):  # /ask works anywhere, and the member limit is for unprompted replies
        plan = await desk.plan_ask(asked)
        assert plan.reply is Reply.ANSWER and plan.via == "ask" and not plan.took_member_slot
        desk.settle(asked, plan, Posted(9, ""))
    # An /ask answer (perhaps private) is not one a channel question can be pointed at.
    assert (await desk.plan(facts(channel=SUPPORT), bot_user_id=BOT)).reply is Reply.ANSWER
    silent = await desk.plan_ask(dataclasses.replace(asked, content="what is the capital of peru?"), closest=2)
    assert silent.reply is Reply.SILENT and len(silent.closest) == 2
