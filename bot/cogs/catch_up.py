"""After every fresh gateway session (READY: a first start, a restart, a session Discord would not resume),
read back what was posted in the support channels while the bot was away and decide it.

Discord replays missed events only to a resumed session; after it invalidates one (op 9, d=false) the
messages posted meanwhile exist only in the channels' history. For each support text channel and each
active thread or forum post under a support channel, this reads `GET /channels/{id}/messages?after=`
(the newest message handled there, never older than `catch_up.max_age_minutes`; at most
`catch_up.max_messages`, oldest first) and hands each message to the support listener
(`SupportCog.handle`), which plans it through the same desk as a live message. What was already taken on
(claimed live, or by an earlier catch-up) or already replied to is not handled again: see
bot/core/channel/catch_up.py. A reply older than `catch_up.late_note_seconds` says it comes late.

When it is done it dispatches `catch_up_done` with the number of messages handed on (tests wait on it).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from typing import TYPE_CHECKING

import discord
from discord.ext import commands

from bot.core.channel.catch_up import CandidateMessage, late_note, to_hand_on
from bot.discord_bot import UNREACHABLE
from bot.ui.replies import one_line

if TYPE_CHECKING:
    from bot.cogs.support import SupportCog
    from bot.discord_bot import SupportBot

log = logging.getLogger(__name__)

READ_FAILURES = (discord.HTTPException, *UNREACHABLE)


def candidate(message: discord.Message) -> CandidateMessage:
    """The plain values catch_up.to_hand_on needs from one message read back."""
    reference = message.reference
    return CandidateMessage(
        message_id=message.id,
        author_id=message.author.id,
        author_is_bot=message.author.bot,
        replied_to_message_id=reference.message_id if reference is not None else None,
    )


class CatchUpCog(commands.Cog):
    """Read back the support channels after a fresh session and hand what was missed to the support listener."""

    def __init__(self, bot: SupportBot) -> None:
        self.bot = bot
        self.settings = bot.services.settings.catch_up
        self.support_ids = frozenset(bot.services.settings.discord.support_channel_ids)
        self.handled = bot.services.handled
        self._one_at_a_time = asyncio.Lock()  # two READYs in a row: the second reads after the first
        self._running: set[asyncio.Task[int]] = set()
        self.handed_per_catch_up: list[int] = []  # one count per finished catch-up (one per fresh session)

    async def cog_unload(self) -> None:
        for task in self._running:
            task.cancel()

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        if not self.settings.enabled or self.handled is None:
            return
        task = asyncio.create_task(self.catch_up(), name="catch-up")
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    async def catch_up(self) -> int:
        """Hand every missed message of every support channel and thread to the listener; return how many."""
        async with self._one_at_a_time:
            assert self.handled is not None
            started = discord.utils.utcnow()
            oldest = discord.utils.time_snowflake(started - dt.timedelta(minutes=self.settings.max_age_minutes))
            # A bot that has never handled a message (a new install) has nothing to catch up on.
            channels = await self._support_channels() if self.handled.anything_handled else []
            # Where each channel starts is fixed before any message is handed on: handling one advances
            # "the newest handled anywhere", where a thread with no message of its own starts.
            starts = [(channel, self.handled.start_after(channel.id, oldest)) for channel in channels]
            handed = 0
            for channel, after in starts:
                if after is not None:
                    handed += await self._catch_up_in(channel, after)
            # Channels and threads with no handled message of their own start here next time.
            self.handled.caught_up(discord.utils.time_snowflake(started))
        if handed:
            log.info("caught up on %d message(s) posted in the support channels while the bot was away", handed)
        self.handed_per_catch_up.append(handed)
        self.bot.dispatch("catch_up_done", handed)
        return handed

    async def _support_channels(self) -> list[discord.TextChannel | discord.Thread]:
        """The support text channels, then the active threads and forum posts under any support channel."""
        found: list[discord.TextChannel | discord.Thread] = []
        for guild in self.bot.guilds:
            found += [c for c in guild.text_channels if c.id in self.support_ids]
            try:
                threads = await guild.active_threads()
            except READ_FAILURES as exc:
                log.warning(
                    "cannot list the active threads of server %s (%s); catching up with the threads known "
                    "from the gateway",
                    guild.id,
                    one_line(exc),
                )
                threads = list(guild.threads)
            found += [t for t in threads if t.parent_id in self.support_ids]
        return found

    async def _catch_up_in(self, channel: discord.TextChannel | discord.Thread, after: int) -> int:
        assert self.bot.user is not None
        limit = self.settings.max_messages
        try:
            read = [m async for m in channel.history(after=discord.Object(after), limit=limit)]
        except READ_FAILURES as exc:
            log.warning("cannot read back #%s (%s): %s", getattr(channel, "name", "?"), channel.id, one_line(exc))
            return 0
        if len(read) >= limit:
            log.info(
                "more than %d messages to catch up on in #%s (%s): the first %d", limit, channel, channel.id, limit
            )
        by_id = {m.id: m for m in read}
        support = self._support()
        handed = 0
        for picked in to_hand_on(map(candidate, read), bot_user_id=self.bot.user.id):
            message = by_id[picked.message_id]
            waited = (discord.utils.utcnow() - message.created_at).total_seconds()
            await support.handle(message, late=late_note(waited, threshold_seconds=self.settings.late_note_seconds))
            handed += 1
        return handed

    def _support(self) -> SupportCog:
        support = self.bot.get_cog("SupportCog")
        assert support is not None, "the catch-up needs the support listener (bot.cogs.support)"
        return support  # type: ignore[return-value]


async def setup(bot: SupportBot) -> None:
    """Load the catch-up after fresh sessions."""
    await bot.add_cog(CatchUpCog(bot))
