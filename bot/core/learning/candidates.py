"""Candidate examples and the signals behind them: one SQLite file, all SQL here.

A *signal* is one member saying something about one question: the asker picked a suggestion, a member
voted an answer Helpful or Not helpful, a moderator taught the question. Signals that say the same thing
about the same question (the question folded for case and spacing, the same entry, or the same "not this
entry") make one *candidate*. A member's repeated signal counts once: (candidate, member, kind) is the
signals table's key, so fifty identical picks are one row.

A candidate's status: `pending` (waiting for review), `accepted` (by a moderator or automatically,
waiting for the guard), `served` (the guard let it in: it is in knowledge/examples/ and trains the model),
`held` (the guard found it made the model worse), `rejected`, or `taught` (a moderator taught it as a
phrasing of the entry: already in the knowledge base). `known` records what the clash guard (clashes.py)
found when it was accepted: a labelled example of the same question with another label (the candidate stays
pending) or with the same one (served as a duplicate, nothing written).

Schema versioned with PRAGMA user_version, WAL on. Methods block and are thread-safe; the learning loop
runs them on its own thread.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sqlite3
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.core.errors import BotError
from bot.core.knowledge.model import normalise_phrasing
from bot.core.sqlite_wal import apply_migrations, immediate, use_wal

log = logging.getLogger(__name__)

MAX_QUESTION_CHARS = 2000
PENDING, ACCEPTED, SERVED, HELD, REJECTED, TAUGHT = "pending", "accepted", "served", "held", "rejected", "taught"
STATUSES = (PENDING, ACCEPTED, SERVED, HELD, REJECTED, TAUGHT)
PICK, HELPFUL, NOT_HELPFUL, TEACH = "pick", "helpful", "not_helpful", "teach"
SIGNALS = (PICK, HELPFUL, NOT_HELPFUL, TEACH)
OFF_TOPIC = "off-topic"  # what an accepted "not this entry" candidate can become: an example to stay silent on

# Each step brings the schema from version N-1 to N (PRAGMA user_version); append, never edit.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """
        CREATE TABLE candidates (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            question TEXT NOT NULL,
            question_key TEXT NOT NULL,          -- the question folded: the same question asked again
            label TEXT NOT NULL,                 -- 'entry:<id>' or 'not:<id>' (the entry voted down)
            created_at TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'pending',
            result TEXT,                         -- what it was accepted as: an entry id or 'off-topic'
            decided_by TEXT,                     -- 'discord:<id>', 'cli:<user>', 'auto: <rule>'
            decided_at TEXT,
            note TEXT,                           -- the guard's word, for held candidates
            UNIQUE (question_key, label)
        )
        """,
        "CREATE INDEX candidates_status ON candidates(status, id)",
        """
        CREATE TABLE signals (
            candidate_id INTEGER NOT NULL REFERENCES candidates(id),
            signal TEXT NOT NULL,                -- pick | helpful | not_helpful | teach
            who INTEGER NOT NULL,                -- the member's Discord id
            by_asker INTEGER NOT NULL,           -- 1 when that member asked the question
            message_id INTEGER,
            at TEXT NOT NULL,
            PRIMARY KEY (candidate_id, who, signal)
        )
        """,
        # A confidence model the guard refit and put in service, keyed by the examples it was fit for.
        "CREATE TABLE models (key TEXT PRIMARY KEY, data TEXT NOT NULL, at TEXT NOT NULL)",
    ),
    # The labelled example an accept met (clashes.Finding as JSON): names files and labels, never member text.
    ("ALTER TABLE candidates ADD COLUMN known TEXT",),
)
SCHEMA_VERSION = len(MIGRATIONS)


class CandidateNotFound(BotError):
    """No candidate with this id."""

    def __init__(self, candidate_id: int) -> None:
        super().__init__(f"no learned candidate #{candidate_id} (see `kb learned`)")
        self.candidate_id = candidate_id


class CandidateNotAcceptable(BotError):
    """A candidate cannot be accepted as asked (a "not this entry" with no entry to move it to...)."""


@dataclass(frozen=True)
class Signal:
    """One member's word on one question."""

    signal: str
    who: int
    by_asker: bool
    at: str


@dataclass(frozen=True)
class Candidate:
    """A candidate example: the question, the entry the signals name (or the entry they say it is not)."""

    id: int
    question: str
    question_key: str
    entry_id: str | None  # None: a "not this entry" candidate (see not_entry)
    not_entry: str | None
    created_at: str
    status: str
    signals: tuple[Signal, ...]
    result: str | None = None
    decided_by: str | None = None
    note: str | None = None
    known: Mapping[str, object] | None = None  # clashes.Finding.to_json(): why an accept was held or a no-op

    @property
    def signal(self) -> str:
        """The first signal that made this candidate."""
        return self.signals[0].signal if self.signals else ""

    @property
    def who(self) -> int | None:
        """The member whose signal made this candidate."""
        return self.signals[0].who if self.signals else None

    @property
    def members(self) -> frozenset[int]:
        """The different members behind its signals."""
        return frozenset(s.who for s in self.signals)

    def to_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "question": self.question,
            "entry": self.entry_id,
            "not_entry": self.not_entry,
            "signal": self.signal,
            "who": str(self.who) if self.who is not None else None,
            "when": self.created_at,
            "status": self.status,
            "signals": [{"signal": s.signal, "who": str(s.who), "by_asker": s.by_asker} for s in self.signals],
            "result": self.result,
            "note": self.note,
            "clash": dict(self.known) if self.known and self.known.get("kind") == "clash" else None,
            "duplicate_of": dict(self.known) if self.known and self.known.get("kind") == "duplicate" else None,
        }


def label_for(entry_id: str, *, not_this: bool = False) -> str:
    return f"{'not' if not_this else 'entry'}:{entry_id}"


def _utc_now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


class CandidateStore:
    """The learning database. Open with `CandidateStore(path)`; close with `close()`."""

    def __init__(self, path: str | Path, *, now: Callable[[], str] = _utc_now) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._now = now
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=10)
        use_wal(self._conn)
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._migrate()

    def _migrate(self) -> None:
        with self._lock:
            apply_migrations(self._conn, MIGRATIONS, self.path)

    @property
    def schema_version(self) -> int:
        with self._lock:
            return int(self._conn.execute("PRAGMA user_version").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    # --- writes ----------------------------------------------------------------------------------

    def record(
        self,
        question: str,
        entry_id: str,
        *,
        signal: str,
        who: int,
        by_asker: bool,
        not_this: bool = False,
        message_id: int | None = None,
    ) -> Candidate:
        """Add a signal to the candidate it confirms (made if new); a member's repeated signal counts once."""
        if signal not in SIGNALS:
            raise ValueError(f"unknown signal {signal!r}")
        question = " ".join(question.split())[:MAX_QUESTION_CHARS]
        key, label, now = normalise_phrasing(question), label_for(entry_id, not_this=not_this), self._now()
        with self._lock, immediate(self._conn) as conn:
            conn.execute(
                "INSERT OR IGNORE INTO candidates (question, question_key, label, created_at) VALUES (?, ?, ?, ?)",
                (question, key, label, now),
            )
            (candidate_id,) = conn.execute(
                "SELECT id FROM candidates WHERE question_key = ? AND label = ?", (key, label)
            ).fetchone()
            conn.execute(
                "INSERT OR IGNORE INTO signals (candidate_id, signal, who, by_asker, message_id, at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (candidate_id, signal, who, int(by_asker), message_id, now),
            )
        return self.get(candidate_id)

    def decide(
        self,
        candidate_id: int,
        status: str,
        *,
        by: str | None = None,
        result: str | None = None,
        note: str | None = None,
        known: Mapping[str, object] | None = None,
    ) -> Candidate:
        """Set a candidate's status (and what it was accepted as, who decided, the guard's note, the clash found)."""
        if status not in STATUSES:
            raise ValueError(f"unknown status {status!r}")
        found = json.dumps(dict(known), sort_keys=True) if known else None
        with self._lock:
            cursor = self._conn.execute(
                "UPDATE candidates SET status = ?, result = COALESCE(?, result), decided_by = COALESCE(?, decided_by),"
                " decided_at = ?, note = ?, known = ? WHERE id = ?",
                (status, result, by, self._now(), note, found, candidate_id),
            )
        if cursor.rowcount == 0:
            raise CandidateNotFound(candidate_id)
        return self.get(candidate_id)

    def store_model(self, key: str, data: str) -> None:
        """Keep a retrained model (JSON) under key; only the latest one is needed."""
        with self._lock, immediate(self._conn) as conn:
            conn.execute("DELETE FROM models")
            conn.execute("INSERT INTO models (key, data, at) VALUES (?, ?, ?)", (key, data, self._now()))

    def model(self, key: str) -> str | None:
        with self._lock:
            row = self._conn.execute("SELECT data FROM models WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    # --- reads -----------------------------------------------------------------------------------

    def get(self, candidate_id: int) -> Candidate:
        found = self._select("WHERE id = ?", (candidate_id,))
        if not found:
            raise CandidateNotFound(candidate_id)
        return found[0]

    def with_status(self, *statuses: str, limit: int = 1000) -> list[Candidate]:
        """Candidates in any of these statuses, oldest first."""
        marks = ", ".join("?" for _ in statuses)
        return self._select(f"WHERE status IN ({marks}) ORDER BY id LIMIT ?", (*statuses, limit))

    def same_question(self, question_key: str) -> list[Candidate]:
        """Every candidate about this (folded) question."""
        return self._select("WHERE question_key = ? ORDER BY id", (question_key,))

    def auto_accepted_by(self, who: int) -> int:
        """How many candidates one member's own pick and vote have accepted automatically."""
        with self._lock:
            (count,) = self._conn.execute(
                "SELECT COUNT(*) FROM candidates WHERE decided_by = ?", (f"auto: asker {who}",)
            ).fetchone()
        return int(count)

    def _select(self, where: str, params: Sequence[object]) -> list[Candidate]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT id, question, question_key, label, created_at, status, result, decided_by, note, known"
                f" FROM candidates {where}",
                tuple(params),
            ).fetchall()
            ids = [row[0] for row in rows]
            signals: dict[int, list[Signal]] = {i: [] for i in ids}
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                for cid, signal, who, by_asker, at in self._conn.execute(
                    "SELECT candidate_id, signal, who, by_asker, at FROM signals"
                    f" WHERE candidate_id IN ({', '.join('?' for _ in chunk)}) ORDER BY at, rowid",
                    chunk,
                ):
                    signals[cid].append(Signal(signal, int(who), bool(by_asker), at))
        out = []
        for cid, question, key, label, created, status, result, decided_by, note, known in rows:
            kind, _, entry = label.partition(":")
            out.append(
                Candidate(
                    cid,
                    question,
                    key,
                    entry if kind == "entry" else None,
                    entry if kind == "not" else None,
                    created,
                    status,
                    tuple(signals[cid]),
                    result,
                    decided_by,
                    note,
                    json.loads(known) if known else None,
                )
            )
        return out


FORGOTTEN_NOTE = "withdrawn: the only member behind it was forgotten (kb forget-member)"


def forget_member_in(conn: sqlite3.Connection, member: int) -> dict[str, int]:
    """Remove one member from an open learning database (kb forget-member); return what went, by kind.

    Their signals go, and every signal on a question they asked (the text is theirs). A candidate left with
    no signal had that member as its only source: a pending one is deleted; any other keeps its row (the
    review's record, and the candidate id learned.yaml names) with the question blanked, and one not yet
    served (accepted, held) is withdrawn as rejected, so the guard never learns an empty text. A served
    example stays in learned.yaml, which holds no member id. Their id in `decided_by` becomes "forgotten".
    """
    asked = "SELECT candidate_id FROM signals WHERE who = ? AND by_asker = 1"
    questions = conn.execute(f"DELETE FROM signals WHERE candidate_id IN ({asked})", (member,)).rowcount
    signals = conn.execute("DELETE FROM signals WHERE who = ?", (member,)).rowcount
    orphan = "id NOT IN (SELECT candidate_id FROM signals)"
    pending = conn.execute(f"DELETE FROM candidates WHERE {orphan} AND status = ?", (PENDING,)).rowcount
    withdrawn = conn.execute(
        f"UPDATE candidates SET status = ?, note = ? WHERE {orphan} AND status IN (?, ?)",
        (REJECTED, FORGOTTEN_NOTE, ACCEPTED, HELD),
    ).rowcount
    blanked = conn.execute(
        f"UPDATE candidates SET question = '', question_key = 'forgotten:' || id WHERE {orphan} AND question != ''"
    ).rowcount
    deciders = conn.execute(
        "UPDATE candidates SET decided_by = CASE decided_by WHEN ?1 THEN 'discord:forgotten' "
        "ELSE 'auto: asker forgotten' END WHERE decided_by IN (?1, ?2)",
        (f"discord:{member}", f"auto: asker {member}"),
    ).rowcount
    return {
        "signals": questions + signals,
        "pending candidate questions": pending,
        "decided candidates' questions (kept, blanked)": blanked,
        "accepted or held candidates withdrawn": withdrawn,
        "decisions' actor": deciders,
    }
