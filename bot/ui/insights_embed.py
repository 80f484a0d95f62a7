"""The embed beside the insights chart (/faq insights and the weekly digest).

Entry ids follow the loader's pattern, but entry questions (moderators') and queued questions (members')
are free text: every one is escaped (markdown and mentions) and clipped before it goes into the embed.
"""

from __future__ import annotations

import discord

from bot.core.insights.figures import EntryFigures, Insights
from bot.ui.embeds import FIELD_LIMIT, clip
from bot.ui.insights_chart import FILENAME

COLOUR = discord.Colour.blurple()
QUOTE_LIMIT = 90
LABELS = {
    "answer": "answered",
    "earlier": "pointed back",
    "suggest": "suggested",
    "explain": "explain offers",
    "rate_limited": "rate limited",
    "silent": "silent",
}


def escape(text: str) -> str:
    """A member's or moderator's text, safe inside an embed: no markdown, no mentions, one line."""
    return discord.utils.escape_mentions(discord.utils.escape_markdown(" ".join(text.split())))


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


def _entry_line(e: EntryFigures) -> str:
    return f"`{e.entry_id}` · {e.uses} use(s) · 👍 {e.helpful} 👎 {e.not_helpful}"


def _field(embed: discord.Embed, name: str, lines: list[str], empty: str) -> None:
    text = "\n".join(lines) or empty
    if len(text) > FIELD_LIMIT:
        text = text[: FIELD_LIMIT - 2].rsplit("\n", 1)[0] + "\n…"
    embed.add_field(name=name, value=text, inline=False)


def insights_embed(insights: Insights, *, title: str, summary: str | None = None) -> discord.Embed:
    """The figures of one period as an embed that shows the attached chart."""
    by = insights.by_decision
    headline = (
        f"**{insights.total('questions')}** questions · answered **{_percent(insights.answer_rate)}** · "
        f"helpful **{_percent(insights.helpful_ratio)}** (👍 {insights.total('helpful')} "
        f"👎 {insights.total('not_helpful')})"
    )
    detail = " · ".join(f"{LABELS[k]} {n}" for k, n in by.items() if n)
    lines = [summary or headline, detail, f"chatter (not counted) {insights.total('chatter')}"]
    if insights.total("refused"):
        lines.append(f"replies Discord refused: {insights.total('refused')}")
    embed = discord.Embed(
        title=title,
        description="\n".join(line for line in lines if line),
        colour=COLOUR,
    )
    embed.set_image(url=f"attachment://{FILENAME}")
    _field(embed, "Busiest entries", [_entry_line(e) for e in insights.busiest()], "none used")
    _field(embed, "Most voted down", [_entry_line(e) for e in insights.most_voted_down()], "no 👎")
    groups = [
        f"**{g.size}×** “{escape(clip(g.representative, QUOTE_LIMIT))}”"
        + (f" → `{g.closest}`" if g.closest else "")
        + (" 👎" if g.kind == "not_helpful" else "")
        for g in insights.groups[:5]
    ]
    _field(embed, "Largest unanswered groups (/faq unanswered)", groups, "the queue is empty")
    stale = insights.stale()
    _field(
        embed,
        f"Not reviewed for {insights.stale_after_days} days ({len(stale)})",
        [f"`{e.entry_id}` · {e.reviewed}" for e in stale],
        "none",
    )
    unused = insights.unused()
    _field(
        embed,
        f"Nobody needed in the period ({len(unused)})",
        [" ".join(f"`{e.entry_id}`" for e in unused)],
        "every entry was used",
    )
    embed.set_footer(text=f"{insights.first} – {insights.last} (UTC)")
    return embed
