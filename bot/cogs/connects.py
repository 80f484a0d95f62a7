"""/connects history, explain, link, unlink, audit and the "Connects history" user menu: a member's ledger.

This cog only translates. Who may see what is the core's decision (bot.core.ledger.access, applied and
logged by the ledger service); the two lookups the service cannot log (a Discord user with no linked
profile, a member naming another member) are decided and recorded by bot.core.ledger.lookups. Every
reply about the ledger is ephemeral, refusals included; a member is refused in the same words whether
or not the other person has a profile. Community managers are members with one of
`discord.manager_role_ids`. Each lookup also posts one line to `discord.log_channel_id` (no pings).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.errors import LedgerError, PermissionDenied, ProfileNotFound, ReferenceNotFound
from bot.core.ledger.access import Viewer
from bot.core.ledger.lookups import (
    MANAGERS_ONLY,
    concerning,
    may_name_member,
)
from bot.core.ledger.series import balance_chart
from bot.core.ledger.service import AsyncLedgerService
from bot.ui.balance_chart import chart_file
from bot.ui.connects_embeds import audit_embed, explanation_embed
from bot.ui.connects_views import HistoryPager, is_manager, post_lookup_line
from bot.ui.escape import md_code, md_text
from bot.ui.replies import safe_send

if TYPE_CHECKING:
    from bot.discord_bot import SupportBot

log = logging.getLogger(__name__)

HISTORY_MENU = "Connects history"
FETCH_LIMIT = 50  # newest entries per balance; the pager shows them five at a time
REFUSED = "You can only look up your own Connects ledger. A community manager can help with anyone else's."


def _not_linked(subject: discord.abc.User, asker: discord.abc.User) -> str:
    if subject.id == asker.id:
        return (
            "No marketplace profile is linked to your Discord account yet. A community manager can link it "
            "with `/connects link`."
        )
    return f"No marketplace profile is linked to {subject.mention}. Link one with `/connects link`."


class ConnectsCog(commands.GroupCog, group_name="connects", group_description="A member's Connects ledger, privately"):
    """Look up a member's Connects ledger and explain a charge; replies are only ever seen by the asker."""

    def __init__(self, bot: SupportBot) -> None:
        self.bot = bot
        self.services = bot.services
        super().__init__()

    async def cog_load(self) -> None:
        self._menu = app_commands.ContextMenu(name=HISTORY_MENU, callback=self.history_menu)
        self._menu.guild_only = True
        self.bot.tree.add_command(self._menu)

    async def cog_unload(self) -> None:
        self.bot.tree.remove_command(self._menu.name, type=self._menu.type)

    # --- plumbing -----------------------------------------------------------------------------------

    def _ledger(self) -> AsyncLedgerService:
        ledger = self.services.ledger
        if ledger is None:
            raise LedgerError("the Connects ledger is not available on this bot")
        return ledger

    async def _viewer(self, user: discord.abc.User) -> Viewer:
        ledger = self._ledger()
        return await ledger.viewer_for_discord(user.id, manager=is_manager(user, self.services))

    async def _log_line(self, text: str) -> None:
        await post_lookup_line(self.bot, self.services, text)

    # --- history ------------------------------------------------------------------------------------

    @app_commands.command(name="history")
    @app_commands.guild_only()
    @app_commands.describe(member="Whose ledger (community managers); leave empty for your own")
    async def history(self, interaction: discord.Interaction, member: discord.User | None = None) -> None:
        """Show a Connects history: your own balance and your agency's, kept apart (only you see it)."""
        await self._history(interaction, member or interaction.user)

    async def history_menu(self, interaction: discord.Interaction, member: discord.Member | discord.User) -> None:
        """Connects history of this member (community managers)."""
        await self._history(interaction, member)

    async def _history(self, interaction: discord.Interaction, subject: discord.abc.User) -> None:
        ledger = self._ledger()
        asker = interaction.user
        viewer = await self._viewer(asker)
        try:
            history = await ledger.history(viewer, subject.id, limit=FETCH_LIMIT)
        except ProfileNotFound:  # the service recorded the lookup
            text = _not_linked(subject, asker) if viewer.manager or subject.id == asker.id else REFUSED
            await safe_send(interaction, text, ephemeral=True)
            await self._log_line(f"⛔ {asker.mention} looked up {subject.mention}'s Connects history: no profile")
            return
        except PermissionDenied:
            await safe_send(interaction, REFUSED, ephemeral=True)  # the service recorded the refusal
            await self._log_line(f"⛔ {asker.mention} looked up {subject.mention}'s Connects history: refused")
            return
        chart = balance_chart(history, today=dt.datetime.now(dt.UTC).date(), fetch_limit=FETCH_LIMIT)
        png = await asyncio.to_thread(chart_file, chart)
        pager = HistoryPager(asker.id, history, chart=True)
        await interaction.response.send_message(embeds=pager.embeds(), view=pager, file=png, ephemeral=True)
        await self._log_line(f"🔎 {asker.mention} looked up {subject.mention}'s Connects history")

    # --- explain ------------------------------------------------------------------------------------

    @app_commands.command(name="explain")
    @app_commands.guild_only()
    @app_commands.describe(
        reference="An entry id (e-1042) or a job reference (~01ab…)",
        member="Only this member's entries of that reference (community managers)",
    )
    async def explain(
        self,
        interaction: discord.Interaction,
        reference: app_commands.Range[str, 1, 100],
        member: discord.User | None = None,
    ) -> None:
        """Explain a charge in plain words, with the rules it follows (only you see it)."""
        ledger = self._ledger()
        asker = interaction.user
        ref = reference.strip()
        shown = md_code(ref)  # what the member typed, as code nothing in it can close
        viewer = await self._viewer(asker)
        whose = f" for {member.mention}" if member else ""
        if not may_name_member(viewer, asker.id, member.id if member else None):
            assert member is not None
            await ledger.record_refusal(viewer, member.id, f"explain {ref}", MANAGERS_ONLY)
            await safe_send(interaction, REFUSED, ephemeral=True)
            await self._log_line(f"⛔ {asker.mention} asked to explain {shown}{whose}: refused")
            return
        try:
            explanations = await ledger.explain(viewer, ref)
        except (ReferenceNotFound, PermissionDenied) as exc:  # the service recorded the lookup
            # A member hears the same either way: they must not learn that someone else's entry exists.
            text = f"I can't find {shown} in your Connects ledger."
            if viewer.manager and isinstance(exc, ReferenceNotFound):
                text = f"There is no ledger entry or job {shown}."
            await safe_send(interaction, text, ephemeral=True)
            await self._log_line(f"⛔ {asker.mention} asked to explain {shown}{whose}: not found or refused")
            return
        if member is not None:
            profile = await ledger.profile_id_for_discord(member.id)
            explanations = concerning(explanations, profile) if profile else []
            if not explanations:
                await safe_send(interaction, f"{shown} is not in {member.mention}'s Connects ledger.", ephemeral=True)
                await self._log_line(f"🔎 {asker.mention} asked to explain {shown}{whose}: not theirs")
                return
        title = f"Entry {shown}" if len(explanations) == 1 and explanations[0].entry.id == ref else f"Job {shown}"
        embed = explanation_embed(title, explanations, self.services.engine.kb)
        await interaction.response.send_message(embed=embed, ephemeral=True)
        await self._log_line(f"🔎 {asker.mention} explained {shown}{whose}")

    # --- link / unlink ------------------------------------------------------------------------------

    @app_commands.command(name="link")
    @app_commands.guild_only()
    @app_commands.describe(
        member="The Discord member", profile="Their marketplace freelancer profile id in the ledger (fl-…)"
    )
    async def link(
        self, interaction: discord.Interaction, member: discord.User, profile: app_commands.Range[str, 1, 100]
    ) -> None:
        """Link a Discord member to their marketplace profile (community managers)."""
        ledger = self._ledger()
        viewer = await self._viewer(interaction.user)
        try:
            linked = await ledger.link(viewer, profile.strip(), member.id)
        except PermissionDenied:
            await self._log_line(f"⛔ {interaction.user.mention} tried to link {member.mention}: refused")
            raise
        linked_to = f"{md_code(linked.id)} ({md_text(linked.name)})"
        await safe_send(interaction, f"Linked {member.mention} to {linked_to}.", ephemeral=True)
        await self._log_line(f"🔗 {interaction.user.mention} linked {member.mention} to {md_code(linked.id)}")

    @app_commands.command(name="unlink")
    @app_commands.guild_only()
    @app_commands.describe(member="The Discord member whose profile link to remove")
    async def unlink(self, interaction: discord.Interaction, member: discord.User) -> None:
        """Remove the link between a Discord member and their profile (community managers, or yourself)."""
        ledger = self._ledger()
        asker = interaction.user
        viewer = await self._viewer(asker)
        try:
            profile = await ledger.unlink(viewer, member.id)
        except ProfileNotFound:  # the service recorded the lookup
            text = _not_linked(member, asker) if viewer.manager or member.id == asker.id else REFUSED
            await safe_send(interaction, text, ephemeral=True)
            return
        except PermissionDenied:
            await safe_send(interaction, REFUSED, ephemeral=True)
            await self._log_line(f"⛔ {asker.mention} tried to unlink {member.mention}: refused")
            return
        await safe_send(interaction, f"Unlinked {member.mention} from {md_code(profile.id)}.", ephemeral=True)
        await self._log_line(f"🔗 {asker.mention} unlinked {member.mention} from {md_code(profile.id)}")

    # --- audit --------------------------------------------------------------------------------------

    @app_commands.command(name="audit")
    @app_commands.guild_only()
    @app_commands.describe(
        limit="How many of the newest lookups to show", member="Only lookups of this member's ledger"
    )
    async def audit(
        self,
        interaction: discord.Interaction,
        limit: app_commands.Range[int, 1, 25] = 15,
        member: discord.User | None = None,
    ) -> None:
        """Show who looked at whose Connects ledger, refused lookups included (community managers)."""
        ledger = self._ledger()
        viewer = await self._viewer(interaction.user)
        subject = None
        if member is not None:
            subject = await ledger.profile_id_for_discord(member.id) or f"discord:{member.id}"
        try:
            records = await ledger.audit(viewer, limit=limit, subject=subject)
        except PermissionDenied:
            await safe_send(interaction, "Only community managers can read the ledger lookups.", ephemeral=True)
            await self._log_line(f"⛔ {interaction.user.mention} asked for the ledger audit: refused")
            return
        await safe_send(interaction, embed=audit_embed(records), ephemeral=True)


async def setup(bot: SupportBot) -> None:
    """Load /connects and the "Connects history" menu."""
    await bot.add_cog(ConnectsCog(bot))
