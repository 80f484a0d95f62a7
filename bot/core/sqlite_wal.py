"""Switch a SQLite connection to write-ahead logging, safely when another process opens it too."""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Iterator, Sequence

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


@contextlib.contextmanager
def immediate(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One write transaction on an autocommit connection (isolation_level=None): commit, or roll back on error."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def apply_migrations(conn: sqlite3.Connection, migrations: Sequence[Sequence[str]], path: object) -> None:
    """Bring the schema to len(migrations) (PRAGMA user_version): step N runs migrations[N - 1] in one transaction.

    A database newer than the code is refused (a DatabaseError naming path) rather than misread.
    """
    current = conn.execute("PRAGMA user_version").fetchone()[0]
    if current > len(migrations):
        raise sqlite3.DatabaseError(
            f"{path}: schema version {current} is newer than this bot understands ({len(migrations)})"
        )
    for version in range(current + 1, len(migrations) + 1):
        with immediate(conn):
            for statement in migrations[version - 1]:
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {version}")
