"""The discord.py front end: a commands.Bot built from injected services.

Adding a feature: write `bot/cogs/<feature>.py` with a Cog and `async def setup(bot)`, then add its
module path to EXTENSIONS (the list is explicit so the running bot is readable from this file). Its
slash commands are synced to every `discord.guild_ids` server at start-up.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence

import discord
import yarl
from discord.ext import commands

from bot.config import DISCORD_API_BASE, DISCORD_GATEWAY_URL, DiscordSettings
from bot.core.errors import BotError
from bot.services import Services
from bot.ui.connects_views import ExplainPrivatelyButton
from bot.ui.views import FeedbackButton, PickButton

log = logging.getLogger(__name__)

EXTENSIONS: tuple[str, ...] = (
    "bot.cogs.errors",  # first: every later command's errors route through it
    "bot.cogs.support",
    "bot.cogs.ask",
    "bot.cogs.faq",
    "bot.cogs.connects",
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
    return [
        f"{key}: {kind} {i} not found" for key, kind, ids in checks for i in ids if i not in present[kind]
    ]


class SupportBot(commands.Bot):
    """The Connects support bot: answers in support channels, /ask, /faq and what later cogs add."""

    def __init__(self, services: Services, *, extensions: Sequence[str] = EXTENSIONS) -> None:
        d = services.settings.discord
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
        self.extension_names = tuple(extensions)
        self._verified = False

    async def login(self, token: str) -> None:
        point_at_endpoints(self.services.settings.discord)
        try:
            await super().login(token)
        except discord.LoginFailure:
            raise TokenRejected() from None

    async def connect(self, *, reconnect: bool = True) -> None:
        try:
            await super().connect(reconnect=reconnect)
        except discord.PrivilegedIntentsRequired:
            raise MessageContentIntentDisabled() from None

    async def setup_hook(self) -> None:
        for name in self.extension_names:
            await self.load_extension(name)
        # Persistent buttons: they carry their data in custom_id and keep working after a restart.
        self.add_dynamic_items(FeedbackButton, PickButton, ExplainPrivatelyButton)
        await self.sync_commands()

    async def sync_commands(self) -> None:
        """Copy the global commands to each configured server and sync them there (instant, unlike global)."""
        if not self.services.settings.discord.guild_ids:
            log.warning("discord.guild_ids is empty: no slash commands are synced (add your server's id)")
        for guild_id in self.services.settings.discord.guild_ids:
            guild = discord.Object(id=guild_id)
            self.tree.copy_global_to(guild=guild)
            synced = await self.tree.sync(guild=guild)
            log.info("synced %d app commands to guild %s", len(synced), guild_id)

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

    async def on_message(self, message: discord.Message) -> None:
        # No prefix commands: the support cog's listener handles messages.
        return
