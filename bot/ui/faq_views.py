"""Small views for the moderators' commands: confirm, try again, go back to a version, work the queue.

All of them are sent ephemerally to one moderator, time out, and refuse anyone else who presses.
Callbacks come from the cog; a domain error becomes a short message, anything else an apology.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence

import discord

from bot.core.errors import BotError
from bot.core.feedback import UnansweredItem
from bot.core.kb_history import EntryVersion
from bot.ui.embeds import clip
from bot.ui.replies import report_unexpected, safe_send, user_message

log = logging.getLogger(__name__)

VIEW_TIMEOUT = 15 * 60
QUEUE_PAGE = 5  # one row of buttons per question; Discord allows five rows

Handler = Callable[[discord.Interaction], Awaitable[None]]
ModalFactory = Callable[[], Awaitable[discord.ui.Modal]]


async def run_guarded(interaction: discord.Interaction, where: str, handler: Handler) -> None:
    """Run a component callback; a domain error becomes a short ephemeral message, the rest an apology."""
    try:
        await handler(interaction)
    except BotError as exc:
        log.debug("%s: %s", where, exc)
        await safe_send(interaction, user_message(exc), ephemeral=True)
    except Exception as exc:
        await report_unexpected(interaction, exc, where)


class OwnedView(discord.ui.View):
    """A view only the moderator it was sent to may use."""

    def __init__(self, owner_id: int, *, timeout: float = VIEW_TIMEOUT) -> None:
        super().__init__(timeout=timeout)
        self.owner_id = owner_id

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        if interaction.user.id == self.owner_id:
            return True
        await safe_send(interaction, "These buttons belong to the moderator who ran the command.")
        return False

    def add_button(
        self, label: str, style: discord.ButtonStyle, handler: Handler, *, where: str, row: int | None = None
    ) -> discord.ui.Button:
        """Add a button whose press runs handler (guarded)."""
        button: discord.ui.Button = discord.ui.Button(label=clip(label, 80), style=style, row=row)

        async def callback(interaction: discord.Interaction) -> None:
            await run_guarded(interaction, where, handler)

        button.callback = callback  # type: ignore[method-assign]
        self.add_item(button)
        return button


def retry_view(owner_id: int, label: str, open_modal: ModalFactory) -> OwnedView:
    """One button that reopens a form (with what the moderator typed, or the latest version)."""
    view = OwnedView(owner_id)

    async def reopen(interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(await open_modal())

    view.add_button(label, discord.ButtonStyle.primary, reopen, where="reopen form")
    return view


def confirm_view(owner_id: int, confirm_label: str, on_confirm: Handler) -> OwnedView:
    """Confirm (red) or Cancel; either one ends the view."""
    view = OwnedView(owner_id, timeout=120)

    async def confirm(interaction: discord.Interaction) -> None:
        view.stop()
        await on_confirm(interaction)

    async def cancel(interaction: discord.Interaction) -> None:
        view.stop()
        await interaction.response.edit_message(content="Cancelled: nothing changed.", embed=None, view=None)

    view.add_button(confirm_label, discord.ButtonStyle.danger, confirm, where="confirm")
    view.add_button("Cancel", discord.ButtonStyle.secondary, cancel, where="cancel")
    return view


def history_view(
    owner_id: int, versions: Sequence[EntryVersion], on_pick: Callable[[discord.Interaction, int], Awaitable[None]]
) -> OwnedView | None:
    """A menu of older versions; picking one goes back to it. None when there is nothing to go back to."""
    older = [v for v in versions[1:] if not v.removed][:25]
    if not older:
        return None
    view = OwnedView(owner_id)
    select: discord.ui.Select = discord.ui.Select(
        placeholder="Go back to version…",
        options=[
            discord.SelectOption(
                label=f"Version {v.version}: {v.action} by {clip(v.actor, 40)}",
                value=str(v.version),
                description=clip(v.summary, 100),
            )
            for v in older
        ],
    )

    async def picked(interaction: discord.Interaction) -> None:
        await run_guarded(interaction, "history revert", lambda i: on_pick(i, int(select.values[0])))

    select.callback = picked  # type: ignore[method-assign]
    view.add_item(select)
    return view


QueueAction = Callable[[discord.Interaction, UnansweredItem], Awaitable[None]]


def unanswered_view(
    owner_id: int, items: Sequence[UnansweredItem], *, teach: QueueAction, create: QueueAction, dismiss: QueueAction
) -> OwnedView:
    """Per question (one row each): teach it to an entry, start a new entry from it, or dismiss it."""
    view = OwnedView(owner_id)
    for row, item in enumerate(items[:QUEUE_PAGE]):
        for label, style, action in (
            (f"Teach #{item.id}", discord.ButtonStyle.primary, teach),
            (f"New entry from #{item.id}", discord.ButtonStyle.success, create),
            (f"Dismiss #{item.id}", discord.ButtonStyle.secondary, dismiss),
        ):
            view.add_button(label, style, _bind(action, item), where=f"unanswered {label}", row=row)
    return view


def _bind(action: QueueAction, item: UnansweredItem) -> Handler:
    async def handler(interaction: discord.Interaction) -> None:
        await action(interaction, item)

    return handler
