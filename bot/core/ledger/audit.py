"""The ledger's access log: every lookup of someone's ledger (allowed or refused), in its own SQLite file.

The log lives beside the ledger (`ledger.audit.sqlite3` for `ledger.sqlite3`): an import holds the
ledger's write lock for seconds, and SQLite allows one writer per file, so with the log in the same file
every read (which writes its log row first) would wait for the import and fail. Reads of the ledger itself
go on during an import (WAL readers see the last commit). The file is created on first use, so seeding
the demo ledger never creates it.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bot.core.errors import LedgerError
from bot.core.ledger.connection import Transaction, connect
from bot.core.ledger.models import AccessRecord
from bot.core.sqlite_wal import use_wal

AUDIT_SCHEMA_VERSION = 1
_AUDIT_SCHEMA = """
CREATE TABLE IF NOT EXISTS access_log (
    seq INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    viewer TEXT NOT NULL,
    subject TEXT NOT NULL,
    what TEXT NOT NULL,
    allowed INTEGER NOT NULL,
    reason TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS access_log_subject ON access_log(subject, seq);
"""
ACCESS_FIELDS = "seq, at, viewer, subject, what, allowed, reason"


def audit_path(path: str | Path) -> Path:
    """Return the access-log file that belongs to the ledger at path."""
    path = Path(path)
    return path.with_name(f"{path.stem}.audit{path.suffix}") if path.suffix else path.with_name(path.name + ".audit")


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


class AccessLog:
    """The access-log file of one ledger, opened on first use."""

    def __init__(self, ledger_path: Path, *, check_same_thread: bool = True) -> None:
        self.path = audit_path(ledger_path)
        self._check_same_thread = check_same_thread
        self._conn: sqlite3.Connection | None = None

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            conn = connect(self.path, self._check_same_thread)
            try:
                use_wal(conn)
                conn.execute("PRAGMA synchronous = NORMAL")
                if conn.execute("PRAGMA user_version").fetchone()[0] < AUDIT_SCHEMA_VERSION:
                    with Transaction(conn):
                        for statement in _AUDIT_SCHEMA.split(";"):
                            if statement.strip():
                                conn.execute(statement)
                        conn.execute(f"PRAGMA user_version = {AUDIT_SCHEMA_VERSION}")
            except sqlite3.DatabaseError as exc:
                conn.close()
                raise LedgerError(f"{self.path}: not a usable ledger access log ({exc})") from None
            self._conn = conn
        return self._conn

    def close(self) -> None:
        """Close the file if it was opened (checkpointing its WAL)."""
        if self._conn is not None:
            self._conn.close()

    def copy_in(self, rows: Sequence[Sequence[Any]]) -> None:
        """Add records (ACCESS_FIELDS, in order) keeping each one's seq, so copying twice adds nothing."""
        conn = self._connection()
        with Transaction(conn):
            conn.executemany(f"INSERT OR IGNORE INTO access_log ({ACCESS_FIELDS}) VALUES (?,?,?,?,?,?,?)", rows)

    def record(self, viewer: str, subject: str, what: str, allowed: bool, reason: str = "") -> AccessRecord:
        """Record one read (or refused read) of someone's ledger."""
        record = AccessRecord(_now(), viewer, subject, what, allowed, reason)
        self._connection().execute(
            "INSERT INTO access_log (at, viewer, subject, what, allowed, reason) VALUES (?, ?, ?, ?, ?, ?)",
            (record.at, viewer, subject, what, int(allowed), reason),
        )
        return record

    def newest(self, *, limit: int = 50, subject: str | None = None) -> list[AccessRecord]:
        """Return the newest records, optionally for one subject."""
        sql = "SELECT at, viewer, subject, what, allowed, reason FROM access_log"
        params: list[Any] = []
        if subject is not None:
            sql += " WHERE subject = ?"
            params.append(subject)
        sql += " ORDER BY seq DESC LIMIT ?"
        params.append(limit)
        rows = self._connection().execute(sql, params)
        return [AccessRecord(a, v, s, w, bool(al), r) for a, v, s, w, al, r in rows]
