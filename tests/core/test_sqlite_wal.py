"""Opening a database in WAL mode waits for a concurrent opener instead of failing."""

from __future__ import annotations

import sqlite3
import threading

import pytest

from bot.core.sqlite_wal import use_wal


def test_wal_switch_waits_for_a_reader_holding_the_database(tmp_path):
    path = tmp_path / "fresh.sqlite3"
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("CREATE TABLE t (x)")
    holder.execute("BEGIN")
    holder.execute("SELECT * FROM t").fetchall()  # a shared lock: the journal mode can't change now
    other = sqlite3.connect(path, isolation_level=None, timeout=0.1)
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        other.execute("PRAGMA journal_mode=WAL")  # what every store used to do: fails at once
    released = threading.Event()

    def release_soon() -> None:
        released.wait(timeout=5)
        holder.execute("COMMIT")

    thread = threading.Thread(target=release_soon)
    thread.start()
    released.set()
    assert use_wal(other, wait_seconds=10) == "wal"
    thread.join()
    holder.close()
    other.close()


def test_a_lock_that_never_goes_away_still_fails_in_the_end(tmp_path):
    path = tmp_path / "held.sqlite3"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE t (x)")
    holder.execute("BEGIN")
    holder.execute("SELECT * FROM t").fetchall()
    other = sqlite3.connect(path, isolation_level=None, timeout=0.05)
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        use_wal(other, wait_seconds=0.3)
    holder.close()
    other.close()
