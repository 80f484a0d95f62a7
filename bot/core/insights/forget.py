"""Forget one member (`python -m bot kb forget-member DISCORD_ID`): every stored text and id of theirs, in every file.

The files the bot writes, and what each holds of a member:
* feedback (`feedback.path`): their questions under posted answers, their votes, their queued questions,
  and their questions copied into others' votes and "Not helpful" queue items. Texts are blanked or
  deleted; their posts and votes stay as counts (no text, no id: a negative stand-in replaces a voter);
* the decision log (`insights.path`): no text or id of anyone; the links from decisions to the bot's
  replies to them are cleared (found through the feedback file's posts);
* the knowledge history (`knowledge.history_path`): a moderator's id in `actor` becomes `discord:forgotten`
  (their edits stay, as the knowledge base's record). Texts taught from members' messages are knowledge
  the moderators chose to publish, not the member's data, and are kept;
* the ledger (`ledger.path`): the link from a marketplace profile to their Discord account is removed;
  its access log (`<ledger>.audit.sqlite3`) keeps every lookup but with their id as `discord:forgotten`.
* the learning store (`learning.path`): their signals, and the questions only they were behind
  (bot.core.learning.candidates.forget_member_in); a served example stays in learned.yaml, without any id;
* the embedding cache holds phrasings and labelled examples only, never a member's message.
Every file is changed with secure_delete, vacuumed and its write-ahead log emptied (bot.core.insights.scrub).
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from bot.core.insights.scrub import has_table, scrub
from bot.core.learning.candidates import forget_member_in

FORGOTTEN = "discord:forgotten"


@dataclass(frozen=True)
class Forgotten:
    """What was removed from one file."""

    store: str
    path: Path
    removed: dict[str, int]

    def __str__(self) -> str:
        what = ", ".join(f"{n} {name}" for name, n in self.removed.items()) or "nothing stored"
        return f"{self.store} ({self.path}): {what}"


def forget_in_feedback(conn: sqlite3.Connection, member: int) -> tuple[dict[str, int], list[int]]:
    """Blank the member's texts and ids in the feedback file; return the counts and their answers' reply ids."""
    if not has_table(conn, "posts"):
        return {}, []
    replies = [row[0] for row in conn.execute("SELECT message_id FROM posts WHERE asker_id = ?", (member,))]
    marks = ",".join("?" * len(replies)) or "NULL"
    removed = {
        "queued questions": conn.execute(
            f"DELETE FROM unanswered WHERE author_id = ? OR (kind = 'not_helpful' AND message_id IN ({marks}))",
            (member, *replies),
        ).rowcount,
        "votes (kept as counts)": conn.execute(
            "UPDATE votes SET question = '', voter_id = -rowid WHERE voter_id = ?", (member,)
        ).rowcount,
        "questions in others' votes": conn.execute(
            f"UPDATE votes SET question = '' WHERE message_id IN ({marks}) AND question != ''", replies
        ).rowcount,
        "answered questions (kept as counts)": conn.execute(
            "UPDATE posts SET question = '', asker_id = NULL, question_message_id = NULL WHERE asker_id = ?", (member,)
        ).rowcount,
    }
    return removed, replies


def forget_member(
    member: int,
    *,
    feedback: Path,
    decisions: Path,
    history: Path,
    ledger: Path,
    audit: Path,
    learning: Path | None = None,
) -> list[Forgotten]:
    """Remove every text and id of one member from every file the bot writes (blocking); say what went."""
    found: list[int] = []

    def in_feedback(conn: sqlite3.Connection) -> dict[str, int]:
        removed, replies = forget_in_feedback(conn, member)
        found.extend(replies)
        return removed

    report = [Forgotten("feedback", feedback, scrub(feedback, in_feedback) or {})]

    def in_decisions(conn: sqlite3.Connection) -> dict[str, int]:
        if not has_table(conn, "decisions"):
            return {}
        cleared = sum(
            conn.execute("UPDATE decisions SET reply_message_id = NULL WHERE reply_message_id = ?", (r,)).rowcount
            for r in found
        )
        return {"links to replies": cleared}

    report.append(Forgotten("decision log", decisions, scrub(decisions, in_decisions) or {}))
    label = re.compile(rf"discord:{member}\b( \([^)]*\))?")

    def in_history(conn: sqlite3.Connection) -> dict[str, int]:
        if not has_table(conn, "entry_versions"):
            return {}
        rows = conn.execute(
            "SELECT entry_id, version, actor FROM entry_versions WHERE actor LIKE ?", (f"discord:{member}%",)
        ).fetchall()
        changed = [(label.sub(FORGOTTEN, actor), e, v) for e, v, actor in rows if label.search(actor)]
        conn.executemany("UPDATE entry_versions SET actor = ? WHERE entry_id = ? AND version = ?", changed)
        return {"versions' actor": len(changed)}

    report.append(Forgotten("knowledge history", history, scrub(history, in_history) or {}))

    def in_ledger(conn: sqlite3.Connection) -> dict[str, int]:
        if not has_table(conn, "profiles"):
            return {}
        sql = "UPDATE profiles SET discord_id = NULL WHERE discord_id = ?"
        return {"profile links": conn.execute(sql, (str(member),)).rowcount}

    report.append(Forgotten("ledger", ledger, scrub(ledger, in_ledger) or {}))

    def in_audit(conn: sqlite3.Connection) -> dict[str, int]:
        if not has_table(conn, "access_log"):
            return {}
        rows = conn.execute(
            "SELECT seq, viewer, subject, what FROM access_log WHERE viewer LIKE ?1 OR subject LIKE ?1 OR what LIKE ?1",
            (f"%discord:{member}%",),
        ).fetchall()
        changed = [(*(label.sub(FORGOTTEN, v) for v in values), seq) for seq, *values in rows]
        conn.executemany("UPDATE access_log SET viewer = ?, subject = ?, what = ? WHERE seq = ?", changed)
        return {"access-log rows (kept, id replaced)": len(changed)}

    report.append(Forgotten("ledger access log", audit, scrub(audit, in_audit) or {}))

    def in_learning(conn: sqlite3.Connection) -> dict[str, int]:
        return forget_member_in(conn, member) if has_table(conn, "signals") else {}

    if learning is not None:
        report.append(Forgotten("learning candidates", learning, scrub(learning, in_learning) or {}))
    return report
