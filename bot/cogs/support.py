"""The support-channel listener: answer, suggest or stay silent on members' questions, unprompted.

It pulls plain values out of the message, asks the core (channel policy, answer engine, cooldowns)
and performs the one Discord side effect. Each handled message ends with a `support_outcome` event
(`bot.wait_for("support_outcome")`), which tests and the benchmark use to see silence happen.

A reply Discord refuses (any status, or no connection) ends in one outcome and one log line, and gives
back what was reserved for it (the member's slot, the entry cooldown): the member can simply ask again.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

import aiohttp
import discord
from discord.ext import commands

from bot.core.channel.feedback import Post
from bot.core.channel.policy import MessageFacts, Reply, ReplyPlan, judge_message, plan_reply
from bot.core.ledger.charges import ChargeQuestion, recognise_charge_question
from bot.core.matching.matcher import Decision
from bot.core.matching.text import looks_like_question
from bot.ui.connects_views import explain_privately_text, explain_privately_view
from bot.ui.embeds import answer_embed, earlier_answer_text, suggestion_embed
from bot.ui.views import feedback_view, suggestion_view

if TYPE_CHECKING:
    from bot.discord_bot import SupportBot

log = logging.getLogger(__name__)

# Threads whose opening question is remembered, so a follow-up costs no REST call.
OPENER_CACHE_SIZE = 1024
# A send that did not post anything: Discord refused it, or could not be reached (after discord.py's retries).
SEND_FAILURES = (discord.HTTPException, aiohttp.ClientError, OSError, TimeoutError)
# Plans that took one of the member's slots in plan_reply.
TAKES_A_SLOT = frozenset({Reply.ANSWER, Reply.SUGGEST, Reply.POINT_TO_EARLIER})


@dataclass(frozen=True)
class SupportOutcome:
    """What the listener did with one message (dispatched as the `support_outcome` event)."""

    message_id: int
    # ignored | silent | answer | suggest | point to the earlier answer | member rate limit reached
    # | offer a private explanation | forbidden | reply refused
    action: str
    reason: str
    entry_id: str | None = None
    reply_id: int | None = None


def message_facts(message: discord.Message) -> MessageFacts:
    """Pull the values the channel policy needs out of a discord.py message."""
    channel = message.channel
    parent_id = channel.parent_id if isinstance(channel, discord.Thread) else None
    replied_to: int | None = None
    is_reply = message.type is discord.MessageType.reply
    if is_reply and message.reference is not None:
        resolved = message.reference.resolved or message.reference.cached_message
        if isinstance(resolved, discord.Message):
            replied_to = resolved.author.id
    return MessageFacts(
        author_id=message.author.id,
        author_is_bot=message.author.bot,
        is_webhook=message.webhook_id is not None,
        channel_id=channel.id,
        parent_id=parent_id,
        in_guild=message.guild is not None,
        content=message.content,
        is_reply=is_reply,
        replied_to_author_id=replied_to,
        is_system=message.is_system(),
    )


class SupportCog(commands.Cog):
    """Answer questions in the configured support channels (and their threads and forum posts)."""

    def __init__(self, bot: SupportBot) -> None:
        self.bot = bot
        self.services = bot.services
        self.support_channel_ids = frozenset(bot.services.settings.discord.support_channel_ids)
        self.mention_asker = bot.services.settings.discord.mention_asker
        self._forbidden_warned: set[int] = set()
        self._openers: dict[int, str | None] = {}  # thread id -> its opening question (oldest evicted first)

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        assert self.bot.user is not None
        facts = message_facts(message)
        verdict = judge_message(facts, bot_user_id=self.bot.user.id, support_channel_ids=self.support_channel_ids)
        if not verdict.acts:
            self._done(SupportOutcome(message.id, "ignored", verdict.value))
            return
        try:
            self._done(await self._respond(message))
        except SEND_FAILURES as exc:
            self._done(self._refused(message, exc))

    async def _respond(self, message: discord.Message) -> SupportOutcome:
        charge = recognise_charge_question(message.content)
        if charge is not None and self.services.ledger is not None:
            # A question about one specific charge: answered from the asker's own ledger, privately.
            return await self._offer_private_explanation(message, charge)
        engine = self.services.engine
        context = await self._thread_opener(message)
        # Chatter or a known phrasing is settled in microseconds, once; in a thread a short message may
        # need the opener read with it, so it always goes the full way.
        decision = engine.decide_quickly(message.content) if context is None else None
        if decision is None:
            # The sentence encoder takes milliseconds (a long post, a hundred or more): off the event loop,
            # so other members' messages and Discord's heartbeats are not held up meanwhile.
            decision = await asyncio.to_thread(engine.decide, message.content, context)
        plan = plan_reply(decision, self.services.cooldowns, channel_id=message.channel.id, author_id=message.author.id)
        try:
            reply_id = await self._reply(message, decision, plan)
        except SEND_FAILURES:
            if plan.reply in TAKES_A_SLOT:
                self.services.cooldowns.release_member_slot(message.author.id)
            raise
        log.debug("message %s: %s (%s)", message.id, plan.reply.value, decision.reason)
        return SupportOutcome(message.id, plan.reply.value, decision.reason, plan.entry_id, reply_id)

    def _refused(self, message: discord.Message, error: BaseException) -> SupportOutcome:
        """Log a reply that was not posted, once, and say so in the outcome."""
        channel = message.channel
        text = " ".join(str(error).split())  # one line: discord.py puts each refused field on its own
        if isinstance(error, discord.HTTPException):
            why = f"Discord answered {text}"
        else:
            why = f"cannot reach Discord ({type(error).__name__}: {text})"
        if isinstance(error, discord.Forbidden):
            self._warn_forbidden(channel)
            return SupportOutcome(message.id, "forbidden", f"missing permission to reply here: {why}")
        where = f"message {message.id} in channel {getattr(channel, 'name', '?')} ({channel.id})"
        if isinstance(error, discord.HTTPException) and error.status < 500:
            log.error("could not reply to %s: %s", where, why)  # the bot sent something Discord won't take
        else:
            log.warning("could not reply to %s: %s; the member can ask again", where, why)
        return SupportOutcome(message.id, "reply refused", why)

    async def _reply(self, message: discord.Message, decision: Decision, plan: ReplyPlan) -> int | None:
        """Carry out the plan; return the id of the bot's reply, if it sent one."""
        if plan.reply is Reply.SILENT:
            if looks_like_question(message.content):
                self.services.feedback.submit_background(
                    self._record_silence,
                    message.content,
                    decision.score,
                    message.channel.id,
                    message.id,
                    message.author.id,
                )
            return None
        if plan.reply is Reply.ANSWER:
            return await self._answer(message, plan.entry_id or "", decision.see_also)
        if plan.reply is Reply.POINT_TO_EARLIER:
            sent = await message.reply(
                earlier_answer_text(plan.earlier_jump_url or ""), mention_author=self.mention_asker
            )
            return sent.id
        if plan.reply is Reply.SUGGEST:
            kb = self.services.engine.kb
            sent = await message.reply(
                embed=suggestion_embed(decision.candidates[:3], kb),
                view=suggestion_view(message.author.id, decision.candidates, kb),
                mention_author=self.mention_asker,
            )
            return sent.id
        return None  # rate limited: stay silent

    def _warn_forbidden(self, channel: discord.abc.Messageable) -> None:
        channel_id = getattr(channel, "id", 0)
        if channel_id in self._forbidden_warned:
            return
        self._forbidden_warned.add(channel_id)
        log.warning(
            "cannot reply in channel %s (%s): give the bot View Channel, Send Messages, Send Messages in "
            "Threads, Embed Links and Read Message History there",
            getattr(channel, "name", "?"),
            channel_id,
        )

    async def _thread_opener(self, message: discord.Message) -> str | None:
        """The question that opened this thread or forum post, for a short follow-up inside it."""
        channel = message.channel
        if not isinstance(channel, discord.Thread) or message.id == channel.id:
            return None
        if not self.services.engine.needs_context(message.content):
            return None  # a full question stands alone: no lookup
        if channel.id in self._openers:
            return self._openers[channel.id]
        starter = channel.starter_message
        if starter is None:
            try:
                # A forum post's (and a message thread's) opening message has the thread's id.
                starter = await channel.fetch_message(channel.id)
            except discord.HTTPException:
                starter = None
        opener = "\n".join(part for part in (channel.name, starter.content if starter else "") if part) or None
        if len(self._openers) >= OPENER_CACHE_SIZE:
            self._openers.pop(next(iter(self._openers)))
        self._openers[channel.id] = opener
        return opener

    async def _answer(self, message: discord.Message, entry_id: str, see_also: tuple[str, ...] = ()) -> int:
        kb = self.services.engine.kb
        entry = kb.entry(entry_id)
        also = [kb.entries[other] for other in see_also if other in kb.entries and other != entry_id]
        cooldowns = self.services.cooldowns
        # Reserve the cooldown before the send: the same question arriving meanwhile is pointed here.
        cooldowns.record_answer(message.channel.id, entry.id, message.jump_url)
        try:
            sent = await message.reply(
                embed=answer_embed(entry, also), view=feedback_view(entry.id), mention_author=self.mention_asker
            )
        except SEND_FAILURES:
            cooldowns.release_answer(message.channel.id, entry.id, message.jump_url)
            raise
        cooldowns.record_answer(message.channel.id, entry.id, sent.jump_url)
        post = Post(
            sent.id,
            entry.id,
            message.channel.id,
            message.content,
            via="channel",
            asker_id=message.author.id,
            question_message_id=message.id,
        )
        self.services.feedback.submit_background(self.services.feedback.record_post, post)
        return sent.id

    async def _offer_private_explanation(self, message: discord.Message, charge: ChargeQuestion) -> SupportOutcome:
        """Reply in public with no account data, and a button that explains the charge to the asker only."""
        view = explain_privately_view(message.author.id, charge.kind, charge.ref)
        if view is None or not self.services.cooldowns.take_member_slot(message.author.id):
            return SupportOutcome(message.id, "silent", f"charge question about {charge.ref}: no offer")
        try:
            sent = await message.reply(
                explain_privately_text(charge.kind, charge.ref), view=view, mention_author=self.mention_asker
            )
        except SEND_FAILURES:
            self.services.cooldowns.release_member_slot(message.author.id)
            raise
        reason = f"charge question about {charge.ref}"
        return SupportOutcome(message.id, "offer a private explanation", reason, reply_id=sent.id)

    def _record_silence(self, text: str, score: float, channel_id: int, message_id: int, author_id: int) -> None:
        self.services.feedback.record_silence(
            text, score=score, channel_id=channel_id, message_id=message_id, author_id=author_id
        )

    def _done(self, outcome: SupportOutcome) -> None:
        self.bot.dispatch("support_outcome", outcome)


async def setup(bot: SupportBot) -> None:
    """Load the support-channel listener."""
    await bot.add_cog(SupportCog(bot))
