"""/faq unanswered: the queue grouped by meaning, biggest gap first; one click teaches a whole group.

The groups come from bot.core.channel.question_groups (silences and "Not helpful" votes, each group with its
closest entry). One moderator's queue message is one QueueBrowser: the groups as last computed, the
group shown, and the entry picked for it (the closest one until the moderator picks another). Every write
goes through the stores: the knowledge store validates a group's phrasings and writes them as one version
(teach_many), the feedback store clears the group's items in one transaction (dismiss_many); then the
groups are computed again from the queue, so what a colleague handled meanwhile disappears too.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import discord
from discord import app_commands

from bot.cogs.faq_forms import FaqForms, actor_of, moderator_only
from bot.core.channel.question_groups import QUEUE_LIMIT, QuestionGroup, group_queue
from bot.core.errors import KnowledgeError
from bot.core.knowledge.changes import Change
from bot.core.knowledge.model import MAX_QUESTION_CHARS, normalise_phrasing
from bot.core.knowledge.review import suggest_entry_id
from bot.ui.embeds import clip
from bot.ui.faq_modals import LIST_LIMIT
from bot.ui.faq_text import group_taught_text, groups_embed, issues_text
from bot.ui.faq_views import GroupActions, group_queue_view
from bot.ui.replies import safe_send

log = logging.getLogger(__name__)


class FaqQueue(FaqForms):
    """/faq unanswered; mixed into FaqModeration."""

    @app_commands.command(name="unanswered")
    @moderator_only
    async def unanswered(self, interaction: discord.Interaction) -> None:
        """Review questions the bot could not answer or that got "Not helpful", grouped by meaning (moderators)."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        browser = QueueBrowser(self, interaction)
        await browser.reload()
        await browser.show()


class QueueBrowser:
    """One moderator's queue message: the groups, the group shown, the entry picked per group."""

    def __init__(self, cog: FaqQueue, interaction: discord.Interaction) -> None:
        self.cog = cog
        self.services = cog.services
        self.interaction = interaction  # the /faq unanswered response is the message kept up to date
        self.groups: list[QuestionGroup] = []
        self.page = 0
        self.picked: dict[tuple[int, ...], str] = {}

    # --- state ----------------------------------------------------------------------------------

    async def reload(self) -> None:
        """Group the open queue again (the feedback thread reads it; grouping runs in a worker thread)."""
        feedback = self.services.feedback
        items = await feedback.submit(feedback.list_unanswered, QUEUE_LIMIT)
        settings = self.services.settings
        self.groups = await asyncio.to_thread(
            group_queue,
            items,
            self.services.engine,
            threshold=settings.feedback.group_similarity,
            meaning_threshold=settings.embedding.group_similarity,
        )
        self.page = min(self.page, max(0, len(self.groups) - 1))

    @property
    def group(self) -> QuestionGroup:
        return self.groups[self.page]

    def entry_for(self, group: QuestionGroup) -> str | None:
        """The entry picked for a group, else its closest entry (if it still exists)."""
        entries = self.services.engine.kb.entries
        for candidate in (self.picked.get(group.item_ids), group.closest.entry_id if group.closest else None):
            if candidate in entries:
                return candidate
        return None

    def render(self) -> dict[str, Any]:
        kb = self.services.engine.kb
        if not self.groups:
            return {"embed": groups_embed([], 0, kb), "view": None}
        group, picked = self.group, self.entry_for(self.group)
        view = group_queue_view(
            self.interaction.user.id,
            page=self.page,
            pages=len(self.groups),
            choices=self.cog._entry_choices(group.representative, first=picked),
            picked=picked,
            teachable=len(group.teachable()),
            actions=GroupActions(
                pick=self.pick, teach=self.teach, create=self.create, dismiss=self.dismiss, turn=self.turn
            ),
        )
        return {"embed": groups_embed(self.groups, self.page, kb), "view": view}

    async def show(self) -> None:
        """Put the current groups on the queue message."""
        await self.interaction.edit_original_response(**self.render())

    # --- actions --------------------------------------------------------------------------------

    async def pick(self, press: discord.Interaction, entry_id: str) -> None:
        self.picked[self.group.item_ids] = entry_id
        await press.response.edit_message(**self.render())

    async def turn(self, press: discord.Interaction, page: int) -> None:
        self.page = max(0, min(page, len(self.groups) - 1))
        await press.response.edit_message(**self.render())

    async def dismiss(self, press: discord.Interaction) -> None:
        await press.response.defer()
        feedback = self.services.feedback
        await feedback.submit(feedback.dismiss_many, self.group.item_ids)
        await self.reload()
        await self.show()

    async def teach(self, press: discord.Interaction) -> None:
        """Teach every phrasing of the group to the picked entry: one validated write, one version."""
        group, entry_id = self.group, self.entry_for(self.group)
        questions = group.teachable()
        if entry_id is None or not questions:
            await safe_send(press, "Nothing was saved: pick an entry, or make a new one from this group.")
            return
        await press.response.defer()
        store = self.cog._store()
        try:
            change = await self.cog._call(
                store.teach_many, entry_id, [q.text for q in questions], actor=actor_of(press.user)
            )
        except KnowledgeError as exc:
            await safe_send(press, "Nothing was saved. Please fix:\n" + issues_text(exc, entry_id=entry_id))
            return
        feedback = self.services.feedback
        await feedback.submit(feedback.dismiss_many, [i for q in questions for i in q.item_ids])
        if change.changed:
            await self.cog._post_log(change, press.user)
        engine = self.services.engine
        answered = sum(engine.decide(q.text).entry_id == entry_id for q in questions)
        await self.reload()
        await self.show()
        await safe_send(
            press, group_taught_text(change, len(questions), answered, len(group.questions) - len(questions))
        )

    async def create(self, press: discord.Interaction) -> None:
        """Open the new-entry form filled from the group: its representative question, its phrasings."""
        group = self.group
        question = clip(group.representative, MAX_QUESTION_CHARS)
        alternates = "\n".join(q.text for q in group.teachable() if q.text != group.representative)
        values = {
            "question": question,
            "id": suggest_entry_id(question, self.services.engine.kb.entries),
            "alternates": clip(alternates, LIST_LIMIT),
        }

        async def created(change: Change) -> None:
            await self._clear_answered(group, change)

        await press.response.send_modal(self.cog._add_form(values, created))

    async def _clear_answered(self, group: QuestionGroup, change: Change) -> None:
        # Clear what the new entry covers: its own phrasings, and questions it now answers.
        phrasings = {normalise_phrasing(p) for p in change.entry.phrasings} if change.entry else set()
        engine = self.services.engine
        covered = [
            i
            for q in group.questions
            if normalise_phrasing(q.text) in phrasings or engine.decide(q.text).entry_id == change.entry_id
            for i in q.item_ids
        ]
        feedback = self.services.feedback
        await feedback.submit(feedback.dismiss_many, covered)
        await self.reload()
        await self.show()
