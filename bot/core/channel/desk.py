"""One call per message: the facts of a member's message in, the whole reply plan out.

The support cog and the console `chat` both ask `SupportDesk.plan` and only render what it returns, so
the channel and the console behave alike by construction. Planning does the core's bookkeeping at once:
it takes the member's slot and reserves the entry's cooldown before anything is sent (a copy of the
question arriving meanwhile is pointed at this reply), and queues a silent question for the moderators.
Once the front end has tried to post, `settle` says how it went: a posted answer is recorded, a refused
reply gives back what was reserved for it, so the member can simply ask again.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import time
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from enum import Enum

from bot.config import Settings
from bot.core.channel.cooldowns import Clock, Cooldowns
from bot.core.channel.feedback import FeedbackStore, Post
from bot.core.channel.policy import MessageFacts, judge_message
from bot.core.insights.decision_log import DecisionLog
from bot.core.insights.recording import note_plan
from bot.core.ledger.charges import ChargeQuestion, recognise_charge_question
from bot.core.matching.answers import AnswerEngine
from bot.core.matching.matcher import Candidate, Decision
from bot.core.matching.text import looks_like_question

# Reads the opening question of the thread a message was posted in (a front end's I/O: Discord's REST API).
Opener = Callable[[], Awaitable[str | None]]


class Reply(Enum):
    """What the bot does with one message."""

    IGNORE = "ignored"  # not a message the bot considers at all (see policy.Verdict)
    ANSWER = "answer"
    SUGGEST = "suggest"
    OFFER_EXPLANATION = "offer a private explanation"  # a question about one charge in the asker's ledger
    POINT_TO_EARLIER = "point to the earlier answer"
    SILENT = "silent"
    RATE_LIMITED = "member rate limit reached"

    @property
    def speaks(self) -> bool:
        """Whether the front end posts something for this plan."""
        return self in _SPEAKING


_SPEAKING = frozenset({Reply.ANSWER, Reply.SUGGEST, Reply.OFFER_EXPLANATION, Reply.POINT_TO_EARLIER})


@dataclass(frozen=True)
class ReplyPlan:
    """Everything a front end needs to render the bot's reply to one message, and what was reserved for it."""

    reply: Reply
    reason: str
    entry_id: str | None = None
    # The answer engine's decision (candidates for a suggestion, see_also beside an answer, /why).
    decision: Decision | None = None
    earlier_jump_url: str | None = None
    charge: ChargeQuestion | None = None
    # Reserved before the send and given back by `settle` if the reply is never posted:
    took_member_slot: bool = False
    reserved_cooldown: bool = False
    # A question the bot stayed silent on: it went to the moderators' unanswered queue.
    unanswered: bool = False
    # An explicit question (/ask) left unanswered: the closest entries, to show the asker instead.
    closest: tuple[Candidate, ...] = ()
    via: str = "channel"  # where the question came from, kept with the posted answer
    followup: bool = False  # a short follow-up in a thread, decided with the thread's opening question


@dataclass(frozen=True)
class Posted:
    """The reply the front end posted."""

    message_id: int
    jump_url: str


class SupportDesk:
    """Plan the bot's reply to each message in the support channels; settle it once it is posted or refused."""

    def __init__(
        self,
        engine: AnswerEngine,
        cooldowns: Cooldowns,
        *,
        support_channel_ids: Collection[int],
        explains_charges: bool,
        feedback: FeedbackStore | None = None,
        decisions: DecisionLog | None = None,
    ) -> None:
        self.engine = engine
        self.cooldowns = cooldowns
        self.support_channel_ids = frozenset(support_channel_ids)
        # Only with a ledger to answer from: otherwise a charge question goes to the FAQ like any other.
        self.explains_charges = explains_charges
        self.feedback = feedback  # None: record nothing (the console)
        self.decisions = decisions  # the decision log (None: not kept)

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        engine: AnswerEngine,
        *,
        explains_charges: bool,
        feedback: FeedbackStore | None = None,
        clock: Clock = time.monotonic,
        support_channel_ids: Collection[int] | None = None,
        decisions: DecisionLog | None = None,
    ) -> SupportDesk:
        """A desk with the configured support channels, entry cooldown and member rate limit."""
        d = settings.discord
        cooldowns = Cooldowns(
            entry_cooldown_seconds=d.entry_cooldown_seconds,
            member_rate_limit_count=d.member_rate_limit_count,
            member_rate_limit_seconds=d.member_rate_limit_seconds,
            clock=clock,
        )
        return cls(
            engine,
            cooldowns,
            support_channel_ids=d.support_channel_ids if support_channel_ids is None else support_channel_ids,
            explains_charges=explains_charges,
            feedback=feedback,
            decisions=decisions,
        )

    async def plan(self, facts: MessageFacts, *, bot_user_id: int, opener: Opener | None = None) -> ReplyPlan:
        """Decide the whole reply to one message: ignore, stay silent, answer, suggest, point back or offer."""
        verdict = judge_message(facts, bot_user_id=bot_user_id, support_channel_ids=self.support_channel_ids)
        if not verdict.acts:
            return ReplyPlan(Reply.IGNORE, verdict.value)
        charge = recognise_charge_question(facts.content) if self.explains_charges else None
        if charge is not None:
            plan = self._offer(facts, charge)
        else:
            decision, quick, followup = await self._decide(facts, opener)
            plan = self.reply_to(facts, decision)
            if followup:
                plan = dataclasses.replace(plan, followup=True)
            if quick and plan.reply is Reply.SILENT and not looks_like_question(facts.content):
                note_plan(self.decisions, facts.channel_id, plan, chatter=True)
                return plan
        if not plan.reply.speaks:
            note_plan(self.decisions, facts.channel_id, plan)
        return plan

    async def plan_ask(self, facts: MessageFacts, *, closest: int = 3) -> ReplyPlan:
        """Decide the reply to an explicit question (/ask): no channel rules or limits, silence still queued."""
        decision, _, _ = await self._decide(facts, None)
        if decision.action == "answer":
            return ReplyPlan(Reply.ANSWER, decision.reason, decision.entry_id, decision, via="ask")
        if decision.action == "suggest":
            return ReplyPlan(Reply.SUGGEST, decision.reason, decision=decision, via="ask")
        unanswered = self.feedback is not None and looks_like_question(facts.content)
        if unanswered:
            self._queue_unanswered(facts, decision)
        # Ranking runs the encoder too: off the event loop.
        nearest = await asyncio.to_thread(self.engine.rank, facts.content, closest)
        plan = ReplyPlan(
            Reply.SILENT, decision.reason, decision=decision, unanswered=unanswered, closest=tuple(nearest), via="ask"
        )
        note_plan(self.decisions, facts.channel_id, plan)
        return plan

    def settle(self, facts: MessageFacts, plan: ReplyPlan, posted: Posted | None) -> None:
        """Record a posted reply, or give back what a refused one had reserved (posted=None)."""
        outcome = "refused" if posted is None else "posted"
        note_plan(self.decisions, facts.channel_id, plan, outcome, posted.message_id if posted else None)
        if posted is None:
            if plan.took_member_slot:
                self.cooldowns.release_member_slot(facts.author_id)
            if plan.reserved_cooldown and plan.entry_id is not None:
                self.cooldowns.release_answer(facts.channel_id, plan.entry_id, facts.jump_url)
            return
        if plan.reply is not Reply.ANSWER or plan.entry_id is None:
            return
        if plan.reserved_cooldown:
            # From now on a repeat of the question is pointed at the reply itself, not at the question.
            self.cooldowns.record_answer(facts.channel_id, plan.entry_id, posted.jump_url)
        if self.feedback is not None:
            post = Post(
                posted.message_id,
                plan.entry_id,
                facts.channel_id,
                facts.content,
                via=plan.via,
                asker_id=facts.author_id,
                question_message_id=facts.message_id,
            )
            self.feedback.submit_background(self.feedback.record_post, post)

    async def _decide(self, facts: MessageFacts, opener: Opener | None) -> tuple[Decision, bool, bool]:
        """The engine's decision, whether it was settled before the model, whether the thread's opener was read."""
        engine = self.engine
        context = None
        # A short follow-up inside a thread is read with the thread's opening question.
        if opener is not None and facts.in_thread and engine.needs_context(facts.content):
            context = await opener()
        # Chatter or a known phrasing is settled in microseconds, once.
        decision = engine.decide_quickly(facts.content) if context is None else None
        if decision is None:
            # The sentence encoder takes milliseconds (a long post, a hundred or more): off the event loop,
            # so other members' messages and Discord's heartbeats are not held up meanwhile.
            return await asyncio.to_thread(engine.decide, facts.content, context), False, context is not None
        return decision, True, False

    def reply_to(self, facts: MessageFacts, decision: Decision) -> ReplyPlan:
        """Apply the member limit and the entry cooldown to the engine's decision (plan's last step)."""
        if decision.action == "silent":
            unanswered = self.feedback is not None and looks_like_question(facts.content)
            if unanswered:
                self._queue_unanswered(facts, decision)
            return ReplyPlan(Reply.SILENT, decision.reason, decision=decision, unanswered=unanswered)
        if not self.cooldowns.take_member_slot(facts.author_id):
            return ReplyPlan(Reply.RATE_LIMITED, decision.reason, decision.entry_id, decision)
        if decision.action == "suggest":
            return ReplyPlan(Reply.SUGGEST, decision.reason, decision=decision, took_member_slot=True)
        entry_id = decision.entry_id
        assert entry_id is not None
        earlier = self.cooldowns.earlier_answer(facts.channel_id, entry_id)
        if earlier is not None:
            return ReplyPlan(
                Reply.POINT_TO_EARLIER,
                decision.reason,
                entry_id,
                decision,
                earlier_jump_url=earlier.jump_url,
                took_member_slot=True,
            )
        # Reserved before the send: the same question arriving meanwhile is pointed at this one.
        self.cooldowns.record_answer(facts.channel_id, entry_id, facts.jump_url)
        return ReplyPlan(
            Reply.ANSWER, decision.reason, entry_id, decision, took_member_slot=True, reserved_cooldown=True
        )

    def _offer(self, facts: MessageFacts, charge: ChargeQuestion) -> ReplyPlan:
        """A question about one specific charge: offered privately from the asker's own ledger, never in public."""
        about = f"charge question about {charge.ref}"
        if not charge.offerable or not self.cooldowns.take_member_slot(facts.author_id):
            return ReplyPlan(Reply.SILENT, f"{about}: no offer", charge=charge)
        return ReplyPlan(Reply.OFFER_EXPLANATION, about, charge=charge, took_member_slot=True)

    def _queue_unanswered(self, facts: MessageFacts, decision: Decision) -> None:
        assert self.feedback is not None
        record = functools.partial(
            self.feedback.record_silence,
            facts.content,
            score=decision.score,
            channel_id=facts.channel_id,
            message_id=facts.message_id,
            author_id=facts.author_id,
        )
        self.feedback.submit_background(record)
