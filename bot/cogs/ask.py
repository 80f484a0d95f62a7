"""/ask: the same decision as in a support channel, on demand, anywhere the bot is."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.channel.feedback import FeedbackStore, Post
from bot.core.matching.text import looks_like_question
from bot.ui.embeds import answer_embed, no_answer_embed, suggestion_embed
from bot.ui.views import feedback_view, suggestion_view

if TYPE_CHECKING:
    from bot.discord_bot import SupportBot

log = logging.getLogger(__name__)

CLOSEST_LIMIT = 3


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
        engine = self.services.engine
        decision = engine.decide(question)
        kb = engine.kb
        if decision.action == "answer" and decision.entry_id is not None:
            entry = kb.entry(decision.entry_id)
            response = await interaction.response.send_message(
                embed=answer_embed(entry), view=feedback_view(entry.id), ephemeral=private
            )
            if response.message_id is not None:
                channel_id = interaction.channel_id or 0
                post = Post(
                    response.message_id,
                    entry.id,
                    channel_id,
                    question,
                    via="ask",
                    asker_id=interaction.user.id,
                )
                self.services.feedback.submit_background(self.services.feedback.record_post, post)
        elif decision.action == "suggest":
            await interaction.response.send_message(
                embed=suggestion_embed(decision.candidates[:CLOSEST_LIMIT], kb),
                view=suggestion_view(interaction.user.id, decision.candidates, kb),
                ephemeral=private,
            )
        else:
            closest = engine.rank(question, limit=CLOSEST_LIMIT)
            await interaction.response.send_message(embed=no_answer_embed(closest, kb), ephemeral=True)
            if looks_like_question(question):
                store = self.services.feedback
                self.services.feedback.submit_background(
                    _record_silence,
                    store,
                    question,
                    decision.score,
                    interaction.channel_id,
                    interaction.user.id,
                )
        log.debug("/ask by %s: %s (%s)", interaction.user.id, decision.action, decision.reason)


def _record_silence(store: FeedbackStore, question: str, score: float, channel_id: int | None, author_id: int) -> None:
    store.record_silence(question, score=score, channel_id=channel_id, message_id=None, author_id=author_id)


async def setup(bot: SupportBot) -> None:
    """Load /ask."""
    await bot.add_cog(AskCog(bot))
