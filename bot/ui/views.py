"""Buttons under the bot's answers: feedback votes and "Did you mean…" picks.

Both are persistent dynamic items: everything they need is in their namespaced custom_id
(`fb:helpful:<entry>`, `fb:unhelpful:<entry>`, `pick:<asker id>:<entry>`), they are registered with
`bot.add_dynamic_items` in setup_hook, and so they keep working after the bot restarts.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import discord

from bot.core.channel.feedback import Post, VoteOutcome
from bot.core.knowledge.model import KnowledgeBase
from bot.core.matching.matcher import Candidate
from bot.ui.embeds import answer_embed, clip
from bot.ui.replies import guarded, safe_send

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger(__name__)

ENTRY_ID = r"[a-z0-9]+(?:-[a-z0-9]+)*"
LABEL_LIMIT = 80
THANKS = {
    True: "Thanks! Glad it helped.",
    False: "Thanks for telling us. A moderator will look at this question and improve the answer.",
}


def _services(interaction: discord.Interaction) -> Services:
    return interaction.client.services  # type: ignore[attr-defined]


class FeedbackButton(
    discord.ui.DynamicItem[discord.ui.Button],
    template=rf"fb:(?P<vote>helpful|unhelpful):(?P<entry>{ENTRY_ID})",
):
    """ "Helpful" / "Not helpful" under an answer; each member's vote counts once per answer."""

    def __init__(self, vote: str, entry_id: str) -> None:
        helpful = vote == "helpful"
        super().__init__(
            discord.ui.Button(
                label="Helpful" if helpful else "Not helpful",
                style=discord.ButtonStyle.success if helpful else discord.ButtonStyle.secondary,
                custom_id=f"fb:{vote}:{entry_id}",
            )
        )
        self.helpful = helpful
        self.entry_id = entry_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str], /
    ) -> FeedbackButton:
        return cls(match["vote"], match["entry"])

    @guarded("feedback button")
    async def callback(self, interaction: discord.Interaction) -> None:
        store = _services(interaction).feedback
        assert interaction.message is not None
        outcome = await store.submit(
            store.record_vote, interaction.message.id, interaction.user.id, self.entry_id, self.helpful
        )
        decisions = _services(interaction).decisions
        if decisions is not None and outcome is not VoteOutcome.UNCHANGED:
            decisions.note_vote(interaction.message.id, self.helpful, changed=outcome is VoteOutcome.CHANGED)
        text = THANKS[self.helpful] if outcome is not VoteOutcome.UNCHANGED else "You already voted that way."
        learning = _services(interaction).learning
        if learning is not None and outcome is not VoteOutcome.UNCHANGED:
            message_id, voter = interaction.message.id, interaction.user.id
            learning.submit_background(
                learning.note_vote_on_message, store.post_for_message, message_id, voter, self.entry_id, self.helpful
            )
        await safe_send(interaction, text, ephemeral=True)


class PickButton(
    discord.ui.DynamicItem[discord.ui.Button],
    template=rf"pick:(?P<asker>\d{{1,20}}):(?P<entry>{ENTRY_ID})",
):
    """One "Did you mean…" choice: only the asker may pick it; it swaps the suggestion for the answer."""

    def __init__(self, asker_id: int, entry_id: str, label: str = "") -> None:
        super().__init__(
            discord.ui.Button(
                label=clip(label or entry_id, LABEL_LIMIT),
                style=discord.ButtonStyle.primary,
                custom_id=f"pick:{asker_id}:{entry_id}",
            )
        )
        self.asker_id = asker_id
        self.entry_id = entry_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str], /
    ) -> PickButton:
        return cls(int(match["asker"]), match["entry"], item.label or "")

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        if interaction.user.id == self.asker_id:
            return True
        await safe_send(interaction, "Only the person who asked can pick an answer.", ephemeral=True)
        return False

    @guarded("suggestion pick")
    async def callback(self, interaction: discord.Interaction) -> None:
        services = _services(interaction)
        entry = services.engine.kb.entry(self.entry_id)
        message, learning = interaction.message, services.learning
        if message is not None and learning is not None:
            # Queued before the reply, so anything that follows the reply finds the candidate recorded.
            learning.submit_background(learning.note_pick, _asked_text(message), entry.id, self.asker_id, message.id)
        await interaction.response.edit_message(content=None, embed=answer_embed(entry), view=feedback_view(entry.id))
        message = interaction.message
        if message is not None and services.decisions is not None:
            services.decisions.note_pick(message.id, entry.id)
        if message is not None:
            services.feedback.submit_background(
                services.feedback.record_post,
                Post(
                    message.id,
                    entry.id,
                    message.channel.id,
                    _asked_text(message),
                    via="pick",
                    asker_id=self.asker_id,
                ),
            )


def _asked_text(message: discord.Message) -> str:
    ref = message.reference
    resolved: Any = ref.resolved if ref is not None else None
    return resolved.content if isinstance(resolved, discord.Message) else ""


def feedback_view(entry_id: str) -> discord.ui.View:
    """The "Helpful" / "Not helpful" row under an answer."""
    view = discord.ui.View(timeout=None)
    view.add_item(FeedbackButton("helpful", entry_id))
    view.add_item(FeedbackButton("unhelpful", entry_id))
    return view


def suggestion_view(
    asker_id: int, candidates: Sequence[Candidate], kb: KnowledgeBase, *, limit: int = 3
) -> discord.ui.View:
    """Up to three "Did you mean…" buttons, labelled with the entries' questions."""
    view = discord.ui.View(timeout=None)
    for candidate in [c for c in candidates if c.entry_id in kb.entries][:limit]:
        view.add_item(PickButton(asker_id, candidate.entry_id, kb.entries[candidate.entry_id].question))
    return view
