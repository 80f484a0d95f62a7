"""What members thought of the answers, and what the bot could not answer: one SQLite file, all SQL here.

Three tables: `posts` (every answer the bot posted: how often each entry is used), `votes` ("Helpful" /
"Not helpful", one per member per answer, per entry and per question) and `unanswered` (the queue
moderators work from: "Not helpful" votes and question-shaped messages the bot stayed silent on).

The schema is versioned with PRAGMA user_version; WAL keeps readers (stats commands) off the writer's
back. Methods are blocking and thread-safe; async code runs them on the store's single writer thread
with `submit`, which keeps writes in order and lets `close()` wait for the pending ones.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import sqlite3
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any, TypeVar

from bot.core.errors import FeedbackItemNotFound
from bot.core.sqlite_files import DatabaseUnavailable, ExplainingLock, check_integrity, explained
from bot.core.sqlite_wal import use_wal

log = logging.getLogger(__name__)

T = TypeVar("T")
SCHEMA_VERSION = 1
FEEDBACK_WHAT = "feedback database"  # how errors name the file: "the feedback database data/... is damaged"
MAX_QUESTION_CHARS = 2000

_MIGRATIONS: dict[int, str] = {
    1: """
    CREATE TABLE posts (
        message_id INTEGER PRIMARY KEY,          -- the bot's answer message
        entry_id TEXT NOT NULL,
        channel_id INTEGER NOT NULL,
        asker_id INTEGER,
        question_message_id INTEGER,
        question TEXT NOT NULL,
        via TEXT NOT NULL,                       -- channel | ask | pick
        posted_at TEXT NOT NULL
    );
    CREATE INDEX posts_entry ON posts(entry_id);
    CREATE TABLE votes (
        message_id INTEGER NOT NULL,
        voter_id INTEGER NOT NULL,
        entry_id TEXT NOT NULL,
        question TEXT NOT NULL,
        helpful INTEGER NOT NULL,
        voted_at TEXT NOT NULL,
        PRIMARY KEY (message_id, voter_id)
    );
    CREATE INDEX votes_entry ON votes(entry_id);
    CREATE TABLE unanswered (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL,                      -- not_helpful | silence
        question TEXT NOT NULL,
        entry_id TEXT,                           -- the answer judged not helpful
        score REAL,                              -- the matcher's best score, for silences
        channel_id INTEGER,
        message_id INTEGER,
        author_id INTEGER,
        created_at TEXT NOT NULL,
        dismissed_at TEXT
    );
    CREATE INDEX unanswered_open ON unanswered(dismissed_at, id);
    """,
}


class VoteOutcome(Enum):
    NEW = "new"
    CHANGED = "changed"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class Post:
    """One answer the bot posted."""

    message_id: int
    entry_id: str
    channel_id: int
    question: str
    via: str = "channel"
    asker_id: int | None = None
    question_message_id: int | None = None


@dataclass(frozen=True)
class UnansweredItem:
    """One item of the queue moderators review."""

    id: int
    kind: str
    question: str
    entry_id: str | None
    score: float | None
    channel_id: int | None
    message_id: int | None
    author_id: int | None
    created_at: str


@dataclass(frozen=True)
class EntryStats:
    """How an entry fared: times posted and votes."""

    entry_id: str
    posted: int
    helpful: int
    not_helpful: int


@dataclass(frozen=True)
class QuestionStats:
    """Votes on one entry for one way of asking."""

    question: str
    entry_id: str
    helpful: int
    not_helpful: int


def _utc_now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


class FeedbackStore:
    """The feedback database. Open with `FeedbackStore(path)`; close with `close()`."""

    def __init__(self, path: str | Path, *, now: Callable[[], str] = _utc_now) -> None:
        self.path = Path(path)
        self._now = now
        # Any SQLite or OS error (damaged, read-only, full) is one line naming the file: see sqlite_files.
        self._lock = ExplainingLock(FEEDBACK_WHAT, self.path)
        with explained(FEEDBACK_WHAT, self.path):
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            try:
                use_wal(self._conn)
                self._conn.execute("PRAGMA synchronous=NORMAL")
                self._conn.execute("PRAGMA foreign_keys=ON")
                check_integrity(self._conn, FEEDBACK_WHAT, self.path)
                self._migrate()
            except BaseException:
                self._conn.close()
                raise
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="feedback-writer")
        self._pending: list[tuple[Callable[..., Any], tuple[Any, ...]]] = []
        self._closed = self._executor_shut = False

    # --- schema ----------------------------------------------------------------------------------

    def _migrate(self) -> None:
        current = self._conn.execute("PRAGMA user_version").fetchone()[0]
        if current > SCHEMA_VERSION:
            raise sqlite3.DatabaseError(
                f"{self.path}: schema version {current} is newer than this bot understands ({SCHEMA_VERSION})"
            )
        for version in range(current + 1, SCHEMA_VERSION + 1):
            with self._lock:
                self._conn.execute("BEGIN IMMEDIATE")
                try:
                    for statement in _split_sql(_MIGRATIONS[version]):
                        self._conn.execute(statement)
                    self._conn.execute(f"PRAGMA user_version = {version}")
                    self._conn.execute("COMMIT")
                except BaseException:
                    self._conn.execute("ROLLBACK")
                    raise
            log.info("feedback database %s migrated to schema version %d", self.path, version)

    @property
    def schema_version(self) -> int:
        with self._lock:
            return self._conn.execute("PRAGMA user_version").fetchone()[0]

    # --- async bridge ----------------------------------------------------------------------------

    def submit(self, fn: Callable[..., T], /, *args: Any) -> asyncio.Future[T]:
        """Run a store method on the writer thread (after any queued background writes); await its result."""
        self._flush()
        return asyncio.wrap_future(self._executor.submit(fn, *args))

    def submit_background(self, fn: Callable[..., Any], /, *args: Any) -> None:
        """Queue a store method for the writer thread without waiting; a failure is logged.

        Calls queued in one event-loop iteration go to the writer thread as one batch: a busy channel
        costs one thread hand-off per burst instead of one per message.
        """
        self._pending.append((fn, args))
        if len(self._pending) == 1:
            try:
                asyncio.get_running_loop().call_soon(self._flush)
            except RuntimeError:  # called from plain synchronous code: hand it over now
                self._flush()

    def _flush(self) -> None:
        if not self._pending:
            return
        batch, self._pending = self._pending, []
        if self._closed and self._executor_shut:
            # A handler still finishing during shutdown: the database is closed, say what is lost.
            log.warning("feedback store closed: %d late write(s) dropped", len(batch))
            return
        self._executor.submit(_run_batch, batch)

    def close(self) -> None:
        """Finish pending writes, then close the database."""
        if self._closed:
            return
        self._closed = True
        self._flush()
        self._executor.shutdown(wait=True)
        self._executor_shut = True
        with self._lock:
            self._conn.close()

    # --- writes ----------------------------------------------------------------------------------

    def record_post(self, post: Post) -> None:
        """Remember an answer the bot posted."""
        with self._lock:
            self._conn.execute(
                "INSERT OR REPLACE INTO posts (message_id, entry_id, channel_id, asker_id,"
                " question_message_id, question, via, posted_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    post.message_id,
                    post.entry_id,
                    post.channel_id,
                    post.asker_id,
                    post.question_message_id,
                    post.question[:MAX_QUESTION_CHARS],
                    post.via,
                    self._now(),
                ),
            )

    def record_vote(self, message_id: int, voter_id: int, entry_id: str, helpful: bool) -> VoteOutcome:
        """Store a member's vote on an answer (one per member per answer); queue "Not helpful" ones."""
        now = self._now()
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                row = self._conn.execute(
                    "SELECT question, channel_id FROM posts WHERE message_id = ?", (message_id,)
                ).fetchone()
                question, channel_id = row if row else ("", None)
                before = self._conn.execute(
                    "SELECT helpful FROM votes WHERE message_id = ? AND voter_id = ?", (message_id, voter_id)
                ).fetchone()
                if before is not None and bool(before[0]) == helpful:
                    outcome = VoteOutcome.UNCHANGED
                else:
                    outcome = VoteOutcome.NEW if before is None else VoteOutcome.CHANGED
                    self._conn.execute(
                        "INSERT OR REPLACE INTO votes (message_id, voter_id, entry_id, question, helpful,"
                        " voted_at) VALUES (?, ?, ?, ?, ?, ?)",
                        (message_id, voter_id, entry_id, question, int(helpful), now),
                    )
                    if not helpful:
                        self._conn.execute(
                            "INSERT INTO unanswered (kind, question, entry_id, channel_id, message_id,"
                            " author_id, created_at) VALUES ('not_helpful', ?, ?, ?, ?, ?, ?)",
                            (question, entry_id, channel_id, message_id, voter_id, now),
                        )
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
        return outcome

    def record_silence(
        self,
        question: str,
        *,
        score: float,
        channel_id: int | None,
        message_id: int | None,
        author_id: int | None,
    ) -> int:
        """Queue a question-shaped message the bot had no answer for; return the item id."""
        with self._lock:
            cursor = self._conn.execute(
                "INSERT INTO unanswered (kind, question, score, channel_id, message_id, author_id,"
                " created_at) VALUES ('silence', ?, ?, ?, ?, ?, ?)",
                (question[:MAX_QUESTION_CHARS], score, channel_id, message_id, author_id, self._now()),
            )
            return int(cursor.lastrowid or 0)

    def dismiss(self, item_id: int) -> None:
        """Take an item off the unanswered queue; raise FeedbackItemNotFound if it is not open."""
        with self._lock:
            cursor = self._conn.execute(
                "UPDATE unanswered SET dismissed_at = ? WHERE id = ? AND dismissed_at IS NULL",
                (self._now(), item_id),
            )
        if cursor.rowcount == 0:
            raise FeedbackItemNotFound(item_id)

    def dismiss_many(self, item_ids: Iterable[int]) -> int:
        """Take a group of items off the queue in one transaction; return how many were still open."""
        ids = sorted(set(item_ids))
        now = self._now()
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                dismissed = sum(
                    self._conn.execute(
                        "UPDATE unanswered SET dismissed_at = ? WHERE id = ? AND dismissed_at IS NULL", (now, item_id)
                    ).rowcount
                    for item_id in ids
                )
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
        return dismissed

    # --- reads -----------------------------------------------------------------------------------

    def list_unanswered(self, limit: int = 20) -> list[UnansweredItem]:
        """Return open queue items, newest first (bot.core.channel.question_groups groups them by meaning)."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT id, kind, question, entry_id, score, channel_id, message_id, author_id, created_at"
                " FROM unanswered WHERE dismissed_at IS NULL ORDER BY id DESC LIMIT ?",
                (limit,),
            ).fetchall()
        return [UnansweredItem(*row) for row in rows]

    def entry_stats(self) -> list[EntryStats]:
        """Return posts and votes per entry, most posted first."""
        with self._lock:
            rows = self._conn.execute(
                """
                SELECT entry_id, SUM(posted), SUM(helpful), SUM(not_helpful) FROM (
                    SELECT entry_id, COUNT(*) AS posted, 0 AS helpful, 0 AS not_helpful
                    FROM posts GROUP BY entry_id
                    UNION ALL
                    SELECT entry_id, 0, SUM(helpful), SUM(1 - helpful) FROM votes GROUP BY entry_id
                ) GROUP BY entry_id ORDER BY SUM(posted) DESC, entry_id
                """
            ).fetchall()
        return [EntryStats(e, int(p), int(h), int(n)) for e, p, h, n in rows]

    def question_stats(self, entry_id: str | None = None) -> list[QuestionStats]:
        """Return votes grouped by question (and entry), most "Not helpful" first."""
        sql = (
            "SELECT question, entry_id, SUM(helpful), SUM(1 - helpful) FROM votes"
            + (" WHERE entry_id = ?" if entry_id else "")
            + " GROUP BY question, entry_id ORDER BY SUM(1 - helpful) DESC, question"
        )
        with self._lock:
            rows = self._conn.execute(sql, (entry_id,) if entry_id else ()).fetchall()
        return [QuestionStats(q, e, int(h), int(n)) for q, e, h, n in rows]

    def post_for_message(self, message_id: int) -> Post | None:
        """Return the recorded answer with this message id, if any."""
        with self._lock:
            row = self._conn.execute(
                "SELECT message_id, entry_id, channel_id, question, via, asker_id, question_message_id"
                " FROM posts WHERE message_id = ?",
                (message_id,),
            ).fetchone()
        return Post(*row) if row else None


def _split_sql(script: str) -> list[str]:
    # executescript() would COMMIT our transaction; run the statements one by one instead.
    return [s.strip() for s in script.split(";") if s.strip()]


def _run_batch(batch: list[tuple[Callable[..., Any], tuple[Any, ...]]]) -> None:
    for fn, args in batch:
        try:
            fn(*args)
        except DatabaseUnavailable as exc:  # a full disk, a damaged file: the reason fits on one line
            log.warning("feedback write %s failed: %s", getattr(fn, "__name__", fn), exc)
        except Exception:
            log.exception("feedback write failed: %s", getattr(fn, "__name__", fn))
