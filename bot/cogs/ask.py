"""/ask: the same decision as in a support channel, on demand, anywhere the bot is.

The desk decides (`SupportDesk.plan_ask`: no channel rules or member limits for an explicit question,
the encoder off the event loop, an unanswered question queued for moderators); this only renders it.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.cogs.support import SEND_FAILURES
from bot.core.channel.desk import Posted, Reply, ReplyPlan
from bot.core.channel.policy import MessageFacts
from bot.ui.embeds import answer_embed, no_answer_embed, suggestion_embed
from bot.ui.views import feedback_view, suggestion_view

if TYPE_CHECKING:
    from bot.discord_bot import SupportBot

log = logging.getLogger(__name__)

CLOSEST_LIMIT = 3
# Seconds a decision may take before the interaction is acknowledged (Discord allows 3).
THINKING_AFTER = 2.0


class AskCog(commands.Cog):
    """Answer a question asked with /ask."""

    def __init__(self, bot: SupportBot) -> None:
        self.bot = bot
        self.services = bot.services

    @app_commands.command(name="ask")
    @app_commands.describe(
        question="Your question about Connects, in your own words",
        private="Show the answer only to you (default: everyone in the channel sees it)",
    )
    @app_commands.guild_only()
    async def ask(
        self,
        interaction: discord.Interaction,
        question: app_commands.Range[str, 1, 2000],
        private: bool = False,
    ) -> None:
        """Ask the FAQ a question about Connects."""
        facts = MessageFacts(
            author_id=interaction.user.id,
            author_is_bot=False,
            is_webhook=False,
            channel_id=interaction.channel_id or 0,
            parent_id=None,
            in_guild=interaction.guild_id is not None,
            content=question,
        )
        desk = self.services.desk
        planning = asyncio.ensure_future(desk.plan_ask(facts, closest=CLOSEST_LIMIT))
        try:
            plan = await asyncio.wait_for(asyncio.shield(planning), THINKING_AFTER)
        except TimeoutError:
            # Discord drops an interaction left unanswered for 3 s: a long post on a busy machine is
            # acknowledged first ("thinking..."), and the reply then replaces that placeholder.
            await interaction.response.defer(ephemeral=private, thinking=True)
            plan = await planning
        try:
            message_id = await self._reply(interaction, plan, private)
        except SEND_FAILURES:
            if plan.reply.speaks:  # the decision log records the refusal; the error handler answers the member
                desk.settle(facts, plan, None)
            raise
        if message_id is not None and plan.reply.speaks:
            desk.settle(facts, plan, Posted(message_id, ""))
        log.debug("/ask by %s: %s (%s)", interaction.user.id, plan.reply.value, plan.reason)

    async def _reply(self, interaction: discord.Interaction, plan: ReplyPlan, private: bool) -> int | None:
        """Send the answer, the suggestions or the closest entries; return the reply's id."""
        kb = self.services.engine.kb
        if plan.reply is Reply.ANSWER and plan.entry_id is not None:
            entry = kb.entry(plan.entry_id)
            return await _send(interaction, embed=answer_embed(entry), view=feedback_view(entry.id), ephemeral=private)
        if plan.reply is Reply.SUGGEST and plan.decision is not None:
            candidates = plan.decision.candidates
            return await _send(
                interaction,
                embed=suggestion_embed(candidates[:CLOSEST_LIMIT], kb),
                view=suggestion_view(interaction.user.id, candidates, kb),
                ephemeral=private,
            )
        return await _send(interaction, embed=no_answer_embed(list(plan.closest), kb), ephemeral=True)


async def _send(interaction: discord.Interaction, **message: Any) -> int | None:
    """Send the reply (the first response, or after a defer the followup that replaces it); return its id."""
    if interaction.response.is_done():
        sent = await interaction.followup.send(wait=True, **message)
        return sent.id
    response = await interaction.response.send_message(**message)
    return response.message_id


async def setup(bot: SupportBot) -> None:
    """Load /ask."""
    await bot.add_cog(AskCog(bot))
