"""/faq: browse the knowledge base. Moderator subcommands join this group later through a mixin.

To add subcommands to /faq: write a plain mixin class whose methods are `@app_commands.command`s
(they can use `self.bot` and `self.services`), and put it first in FaqCog's bases:
`class FaqCog(FaqModeration, FaqBrowse, commands.GroupCog, group_name="faq")`.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.cogs.faq_insights import FaqInsights
from bot.cogs.faq_learned import FaqLearned
from bot.cogs.faq_moderation import FaqModeration
from bot.core.errors import EntryNotFound
from bot.ui.embeds import answer_embed, clip
from bot.ui.views import feedback_view

if TYPE_CHECKING:
    from bot.discord_bot import SupportBot
    from bot.services import Services

log = logging.getLogger(__name__)

MAX_CHOICES = 25  # Discord's limit for autocomplete
CHOICE_NAME_LIMIT = 100


class FaqBrowse:
    """/faq show: any member may read an entry."""

    bot: SupportBot
    services: Services

    @app_commands.command(name="show")
    @app_commands.describe(id="The entry id; start typing words of the question to search")
    async def show(self, interaction: discord.Interaction, id: str) -> None:
        """Show one FAQ entry in the channel."""
        engine = self.services.engine
        entry = engine.kb.entries.get(id.strip())
        if entry is None:
            close = tuple(e.id for e in engine.search_entries(id, limit=3))
            raise EntryNotFound(id.strip(), close)  # the error handler tells the member
        await interaction.response.send_message(embed=answer_embed(entry), view=feedback_view(entry.id))

    @show.autocomplete("id")
    async def show_id_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        """Offer entries whose id or question is close to what the member typed."""
        entries = self.services.engine.search_entries(current, limit=MAX_CHOICES)
        return [
            app_commands.Choice(name=clip(f"{e.id} — {e.question}", CHOICE_NAME_LIMIT), value=e.id)
            for e in entries[:MAX_CHOICES]
        ]


class FaqCog(
    FaqInsights,
    FaqLearned,
    FaqModeration,
    FaqBrowse,
    commands.GroupCog,
    group_name="faq",
    group_description="Browse the Connects FAQ",
):
    """The /faq command group."""

    def __init__(self, bot: SupportBot) -> None:
        self.bot = bot
        self.services = bot.services
        super().__init__()


async def setup(bot: SupportBot) -> None:
    """Load /faq."""
    await bot.add_cog(FaqCog(bot))
