"""The one app-command error handler: every slash-command and context-menu failure ends here."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.errors import BotError
from bot.ui.escape import md_code
from bot.ui.replies import report_unexpected, safe_send, user_message

if TYPE_CHECKING:
    from bot.discord_bot import SupportBot

log = logging.getLogger(__name__)


def explain(error: app_commands.AppCommandError) -> str | None:
    """Return the message for a user mistake, or None for an unexpected failure (see the routing order)."""
    original = error.original if isinstance(error, app_commands.CommandInvokeError) else error
    if isinstance(original, BotError):
        return user_message(original)
    if isinstance(error, app_commands.MissingAnyRole | app_commands.MissingRole):
        return "You don't have the role this command needs."
    if isinstance(error, app_commands.NoPrivateMessage):
        return "This command only works in a server."
    if isinstance(error, app_commands.CommandOnCooldown):
        return f"Slow down: try again in {error.retry_after:.0f} s."
    if isinstance(error, app_commands.BotMissingPermissions):
        return "I am missing permissions here: " + ", ".join(error.missing_permissions)
    if isinstance(error, app_commands.CheckFailure):
        return "You can't use this command here."
    if isinstance(error, app_commands.TransformerError):
        return f"I couldn't understand {md_code(error.value)} for that option."
    if isinstance(error, app_commands.CommandNotFound | app_commands.CommandSignatureMismatch):
        return "This command is out of date; it will be refreshed shortly, please try again later."
    return None


class ErrorHandler(commands.Cog):
    """Route app-command errors to one place.

    Routing order (first match wins):
    1. A named domain error (bot.core.errors.BotError, raised or wrapped in CommandInvokeError):
       the member gets its plain-language message, ephemeral; logged at debug.
    2. A failed check (missing role, not in a server, cooldown, bot permissions, any other check):
       a short ephemeral message saying why.
    3. A transformer error (an option value that could not be converted): which value was refused.
    4. A stale command (not found / signature mismatch after a change): ask to retry; logged at warning.
    5. Anything else: logged at error with the traceback; the member gets a generic apology.
    The interaction is answered exactly once (safe_send: a response if none was sent, else a followup).
    """

    def __init__(self, bot: SupportBot) -> None:
        self.bot = bot
        self._previous = bot.tree.on_error

    async def cog_load(self) -> None:
        self.bot.tree.on_error = self.on_app_command_error

    async def cog_unload(self) -> None:
        self.bot.tree.on_error = self._previous

    async def on_app_command_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        """Tell the member what went wrong, or log the failure and apologise."""
        where = f"/{interaction.command.qualified_name}" if interaction.command else "an app command"
        message = explain(error)
        if message is None:
            original = error.original if isinstance(error, app_commands.CommandInvokeError) else error
            await report_unexpected(interaction, original, where)
            return
        if isinstance(error, app_commands.CommandNotFound | app_commands.CommandSignatureMismatch):
            log.warning("%s: %s", where, error)
        else:
            log.debug("%s: %s", where, error)
        try:
            await safe_send(interaction, message, ephemeral=True)
        except discord.HTTPException:
            log.warning("could not tell the member about an error in %s", where)


async def setup(bot: SupportBot) -> None:
    """Install the app-command error handler."""
    await bot.add_cog(ErrorHandler(bot))
