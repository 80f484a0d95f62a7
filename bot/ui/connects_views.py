"""Views for the Connects ledger: history pages only the viewer can turn, and "Explain privately".

"Explain privately" sits under the bot's PUBLIC reply to a member's charge question in a support
channel. It is a persistent dynamic item (`cx:why:<asker id>:<entry|job>:<ref>`, registered in
setup_hook) so it keeps working after a restart; only the asker may press it, anyone else is refused
(ephemeral, recorded in the access log), and the explanation itself is always ephemeral.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import discord

from bot.core.ledger.models import History
from bot.ui.connects_embeds import PAGE_SIZE, explanation_embed, history_embeds, page_count
from bot.ui.escape import md_code, md_marked
from bot.ui.replies import guarded, post_to_log_channel, safe_send

if TYPE_CHECKING:
    from bot.services import Services


PAGER_TIMEOUT = 10 * 60  # an ephemeral message can be edited for 15 minutes; stop listening before that
WHY_LABEL = "Explain privately"
NOT_YOURS = "Only the member who asked can open this explanation."


def _services(interaction: discord.Interaction) -> Services:
    return interaction.client.services  # type: ignore[attr-defined]


def is_manager(user: discord.abc.User, services: Services) -> bool:
    """Tell whether the user holds one of the configured community-manager roles."""
    allowed = set(services.settings.discord.manager_role_ids)
    return any(role.id in allowed for role in getattr(user, "roles", ()))


async def post_lookup_line(client: discord.Client, services: Services, text: str) -> None:
    """Post one line about a lookup to the log channel, when configured; it never pings anyone."""
    await post_to_log_channel(client, services.settings.discord.log_channel_id, text, what="a ledger lookup")


class HistoryPager(discord.ui.View):
    """Newer / Older buttons under a history; only the member who asked for it may turn the pages."""

    def __init__(self, viewer_id: int, history: History, *, page_size: int = PAGE_SIZE, chart: bool = False) -> None:
        super().__init__(timeout=PAGER_TIMEOUT)
        self.viewer_id = viewer_id
        self.history = history
        self.page_size = page_size
        self.chart = chart
        self.page = 0
        self.pages = page_count(history, page_size)
        self._sync_buttons()

    def embeds(self) -> list[discord.Embed]:
        """The embeds of the current page."""
        return history_embeds(self.history, self.page, page_size=self.page_size, with_chart=self.chart)

    def _sync_buttons(self) -> None:
        self.newer.disabled = self.page <= 0
        self.older.disabled = self.page >= self.pages - 1

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        if interaction.user.id == self.viewer_id:
            return True
        await safe_send(interaction, "These buttons belong to whoever asked for this history.", ephemeral=True)
        return False

    async def _turn(self, interaction: discord.Interaction, step: int) -> None:
        self.page = max(0, min(self.pages - 1, self.page + step))
        self._sync_buttons()
        # Attachments are left out of the edit, so the chart stays on the message.
        await interaction.response.edit_message(embeds=self.embeds(), view=self)

    @discord.ui.button(label="◀ Newer", style=discord.ButtonStyle.secondary)
    async def newer(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await self._turn(interaction, -1)

    @discord.ui.button(label="Older ▶", style=discord.ButtonStyle.secondary)
    async def older(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await self._turn(interaction, +1)


class ExplainPrivatelyButton(
    discord.ui.DynamicItem[discord.ui.Button],
    template=r"cx:why:(?P<asker>\d{1,20}):(?P<kind>entry|job):(?P<ref>[^:\s]{1,60})",
):
    """Under a public reply: shows the asker, and only the asker, the explanation of their charge."""

    def __init__(self, asker_id: int, kind: str, ref: str) -> None:
        super().__init__(
            discord.ui.Button(
                label=WHY_LABEL, style=discord.ButtonStyle.primary, custom_id=f"cx:why:{asker_id}:{kind}:{ref}"
            )
        )
        self.asker_id = asker_id
        self.kind = kind
        self.ref = ref

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str], /
    ) -> ExplainPrivatelyButton:
        return cls(int(match["asker"]), match["kind"], match["ref"])

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        if interaction.user.id == self.asker_id:
            return True
        services = _services(interaction)
        if services.ledger is not None:
            viewer = await services.ledger.viewer_for_discord(
                interaction.user.id, manager=is_manager(interaction.user, services)
            )
            await services.ledger.record_refusal(
                viewer, self.asker_id, f"explain {self.ref}", "only the asker may open it"
            )
        await safe_send(interaction, NOT_YOURS, ephemeral=True)
        await post_lookup_line(
            interaction.client,
            services,
            f"⛔ {interaction.user.mention} pressed “{WHY_LABEL}” on <@{self.asker_id}>'s question "
            f"about {self.kind} {md_code(self.ref)}: refused",
        )
        return False

    @guarded("explain privately button")
    async def callback(self, interaction: discord.Interaction) -> None:
        services = _services(interaction)
        if services.ledger is None:
            await safe_send(interaction, "The Connects ledger is not available right now.", ephemeral=True)
            return
        viewer = await services.ledger.viewer_for_discord(
            interaction.user.id, manager=is_manager(interaction.user, services)
        )
        # The same words the member would write, so the core recognises and answers it as a charge question.
        answer = await services.ledger.answer_charge_question(viewer, f"why {self.kind} {self.ref}?")
        if answer is not None and answer.explanations:
            title = f"{'Entry' if self.kind == 'entry' else 'Job'} {md_code(self.ref)}"
            embed = explanation_embed(title, answer.explanations, services.engine.kb)
            await safe_send(interaction, embed=embed, ephemeral=True)
            outcome = "explained"
        else:
            await safe_send(interaction, md_marked(answer.text) if answer else NOT_YOURS, ephemeral=True)
            outcome = "nothing to explain"
        await post_lookup_line(
            interaction.client,
            services,
            f"🔎 {interaction.user.mention} opened their explanation of {self.kind} {md_code(self.ref)} privately: "
            f"{outcome}",
        )


def explain_privately_text(kind: str, ref: str) -> str:
    """The public reply to a charge question: no account data, only the offer to explain privately."""
    return (
        f"I can explain {kind} {md_code(ref)} from your own Connects ledger. It stays private: press "
        f"**{WHY_LABEL}** and only you will see the explanation."
    )


def explain_privately_view(asker_id: int, kind: str, ref: str) -> discord.ui.View:
    """The one-button view under a public reply to a charge question (the desk offers only offerable refs)."""
    view = discord.ui.View(timeout=None)
    view.add_item(ExplainPrivatelyButton(asker_id, kind, ref))
    return view
