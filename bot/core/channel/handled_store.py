"""The newest message the bot handled in each support channel and thread, on disk: one small SQLite file.

It lets a restarted bot (a crash under the supervisor, an upgrade) catch up from where it stopped, and
no further back: see catch_up.py. Row 0 is the newest message handled anywhere, the starting point
for a channel or thread the bot has not handled a message in yet (one opened while it was away).
Writes are one transaction of UPSERTs in WAL mode, made at most every second (catch_up.py).
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

from bot.core.sqlite_wal import use_wal

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
ANYWHERE = 0  # the row for "the newest message handled in any channel"


class HandledStore:
    """Per channel id, the newest handled message id. Blocking and cheap; single-threaded use (the event loop)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        use_wal(self._conn)
        self._conn.execute("PRAGMA synchronous = NORMAL")
        version = self._conn.execute("PRAGMA user_version").fetchone()[0]
        if version == 0:
            self._conn.execute(
                "CREATE TABLE IF NOT EXISTS handled (channel_id INTEGER PRIMARY KEY, message_id INTEGER NOT NULL)"
            )
            self._conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        elif version != SCHEMA_VERSION:
            raise sqlite3.DatabaseError(f"{self.path}: schema version {version}, expected {SCHEMA_VERSION}")

    def load(self) -> dict[int, int]:
        """Every channel's newest handled message (ANYWHERE: the newest of all)."""
        return dict(self._conn.execute("SELECT channel_id, message_id FROM handled"))

    def advance(self, newest: dict[int, int]) -> None:
        """Record each channel's newest handled message in one transaction, never moving one back."""
        with self._conn:
            self._conn.execute("BEGIN")
            self._conn.executemany(
                "INSERT INTO handled (channel_id, message_id) VALUES (?, ?) "
                "ON CONFLICT(channel_id) DO UPDATE SET message_id = max(message_id, excluded.message_id)",
                newest.items(),
            )

    def close(self) -> None:
        self._conn.close()
