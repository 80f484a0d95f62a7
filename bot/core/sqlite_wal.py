"""Switch a SQLite connection to write-ahead logging, safely when another process opens it too."""

from __future__ import annotations

import sqlite3
import time

DEFAULT_WAIT_SECONDS = 15.0


def use_wal(conn: sqlite3.Connection, *, wait_seconds: float = DEFAULT_WAIT_SECONDS) -> str:
    """Put conn's database in WAL mode and return the mode SQLite reports.

    Changing the journal mode needs an exclusive lock, and SQLite does not apply the busy timeout to
    this pragma: when two processes open a new database at once (the bot and the CLI), the loser gets
    "database is locked" immediately. Retry with a short backoff until wait_seconds have passed.
    """
    deadline = time.monotonic() + wait_seconds
    delay = 0.005
    while True:
        try:
            return str(conn.execute("PRAGMA journal_mode=WAL").fetchone()[0])
        except sqlite3.OperationalError as exc:
            if ("locked" not in str(exc) and "busy" not in str(exc)) or time.monotonic() >= deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.2)
