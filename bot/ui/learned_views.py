"""The /faq learned page: one candidate example at a time, with accept (as it is, or moved), reject and paging.

The question is a member's text: it is shown with its markdown and mentions escaped (bot.ui.escape), so
"@everyone" or a fake heading reads as typed and never formats or pings. A candidate whose accept the clash
guard held (bot.core.learning.clashes) shows why: the labelled example it clashes with, file and label.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

import discord

from bot.core.knowledge.model import KnowledgeBase
from bot.core.learning.candidates import HELD, OFF_TOPIC, PENDING, Candidate
from bot.ui.embeds import DESCRIPTION_LIMIT, FIELD_LIMIT, clip
from bot.ui.escape import md_text
from bot.ui.faq_views import SELECT_LIMIT, Handler, OwnedView, run_guarded

COLOUR = discord.Colour.blurple()
SIGNAL_WORDS = {
    "pick": "picked it",
    "helpful": "voted Helpful",
    "not_helpful": "voted Not helpful",
    "teach": "taught it",
}
OFF_TOPIC_LABEL = "Off-topic: the bot should stay silent"


def member_text(text: str, limit: int) -> str:
    """A member's text made inert for an embed: markdown, mentions and control characters escaped, then clipped."""
    return clip(md_text(text), limit)


def learned_embed(candidates: Sequence[Candidate], page: int, kb: KnowledgeBase, picked: str | None) -> discord.Embed:
    """The candidate on this page: the question, what the signals say, who said it, and what accepting does."""
    if not candidates:
        return discord.Embed(title="Learned from members", description="Nothing to review. 🎉", colour=COLOUR)
    c = candidates[page]
    says = f"`{c.entry_id}`" if c.entry_id else f"not `{c.not_entry}` (which entry answers it?)"
    lines = [
        f"**Candidate #{c.id}** · {page + 1} of {len(candidates)} · {c.status}",
        f"> {member_text(c.question, 1500)}",
    ]
    lines.append(f"Members say: {says}")
    entry = kb.entries.get(picked or "")
    if picked == OFF_TOPIC:
        lines.append("Accepting teaches the bot to stay silent on it.")
    elif entry is not None:
        lines.append(f"Accepting teaches it as `{entry.id}` — “{clip(entry.question, 120)}”")
    embed = discord.Embed(
        title=f"Learned from members: {len(candidates)} to review",
        description=clip("\n".join(lines), DESCRIPTION_LIMIT),
        colour=COLOUR,
    )
    who = [f"<@{s.who}> {SIGNAL_WORDS.get(s.signal, s.signal)}{' (asker)' if s.by_asker else ''}" for s in c.signals]
    embed.add_field(name="Signals", value=clip("\n".join(who) or "none", FIELD_LIMIT), inline=False)
    if c.status == HELD and c.note:
        embed.add_field(name="Held back by the guard", value=member_text(c.note, FIELD_LIMIT), inline=False)
    if c.status == PENDING and c.note and c.known and c.known.get("kind") == "clash":
        embed.add_field(name="Not accepted: it clashes", value=member_text(c.note, FIELD_LIMIT), inline=False)
    embed.set_footer(text="Accepted examples serve only if the model trained on them does no worse (the guard).")
    return embed


EntryPicked = Callable[[discord.Interaction, str], Awaitable[None]]


@dataclass(frozen=True)
class LearnedActions:
    """What the page's controls do (the cog supplies them)."""

    pick: EntryPicked  # an entry (or off-topic) chosen to accept the candidate as
    accept: Handler
    reject: Handler
    turn: Callable[[discord.Interaction, int], Awaitable[None]]


def learned_view(
    owner_id: int,
    *,
    page: int,
    pages: int,
    choices: Sequence[tuple[str, str]],
    picked: str | None,
    actions: LearnedActions,
) -> OwnedView:
    """Accept as (menu: the signals' entry first, then the closest, then off-topic), accept, reject, page."""
    view = OwnedView(owner_id)
    if pages == 0:
        return view
    options = [
        discord.SelectOption(
            label=clip(question, 100), value=entry_id, description=entry_id, default=entry_id == picked
        )
        for entry_id, question in choices[: SELECT_LIMIT - 1]
    ]
    options.append(discord.SelectOption(label=OFF_TOPIC_LABEL, value=OFF_TOPIC, default=picked == OFF_TOPIC))
    select: discord.ui.Select = discord.ui.Select(placeholder="Accept as… (move it)", row=0, options=options)

    async def chosen(interaction: discord.Interaction) -> None:
        await run_guarded(interaction, "learned pick entry", lambda i: actions.pick(i, select.values[0]))

    select.callback = chosen  # type: ignore[method-assign]
    view.add_item(select)
    label = f"Accept as {picked}" if picked else "Accept (pick an entry first)"
    accept = view.add_button(label, discord.ButtonStyle.success, actions.accept, where="learned accept", row=1)
    accept.disabled = picked is None
    view.add_button("Reject", discord.ButtonStyle.danger, actions.reject, where="learned reject", row=1)
    for label, target in (("◀ Previous", page - 1), ("Next ▶", page + 1)):

        async def turn(interaction: discord.Interaction, to: int = target) -> None:
            await actions.turn(interaction, to)

        button = view.add_button(label, discord.ButtonStyle.secondary, turn, where="learned page", row=2)
        button.disabled = not 0 <= target < pages
    return view
