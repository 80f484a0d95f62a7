"""Small views for the moderators' commands: confirm, try again, go back to a version, work the grouped queue.

All of them are sent ephemerally to one moderator, time out, and refuse anyone else who presses.
Callbacks come from the cog; a domain error becomes a short message, anything else an apology.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

import discord

from bot.core.errors import BotError
from bot.core.knowledge.history import EntryVersion
from bot.ui.embeds import clip
from bot.ui.replies import report_unexpected, safe_send, user_message

log = logging.getLogger(__name__)

VIEW_TIMEOUT = 15 * 60
SELECT_LIMIT = 25  # options in a select menu

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


EntryPicked = Callable[[discord.Interaction, str], Awaitable[None]]


@dataclass(frozen=True)
class GroupActions:
    """What the buttons of the grouped queue do (the cog supplies them)."""

    pick: EntryPicked  # an entry chosen in the menu
    teach: Handler  # teach every phrasing of the group to the picked entry
    create: Handler  # open a new-entry form from the group
    dismiss: Handler  # take the group off the queue
    turn: Callable[[discord.Interaction, int], Awaitable[None]]  # go to another page (group index)


def group_queue_view(
    owner_id: int,
    *,
    page: int,
    pages: int,
    choices: Sequence[tuple[str, str]],
    picked: str | None,
    teachable: int,
    actions: GroupActions,
) -> OwnedView:
    """One group of the queue: pick an entry (closest first, preselected), teach it all, new entry, dismiss, page."""
    view = OwnedView(owner_id)
    if pages == 0:
        return view
    if choices:
        select: discord.ui.Select = discord.ui.Select(
            placeholder="Teach this group to…",
            row=0,
            options=[
                discord.SelectOption(
                    label=clip(question, 100), value=entry_id, description=entry_id, default=entry_id == picked
                )
                for entry_id, question in choices[:SELECT_LIMIT]
            ],
        )

        async def chosen(interaction: discord.Interaction) -> None:
            await run_guarded(interaction, "queue pick entry", lambda i: actions.pick(i, select.values[0]))

        select.callback = chosen  # type: ignore[method-assign]
        view.add_item(select)
    count = "1 phrasing" if teachable == 1 else f"{teachable} phrasings"
    label = f"Teach this group ({count}) → {picked}" if picked else "Teach this group (pick an entry first)"
    teach = view.add_button(label, discord.ButtonStyle.primary, actions.teach, where="queue teach group", row=1)
    teach.disabled = picked is None or teachable == 0
    view.add_button("New entry from this group", discord.ButtonStyle.success, actions.create, where="queue new", row=1)
    view.add_button("Dismiss group", discord.ButtonStyle.secondary, actions.dismiss, where="queue dismiss", row=1)
    for label, target in (("◀ Bigger", page - 1), ("Smaller ▶", page + 1)):
        button = view.add_button(
            label, discord.ButtonStyle.secondary, _turn(actions, target), where="queue page", row=2
        )
        button.disabled = not 0 <= target < pages
    return view


def _turn(actions: GroupActions, target: int) -> Handler:
    async def handler(interaction: discord.Interaction) -> None:
        await actions.turn(interaction, target)

    return handler
