"""/faq add, edit, remove, restore, history, revert, stats, reload and "Teach the bot" (/faq unanswered: faq_queue.py).

Moderators curate the knowledge base from Discord; this cog only translates. Every change goes through
the knowledge store (bot.core.knowledge.store), which validates it, writes knowledge/ atomically, records the
version and puts it in service before the moderator sees "saved". Store calls block (fsync, SQLite), so
they run in a worker thread.

Who may use them: members with one of `discord.moderator_role_ids`, checked on every command, form and
button. Hiding: Discord's default permissions apply to a top-level command as a whole, never to one
subcommand, so they cannot hide `/faq add` without also hiding `/faq show` from members. The
subcommands stay in the /faq group (one place to look, as the issue asks) and are refused with an
ephemeral message for non-moderators; the "Teach the bot" message menu is its own top-level command,
so it is hidden by default (Manage Messages) and server admins can grant it per role in
Server Settings > Integrations.
"""

from __future__ import annotations

import datetime as dt
import logging

import discord
from discord import app_commands

from bot.cogs.faq_forms import MAX_CHOICES, actor_of, moderator_check, moderator_only
from bot.cogs.faq_queue import FaqQueue
from bot.core.errors import KnowledgeError
from bot.core.knowledge.changes import DiskReload
from bot.core.knowledge.review import review_entries
from bot.ui.embeds import clip
from bot.ui.faq_modals import entry_values, fits_in_form
from bot.ui.faq_text import change_text, history_embed, issues_text, stats_embed
from bot.ui.faq_views import confirm_view, history_view
from bot.ui.replies import safe_send

log = logging.getLogger(__name__)

TEACH_MENU = "Teach the bot"


class FaqModeration(FaqQueue):
    """The moderators' /faq subcommands; mixed into FaqCog (see bot/cogs/faq.py)."""

    # --- lifecycle: the message menu and the watcher --------------------------------------------

    async def cog_load(self) -> None:
        self._teach_menu = app_commands.ContextMenu(name=TEACH_MENU, callback=self.teach_message)
        self._teach_menu.guild_only = True
        self._teach_menu.default_permissions = discord.Permissions(manage_messages=True)
        self._teach_menu.add_check(moderator_check)
        self.bot.tree.add_command(self._teach_menu)
        watcher = self.services.knowledge_watcher
        if watcher is not None:
            watcher.add_listener(self._on_disk_change)
            watcher.start()
        await super().cog_load()  # type: ignore[misc]

    async def cog_unload(self) -> None:
        self.bot.tree.remove_command(self._teach_menu.name, type=self._teach_menu.type)
        if self.services.knowledge_watcher is not None:
            await self.services.knowledge_watcher.stop()
        await super().cog_unload()  # type: ignore[misc]

    # --- add / edit -----------------------------------------------------------------------------

    @app_commands.command(name="add")
    @moderator_only
    async def add(self, interaction: discord.Interaction) -> None:
        """Add an FAQ entry (moderators)."""
        await interaction.response.send_modal(self._add_form({}))

    @app_commands.command(name="edit")
    @moderator_only
    @app_commands.describe(id="The entry to edit; start typing words of its id or question")
    async def edit(self, interaction: discord.Interaction, id: str) -> None:
        """Edit an FAQ entry (moderators); a change someone saves meanwhile is never overwritten."""
        opened = await self._call(self._store().open, self._known_id(id))
        values = entry_values(opened.entry)
        if not fits_in_form(values):
            await safe_send(interaction, f"`{opened.entry.id}` is too long for a Discord form; edit its file.")
            return
        await interaction.response.send_modal(self._edit_form(opened.entry.id, opened.version, values))

    # --- remove / restore -----------------------------------------------------------------------

    @app_commands.command(name="remove")
    @moderator_only
    @app_commands.describe(id="The entry to remove; it goes to the recycle bin")
    async def remove(self, interaction: discord.Interaction, id: str) -> None:
        """Remove an FAQ entry to the recycle bin (moderators)."""
        entry = self.services.engine.kb.entries[self._known_id(id)]
        version = await self._call(self._store().version, entry.id)

        async def confirmed(press: discord.Interaction) -> None:
            try:
                change = await self._call(
                    self._store().remove, entry.id, actor=actor_of(press.user), expected_version=version
                )
            except KnowledgeError as exc:
                await press.response.edit_message(content="Not removed:\n" + issues_text(exc), view=None)
                return
            text = change_text(change) + f" `/faq restore id:{entry.id}` brings it back."
            await press.response.edit_message(content=text, view=None)
            await self._post_log(change, press.user)

        await safe_send(
            interaction,
            f"Remove `{entry.id}` — “{clip(entry.question, 200)}”? It goes to the recycle bin.",
            view=confirm_view(interaction.user.id, "Remove", confirmed),
        )

    @app_commands.command(name="restore")
    @moderator_only
    @app_commands.describe(id="A removed entry (from the recycle bin)")
    async def restore(self, interaction: discord.Interaction, id: str) -> None:
        """Bring a removed FAQ entry back from the recycle bin (moderators)."""
        await self._apply(interaction, self._store().restore, id.strip(), actor=actor_of(interaction.user))

    # --- history / revert -----------------------------------------------------------------------

    @app_commands.command(name="history")
    @moderator_only
    @app_commands.describe(id="The entry whose versions to show")
    async def history(self, interaction: discord.Interaction, id: str) -> None:
        """Show who changed an FAQ entry, what and when; go back to any version (moderators)."""
        entry_id = id.strip()
        versions = await self._call(self._store().history_of, entry_id)

        async def picked(press: discord.Interaction, version: int) -> None:
            change = await self._call(
                self._store().revert,
                entry_id,
                version,
                actor=actor_of(press.user),
                expected_version=versions[0].version,
            )
            await press.response.edit_message(content=change_text(change), embed=None, view=None)
            if change.changed:
                await self._post_log(change, press.user)

        view = history_view(interaction.user.id, versions, picked)
        await safe_send(interaction, embed=history_embed(entry_id, versions), view=view)

    @app_commands.command(name="revert")
    @moderator_only
    @app_commands.describe(id="The entry to change back", version="The version to go back to (see /faq history)")
    async def revert(self, interaction: discord.Interaction, id: str, version: app_commands.Range[int, 1]) -> None:
        """Make an FAQ entry what it was at an earlier version (moderators)."""
        await self._apply(interaction, self._store().revert, id.strip(), version, actor=actor_of(interaction.user))

    # --- teach ----------------------------------------------------------------------------------

    async def teach_message(self, interaction: discord.Interaction, message: discord.Message) -> None:
        """Teach the bot: this message should have matched an entry (moderators)."""
        if not message.content.strip():
            await safe_send(interaction, "That message has no text to learn from.")
            return
        await interaction.response.send_modal(self._teach_form(message.content))

    # --- stats ---------------------------------------------------------------------------------

    @app_commands.command(name="stats")
    @moderator_only
    @app_commands.describe(stale_only="Only entries not reviewed for too long")
    async def stats(self, interaction: discord.Interaction, stale_only: bool = False) -> None:
        """Per entry: times posted, helpful / not helpful, last reviewed; stale ones flagged (moderators)."""
        feedback = self.services.feedback
        usage = await feedback.submit(feedback.entry_stats)
        days = self.services.settings.knowledge.stale_after_days
        reviews = review_entries(
            self.services.engine.kb, usage, today=dt.datetime.now(dt.UTC).date(), stale_after_days=days
        )
        if stale_only:
            reviews = [r for r in reviews if r.stale]
        await safe_send(interaction, embed=stats_embed(reviews, stale_after_days=days))

    # --- reload -----------------------------------------------------------------------------------

    @app_commands.command(name="reload")
    @moderator_only
    async def reload(self, interaction: discord.Interaction) -> None:
        """Re-read knowledge/ from disk, e.g. after a git pull (moderators)."""
        try:
            kb = await self._call(self._store().reload)
        except KnowledgeError as exc:
            await safe_send(
                interaction,
                "The files on disk don't load; the bot keeps answering from the last "
                "good version. Fix:\n" + issues_text(exc, with_file=True),
            )
            return
        await safe_send(interaction, f"Reloaded from disk: {len(kb)} entries, {len(kb.rules)} rules. Live now.")

    async def _on_disk_change(self, outcome: DiskReload) -> None:
        if outcome.error is not None:
            text = (
                "⚠️ knowledge/ changed on disk but does not load; still answering from the last good "
                "version. Fix:\n" + issues_text(outcome.error, with_file=True)
            )
        else:
            text = "🔄 knowledge/ reloaded from disk: " + (", ".join(f"`{i}`" for i in outcome.changed) or "no entry")
        await self._send_log(text)

    # --- shared -----------------------------------------------------------------------------------

    @edit.autocomplete("id")
    @remove.autocomplete("id")
    @history.autocomplete("id")
    @revert.autocomplete("id")
    async def entry_choices(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        """Offer entries whose id or question is close to what was typed."""
        entries = self.services.engine.search_entries(current, limit=MAX_CHOICES)
        return [app_commands.Choice(name=clip(f"{e.id} — {e.question}", 100), value=e.id) for e in entries]

    @restore.autocomplete("id")
    async def removed_choices(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        """Offer entries in the recycle bin, most recently removed first."""
        removed = await self._call(self._store().recycle_bin)
        typed = current.strip().casefold()
        return [
            app_commands.Choice(name=clip(f"{v.entry_id} — removed by {v.actor}", 100), value=v.entry_id)
            for v in removed
            if typed in v.entry_id
        ][:MAX_CHOICES]
