"""The discord.py front end: a commands.Bot built from injected services.

Adding a feature: write `bot/cogs/<feature>.py` with a Cog and `async def setup(bot)`, then add its
module path to EXTENSIONS (the list is explicit so the running bot is readable from this file). Its
slash commands are synced to every `discord.guild_ids` server at start-up.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence

import aiohttp
import discord
import yarl
from discord.ext import commands
from discord.utils import MISSING

from bot.config import DISCORD_API_BASE, DISCORD_GATEWAY_URL, DiscordSettings
from bot.core.errors import BotError
from bot.discord_login import LOGIN_ANSWER_SECONDS, NoAnswer, NotDiscord, answered_like_discord
from bot.gateway_events import UnreadableEvents
from bot.services import Services
from bot.ui.connects_views import ExplainPrivatelyButton
from bot.ui.replies import one_line, post_to_log_channel
from bot.ui.views import FeedbackButton, PickButton

log = logging.getLogger(__name__)

EXTENSIONS: tuple[str, ...] = (
    "bot.cogs.errors",  # first: every later command's errors route through it
    "bot.cogs.support",
    "bot.cogs.catch_up",  # after support: it hands what was missed to the support listener
    "bot.cogs.ask",
    "bot.cogs.faq",
    "bot.cogs.connects",
    "bot.cogs.insights_digest",
)

PORTAL_INTENT_HELP = (
    "Discord refused the privileged Message Content intent (gateway close code 4014). Turn it on: "
    "https://discord.com/developers/applications > your application > Bot > Privileged Gateway Intents "
    "> MESSAGE CONTENT INTENT, save, and start the bot again."
)


class MessageContentIntentDisabled(BotError):
    """Discord closed the gateway with 4014: the Message Content intent is off in the developer portal."""

    def __init__(self) -> None:
        super().__init__(PORTAL_INTENT_HELP)


class TokenRejected(BotError):
    """Discord refused the token (401 on login)."""

    def __init__(self) -> None:
        super().__init__(
            "Discord refused DISCORD_TOKEN; copy a fresh one from the Developer Portal (Bot > Reset Token)"
        )


# Waits between tries, doubling up to a cap: reaching Discord at start-up, and syncing refused commands
# (a refusal is usually a setting to fix, so those tries are spaced out more).
CONNECT_FIRST_DELAY, CONNECT_MAX_DELAY = 1.0, 300.0
SYNC_FIRST_DELAY, SYNC_MAX_DELAY = 60.0, 3600.0
# What "Discord is unreachable" looks like from discord.py: no connection, a timeout, or a 5xx.
UNREACHABLE = (OSError, aiohttp.ClientError, asyncio.TimeoutError, discord.DiscordServerError)
INVITE_HELP = (
    "invite the bot to that server with the bot and applications.commands scopes "
    "(README: Running it on Discord, step 3)"
)

Pause = Callable[[float], Awaitable[None]]
# discord.client logs each gateway reconnect attempt with this message and the full traceback.
RECONNECT_MESSAGE = "Attempting a reconnect in %.2fs"


class OneLineReconnects(logging.Filter):
    """Turn discord.py's reconnect-attempt record (an ERROR with a traceback) into one warning line.

    During an outage discord.py retries on its own, with backoff; a 40-line traceback per attempt
    buries everything else, and the cause fits on one line.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if record.msg == RECONNECT_MESSAGE and record.exc_info and record.exc_info[1] is not None:
            record.msg = "lost the connection to Discord (%s); reconnecting in %.1f s"
            record.args = (one_line(record.exc_info[1]), *(record.args or ()))  # type: ignore[misc]
            record.exc_info, record.exc_text = None, None
            record.levelno, record.levelname = logging.WARNING, logging.getLevelName(logging.WARNING)
        return True


def quiet_reconnect_tracebacks() -> None:
    """Install OneLineReconnects on discord.client's logger, once."""
    client_log = logging.getLogger("discord.client")
    if not any(isinstance(f, OneLineReconnects) for f in client_log.filters):
        client_log.addFilter(OneLineReconnects())


def backoff_delays(first: float, cap: float) -> Iterator[float]:
    """Yield first, 2 * first, 4 * first ... up to cap, then cap for ever."""
    return (min(cap, first * 2**n) for n in itertools.count())


def sync_refusal_help(guild_id: int, error: discord.HTTPException) -> str:
    """Say what Discord refused when syncing a server's commands, and how to fix it."""
    what = f"Discord refused the slash commands for server {guild_id}: {one_line(error, with_type=False).rstrip('.')}"
    if error.status in (403, 404) or error.code in (50001, 10004):
        fix = f"check that {guild_id} in discord.guild_ids is your server's id, and {INVITE_HELP}"
    else:
        fix = "a command definition was refused: the field named above needs fixing in the bot's code"
    return f"{what}. To fix: {fix}. The bot keeps answering in the support channels and tries again later"


def build_intents() -> discord.Intents:
    """Return the gateway intents the bot needs.

    Guilds (channels, threads, roles), guild messages and message content (to read questions in the
    support channels). Not members: message and interaction payloads carry the author's member
    object with roles, which is all the role checks need.
    """
    intents = discord.Intents.none()
    intents.guilds = True
    intents.guild_messages = True
    intents.message_content = True
    return intents


def allowed_mentions(settings: DiscordSettings) -> discord.AllowedMentions:
    """Never @everyone, @here or roles, whatever an answer says; the asker only when configured."""
    return discord.AllowedMentions(
        everyone=False, roles=False, users=settings.mention_asker, replied_user=settings.mention_asker
    )


def point_at_endpoints(settings: DiscordSettings) -> None:
    """Use the configured REST and gateway URLs (process-wide in discord.py) when they are not Discord's."""
    if settings.api_base.rstrip("/") != DISCORD_API_BASE:
        discord.http.Route.BASE = settings.api_base.rstrip("/")
    if settings.gateway_url != DISCORD_GATEWAY_URL:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.gateway_url)


def missing_ids(
    settings: DiscordSettings, *, guilds: Iterable[int], channels: Iterable[int], roles: Iterable[int]
) -> list[str]:
    """List configured ids the connected servers do not have, as `key: id` lines."""
    present = {"guild": set(guilds), "channel": set(channels), "role": set(roles)}
    checks: list[tuple[str, str, Iterable[int]]] = [
        ("discord.guild_ids", "guild", settings.guild_ids),
        ("discord.support_channel_ids", "channel", settings.support_channel_ids),
        ("discord.log_channel_id", "channel", [settings.log_channel_id] if settings.log_channel_id else []),
        ("discord.moderator_role_ids", "role", settings.moderator_role_ids),
        ("discord.manager_role_ids", "role", settings.manager_role_ids),
    ]
    return [f"{key}: {kind} {i} not found" for key, kind, ids in checks for i in ids if i not in present[kind]]


class SupportBot(commands.Bot):
    """The Connects support bot: answers in support channels, /ask, /faq and what later cogs add."""

    def __init__(
        self,
        services: Services,
        *,
        extensions: Sequence[str] = EXTENSIONS,
        pause: Pause | None = None,
        login_answer_seconds: float = LOGIN_ANSWER_SECONDS,
    ) -> None:
        """`pause(seconds)` waits between retries; tests pass one that does not wait on the clock.
        `login_answer_seconds`: how long an endpoint may take to answer the login before it is retried."""
        d = services.settings.discord
        quiet_reconnect_tracebacks()
        # The bot never joins voice: skip discord.py's start-up warnings about missing voice libraries.
        discord.VoiceClient.warn_nacl = discord.VoiceClient.warn_dave = False
        super().__init__(
            # Slash commands only; a prefix is required by commands.Bot, so only a mention would work.
            command_prefix=commands.when_mentioned,
            help_command=None,
            intents=build_intents(),
            allowed_mentions=allowed_mentions(d),
            guild_ready_timeout=d.guild_ready_timeout,
            # No message cache: replies arrive with the message they answer resolved in the payload,
            # and a busy channel would otherwise keep 1,000 messages alive for the garbage collector.
            max_messages=None,
        )
        self.services = services
        # One event discord.py cannot parse is skipped and logged, not the end of the connection.
        self.unreadable_events = UnreadableEvents()
        self.unreadable_events.install(self._connection.parsers)
        self.extension_names = tuple(extensions)
        self._verified = False
        self._pause = pause or self._wait_unless_closed
        self._stop_requested = asyncio.Event()
        self._sync_retry: asyncio.Task[None] | None = None
        self._sync_refusals: dict[int, str] = {}  # guild id -> the refusal last logged in full
        self._login_answer_seconds = login_answer_seconds
        self._login_deadline: asyncio.Timeout | None = None

    async def login(self, token: str) -> None:
        """Log in, trying again with growing waits while Discord can't be reached; a refused token is final."""
        settings = self.services.settings.discord
        point_at_endpoints(settings)
        for attempt, delay in enumerate(backoff_delays(CONNECT_FIRST_DELAY, CONNECT_MAX_DELAY), start=1):
            try:
                async with answered_like_discord(self._login_answer_seconds) as self._login_deadline:
                    await super().login(token)
                return
            except discord.LoginFailure:
                raise TokenRejected() from None
            except NotDiscord as exc:
                log.warning(
                    "%s did not answer like Discord's API (%s): check discord.api_base, or a captive portal or "
                    "proxy in the way; retrying in %.0f s (attempt %d)",
                    discord.http.Route.BASE,
                    exc,
                    delay,
                    attempt,
                )
            except (*UNREACHABLE, NoAnswer) as exc:
                log.warning(
                    "cannot reach Discord at %s (%s); retrying in %.0f s (attempt %d)",
                    discord.http.Route.BASE,
                    one_line(exc),
                    delay,
                    attempt,
                )
            await self._forget_session()
            await self._pause(delay)
            if self._stop_requested.is_set():
                return

    async def _forget_session(self) -> None:
        """Close the HTTP session of a failed login; the next login opens a fresh one."""
        await self.http.close()
        # Closing the session closed its connector too: let discord.py make a new one.
        self.http.connector = MISSING

    async def _wait_unless_closed(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop_requested.wait(), seconds)

    async def close(self) -> None:
        self._stop_requested.set()
        if self._sync_retry is not None:
            self._sync_retry.cancel()
        await super().close()

    async def connect(self, *, reconnect: bool = True) -> None:
        try:
            await super().connect(reconnect=reconnect)
        except discord.PrivilegedIntentsRequired:
            raise MessageContentIntentDisabled() from None

    async def setup_hook(self) -> None:
        if self._login_deadline is not None:
            self._login_deadline.reschedule(None)  # the endpoint answered the login like Discord
        for name in self.extension_names:
            await self.load_extension(name)
        # Persistent buttons: they carry their data in custom_id and keep working after a restart.
        self.add_dynamic_items(FeedbackButton, PickButton, ExplainPrivatelyButton)
        if not self.services.settings.discord.support_channel_ids:  # a new install's config.yaml as shipped
            log.warning(
                "discord.support_channel_ids is empty: the bot answers in no channel, only /ask "
                "(add your support channels' ids to config.yaml)"
            )
        await self.sync_commands()

    async def sync_commands(self) -> None:
        """Copy the global commands to each configured server and sync them there (instant, unlike global).

        A server Discord refuses (or that can't be reached) is logged in one line and tried again in the
        background with growing waits; the bot serves the support channels meanwhile.
        """
        if not self.services.settings.discord.guild_ids:
            log.warning("discord.guild_ids is empty: no slash commands are synced (add your server's id)")
        refused = [g for g in self.services.settings.discord.guild_ids if not await self._sync_guild(g, first=True)]
        if refused and (self._sync_retry is None or self._sync_retry.done()):
            self._sync_retry = asyncio.create_task(self._retry_sync(refused), name="sync-commands-retry")

    async def _sync_guild(self, guild_id: int, *, first: bool) -> bool:
        """Sync one server's commands; return False (after logging one line) when it didn't work."""
        guild = discord.Object(id=guild_id)
        self.tree.copy_global_to(guild=guild)
        try:
            synced = await self.tree.sync(guild=guild)
        except discord.HTTPException as exc:
            if exc.status >= 500:
                log.warning("cannot sync slash commands to server %s now (%s)", guild_id, one_line(exc))
            else:
                self._log_sync_refusal(guild_id, exc, first=first)
            return False
        except UNREACHABLE as exc:
            log.warning("cannot sync slash commands to server %s now (%s)", guild_id, one_line(exc))
            return False
        log.info("synced %d app commands to guild %s", len(synced), guild_id)
        return True

    def _log_sync_refusal(self, guild_id: int, error: discord.HTTPException, *, first: bool) -> None:
        """The first refusal says what and how to fix it, in full (Discord lists every refused field: it can
        run to thousands of characters); a retry refused the same way says so briefly, a new refusal in full."""
        refusal = one_line(error, with_type=False)
        if first:
            log.error("%s", sync_refusal_help(guild_id, error))
        elif self._sync_refusals.get(guild_id) == refusal:
            log.warning(
                "slash commands for server %s still refused (HTTP %d, as logged before)", guild_id, error.status
            )
        else:
            log.warning("slash commands for server %s still refused, now: %s", guild_id, refusal)
        self._sync_refusals[guild_id] = refusal

    async def _retry_sync(self, guild_ids: list[int]) -> None:
        pending = list(guild_ids)
        for delay in backoff_delays(SYNC_FIRST_DELAY, SYNC_MAX_DELAY):
            log.info("next try to sync slash commands to %s in %.0f s", ", ".join(map(str, pending)), delay)
            await self._pause(delay)
            if self._stop_requested.is_set():
                return
            pending = [g for g in pending if not await self._sync_guild(g, first=False)]
            if not pending:
                return

    async def on_ready(self) -> None:
        if self._verified:
            return
        self._verified = True
        log.info("connected as %s to %d server(s)", self.user, len(self.guilds))
        problems = missing_ids(
            self.services.settings.discord,
            guilds=(g.id for g in self.guilds),
            channels=(c.id for g in self.guilds for c in [*g.channels, *g.threads]),
            roles=(r.id for g in self.guilds for r in g.roles),
        )
        for problem in problems:
            log.warning("config check: %s in the servers the bot is in", problem)
        await self._post_notices()

    async def _post_notices(self) -> None:
        """Tell the moderators' log channel, once, what runs switched off (a damaged database ...)."""
        channel_id = self.services.settings.discord.log_channel_id
        for notice in self.services.notices:
            text = f"⚠️ {discord.utils.escape_markdown(notice)}"
            if not await post_to_log_channel(self, channel_id, text, what="a start-up notice"):
                return  # no log channel, or it refuses: the notice is in the log already

    async def on_message(self, message: discord.Message) -> None:
        # No prefix commands: the support cog's listener handles messages.
        return
