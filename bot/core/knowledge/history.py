"""Every version of every knowledge-base entry, in SQLite. All of the history's SQL lives here.

One row per version: the entry file's full text after the change (for a removal, the text that was
removed), who made it, when, the action and a one-line summary. Version numbers count from 1 per entry
and never repeat, so "version 3" means the same thing in the history, the edit modal and `kb revert`.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bot.core.errors import VersionNotFound
from bot.core.knowledge.diff import describe_text_change
from bot.core.sqlite_files import check_integrity, explained
from bot.core.sqlite_wal import use_wal

log = logging.getLogger(__name__)

# Each step brings the schema from version N-1 to N (PRAGMA user_version); append, never edit.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """
        CREATE TABLE entry_versions (
            entry_id TEXT NOT NULL,
            version  INTEGER NOT NULL CHECK (version >= 1),
            action   TEXT NOT NULL,
            actor    TEXT NOT NULL,
            at       TEXT NOT NULL,
            summary  TEXT NOT NULL,
            content  TEXT NOT NULL,
            removed  INTEGER NOT NULL DEFAULT 0 CHECK (removed IN (0, 1)),
            PRIMARY KEY (entry_id, version)
        ) WITHOUT ROWID
        """,
    ),
    (
        # A moderator's write in progress: committed before the entry file is touched, turned into a
        # version (and deleted) in the transaction that follows the file replace. One left behind by a
        # crash is settled on the next read: see bot.core.knowledge.versioned_write.
        """
        CREATE TABLE pending_writes (
            entry_id    TEXT PRIMARY KEY,
            action      TEXT NOT NULL,
            actor       TEXT NOT NULL,
            at          TEXT NOT NULL,
            summary     TEXT NOT NULL,
            content     TEXT NOT NULL,
            removed     INTEGER NOT NULL DEFAULT 0 CHECK (removed IN (0, 1)),
            old_content TEXT
        ) WITHOUT ROWID
        """,
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)

DISK_ACTOR = "disk"
HISTORY_WHAT = "knowledge history"  # how errors name the file: "the knowledge history data/... is damaged"
ACTIONS = ("original", "external", "add", "edit", "teach", "remove", "restore", "revert")


@dataclass(frozen=True)
class EntryVersion:
    """One recorded version of an entry: its file text and who changed it, when, how."""

    entry_id: str
    version: int
    action: str
    actor: str
    at: dt.datetime
    summary: str
    content: str
    removed: bool


@dataclass(frozen=True)
class PendingWrite:
    """A write begun but not yet recorded as a version: what the file becomes and what it was."""

    entry_id: str
    action: str
    actor: str
    summary: str
    content: str  # the new file text (for a removal, the text removed)
    removed: bool
    old_content: str | None  # the file before (None: there was no file)

    @property
    def new_text(self) -> str | None:
        """The entry file's text once the write is done (None: the file is gone)."""
        return None if self.removed else self.content


class KnowledgeHistory:
    """The version store: append-only rows, one SQLite connection per call (safe from any thread)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        with explained(HISTORY_WHAT, self.path):
            self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as conn:
            use_wal(conn)
            check_integrity(conn, HISTORY_WHAT, self.path)
            self._migrate(conn)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        # Any SQLite or OS error (damaged, read-only, full) becomes one line naming the file.
        with explained(HISTORY_WHAT, self.path):
            conn = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
            try:
                conn.execute("PRAGMA busy_timeout=30000")
                # History is the safety net for "nothing is ever lost": pay the extra fsync per commit.
                conn.execute("PRAGMA synchronous=FULL")
                yield conn
            finally:
                conn.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """Run the body in one IMMEDIATE transaction: committed on success, rolled back on any error."""
        with self._connect() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                _rollback(conn)
                raise

    def _migrate(self, conn: sqlite3.Connection) -> None:
        current = conn.execute("PRAGMA user_version").fetchone()[0]
        if current > SCHEMA_VERSION:
            log.warning("history %s has schema %d; this code knows %d", self.path, current, SCHEMA_VERSION)
            return
        for number in range(current + 1, SCHEMA_VERSION + 1):
            conn.execute("BEGIN IMMEDIATE")
            try:
                # A second process may have migrated while we waited for the write lock.
                if conn.execute("PRAGMA user_version").fetchone()[0] >= number:
                    conn.execute("ROLLBACK")
                    continue
                for statement in MIGRATIONS[number - 1]:
                    conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {number}")
                conn.execute("COMMIT")
            except BaseException:
                _rollback(conn)
                raise
            log.info("history %s migrated to schema %d", self.path, number)

    def record(
        self,
        entry_id: str,
        *,
        action: str,
        actor: str,
        summary: str,
        content: str,
        removed: bool = False,
        at: dt.datetime | None = None,
    ) -> EntryVersion:
        """Append the next version of an entry and return it."""
        row = _stamped(entry_id, action, actor, summary, content, removed, at)
        with self._write() as conn:
            version = _append(conn, row)
        return _version((entry_id, version, *row[1:]))

    # --- writes in two steps: a pending row, the file, then the version (bot.core.knowledge.versioned_write)

    def begin_pending(self, write: PendingWrite) -> None:
        """Commit the intent to write the next version of an entry, before its file is touched."""
        row = _stamped(write.entry_id, write.action, write.actor, write.summary, write.content, write.removed, None)
        with self._connect() as conn:
            conn.execute(
                f"INSERT OR REPLACE INTO pending_writes ({_PENDING_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (*row, write.old_content),
            )

    def complete_pending(self, entry_id: str) -> EntryVersion:
        """Turn the entry's pending write into its next version, in one transaction."""
        with self._write() as conn:
            row = conn.execute(
                f"SELECT {_PENDING_COLUMNS} FROM pending_writes WHERE entry_id = ?", (entry_id,)
            ).fetchone()
            if row is None:
                raise LookupError(f"no pending write for {entry_id!r}")
            _, action, actor, at, summary, content, removed, _old = row
            version = _append(conn, row[:7])
            conn.execute("DELETE FROM pending_writes WHERE entry_id = ?", (entry_id,))
        return _version((entry_id, version, action, actor, at, summary, content, removed))

    def drop_pending(self, entry_id: str) -> None:
        """Forget the entry's pending write (its file was left as it was)."""
        with self._connect() as conn:
            conn.execute("DELETE FROM pending_writes WHERE entry_id = ?", (entry_id,))

    def pending(self) -> list[PendingWrite]:
        """Return the writes begun and neither completed nor dropped (a crash between file and version)."""
        with self._connect() as conn:
            rows = conn.execute(f"SELECT {_PENDING_COLUMNS} FROM pending_writes ORDER BY entry_id").fetchall()
        return [PendingWrite(e, a, who, s, c, bool(r), old) for e, a, who, _at, s, c, r, old in rows]

    # --- reads ----------------------------------------------------------------------------------------

    def latest(self, entry_id: str) -> EntryVersion | None:
        """Return the newest version of an entry, or None when it was never changed through the store."""
        with self._connect() as conn:
            row = conn.execute(
                f"SELECT {_COLUMNS} FROM entry_versions WHERE entry_id = ? ORDER BY version DESC LIMIT 1",
                (entry_id,),
            ).fetchone()
        return _version(row) if row else None

    def get(self, entry_id: str, version: int) -> EntryVersion:
        """Return one version or raise VersionNotFound."""
        with self._connect() as conn:
            row = conn.execute(
                f"SELECT {_COLUMNS} FROM entry_versions WHERE entry_id = ? AND version = ?",
                (entry_id, version),
            ).fetchone()
            if row is None:
                latest = conn.execute(
                    "SELECT COALESCE(MAX(version), 0) FROM entry_versions WHERE entry_id = ?", (entry_id,)
                ).fetchone()[0]
                raise VersionNotFound(entry_id, version, latest)
        return _version(row)

    def versions(self, entry_id: str) -> list[EntryVersion]:
        """Return every version of an entry, newest first."""
        with self._connect() as conn:
            rows = conn.execute(
                f"SELECT {_COLUMNS} FROM entry_versions WHERE entry_id = ? ORDER BY version DESC", (entry_id,)
            ).fetchall()
        return [_version(row) for row in rows]

    def latest_per_entry(self) -> dict[str, EntryVersion]:
        """Return the newest version of every entry the history knows."""
        with self._connect() as conn:
            rows = conn.execute(
                f"SELECT {_COLUMNS} FROM entry_versions AS v WHERE version ="
                " (SELECT MAX(version) FROM entry_versions WHERE entry_id = v.entry_id) ORDER BY entry_id"
            ).fetchall()
        return {row[0]: _version(row) for row in rows}

    def removed(self) -> list[EntryVersion]:
        """Return the recycle bin: entries whose newest version is a removal, most recently removed first."""
        latest = [v for v in self.latest_per_entry().values() if v.removed]
        return sorted(latest, key=lambda v: (v.at, v.entry_id), reverse=True)

    def record_disk_state(self, entry_id: str, latest: EntryVersion | None, text: str | None) -> None:
        """Record what is on disk if the history has not seen it yet, so nothing on disk is ever lost."""
        if latest is None:
            if text is not None:
                self.record(
                    entry_id,
                    action="original",
                    actor=DISK_ACTOR,
                    content=text,
                    summary="as it was on disk before its first change",
                )
        elif latest.removed:
            if text is not None:
                self.record(
                    entry_id,
                    action="external",
                    actor=DISK_ACTOR,
                    content=text,
                    summary="re-created on disk outside the bot",
                )
        elif text is None:
            self.record(
                entry_id,
                action="external",
                actor=DISK_ACTOR,
                content=latest.content,
                removed=True,
                summary="deleted on disk outside the bot",
            )
        elif text != latest.content:
            self.record(
                entry_id,
                action="external",
                actor=DISK_ACTOR,
                content=text,
                summary="changed on disk: " + describe_text_change(latest.content, text),
            )


def current_version(latest: EntryVersion | None, text: str | None) -> int:
    """Number the state on disk: the newest recorded version, or the one after it if disk differs."""
    if latest is None:
        return 1 if text is not None else 0
    if latest.removed:
        return latest.version if text is None else latest.version + 1
    return latest.version if text == latest.content else latest.version + 1


def pending_version(entry_id: str, latest: EntryVersion | None, text: str | None, path: Path) -> EntryVersion | None:
    """Describe the on-disk state the history has not recorded yet (it is recorded on the next change)."""
    number = current_version(latest, text)
    if number == 0 or (latest is not None and number == latest.version):
        return None
    if text is None and latest is not None:
        return EntryVersion(
            entry_id,
            number,
            "external",
            DISK_ACTOR,
            _mtime(path.parent),
            "deleted on disk",
            latest.content,
            True,
        )
    if text is None:
        return None
    if latest is None:
        return EntryVersion(
            entry_id,
            number,
            "original",
            DISK_ACTOR,
            _mtime(path),
            "as on disk (no change recorded yet)",
            text,
            False,
        )
    summary = "changed on disk: " + describe_text_change(None if latest.removed else latest.content, text)
    return EntryVersion(entry_id, number, "external", DISK_ACTOR, _mtime(path), summary, text, False)


def _mtime(path: Path) -> dt.datetime:
    try:
        return dt.datetime.fromtimestamp(os.stat(path).st_mtime, dt.UTC).replace(microsecond=0)
    except OSError:
        return dt.datetime.now(dt.UTC).replace(microsecond=0)


_COLUMNS = "entry_id, version, action, actor, at, summary, content, removed"
_PENDING_COLUMNS = "entry_id, action, actor, at, summary, content, removed, old_content"


def _rollback(conn: sqlite3.Connection) -> None:
    # SQLite may have rolled back already (a full disk does): a second ROLLBACK would hide the cause.
    if conn.in_transaction:
        conn.execute("ROLLBACK")


def _stamped(
    entry_id: str, action: str, actor: str, summary: str, content: str, removed: bool, at: dt.datetime | None
) -> tuple:
    """The row (entry_id, action, actor, at, summary, content, removed) of a change, stamped to the second."""
    if action not in ACTIONS:
        raise ValueError(f"unknown history action {action!r}")
    when = (at or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).replace(microsecond=0)
    return (entry_id, action, actor, when.isoformat(), summary, content, int(removed))


def _append(conn: sqlite3.Connection, row: tuple) -> int:
    """Insert (entry_id, action, actor, at, summary, content, removed) as the entry's next version number."""
    entry_id = row[0]
    version = conn.execute(
        "SELECT COALESCE(MAX(version), 0) + 1 FROM entry_versions WHERE entry_id = ?", (entry_id,)
    ).fetchone()[0]
    conn.execute(
        f"INSERT INTO entry_versions ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", (entry_id, version, *row[1:])
    )
    return version


def _version(row: tuple) -> EntryVersion:
    entry_id, version, action, actor, at, summary, content, removed = row
    when = dt.datetime.fromisoformat(at)
    return EntryVersion(entry_id, version, action, actor, when, summary, content, bool(removed))
