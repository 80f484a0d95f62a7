"""Change a SQLite file the bot writes so that removed text is gone from the file itself, not only from queries.

SQLite leaves deleted and overwritten values in free pages and in old frames of the write-ahead log until
they are reused. A scrub runs its changes on its own connection with `secure_delete` (freed space is
zeroed), then, if asked, VACUUM (the file is rebuilt from live rows only) and a TRUNCATE checkpoint (the
log's frames are copied into the file and the log emptied). Other connections (the running bot's) only
wait: every store sets a busy timeout, and the bot keeps no read transaction open between calls.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")
BUSY_TIMEOUT_MS = 15000


def scrub(path: Path, change: Callable[[sqlite3.Connection], T], *, vacuum: bool | None = True) -> T | None:
    """Run change(conn) in one transaction on path with secure_delete, then vacuum and empty the log.

    vacuum None: only when change returned something truthy (it changed rows).

    Returns what change returned, or None when the file does not exist (nothing stored there).
    """
    if not path.exists():
        return None
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA secure_delete=ON")
        conn.execute("BEGIN IMMEDIATE")
        try:
            result = change(conn)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        if vacuum or (vacuum is None and result):
            conn.execute("VACUUM")
        busy, _, _ = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        if busy:
            log.warning("%s: a reader kept the write-ahead log from being emptied; it is emptied later", path)
        return result
    finally:
        conn.close()


def has_table(conn: sqlite3.Connection, name: str) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)).fetchone() is not None
