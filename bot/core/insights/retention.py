"""Members' words are kept only as long as a moderator needs them: `feedback.retention_days` (default 180).

What is personal here, and what the daily purge (and the one at start) does with it:
* the feedback database (bot.core.channel.feedback): the question under each posted answer and its
  asker's ids (`posts`) are blanked; votes keep their vote but lose the question and the voter (a
  negative stand-in id keeps the table's one-vote-per-member key unique); queue items (`unanswered`:
  the question and its author) are deleted. Counts per entry (/faq stats) stay;
* the decision log holds no member's words or id, but its rows link a decision to the bot's reply (to
  join a pick or a vote): older rows are deleted. Nothing reads them after that long (a pick or a vote
  comes within days), and every report reads the per-day counts (`daily`, `entry_daily`), which stay.
  Without this the log grew by its rows for ever (about 111 MB a million decisions); now it holds
  retention_days of them, and the pages the purge frees (zeroed) are reused, so the file stops growing.
Both files are changed with secure_delete and their write-ahead logs emptied (bot.core.insights.scrub).
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from bot.core.insights.decision_log import day_of
from bot.core.insights.scrub import has_table, scrub

DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class Purged:
    """What one purge removed."""

    posts: int = 0
    votes: int = 0
    queue_items: int = 0
    decisions: int = 0

    def __str__(self) -> str:
        return (
            f"{self.posts} answer question(s), {self.votes} vote question(s), {self.queue_items} queue item(s), "
            f"{self.decisions} decision row(s)"
        )


def purge_feedback(conn: sqlite3.Connection, cutoff: str) -> tuple[int, int, int]:
    """Blank or delete what is older than cutoff (an ISO time, the feedback store's own format)."""
    if not has_table(conn, "posts"):
        return 0, 0, 0
    posts = conn.execute(
        "UPDATE posts SET question = '', asker_id = NULL, question_message_id = NULL"
        " WHERE posted_at < ? AND (question != '' OR asker_id IS NOT NULL OR question_message_id IS NOT NULL)",
        (cutoff,),
    ).rowcount
    votes = conn.execute(
        "UPDATE votes SET question = '', voter_id = -rowid WHERE voted_at < ? AND voter_id >= 0", (cutoff,)
    ).rowcount
    queue = conn.execute("DELETE FROM unanswered WHERE created_at < ?", (cutoff,)).rowcount
    return posts, votes, queue


def purge(feedback_path: Path | None, decisions_path: Path, *, retention_days: int, now: dt.datetime) -> Purged:
    """Remove members' texts and ids older than retention_days from both files (blocking).

    feedback_path is None when the feedback database is out of service (damaged): it is left alone.
    """
    cutoff = now - retention_days * DAY
    iso = cutoff.astimezone(dt.UTC).isoformat(timespec="seconds")
    counts = (0, 0, 0)
    if feedback_path is not None:
        counts = scrub(feedback_path, lambda conn: purge_feedback(conn, iso), vacuum=None) or counts
    before = day_of(cutoff.timestamp())

    def delete_rows(conn: sqlite3.Connection) -> int:
        if not has_table(conn, "decisions"):
            return 0
        return conn.execute("DELETE FROM decisions WHERE day < ?", (before,)).rowcount

    # No VACUUM: rebuilding a file of retention_days of decisions every day would hold the bot's writes up;
    # the freed pages are zeroed (secure_delete) and reused by the next days' rows.
    rows = scrub(decisions_path, delete_rows, vacuum=False) or 0
    return Purged(*counts, decisions=rows)
