"""What moderators read: validation problems, change confirmations, log lines, history, stats, the queue."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import discord

from bot.core.errors import KnowledgeError
from bot.core.feedback import UnansweredItem
from bot.core.kb_history import EntryVersion
from bot.core.kb_review import EntryReview
from bot.core.kb_store import Change
from bot.ui.embeds import DESCRIPTION_LIMIT, clip

MOD_COLOUR = discord.Colour.blurple()
STALE_MARK = "⚠️ stale"
MESSAGE_LIMIT = 2000
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


def history_embed(entry_id: str, versions: Sequence[EntryVersion], *, limit: int = 15) -> discord.Embed:
    """Every version of an entry, newest first: number, action, who, when, what changed."""
    lines = []
    for v in versions[:limit]:
        state = " (in the recycle bin)" if v.removed and v is versions[0] else ""
        when = discord.utils.format_dt(v.at, "R")
        lines.append(
            f"**v{v.version}** {ACTION_WORDS.get(v.action, v.action)} by {v.actor} {when}{state}\n"
            f"  {clip(v.summary, 200)}"
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


def unanswered_embed(items: Sequence[UnansweredItem], *, shown: int) -> discord.Embed:
    """The review queue, newest first: what was asked, and why it is here."""
    lines = []
    for item in items[:shown]:
        why = "no answer" if item.kind == "silence" else f"“Not helpful” on `{item.entry_id}`"
        when = _when(item.created_at)
        lines.append(f"**#{item.id}** {why}{when}\n> {clip(' '.join(item.question.split()), 200)}")
    more = f"\n… {len(items) - shown} more after these" if len(items) > shown else ""
    return discord.Embed(
        title="Unanswered questions",
        description=clip("\n".join(lines) + more, DESCRIPTION_LIMIT) if lines else "The queue is empty. 🎉",
        colour=MOD_COLOUR,
    )


def _when(created_at: str) -> str:
    try:
        return " " + discord.utils.format_dt(dt.datetime.fromisoformat(created_at), "R")
    except ValueError:
        return ""
