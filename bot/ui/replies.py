"""The one way to answer an interaction, the one way to post to the log channel, and the user-facing text for
domain errors."""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import discord

from bot.core.errors import BotError, EntryNotFound, KnowledgeError, PermissionDenied
from bot.ui.escape import md_code, md_text

log = logging.getLogger(__name__)

NO_PINGS = discord.AllowedMentions.none()
APOLOGY = "Sorry, something went wrong on my side. It has been logged; please try again later."
F = TypeVar("F", bound=Callable[..., Awaitable[Any]])


async def safe_send(
    interaction: discord.Interaction,
    content: str | None = None,
    *,
    embed: discord.Embed | None = None,
    view: discord.ui.View | None = None,
    ephemeral: bool = True,
) -> None:
    """Answer an interaction: the initial response if none was sent yet, else a followup."""
    kwargs: dict[str, Any] = {"ephemeral": ephemeral}
    if content is not None:
        kwargs["content"] = content
    if embed is not None:
        kwargs["embed"] = embed
    if view is not None:
        kwargs["view"] = view
    if interaction.response.is_done():
        await interaction.followup.send(**kwargs)
    else:
        await interaction.response.send_message(**kwargs)


def one_line(error: BaseException, *, with_type: bool = True) -> str:
    """An exception as one line: discord.py puts each refused field on a line of its own."""
    text = " ".join(part.strip() for part in str(error).splitlines() if part.strip())
    if not with_type:
        return text
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def log_channel(client: discord.Client, channel_id: int | None, what: str) -> discord.abc.Messageable | None:
    """The configured log channel; None when none is set, or (with one warning that `what` was not posted)
    when the bot cannot see it."""
    if channel_id is None:
        return None
    channel = client.get_channel(channel_id)
    if not isinstance(channel, discord.abc.Messageable):
        log.warning("log channel %s not found; %s was not posted", channel_id, what)
        return None
    return channel


async def post_to_log_channel(client: discord.Client, channel_id: int | None, text: str, *, what: str) -> bool:
    """Post text (already escaped) to the log channel when one is set, pinging nobody; return whether it was.

    The log channel is the moderators' audit trail, not the member's answer: a refusal is one warning."""
    channel = log_channel(client, channel_id, what)
    if channel is None:
        return False
    try:
        await channel.send(text, allowed_mentions=NO_PINGS)
    except discord.HTTPException as exc:
        log.warning("could not post to the log channel %s: %s", channel_id, one_line(exc, with_type=False))
        return False
    return True


def user_message(error: BotError) -> str:
    """Say what went wrong in words a member understands (what they typed is in it: escaped)."""
    if isinstance(error, EntryNotFound):
        hint = f" Did you mean {', '.join(md_code(s) for s in error.suggestions)}?" if error.suggestions else ""
        return f"There is no FAQ entry {md_code(error.entry_id)}.{hint}"
    if isinstance(error, PermissionDenied):
        return f"You can't do that: {md_text(error.reason)}"
    if isinstance(error, KnowledgeError):  # one problem a line: the lines are kept, each escaped
        return "\n".join(md_text(line) for line in str(error).split("\n"))
    return md_text(error)


async def report_unexpected(interaction: discord.Interaction, error: BaseException, where: str) -> None:
    """Log an unexpected failure with its traceback and apologise to the member, once."""
    log.error("unexpected error in %s", where, exc_info=(type(error), error, error.__traceback__))
    try:
        await safe_send(interaction, APOLOGY, ephemeral=True)
    except discord.HTTPException:
        log.warning("could not send the apology for %s", where)


def guarded(where: str) -> Callable[[F], F]:
    """Wrap a component callback: domain errors become a short ephemeral message, the rest an apology."""

    def decorate(fn: F) -> F:
        @functools.wraps(fn)
        async def wrapper(self: Any, interaction: discord.Interaction, *args: Any) -> Any:
            try:
                return await fn(self, interaction, *args)
            except BotError as exc:
                log.debug("%s: %s", where, exc)
                await safe_send(interaction, user_message(exc), ephemeral=True)
            except Exception as exc:
                await report_unexpected(interaction, exc, where)

        return wrapper  # type: ignore[return-value]

    return decorate
