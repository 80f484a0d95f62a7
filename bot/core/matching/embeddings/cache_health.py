"""Is an embedding cache file usable? If not, move it aside so a new one can be built in its place.

A damaged cache used to be opened, fail, and leave the bot embedding everything in memory at every
start (tens of seconds each time), never rebuilt. The checks are cheap next to that: SQLite's
quick_check, the two tables with the expected columns, and every vector of the model's size.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

SCHEMA = {"embedding": ["key", "vector"], "artefact": ["key", "data"]}
CREATE = (
    "CREATE TABLE IF NOT EXISTS embedding (key BLOB PRIMARY KEY, vector BLOB NOT NULL)",
    "CREATE TABLE IF NOT EXISTS artefact (key TEXT PRIMARY KEY, data BLOB NOT NULL)",
)
SIDE_FILES = ("-wal", "-shm", "-journal")


def problem_with(conn: sqlite3.Connection, dim: int) -> str | None:
    """Say what is wrong with an opened cache (None: usable). SQLite errors are the caller's to catch."""
    verdict = conn.execute("PRAGMA quick_check(1)").fetchone()[0]
    if verdict != "ok":
        return f"damaged ({verdict})"
    for table, columns in SCHEMA.items():
        found = [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]
        if found and found != columns:
            return f"table {table} has columns {found}, not {columns}"
    if conn.execute("PRAGMA table_info(embedding)").fetchone() is not None:
        wrong = conn.execute("SELECT COUNT(*) FROM embedding WHERE length(vector) != ?", (dim * 4,)).fetchone()[0]
        if wrong:
            return f"{wrong} vector(s) not of the model's size ({dim} float32)"
    return None


def move_aside(path: Path) -> Path:
    """Rename a damaged cache (and its WAL files) to <name>.damaged-<UTC time>; return the new name."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    target = path.with_name(f"{path.name}.damaged-{stamp}")
    path.replace(target)
    for suffix in SIDE_FILES:
        side = path.with_name(path.name + suffix)
        if side.exists():
            side.replace(target.with_name(target.name + suffix))
    return target
