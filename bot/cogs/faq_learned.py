"""/faq learned: review what members' picks and votes taught the bot, beside /faq unanswered (moderators).

One page per candidate (bot.core.learning): accept it as the entry members named, move it to another
entry or to off-topic, or reject it. Accepting hands it to the learning loop, whose guard retrains in the
background and lets it serve only if the model does no worse; the loop's verdict (serving, or held back
naming the examples that hurt) is posted to the moderators' log channel. An accept that clashes with a
labelled example is held by the loop (the page then shows the clash, the log channel is told); one that
says what the knowledge already says is settled as a duplicate.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import discord
from discord import app_commands

from bot.cogs.faq_forms import FaqForms, actor_of, moderator_only
from bot.core.learning.candidates import OFF_TOPIC, SERVED, Candidate
from bot.core.learning.loop import LearningLoop
from bot.ui.learned_views import LearnedActions, learned_embed, learned_view, member_text
from bot.ui.replies import safe_send

log = logging.getLogger(__name__)


class FaqLearned(FaqForms):
    """/faq learned; mixed into FaqCog."""

    async def cog_load(self) -> None:
        learning = self.services.learning
        if learning is not None:
            loop = asyncio.get_running_loop()

            def post(text: str) -> None:  # called on the learning loop's thread
                if not loop.is_closed():
                    asyncio.run_coroutine_threadsafe(self._send_log(member_text(text, 1900)), loop)

            self._learning_listener = post
            learning.add_listener(post)
            if self.services.knowledge_watcher is not None:  # `kb learned accept` in a shell: serve it now
                self.services.knowledge_watcher.add_poll(learning.poll_learned)
        await super().cog_load()  # type: ignore[misc]

    async def cog_unload(self) -> None:
        learning = self.services.learning
        if learning is not None:
            learning.remove_listener(self._learning_listener)
        await super().cog_unload()  # type: ignore[misc]

    @app_commands.command(name="learned")
    @moderator_only
    async def learned(self, interaction: discord.Interaction) -> None:
        """Review examples learned from members' picks and votes: accept, move or reject them (moderators)."""
        learning = self.services.learning
        if learning is None:
            await safe_send(interaction, "Learning is off (`learning.enabled: false` in the config).")
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        page = LearnedPage(self, learning, interaction)
        await page.reload()
        await page.show()


class LearnedPage:
    """One moderator's learned page: the candidates to review, the one shown, the entry picked for each."""

    def __init__(self, cog: FaqLearned, learning: LearningLoop, interaction: discord.Interaction) -> None:
        self.cog, self.learning, self.interaction = cog, learning, interaction
        self.candidates: list[Candidate] = []
        self.page = 0
        self.picked: dict[int, str] = {}

    async def reload(self) -> None:
        self.candidates = await self.learning.submit(self.learning.to_review)
        self.page = min(self.page, max(0, len(self.candidates) - 1))

    @property
    def candidate(self) -> Candidate:
        return self.candidates[self.page]

    def picked_for(self, candidate: Candidate) -> str | None:
        """The entry picked on this page, else the one members named (if it still exists)."""
        entries = self.cog.services.engine.kb.entries
        for choice in (self.picked.get(candidate.id), candidate.result, candidate.entry_id):
            if choice == OFF_TOPIC or choice in entries:
                return choice
        return None

    def render(self) -> dict[str, Any]:
        kb = self.cog.services.engine.kb
        if not self.candidates:
            return {"embed": learned_embed([], 0, kb, None), "view": None}
        c, picked = self.candidate, self.picked_for(self.candidate)
        first = picked if picked != OFF_TOPIC else c.entry_id
        view = learned_view(
            self.interaction.user.id,
            page=self.page,
            pages=len(self.candidates),
            choices=self.cog._entry_choices(c.question, first=first or c.not_entry),
            picked=picked,
            actions=LearnedActions(pick=self.pick, accept=self.accept, reject=self.reject, turn=self.turn),
        )
        return {"embed": learned_embed(self.candidates, self.page, kb, picked), "view": view}

    async def show(self) -> None:
        await self.interaction.edit_original_response(**self.render())

    async def pick(self, press: discord.Interaction, entry_id: str) -> None:
        self.picked[self.candidate.id] = entry_id
        await press.response.edit_message(**self.render())

    async def turn(self, press: discord.Interaction, page: int) -> None:
        self.page = max(0, min(page, len(self.candidates) - 1))
        await press.response.edit_message(**self.render())

    async def accept(self, press: discord.Interaction) -> None:
        """Accept the candidate as the picked entry (or off-topic); the guard decides whether it serves."""
        c, picked = self.candidate, self.picked_for(self.candidate)
        if picked is None:
            await safe_send(press, "Nothing was accepted: pick the entry that answers this question first.")
            return
        await press.response.defer()
        off_topic = picked == OFF_TOPIC
        entry_id = None if off_topic else picked
        try:
            accepted = await self.learning.submit(
                self.learning.accept, c.id, by=actor_of(press.user), entry_id=entry_id, off_topic=off_topic
            )
        finally:  # a clash (CandidateClashes) is held: the page shows it, run_guarded says why
            await self.reload()
            await self.show()
        if accepted.status == SERVED:  # a duplicate of a labelled example: nothing to learn
            await safe_send(press, f"#{accepted.id}: {member_text(accepted.note or 'already known', 1800)}.")
            return
        await safe_send(
            press,
            f"Accepted #{accepted.id} as `{accepted.result}`. The guard is retraining with it; the log channel "
            "will say whether it serves.",
        )

    async def reject(self, press: discord.Interaction) -> None:
        await press.response.defer()
        rejected = await self.learning.submit(self.learning.reject, self.candidate.id, by=actor_of(press.user))
        await self.reload()
        await self.show()
        await safe_send(press, f"Rejected #{rejected.id}: it will not be learned.")
