"""/faq insights [days]: how the bot is doing, as a chart and an embed (moderators only); mixed into FaqCog.

The figures come from bot.core.insights (the decision log joined to the knowledge base and the queue's
groups); reading and grouping run off the event loop, after the log's queued records are written.
"""

from __future__ import annotations

import asyncio
import io
from typing import TYPE_CHECKING

import discord
from discord import app_commands

from bot.cogs.faq_forms import moderator_only
from bot.core.channel.question_groups import QUEUE_LIMIT
from bot.core.insights.figures import Insights
from bot.core.insights.gather import DEFAULT_DAYS, gather
from bot.ui.insights_chart import FILENAME, render_png
from bot.ui.insights_embed import insights_embed

if TYPE_CHECKING:
    from bot.discord_bot import SupportBot
    from bot.services import Services

MAX_DAYS = 365


async def current_insights(services: Services, *, days: int, now: float) -> Insights:
    """The figures of the `days` days ending at now, read off the event loop."""
    log = services.decisions
    assert log is not None
    await log.submit(lambda: None)  # what is queued is written first
    feedback = services.feedback
    queue = await feedback.submit(feedback.list_unanswered, QUEUE_LIMIT)
    return await asyncio.to_thread(gather, services.settings, services.engine, log, queue, days=days, now=now)


def chart_attachment(insights: Insights) -> discord.File:
    return discord.File(io.BytesIO(render_png(insights)), filename=FILENAME, description="FAQ insights chart")


class FaqInsights:
    """/faq insights."""

    bot: SupportBot
    services: Services

    @app_commands.command(name="insights")
    @moderator_only
    @app_commands.describe(days="How many days back, today included (default 30)")
    async def insights(
        self, interaction: discord.Interaction, days: app_commands.Range[int, 1, MAX_DAYS] = DEFAULT_DAYS
    ) -> None:
        """Questions per day by decision, answer rate, votes, gaps and unused entries, as a chart (moderators)."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        insights = await current_insights(self.services, days=days, now=self.services.wall_clock.now())
        embed = insights_embed(insights, title=f"FAQ insights: the last {days} day(s)")
        await interaction.followup.send(embed=embed, file=chart_attachment(insights), ephemeral=True)
