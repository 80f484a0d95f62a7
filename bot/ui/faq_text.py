"""What moderators read: validation problems, change confirmations, log lines, history, stats, the grouped queue."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import discord

from bot.core.channel.question_groups import QuestionGroup
from bot.core.errors import KnowledgeError
from bot.core.knowledge.changes import Change
from bot.core.knowledge.history import EntryVersion
from bot.core.knowledge.model import MAX_PHRASING_CHARS, KnowledgeBase
from bot.core.knowledge.review import EntryReview
from bot.ui.embeds import DESCRIPTION_LIMIT, FIELD_LIMIT, clip
from bot.ui.escape import md_text

MOD_COLOUR = discord.Colour.blurple()
STALE_MARK = "⚠️ stale"
MESSAGE_LIMIT = 2000
EXAMPLES = 3  # other phrasings shown under a group's representative question
NEXT_GROUPS = 5  # groups after the current one, listed in brief
ACTION_WORDS = {
    "add": "added",
    "edit": "edited",
    "teach": "taught a phrasing to",
    "remove": "removed",
    "restore": "restored",
    "revert": "reverted",
    "original": "original on disk",
    "external": "changed on disk",
}


def issues_text(
    error: KnowledgeError, *, entry_id: str | None = None, with_file: bool = False, limit: int = 1500
) -> str:
    """List what is wrong, one line per problem: the field, the entry when it is another one, the file."""
    lines = []
    for issue in error.issues:
        where = [f"`{issue.file}`"] if with_file else []
        if issue.entry and issue.entry != entry_id:
            where.append(f"entry `{issue.entry}`")
        if issue.field:
            where.append(f"`{issue.field}`")
        if not where:
            where.append(f"`{issue.file}`")
        lines.append(f"• {' '.join(where)}: {issue.problem}")
    return clip("\n".join(lines), limit)


def change_text(change: Change) -> str:
    """Confirm a saved change to the moderator who made it."""
    word = ACTION_WORDS.get(change.action, change.action)
    if not change.changed:
        return f"Nothing to save: `{change.entry_id}` is already like that (version {change.version})."
    live = "" if change.action == "remove" else " It is live now."
    return clip(
        f"{word.capitalize()} `{change.entry_id}` → version {change.version}: {change.summary}.{live}",
        MESSAGE_LIMIT,
    )


def log_text(change: Change, who: str) -> str:
    """One line for the log channel: who, which entry, what changed (sent with no pings allowed)."""
    word = ACTION_WORDS.get(change.action, change.action)
    return clip(f"📝 {who} {word} `{change.entry_id}` (version {change.version}): {change.summary}", MESSAGE_LIMIT)


def group_taught_text(change: Change, taught: int, answered: int, too_long: int) -> str:
    """Confirm a group taught to an entry: the version, how many phrasings now get it, what stayed queued."""
    if not change.changed:
        text = f"Nothing to save: `{change.entry_id}` already has these phrasings (version {change.version})."
    else:
        text = f"Taught {taught} phrasing(s) to `{change.entry_id}` → version {change.version}: {change.summary}."
    text += f" {answered} of {taught} now get `{change.entry_id}`; the group is off the queue."
    if too_long:
        text += f" {too_long} question(s) over {MAX_PHRASING_CHARS} characters stay in the queue."
    return clip(text, MESSAGE_LIMIT)


def history_embed(entry_id: str, versions: Sequence[EntryVersion], *, limit: int = 15) -> discord.Embed:
    """Every version of an entry, newest first: number, action, who, when, what changed."""
    lines = []
    for v in versions[:limit]:
        state = " (in the recycle bin)" if v.removed and v is versions[0] else ""
        when = discord.utils.format_dt(v.at, "R")
        lines.append(
            f"**v{v.version}** {ACTION_WORDS.get(v.action, v.action)} by {md_text(v.actor)} {when}{state}\n"
            f"  {md_text(clip(v.summary, 200))}"
        )
    more = f"\n… and {len(versions) - limit} older" if len(versions) > limit else ""
    embed = discord.Embed(
        title=f"History of {entry_id}",
        description=clip("\n".join(lines) + more, DESCRIPTION_LIMIT),
        colour=MOD_COLOUR,
    )
    embed.set_footer(text="Pick a version below to go back to it (recorded as a new version).")
    return embed


def stats_embed(reviews: Sequence[EntryReview], *, stale_after_days: int) -> discord.Embed:
    """Per entry: times posted, helpful / not helpful, last reviewed; stale entries flagged."""
    stale = sum(r.stale for r in reviews)
    lines = [
        f"`{r.entry_id}` posted {r.posted} · 👍 {r.helpful} · 👎 {r.not_helpful} · reviewed "
        f"{r.reviewed.isoformat()}" + (f" {STALE_MARK}" if r.stale else "")
        for r in reviews
    ]
    embed = discord.Embed(
        title=f"FAQ stats: {len(reviews)} entries, {stale} stale",
        description=clip("\n".join(lines) or "No entries.", DESCRIPTION_LIMIT),
        colour=MOD_COLOUR,
    )
    embed.set_footer(text=f"Stale: not reviewed for more than {stale_after_days} days (an edit marks it reviewed).")
    return embed


def groups_embed(groups: Sequence[QuestionGroup], page: int, kb: KnowledgeBase) -> discord.Embed:
    """The queue grouped by meaning, biggest first: the group on this page in full, the next ones in brief."""
    if not groups:
        return discord.Embed(title="Unanswered questions", description="The queue is empty. 🎉", colour=MOD_COLOUR)
    group = groups[page]
    total = sum(g.size for g in groups)
    lines = [f"**Group {page + 1} of {len(groups)}** · {_size(group)}{_why(group)}{_when(group.latest)}"]
    # Members' questions, word for word: escaped, so a question cannot format or link the moderators' view.
    lines.append(f"> {md_text(clip(group.representative, 300))}")
    others = group.questions[1:]
    if others:
        lines.append("Also asked:")
        lines.extend(
            f"• {md_text(clip(q.text, 150))}" + (f" (×{q.count})" if q.count > 1 else "") for q in others[:EXAMPLES]
        )
        if len(others) > EXAMPLES:
            lines.append(f"… and {len(others) - EXAMPLES} more phrasing(s)")
    if group.closest is not None:
        entry = kb.entries.get(group.closest.entry_id)
        question = f" — “{clip(entry.question, 120)}”" if entry else ""
        lines.append(f"Closest entry: `{group.closest.entry_id}`{question} ({group.closest.figure})")
    else:
        lines.append("Closest entry: none shares a meaningful word; perhaps a new entry.")
    embed = discord.Embed(
        title=f"Unanswered questions: {len(groups)} group(s), {total} question(s)",
        description=clip("\n".join(lines), DESCRIPTION_LIMIT),
        colour=MOD_COLOUR,
    )
    after = groups[page + 1 : page + 1 + NEXT_GROUPS]
    if after:
        brief = [
            f"**{page + 2 + i}.** {_size(g)}{_why(g)}: {md_text(clip(g.representative, 90))}"
            for i, g in enumerate(after)
        ]
        embed.add_field(name="Next", value=clip("\n".join(brief), FIELD_LIMIT), inline=False)
    embed.set_footer(text="Teach this group adds all its phrasings to the entry picked below, as one version.")
    return embed


def _size(group: QuestionGroup) -> str:
    return f"{group.size} question{'s' if group.size != 1 else ''}"


def _why(group: QuestionGroup) -> str:
    if group.kind != "not_helpful":
        return " · no answer"
    voted = ", ".join(f"`{entry}` ×{n}" if n > 1 else f"`{entry}`" for entry, n in group.voted_entries())
    return f" · 👎 “Not helpful” on {voted}"


def _when(created_at: str) -> str:
    """A relative timestamp (" 3 hours ago") when created_at is ISO 8601, else nothing."""
    try:
        return " " + discord.utils.format_dt(dt.datetime.fromisoformat(created_at), "R")
    except ValueError:
        return ""
