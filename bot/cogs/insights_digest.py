"""The weekly digest to the log channel, and the daily purge of members' words (at start, then every day).

Both run in one background task on the services' wall clock (bot.core.insights.digest.WallClock: tests
inject one that moves when they say). The digest is the /faq insights chart and embed for the seven days
before its day, with a line comparing them to the seven before ("answered 61% (+4)"); it is off when no
`discord.log_channel_id` is set. The purge (bot.core.insights.retention) runs off the event loop.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import math
from typing import TYPE_CHECKING

from discord.ext import commands

from bot.cogs.faq_insights import chart_attachment
from bot.cogs.support import SEND_FAILURES
from bot.core.channel.question_groups import QUEUE_LIMIT
from bot.core.insights.digest import LAST_DIGEST_KEY, comparison, digest_due, next_slot
from bot.core.insights.gather import two_weeks
from bot.core.insights.retention import purge
from bot.core.sqlite_files import Unavailable
from bot.ui.insights_embed import insights_embed
from bot.ui.replies import NO_PINGS, log_channel

if TYPE_CHECKING:
    from bot.discord_bot import SupportBot

log = logging.getLogger(__name__)

DAY_SECONDS = 86400.0
RETRY_SECONDS = 3600.0  # a digest Discord refused is tried again (still the same day: see digest_due)


class InsightsDigestCog(commands.Cog):
    """Post the weekly digest; purge members' words older than feedback.retention_days."""

    def __init__(self, bot: SupportBot) -> None:
        self.bot = bot
        self.services = bot.services
        self._task: asyncio.Task[None] | None = None

    async def cog_load(self) -> None:
        if self.services.decisions is not None:
            self._task = asyncio.create_task(self._run(), name="insights-digest")

    async def cog_unload(self) -> None:
        if self._task is not None:
            self._task.cancel()

    async def _run(self) -> None:
        clock = self.services.wall_clock
        settings = self.services.settings
        try:
            await self.purge_now()  # on start, before anything else
        except Exception:
            log.exception("insights: the purge at start failed; trying again in a day")
        next_purge = clock.now() + DAY_SECONDS
        await self.bot.wait_until_ready()
        channel_id = settings.discord.log_channel_id
        day, hour = settings.insights.digest_day, settings.insights.digest_hour
        while True:
            now = clock.now()
            retry = math.inf
            try:
                if now >= next_purge:
                    next_purge = now + DAY_SECONDS
                    await self.purge_now()
                if channel_id is not None:
                    await self.digest_if_due(channel_id, now)
            except SEND_FAILURES as exc:  # Discord refused or could not be reached: not the bot's bug
                log.warning("insights: could not post the weekly digest (%s); trying again in an hour", exc)
                retry = now + RETRY_SECONDS
            except Exception:
                log.exception("insights: the digest or the purge failed; trying again in an hour")
                retry = now + RETRY_SECONDS
            digest = next_slot(now, day, hour) if channel_id is not None else math.inf
            await clock.sleep_until(min(next_purge, digest, retry))

    async def purge_now(self) -> None:
        """Remove members' texts and ids older than the retention period (off the event loop)."""
        settings = self.services.settings
        now = dt.datetime.fromtimestamp(self.services.wall_clock.now(), dt.UTC)
        feedback_in_service = not isinstance(self.services.feedback, Unavailable)
        purged = await asyncio.to_thread(
            purge,
            settings.feedback.path if feedback_in_service else None,
            settings.insights.path,
            retention_days=settings.feedback.retention_days,
            now=now,
        )
        log.info("retention (%d days): purged %s", settings.feedback.retention_days, purged)

    async def digest_if_due(self, channel_id: int, now: float) -> bool:
        """Post the digest to the log channel if its time has come and it was not posted yet."""
        decisions = self.services.decisions
        assert decisions is not None
        settings = self.services.settings.insights
        last = await decisions.submit(decisions.meta, LAST_DIGEST_KEY)
        slot = digest_due(now, float(last) if last else None, settings.digest_day, settings.digest_hour)
        if slot is None:
            return False
        channel = log_channel(self.bot, channel_id, "the weekly digest")
        if channel is None:
            return False
        feedback = self.services.feedback
        queue = await feedback.submit(feedback.list_unanswered, QUEUE_LIMIT)
        services = self.services
        this, before = await asyncio.to_thread(two_weeks, services.settings, services.engine, decisions, queue, now=now)
        embed = insights_embed(this, title="Weekly FAQ digest", summary=comparison(this, before))
        await channel.send(embed=embed, file=chart_attachment(this), allowed_mentions=NO_PINGS)
        await decisions.submit(decisions.set_meta, LAST_DIGEST_KEY, str(slot))
        return True


async def setup(bot: SupportBot) -> None:
    """Load the weekly digest and the daily purge."""
    await bot.add_cog(InsightsDigestCog(bot))
