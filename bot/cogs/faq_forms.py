"""The moderators' shared machinery: who is a moderator, the entry and teach forms, saving, the log channel.

FaqModeration (bot/cogs/faq_moderation.py) builds its commands on this mixin. Saving always goes
through the knowledge store in a worker thread (fsync and SQLite block); a mistake is answered with what
is wrong and a button that reopens the form with what the moderator typed, and nothing is saved.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from bot.core.errors import BotError, EditConflict, EntryNotFound, KnowledgeError
from bot.core.knowledge.changes import Change
from bot.core.knowledge.store import KnowledgeStore
from bot.ui.embeds import clip
from bot.ui.escape import md_block
from bot.ui.faq_modals import EntryModal, TeachModal, entry_values
from bot.ui.faq_text import change_text, issues_text, log_text
from bot.ui.faq_views import retry_view
from bot.ui.replies import post_to_log_channel, safe_send, user_message

if TYPE_CHECKING:
    from bot.discord_bot import SupportBot
    from bot.services import Services


MAX_CHOICES = 25
FORM_FIELDS = ("question", "alternates", "answer", "sources")
Done = Callable[[Change], Awaitable[None]]


def is_moderator(interaction: discord.Interaction) -> bool:
    """Tell whether the member has one of the configured moderator roles."""
    allowed = set(interaction.client.services.settings.discord.moderator_role_ids)  # type: ignore[attr-defined]
    return any(role.id in allowed for role in getattr(interaction.user, "roles", ()))


async def moderator_check(interaction: discord.Interaction) -> bool:
    if is_moderator(interaction):
        return True
    ids = list(interaction.client.services.settings.discord.moderator_role_ids)  # type: ignore[attr-defined]
    raise app_commands.MissingAnyRole(ids)  # the error handler answers, ephemeral


moderator_only = app_commands.check(moderator_check)


def actor_of(user: discord.abc.User) -> str:
    """Name a Discord member in the history (stable id first, readable name after)."""
    return f"discord:{user.id} ({user.name})"


class FaqForms:
    """Forms, saving and logging shared by the moderators' commands."""

    bot: SupportBot
    services: Services

    def _add_form(self, values: dict[str, str], done: Done | None = None) -> EntryModal:
        return EntryModal(title="New FAQ entry", values=values, on_save=functools.partial(self._save_new, done))

    def _edit_form(self, entry_id: str, version: int, values: dict[str, str]) -> EntryModal:
        return EntryModal(
            title=f"Edit {entry_id}",
            values=values,
            with_id=False,
            on_save=functools.partial(self._save_edit, entry_id, version),
        )

    async def _save_new(self, done: Done | None, interaction: discord.Interaction, values: dict[str, str]) -> None:
        fields = {"id": values["id"], **{k: values[k] for k in FORM_FIELDS}}

        async def again() -> discord.ui.Modal:
            return self._add_form(values, done)

        change = await self._save(
            interaction, values["id"], again, self._store().add, fields, actor=actor_of(interaction.user)
        )
        if change is not None and done is not None:
            await done(change)

    async def _save_edit(
        self, entry_id: str, version: int, interaction: discord.Interaction, values: dict[str, str]
    ) -> None:
        fields = {k: values[k] for k in FORM_FIELDS}

        async def again() -> discord.ui.Modal:
            return self._edit_form(entry_id, version, values)

        async def latest() -> discord.ui.Modal:
            opened = await self._call(self._store().open, entry_id)
            return self._edit_form(entry_id, opened.version, entry_values(opened.entry))

        try:
            await self._save(
                interaction,
                entry_id,
                again,
                self._store().edit,
                entry_id,
                fields,
                expected_version=version,
                actor=actor_of(interaction.user),
            )
        except EditConflict as exc:
            text = (
                f"Nothing was saved: `{entry_id}` was changed (now version {exc.current_version}) after you "
                f"opened version {exc.expected_version}. Open the latest version and make your change again. "
                f"Your answer was:\n{md_block(clip(values['answer'], 1200))}"
            )
            await safe_send(interaction, text, view=retry_view(interaction.user.id, "Open the latest version", latest))

    async def _save(
        self,
        interaction: discord.Interaction,
        entry_id: str,
        again: Callable[[], Awaitable[discord.ui.Modal]],
        fn: Callable[..., Change],
        *args: Any,
        **kwargs: Any,
    ) -> Change | None:
        """Save through the store; on a mistake say what is wrong, save nothing, offer the form again."""
        try:
            change = await self._call(fn, *args, **kwargs)
        except EditConflict:
            raise  # the edit form has its own answer: reopen the latest version
        except KnowledgeError as exc:
            text = "Nothing was saved. Please fix:\n" + issues_text(exc, entry_id=entry_id.strip())
            await safe_send(interaction, text, view=retry_view(interaction.user.id, "Fix and try again", again))
            return None
        except BotError as exc:
            text = f"Nothing was saved: {user_message(exc)}"
            await safe_send(interaction, text, view=retry_view(interaction.user.id, "Fix and try again", again))
            return None
        await self._done(interaction, change)
        return change

    def _teach_form(
        self,
        phrasing: str,
        typed_id: str = "",
        done: Done | None = None,
        original: str | None = None,
    ) -> TeachModal:
        save = functools.partial(self._save_teach, original or phrasing, done)
        return TeachModal(phrasing=phrasing, choices=self._entry_choices(phrasing), typed_id=typed_id, on_save=save)

    def _entry_choices(self, text: str, first: str | None = None) -> list[tuple[str, str]]:
        """Entries to pick from, (id, question): `first`, then the closest to text, then the rest by id."""
        engine = self.services.engine
        ranked = [c.entry_id for c in engine.rank(text, limit=MAX_CHOICES)]
        order = dict.fromkeys([*([first] if first else []), *ranked, *sorted(engine.kb.entries)])
        return [(i, engine.kb.entries[i].question) for i in order if i in engine.kb.entries][:MAX_CHOICES]

    async def _save_teach(
        self,
        original: str,
        done: Done | None,
        interaction: discord.Interaction,
        values: dict[str, str],
    ) -> None:
        entry_id = values["entry_id"]

        async def again() -> discord.ui.Modal:
            return self._teach_form(values["phrasing"], values["typed_id"], done, original)

        if not entry_id:
            await safe_send(
                interaction,
                "Nothing was saved: pick an entry from the list or type its id.",
                view=retry_view(interaction.user.id, "Try again", again),
            )
            return
        try:
            entry_id = self._known_id(entry_id)
        except EntryNotFound as exc:
            await safe_send(
                interaction,
                f"Nothing was saved: {user_message(exc)}",
                view=retry_view(interaction.user.id, "Try again", again),
            )
            return
        change = await self._save(
            interaction,
            entry_id,
            again,
            self._store().teach,
            entry_id,
            values["phrasing"],
            actor=actor_of(interaction.user),
        )
        if change is None:
            return
        learning = self.services.learning
        if learning is not None:
            learning.submit_background(learning.note_teach, original, change.entry_id, interaction.user.id)
        decision = self.services.engine.decide(original)
        if (decision.action, decision.entry_id) == ("answer", change.entry_id):
            note = f"The original message now gets `{change.entry_id}`."
        else:
            best = decision.candidates[0].entry_id if decision.candidates else "nothing"
            note = (
                f"Note: the original message still gets `{decision.action}` (closest: `{best}`, "
                f"{decision.score:.2f}); more phrasings or a clearer question would help."
            )
        if done is not None:
            await done(change)
        await safe_send(interaction, note)

    def _store(self) -> KnowledgeStore:
        return self.services.knowledge  # type: ignore[return-value]

    def _known_id(self, raw: str) -> str:
        entry_id = raw.strip()
        if entry_id not in self.services.engine.kb.entries:
            close = tuple(e.id for e in self.services.engine.search_entries(entry_id, limit=3))
            raise EntryNotFound(entry_id, close)
        return entry_id

    async def _call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return await asyncio.to_thread(fn, *args, **kwargs)

    async def _apply(
        self, interaction: discord.Interaction, fn: Callable[..., Change], *args: Any, **kwargs: Any
    ) -> None:
        try:
            change = await self._call(fn, *args, **kwargs)
        except KnowledgeError as exc:
            await safe_send(interaction, "Nothing was changed:\n" + issues_text(exc))
            return
        await self._done(interaction, change)

    async def _done(self, interaction: discord.Interaction, change: Change) -> None:
        await safe_send(interaction, change_text(change))
        if change.changed:
            await self._post_log(change, interaction.user)

    async def _post_log(self, change: Change, user: discord.abc.User) -> None:
        await self._send_log(log_text(change, user.mention))

    async def _send_log(self, text: str) -> None:
        channel_id = self.services.settings.discord.log_channel_id
        await post_to_log_channel(self.bot, channel_id, text, what="a knowledge change")
