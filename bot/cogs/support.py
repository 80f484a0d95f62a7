"""The support-channel listener: answer, suggest or stay silent on members' questions, unprompted.

It pulls plain values out of the message, asks the core once (`SupportDesk.plan`: the whole plan) and
performs the one Discord side effect, then tells the desk how the send went (`settle`). Each handled
message ends with a `support_outcome` event (`bot.wait_for("support_outcome")`), which tests and the
benchmark use to see silence happen.

A reply Discord refuses (any status, or no connection) ends in one outcome and one log line, and the
desk gives back what was reserved for it (the member's slot, the entry cooldown): the member can simply
ask again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

import aiohttp
import discord
from discord.ext import commands

from bot.core.channel.desk import Posted, Reply, ReplyPlan
from bot.core.channel.policy import MessageFacts
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
        message_id=message.id,
        jump_url=message.jump_url,
    )


class SupportCog(commands.Cog):
    """Answer questions in the configured support channels (and their threads and forum posts)."""

    def __init__(self, bot: SupportBot) -> None:
        self.bot = bot
        self.services = bot.services
        self.desk = bot.services.desk
        self.mention_asker = bot.services.settings.discord.mention_asker
        self._forbidden_warned: set[int] = set()
        self._openers: dict[int, str | None] = {}  # thread id -> its opening question (oldest evicted first)

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        await self.handle(message)

    async def handle(self, message: discord.Message, *, late: str | None = None) -> None:
        """Decide and post the reply to one message, once: live, or read back by a catch-up (`late`: a note
        saying why the reply comes late, or None). A message already taken on is left alone."""
        if not self._take_on(message):
            return
        assert self.bot.user is not None
        facts = message_facts(message)
        plan = await self.desk.plan(facts, bot_user_id=self.bot.user.id, opener=lambda: self._thread_opener(message))
        if not plan.reply.speaks:
            self._done(SupportOutcome(message.id, plan.reply.value, plan.reason, plan.entry_id))
            return
        try:
            sent = await self._render(message, plan, late)
        except SEND_FAILURES as exc:
            self.desk.settle(facts, plan, None)
            self._done(self._refused(message, exc))
            return
        self.desk.settle(facts, plan, Posted(sent.id, sent.jump_url))
        log.debug("message %s: %s (%s)", message.id, plan.reply.value, plan.reason)
        self._done(SupportOutcome(message.id, plan.reply.value, plan.reason, plan.entry_id, sent.id))

    async def _render(self, message: discord.Message, plan: ReplyPlan, late: str | None = None) -> discord.Message:
        """Post the planned reply under the member's message (after `late`, when it comes late)."""
        kb = self.services.engine.kb
        mention = self.mention_asker
        if plan.reply is Reply.ANSWER:
            assert plan.entry_id is not None and plan.decision is not None
            entry = kb.entry(plan.entry_id)
            also = [kb.entries[other] for other in plan.decision.see_also if other in kb.entries and other != entry.id]
            return await message.reply(
                late, embed=answer_embed(entry, also), view=feedback_view(entry.id), mention_author=mention
            )
        if plan.reply is Reply.SUGGEST:
            assert plan.decision is not None
            candidates = plan.decision.candidates
            return await message.reply(
                late,
                embed=suggestion_embed(candidates[:3], kb),
                view=suggestion_view(message.author.id, candidates, kb),
                mention_author=mention,
            )
        if plan.reply is Reply.OFFER_EXPLANATION:
            # In public: no account data, only a button that explains the charge to the asker alone.
            charge = plan.charge
            assert charge is not None
            view = explain_privately_view(message.author.id, charge.kind, charge.ref)
            text = explain_privately_text(charge.kind, charge.ref)
            return await message.reply(_after(late, text), view=view, mention_author=mention)
        assert plan.reply is Reply.POINT_TO_EARLIER
        earlier = earlier_answer_text(plan.earlier_jump_url or "")
        return await message.reply(_after(late, earlier), mention_author=mention)

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
        """The question that opened this thread or forum post (the desk asks only for a short follow-up)."""
        channel = message.channel
        if not isinstance(channel, discord.Thread):
            return None
        if channel.id in self._openers:
            return self._openers[channel.id]
        starter = channel.starter_message or await self._fetch_starter(channel)
        opener = "\n".join(part for part in (channel.name, starter.content if starter else "") if part) or None
        if len(self._openers) >= OPENER_CACHE_SIZE:
            self._openers.pop(next(iter(self._openers)))
        self._openers[channel.id] = opener
        return opener

    async def _fetch_starter(self, thread: discord.Thread) -> discord.Message | None:
        """Read the message a thread was opened with, where Discord keeps it.

        The starter has the thread's id. A forum (or media) post keeps it inside the post; a thread
        started from a channel message does not: the message stays in the parent channel, and asking the
        thread for it is 404. A parent the cache does not know is asked first, then the thread.
        """
        parent = thread.parent
        if isinstance(parent, discord.ForumChannel):
            places: list[discord.abc.Messageable] = [thread]
        elif parent is not None:
            places = [parent]
        else:
            places = [self.bot.get_partial_messageable(thread.parent_id, guild_id=thread.guild.id), thread]
        for place in places:
            try:
                return await place.fetch_message(thread.id)
            except discord.HTTPException:
                continue  # deleted, or not there: fall back to the thread's name
        return None

    def _take_on(self, message: discord.Message) -> bool:
        """Claim a message (False: the listener or a catch-up already has it) and record it as handled."""
        handled = self.services.handled
        if handled is None:
            return True
        if not handled.claim(message.id):
            return False
        handled.handled(message.channel.id, message.id)
        return True

    def _done(self, outcome: SupportOutcome) -> None:
        self.bot.dispatch("support_outcome", outcome)


def _after(late: str | None, text: str) -> str:
    return text if late is None else f"{late}\n{text}"


async def setup(bot: SupportBot) -> None:
    """Load the support-channel listener."""
    await bot.add_cog(SupportCog(bot))
