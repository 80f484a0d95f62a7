"""The decision log: one row for every message that reached a decision, and what happened next. All SQL here.

A row holds no member's words and no member's id, by design: the time, the channel, how the question came
(`channel` or `ask`), the decision (answer / suggest / silent / earlier / rate_limited / explain), the entry
and its confidence, whether it was a thread follow-up, and its outcome (posted, refused by Discord, or none
for a decision that posts nothing). A later pick of a suggestion and members' votes are added to the row,
found through the bot's own reply id (`reply_message_id`). Rows older than `feedback.retention_days` are
deleted (bot.core.insights.retention); the per-day counts below stay. Chatter settled before the model
is only counted, per day and channel.

Writes cost the event loop one list append: rows queued within a second are written by the log's own
thread in one transaction (a busy channel is one commit a second, not one per message). The same
transaction keeps the counts reports read: `daily` (decisions per day, decision, outcome, picked) and
`entry_daily` (each entry's uses per day); a pick or a vote moves a decision between them. A log of a
million decisions answers in milliseconds, and these are the aggregates that stay whatever is purged.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from bot.core.sqlite_wal import use_wal

log = logging.getLogger(__name__)

T = TypeVar("T")
SCHEMA_VERSION = 1
DAY_SECONDS = 86400
FLUSH_SECONDS = 1.0  # queued records are written at least this often (and before any read)

# The desk's Reply values (bot.core.channel.desk) -> the log's short decision names.
DECISIONS = {
    "answer": "answer",
    "suggest": "suggest",
    "silent": "silent",
    "point to the earlier answer": "earlier",
    "member rate limit reached": "rate_limited",
    "offer a private explanation": "explain",
}
KINDS = ("answer", "earlier", "suggest", "explain", "rate_limited", "silent")
OUTCOMES = ("posted", "refused", "none")

_SCHEMA = """
CREATE TABLE decisions (
    id INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,                 -- unix seconds, UTC
    day INTEGER NOT NULL,                -- days since 1970-01-01, UTC
    channel_id INTEGER,
    via TEXT NOT NULL,                   -- channel | ask
    decision TEXT NOT NULL,              -- see KINDS
    entry_id TEXT,                       -- the entry answered, pointed to, or suggested first
    confidence REAL,
    followup INTEGER NOT NULL DEFAULT 0, -- a thread follow-up read with the thread's opener
    outcome TEXT NOT NULL,               -- posted | refused | none
    reply_message_id INTEGER,            -- the bot's reply (links picks and votes), cleared after retention
    picked_entry TEXT,                   -- the suggestion the asker picked
    helpful INTEGER NOT NULL DEFAULT 0,
    not_helpful INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX decisions_day ON decisions(day);
CREATE INDEX decisions_reply ON decisions(reply_message_id) WHERE reply_message_id IS NOT NULL;
CREATE TABLE daily (                     -- the same decisions counted per day: what every report reads
    day INTEGER NOT NULL,
    decision TEXT NOT NULL,
    outcome TEXT NOT NULL,
    picked INTEGER NOT NULL,             -- 1: a suggestion the asker picked
    count INTEGER NOT NULL,
    helpful INTEGER NOT NULL,
    not_helpful INTEGER NOT NULL,
    PRIMARY KEY (day, decision, outcome, picked)
) WITHOUT ROWID;
CREATE TABLE entry_daily (               -- uses of each entry per day (see used_entry), with their votes
    day INTEGER NOT NULL,
    entry_id TEXT NOT NULL,
    uses INTEGER NOT NULL,
    helpful INTEGER NOT NULL,
    not_helpful INTEGER NOT NULL,
    PRIMARY KEY (day, entry_id)
) WITHOUT ROWID;
CREATE TABLE chatter (
    day INTEGER NOT NULL,
    channel_id INTEGER NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (day, channel_id)
) WITHOUT ROWID;
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)
"""


@dataclass(frozen=True)
class Noted:
    """One decision as the front end settled it."""

    at: float
    channel_id: int | None
    via: str
    decision: str
    entry_id: str | None
    confidence: float | None
    followup: bool
    outcome: str
    reply_message_id: int | None = None


@dataclass(frozen=True)
class DayRow:
    """Decisions of one day with one decision and outcome: how many, how many picked, their votes."""

    day: int
    decision: str
    outcome: str
    picked: bool
    count: int
    helpful: int
    not_helpful: int


@dataclass(frozen=True)
class EntryRow:
    """Uses of one entry in a period: posted answers, pointers back, picks; and their votes."""

    entry_id: str
    uses: int
    helpful: int
    not_helpful: int


def used_entry(decision: str, outcome: str, entry_id: str | None, picked: str | None) -> str | None:
    """The entry a decision used: an answer or a pointer posted, or the suggestion the asker picked."""
    if outcome != "posted":
        return None
    if picked:
        return picked
    return entry_id if decision in ("answer", "earlier") else None


def day_of(at: float) -> int:
    """The UTC day number of a unix time."""
    return int(at // DAY_SECONDS)


class DecisionLog:
    """The log's SQLite file. `note` and the other writes queue; reads are blocking (run them off the loop)."""

    def __init__(self, path: str | Path, *, now: Callable[[], float] = time.time) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.now = now
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        use_wal(self._conn)
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.execute("PRAGMA busy_timeout=15000")
        self._migrate()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="decision-log")
        self._pending: list[tuple[str, tuple[Any, ...]]] = []
        self._scheduled = False
        self._chatter: Counter[tuple[int, int]] = Counter()
        self._closed = False

    def _migrate(self) -> None:
        current = self._conn.execute("PRAGMA user_version").fetchone()[0]
        if current > SCHEMA_VERSION:
            raise sqlite3.DatabaseError(
                f"{self.path}: schema version {current} is newer than this bot understands ({SCHEMA_VERSION})"
            )
        if current == SCHEMA_VERSION:
            return
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                for statement in (s.strip() for s in _SCHEMA.split(";")):
                    if statement:
                        self._conn.execute(statement)
                self._conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise

    # --- writes: queued, one transaction per batch ------------------------------------------------

    def note(self, noted: Noted) -> None:
        """Record one decision (queued: returns at once)."""
        row = (
            int(noted.at),
            day_of(noted.at),
            noted.channel_id,
            noted.via,
            noted.decision,
            noted.entry_id,
            noted.confidence,
            int(noted.followup),
            noted.outcome,
            noted.reply_message_id,
        )
        self._queue("note", row)

    def note_chatter(self, channel_id: int) -> None:
        """Count one message settled as chatter before the model (per day and channel; nothing else kept)."""
        key = (day_of(self.now()), channel_id)
        self._chatter[key] += 1
        self._schedule()

    def note_pick(self, reply_message_id: int, entry_id: str) -> None:
        """The asker picked a suggestion on this reply."""
        self._queue("pick", (entry_id, reply_message_id))

    def note_vote(self, reply_message_id: int, helpful: bool, *, changed: bool) -> None:
        """A member voted on this reply (changed: they had voted the other way before)."""
        self._queue("vote", (reply_message_id, helpful, changed))

    def _queue(self, kind: str, args: tuple[Any, ...]) -> None:
        self._pending.append((kind, args))
        self._schedule()

    def _schedule(self) -> None:
        # One write per FLUSH_SECONDS at most: a commit per event-loop iteration cost a busy channel
        # about a tenth of its CPU (bench/bench_discord.py). A read (`submit`) or close writes at once.
        if self._scheduled:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # synchronous caller: hand it over now
            self._flush()
            return
        self._scheduled = True
        loop.call_later(FLUSH_SECONDS, self._flush)

    def _flush(self) -> None:
        self._scheduled = False
        if not self._pending and not self._chatter:
            return
        batch, self._pending = self._pending, []
        chatter, self._chatter = self._chatter, Counter()
        if self._closed:
            log.warning("decision log closed: %d late record(s) dropped", len(batch) + sum(chatter.values()))
            return
        self._executor.submit(self._write, batch, chatter)

    def _write(self, batch: list[tuple[str, tuple[Any, ...]]], chatter: Counter[tuple[int, int]]) -> None:
        rows = [args for kind, args in batch if kind == "note"]
        kinds = Counter((r[1], r[4], r[8], 0) for r in rows)
        uses = Counter((r[1], used) for r in rows if (used := used_entry(r[4], r[8], r[5], None)))
        try:
            with self._lock:
                self._conn.execute("BEGIN IMMEDIATE")
                try:
                    self._conn.executemany(
                        "INSERT INTO decisions (at, day, channel_id, via, decision, entry_id, confidence, followup,"
                        " outcome, reply_message_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        rows,
                    )
                    self._count([(*key, n, 0, 0) for key, n in kinds.items()])
                    self._count_uses([(*key, n, 0, 0) for key, n in uses.items()])
                    self._conn.executemany(
                        "INSERT INTO chatter (day, channel_id, count) VALUES (?, ?, ?)"
                        " ON CONFLICT (day, channel_id) DO UPDATE SET count = count + excluded.count",
                        [(day, channel, n) for (day, channel), n in chatter.items()],
                    )
                    for kind, args in batch:
                        if kind == "pick":
                            self._pick(*args)
                        elif kind == "vote":
                            self._vote(*args)
                    self._conn.execute("COMMIT")
                except BaseException:
                    self._conn.execute("ROLLBACK")
                    raise
        except Exception:
            log.exception("decision log write failed (%d record(s) lost)", len(batch))

    def _count(self, changes: list[tuple[Any, ...]]) -> None:
        """Add (day, decision, outcome, picked, count, helpful, not_helpful) to the daily counts."""
        self._conn.executemany(
            "INSERT INTO daily (day, decision, outcome, picked, count, helpful, not_helpful)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT DO UPDATE SET count = count + excluded.count, helpful = helpful + excluded.helpful,"
            " not_helpful = not_helpful + excluded.not_helpful",
            changes,
        )

    def _count_uses(self, changes: list[tuple[Any, ...]]) -> None:
        """Add (day, entry, uses, helpful, not_helpful) to the entries' daily uses."""
        self._conn.executemany(
            "INSERT INTO entry_daily (day, entry_id, uses, helpful, not_helpful) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT DO UPDATE SET uses = uses + excluded.uses, helpful = helpful + excluded.helpful,"
            " not_helpful = not_helpful + excluded.not_helpful",
            changes,
        )

    def _replied(self, reply_message_id: int) -> list[tuple[Any, ...]]:
        return self._conn.execute(
            "SELECT id, day, decision, outcome, entry_id, picked_entry, helpful, not_helpful FROM decisions"
            " WHERE reply_message_id = ?",
            (reply_message_id,),
        ).fetchall()

    def _pick(self, entry_id: str, reply_message_id: int) -> None:
        for rowid, day, decision, outcome, entry, picked, up, down in self._replied(reply_message_id):
            if picked == entry_id:
                continue
            self._conn.execute("UPDATE decisions SET picked_entry = ? WHERE id = ?", (entry_id, rowid))
            self._count([(day, decision, outcome, int(bool(picked)), -1, -up, -down)])
            self._count([(day, decision, outcome, 1, 1, up, down)])
            before, after = used_entry(decision, outcome, entry, picked), used_entry(decision, outcome, entry, entry_id)
            self._count_uses([(day, e, sign, sign * up, sign * down) for e, sign in ((before, -1), (after, 1)) if e])

    def _vote(self, reply_message_id: int, helpful: bool, changed: bool) -> None:
        for rowid, day, decision, outcome, entry, picked, was_up, was_down in self._replied(reply_message_id):
            # A changed vote takes the member's earlier one (the other way) back, if this log counted it.
            if helpful:
                up, down = 1, -1 if changed and was_down else 0
            else:
                up, down = -1 if changed and was_up else 0, 1
            self._conn.execute(
                "UPDATE decisions SET helpful = helpful + ?, not_helpful = not_helpful + ? WHERE id = ?",
                (up, down, rowid),
            )
            self._count([(day, decision, outcome, int(bool(picked)), 0, up, down)])
            used = used_entry(decision, outcome, entry, picked)
            if used:
                self._count_uses([(day, used, 0, up, down)])

    # --- the async bridge and shutdown --------------------------------------------------------------

    def submit(self, fn: Callable[..., T], /, *args: Any) -> asyncio.Future[T]:
        """Run a read on the log's thread, after the writes queued before it; await its result."""
        self._flush()
        return asyncio.wrap_future(self._executor.submit(fn, *args))

    def flush(self) -> None:
        """Block until every queued record is written (tests, the CLI)."""
        self._flush()
        self._executor.submit(lambda: None).result()

    def close(self) -> None:
        """Write what is queued, then close the file."""
        if self._closed:
            return
        self._flush()
        self._closed = True
        self._executor.shutdown(wait=True)
        with self._lock:
            self._conn.close()

    # --- reads --------------------------------------------------------------------------------------

    def days(self, first_day: int, last_day: int) -> list[DayRow]:
        """Decisions per day, decision, outcome and picked, first_day..last_day inclusive."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT day, decision, outcome, picked, count, helpful, not_helpful FROM daily"
                " WHERE day BETWEEN ? AND ? AND (count != 0 OR helpful != 0 OR not_helpful != 0)",
                (first_day, last_day),
            ).fetchall()
        return [DayRow(d, k, o, bool(p), n, h, u) for d, k, o, p, n, h, u in rows]

    def chatter(self, first_day: int, last_day: int) -> dict[int, int]:
        """Chatter settled before the model, per day."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT day, SUM(count) FROM chatter WHERE day BETWEEN ? AND ? GROUP BY day", (first_day, last_day)
            ).fetchall()
        return dict(rows)

    def entries(self, first_day: int, last_day: int) -> list[EntryRow]:
        """Per entry: answers and pointers posted plus suggestions picked, with their votes."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT entry_id, SUM(uses), SUM(helpful), SUM(not_helpful) FROM entry_daily"
                " WHERE day BETWEEN ? AND ? GROUP BY entry_id",
                (first_day, last_day),
            ).fetchall()
        return [EntryRow(e, n, h, u) for e, n, h, u in rows if n or h or u]

    def last_used(self) -> dict[str, int]:
        """The last day (UTC day number) each entry was used, over the whole log."""
        with self._lock:
            rows = self._conn.execute("SELECT entry_id, MAX(day) FROM entry_daily WHERE uses > 0 GROUP BY 1")
            return dict(rows.fetchall())

    def meta(self, key: str) -> str | None:
        with self._lock:
            row = self._conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        with self._lock:
            self._conn.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, value),
            )
