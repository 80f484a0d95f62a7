"""Embed builders: turn core objects (entries, candidates) into what members see."""

from __future__ import annotations

from collections.abc import Sequence

import discord

from bot.core.knowledge.model import Entry, KnowledgeBase
from bot.core.matching.matcher import Candidate

ANSWER_COLOUR = discord.Colour.green()
SUGGEST_COLOUR = discord.Colour.gold()
NO_ANSWER_COLOUR = discord.Colour.light_grey()
TITLE_LIMIT, DESCRIPTION_LIMIT, FIELD_LIMIT = 256, 4096, 1024
SUGGEST_TEXT = "Did you mean…"


def clip(text: str, limit: int) -> str:
    """Shorten text to Discord's limit, marking the cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def answer_embed(entry: Entry, see_also: Sequence[Entry] = ()) -> discord.Embed:
    """The answer card: question as title, the answer, and entry id + review date in the footer.

    see_also lists entries a post also asked about (a post asking two things): named, with the
    command that shows each, so the asker can read the second answer without anyone being pinged.
    """
    embed = discord.Embed(
        title=clip(entry.question, TITLE_LIMIT),
        description=clip(entry.answer, DESCRIPTION_LIMIT),
        colour=ANSWER_COLOUR,
    )
    if see_also:
        lines = "\n".join(f"• {other.question} (`/faq show {other.id}`)" for other in see_also)
        embed.add_field(name="You also asked", value=clip(lines, FIELD_LIMIT), inline=False)
    if entry.sources:
        embed.add_field(name="Sources", value=clip("\n".join(entry.sources), FIELD_LIMIT), inline=False)
    embed.set_footer(text=f"{entry.id} · reviewed {entry.reviewed.isoformat()}")
    return embed


def suggestion_embed(candidates: Sequence[Candidate], kb: KnowledgeBase) -> discord.Embed:
    """The "Did you mean…" card listing the candidate questions (the buttons repeat them)."""
    lines = [f"{i}. {kb.entries[c.entry_id].question}" for i, c in enumerate(candidates, 1) if c.entry_id in kb.entries]
    return discord.Embed(
        title=SUGGEST_TEXT, description=clip("\n".join(lines), DESCRIPTION_LIMIT), colour=SUGGEST_COLOUR
    )


def no_answer_embed(candidates: Sequence[Candidate], kb: KnowledgeBase) -> discord.Embed:
    """Say plainly there is no confident answer, and list the closest entries."""
    lines = [
        f"• {kb.entries[c.entry_id].question} (`/faq show id:{c.entry_id}`)"
        for c in candidates
        if c.entry_id in kb.entries
    ]
    description = "I don't have a confident answer to that."
    if lines:
        description += " The closest entries I have:\n" + "\n".join(lines)
    return discord.Embed(
        title="No confident answer", description=clip(description, DESCRIPTION_LIMIT), colour=NO_ANSWER_COLOUR
    )


def earlier_answer_text(jump_url: str) -> str:
    """The short reply pointing to an answer the bot posted a moment ago."""
    return f"This was answered just above: {jump_url}"
