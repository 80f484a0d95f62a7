"""The moderators' forms: an entry (add / edit) and "Teach the bot" (pick the entry, adjust the phrasing).

A modal only collects text. Saving, and every rule about what is valid, belongs to the knowledge
store; the callback the cog passes in does that and answers the interaction.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence

import discord

from bot.core.knowledge.model import MAX_ANSWER_CHARS, MAX_ID_CHARS, MAX_QUESTION_CHARS, MIN_ALTERNATES, Entry
from bot.ui.embeds import clip
from bot.ui.replies import report_unexpected

log = logging.getLogger(__name__)

MODAL_TIMEOUT = 15 * 60  # writing a good answer takes a while
TITLE_LIMIT = 45
LIST_LIMIT = 4000  # Discord's text-input limit
SOURCES_LIMIT = 1000
PHRASING_INPUT_LIMIT = 1000
SELECT_LIMIT = 25

SaveCallback = Callable[[discord.Interaction, dict[str, str]], Awaitable[None]]


def entry_values(entry: Entry) -> dict[str, str]:
    """The text an edit form starts with, one field per input."""
    return {
        "id": entry.id,
        "question": entry.question,
        "alternates": "\n".join(entry.alternates),
        "answer": entry.answer,
        "sources": "\n".join(entry.sources),
    }


def fits_in_form(values: Mapping[str, str]) -> bool:
    """Tell whether an entry's text fits Discord's input limits (else it is edited in the file)."""
    return len(values.get("alternates", "")) <= LIST_LIMIT and len(values.get("sources", "")) <= SOURCES_LIMIT


class EntryModal(discord.ui.Modal):
    """Id (new entries only), question, alternate phrasings one per line, answer, sources one per line."""

    def __init__(
        self, *, title: str, on_save: SaveCallback, values: Mapping[str, str] | None = None, with_id: bool = True
    ) -> None:
        super().__init__(title=clip(title, TITLE_LIMIT), timeout=MODAL_TIMEOUT)
        self._on_save = on_save
        self._inputs: dict[str, discord.ui.TextInput] = {}
        values = values or {}
        short, paragraph = discord.TextStyle.short, discord.TextStyle.paragraph
        if with_id:
            self._add(
                "id", "Entry id", "Lowercase words joined by hyphens, like proposal-cost", short, MAX_ID_CHARS, values
            )
        self._add(
            "question", "Question", "The question members see as the answer's title", short, MAX_QUESTION_CHARS, values
        )
        self._add(
            "alternates",
            "Other ways members ask it",
            f"One per line, at least {MIN_ALTERNATES}",
            paragraph,
            LIST_LIMIT,
            values,
        )
        self._add(
            "answer", "Answer", f"Markdown, at most {MAX_ANSWER_CHARS} characters", paragraph, MAX_ANSWER_CHARS, values
        )
        self._add("sources", "Sources", "One URL per line", paragraph, SOURCES_LIMIT, values)

    def _add(
        self, key: str, label: str, description: str, style: discord.TextStyle, limit: int, values: Mapping[str, str]
    ) -> None:
        default = values.get(key) or None
        text_input = discord.ui.TextInput(
            custom_id=key,
            style=style,
            max_length=limit,
            required=True,
            default=default[:limit] if default else None,
        )
        self.add_item(discord.ui.Label(text=label, description=description, component=text_input))
        self._inputs[key] = text_input

    def values(self) -> dict[str, str]:
        """What the moderator typed, by field."""
        return {key: text_input.value for key, text_input in self._inputs.items()}

    async def on_submit(self, interaction: discord.Interaction, /) -> None:
        await self._on_save(interaction, self.values())

    async def on_error(self, interaction: discord.Interaction, error: Exception, /) -> None:
        await report_unexpected(interaction, error, f"the {self.title!r} form")


class TeachModal(discord.ui.Modal):
    """Pick the entry a message should have matched (closest first, or type its id); adjust the phrasing."""

    def __init__(
        self, *, phrasing: str, choices: Sequence[tuple[str, str]], on_save: SaveCallback, typed_id: str = ""
    ) -> None:
        super().__init__(title="Teach the bot", timeout=MODAL_TIMEOUT)
        self._on_save = on_save
        self.entry_select: discord.ui.Select | None = None
        if choices:
            self.entry_select = discord.ui.Select(
                custom_id="entry",
                placeholder="The entry it should have matched",
                required=False,
                min_values=0,
                max_values=1,
                options=[
                    discord.SelectOption(label=clip(question, 100), value=entry_id, description=entry_id)
                    for entry_id, question in choices[:SELECT_LIMIT]
                ],
            )
            self.add_item(
                discord.ui.Label(text="Entry", description="Closest entries first", component=self.entry_select)
            )
        self.typed_id = discord.ui.TextInput(
            custom_id="entry_id",
            required=not choices,
            max_length=MAX_ID_CHARS,
            default=typed_id or None,
            placeholder="e.g. proposal-cost",
        )
        self.add_item(
            discord.ui.Label(
                text="Entry id" if not choices else "…or type the entry id",
                description="Used instead of the list when filled in",
                component=self.typed_id,
            )
        )
        self.phrasing = discord.ui.TextInput(
            custom_id="phrasing",
            style=discord.TextStyle.paragraph,
            max_length=PHRASING_INPUT_LIMIT,
            default=clip(phrasing, PHRASING_INPUT_LIMIT) or None,
            required=True,
        )
        self.add_item(
            discord.ui.Label(
                text="New phrasing",
                description="How the member asked it; trim it if you like",
                component=self.phrasing,
            )
        )

    def values(self) -> dict[str, str]:
        """The chosen entry id (typed wins over picked) and the phrasing."""
        picked = self.entry_select.values[0] if self.entry_select and self.entry_select.values else ""
        typed = (self.typed_id.value or "").strip()
        return {"entry_id": typed or picked, "typed_id": typed, "phrasing": self.phrasing.value or ""}

    async def on_submit(self, interaction: discord.Interaction, /) -> None:
        await self._on_save(interaction, self.values())

    async def on_error(self, interaction: discord.Interaction, error: Exception, /) -> None:
        await report_unexpected(interaction, error, "the Teach the bot form")
