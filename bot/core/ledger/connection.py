"""SQLite connections of the ledger and its access log: busy timeout, one IMMEDIATE transaction, a clear busy error."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from bot.core.errors import LedgerError

BUSY_TIMEOUT_MS = 5000


class LedgerBusy(LedgerError):
    """Another import (or write) holds the ledger; nothing was changed."""


def connect(path: Path, check_same_thread: bool) -> sqlite3.Connection:
    """Open a connection in autocommit mode (transactions are explicit) that waits for locks."""
    # sqlite3 says only "unable to open database file", with no path, and as a traceback.
    if path.is_dir():
        raise LedgerError(f"{path}: is a directory, not a database file")
    try:
        conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=check_same_thread)
    except sqlite3.OperationalError as exc:
        raise LedgerError(f"{path}: cannot open the database ({exc})") from None
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    return conn


def make_folder(path: Path) -> None:
    """Create the folder a database file goes in; one clear line when it cannot be (a file in the way)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise LedgerError(f"{path}: cannot create its folder {path.parent} ({exc.strerror})") from None


def is_locked(exc: sqlite3.OperationalError) -> bool:
    """Tell whether SQLite gave up waiting for another connection's lock."""
    return "locked" in str(exc) or "busy" in str(exc)


class Transaction:
    """Run a `with` body in one IMMEDIATE transaction: committed on success, rolled back on any error."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self._outer = False

    def __enter__(self) -> sqlite3.Connection:
        # Nested use (a store method inside an import session) joins the open transaction.
        self._outer = not self._conn.in_transaction
        if self._outer:
            try:
                self._conn.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                if not is_locked(exc):
                    raise
                raise LedgerBusy(
                    f"the ledger is busy: an import is writing to it (waited {BUSY_TIMEOUT_MS // 1000} s); "
                    "nothing was changed, try again when it has finished"
                ) from None
        return self._conn

    def __exit__(self, exc_type: object, *rest: object) -> None:
        if not self._outer:
            return
        if exc_type is None:
            self._conn.execute("COMMIT")
        else:
            self._conn.execute("ROLLBACK")
