"""The SQL of one all-or-nothing import: the import lock, one IMMEDIATE transaction, bulk entry writes.

Entries go straight into `entries` with the running balance the importer computed while reading the
file (it keeps each profile's balance as it goes). Checks that need the whole ledger run in SQL here,
inside the same transaction: duplicate ids (the UNIQUE index on `entries.id`, rebuilt after a bulk
load, finds them; a small import into a big ledger asks per batch instead), and, for profiles whose
rows were not in time order in the file (or reach back before what the ledger holds), the running
balances are recomputed by a window function and checked for going below zero. Any exit without
`commit()` rolls everything back, so a refused import leaves the ledger exactly as it was.

Only one import runs at a time: a second one is refused at once with one clear line (an advisory lock
on `<ledger>.import-lock`, held for the whole import), instead of waiting out SQLite's busy timeout.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import sqlite3
import time
from collections.abc import Iterable, Sequence
from itertools import chain
from pathlib import Path
from typing import Any

from bot.core.errors import LedgerError
from bot.core.ledger.connection import LedgerBusy, is_locked
from bot.core.ledger.demo import demo_entry_keys, demo_profile_ids
from bot.core.ledger.models import Membership, Profile
from bot.core.ledger.store import DEMO_ORIGIN, ENTRY_INDEXES, LedgerStore

ENTRY_INSERT = (
    "INSERT INTO main.entries (seq, id, profile, occurred_at, ts, kind, connects, job, actor, note, balance_after) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
# A bulk load inserts this many rows per statement: one statement step per row costs more in Python's
# sqlite3 than binding the values (1.4 s instead of 1.9 s for a million rows).
ROWS_PER_INSERT = 90
_WIDTH = 11
ENTRY_INSERT_MANY = ENTRY_INSERT + ", (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)" * (ROWS_PER_INSERT - 1)


def lock_path(path: str | Path) -> Path:
    """Return the file whose lock says an import into the ledger at path is running."""
    path = Path(path)
    return path.with_name(path.name + ".import-lock")


class ImportSession:
    """One import: the import lock, then one IMMEDIATE transaction committed only by `commit()`."""

    BULK_CACHE_KIB = 16_384  # page cache and sorter memory while importing (bounded RSS)

    def __init__(self, store: LedgerStore) -> None:
        self._store = store
        self._conn = store.connection
        self._done = False
        self._lock: Any = None
        self.base_seq = 0
        self.existing = 0
        self.bulk = False
        self._tails: dict[str, tuple[int, int]] | None = None  # each profile's latest (balance, ts), when bulk
        self.insert_seconds = 0.0  # time spent writing entry rows (the import reports it as a phase)

    def __enter__(self) -> ImportSession:
        self._take_import_lock()
        try:
            self._conn.execute(f"PRAGMA cache_size = -{self.BULK_CACHE_KIB}")
            self._conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            self._release_import_lock()
            if is_locked(exc):
                raise LedgerBusy(
                    f"{self._store.path}: the ledger is busy with another write; nothing was imported"
                ) from None
            raise
        except BaseException:
            self._release_import_lock()
            raise
        self.base_seq, self.existing = self._conn.execute(
            "SELECT COALESCE(MAX(seq), 0), COUNT(*) FROM entries"
        ).fetchone()
        return self

    def __exit__(self, exc_type: object, *rest: object) -> None:
        try:
            if not self._done:
                self._conn.execute("ROLLBACK")
            self._conn.execute("PRAGMA cache_size = -2000")
        finally:
            self._release_import_lock()

    def _take_import_lock(self) -> None:
        path = lock_path(self._store.path)
        handle = open(path, "a+", encoding="utf-8")  # noqa: SIM115 - held until the import ends
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            handle.close()
            raise LedgerBusy(
                f"{self._store.path}: another import is running ({holder}); nothing was imported, "
                "run this one when it has finished"
            ) from None
        handle.truncate(0)
        handle.write(f"pid {os.getpid()}, started {time.strftime('%Y-%m-%d %H:%M:%S')}")
        handle.flush()
        self._lock = handle

    def _release_import_lock(self) -> None:
        if self._lock is not None:
            with contextlib.suppress(OSError):
                self._lock.truncate(0)
            self._lock.close()  # closing releases the flock
            self._lock = None

    def commit(self) -> None:
        """Make the import permanent."""
        self._conn.execute("COMMIT")
        self._done = True

    # --- the demo --------------------------------------------------------------------------------------

    def is_demo(self) -> bool:
        """Tell whether the ledger still holds the bundled demo people."""
        row = self._conn.execute("SELECT value FROM ledger_meta WHERE key = 'origin'").fetchone()
        return bool(row) and row[0] == DEMO_ORIGIN

    def remove_demo(self) -> None:
        """Delete the demo's entries, memberships and profiles (only the demo's rows) and the demo mark."""
        profiles = json.dumps(sorted(demo_profile_ids()))
        entries = json.dumps(sorted(k[0] for k in demo_entry_keys()))
        kept = self._conn.execute(
            "SELECT id FROM entries WHERE id NOT IN (SELECT value FROM json_each(?)) AND (profile IN "
            "(SELECT value FROM json_each(?)) OR actor IN (SELECT value FROM json_each(?))) LIMIT 3",
            (entries, profiles, profiles),
        ).fetchall()
        if kept:
            ids = ", ".join(r[0] for r in kept)
            raise LedgerError(f"entries that are not the demo's ({ids} ...) belong to demo profiles; move them first")
        self._conn.execute("DELETE FROM entries WHERE id IN (SELECT value FROM json_each(?))", (entries,))
        self._conn.execute(
            "DELETE FROM memberships WHERE agency IN (SELECT value FROM json_each(?1)) "
            "OR profile IN (SELECT value FROM json_each(?1))",
            (profiles,),
        )
        self._conn.execute("DELETE FROM profiles WHERE id IN (SELECT value FROM json_each(?))", (profiles,))
        self._conn.execute("DELETE FROM ledger_meta WHERE key = 'origin'")
        self.base_seq, self.existing = self._conn.execute(
            "SELECT COALESCE(MAX(seq), 0), COUNT(*) FROM entries"
        ).fetchone()

    # --- profiles --------------------------------------------------------------------------------------

    def known_profiles(self) -> dict[str, str]:
        """Return every profile id in the ledger with its kind."""
        return dict(self._conn.execute("SELECT id, kind FROM profiles"))

    def discord_links(self) -> dict[str, str]:
        """Return Discord user id -> profile id for every linked profile."""
        return dict(self._conn.execute("SELECT discord_id, id FROM profiles WHERE discord_id IS NOT NULL"))

    def memberships(self) -> list[Membership]:
        """Return every agency membership in the ledger."""
        rows = self._conn.execute("SELECT agency, profile, role, exclusive FROM memberships")
        return [Membership(a, p, r, bool(x)) for a, p, r, x in rows]

    def upsert_profiles(self, profiles: Sequence[Profile]) -> None:
        """Insert or update profiles (billing methods must already be masked)."""
        # Clear the links first so a Discord id moving between two profiles never trips UNIQUE midway.
        self._conn.executemany("UPDATE profiles SET discord_id = NULL WHERE id = ?", [(p.id,) for p in profiles])
        self._conn.executemany(
            "INSERT INTO profiles (id, kind, name, billing_method, discord_id) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT(id) DO UPDATE SET name = excluded.name, billing_method = excluded.billing_method, "
            "discord_id = excluded.discord_id",
            [(p.id, p.kind, p.name, p.billing_method, p.discord_id) for p in profiles],
        )

    def replace_members(self, agency: str, members: Sequence[Membership]) -> None:
        """Replace an agency's member list."""
        self._conn.execute("DELETE FROM memberships WHERE agency = ?", (agency,))
        self._conn.executemany(
            "INSERT INTO memberships (agency, profile, role, exclusive) VALUES (?, ?, ?, ?)",
            [(m.agency, m.profile, m.role, int(m.exclusive)) for m in members],
        )

    # --- entries ---------------------------------------------------------------------------------------

    def start_entries(self, expected_rows: int) -> None:
        """Choose the bulk path (drop the entry indexes, rebuild them once) when the import outweighs the ledger."""
        # Building an index once over all rows beats updating it row by row, when the import is big
        # relative to what is already there.
        self.bulk = expected_rows > self.existing
        if self.bulk:
            if self.existing:
                # Without entries_profile_ts each `tail` would scan the table: read every profile's latest
                # entry through the index first (one lookup a profile), then drop it.
                self._tails = {
                    profile: (balance, ts)
                    for profile, balance, ts in self._conn.execute(
                        "SELECT e.profile, e.balance_after, e.ts FROM profiles p JOIN entries e ON e.seq = "
                        "(SELECT seq FROM entries WHERE profile = p.id ORDER BY ts DESC, seq DESC LIMIT 1)"
                    )
                }
            for name in ENTRY_INDEXES:
                self._conn.execute(f"DROP INDEX IF EXISTS main.{name}")

    def tail(self, profile: str) -> tuple[int, int] | None:
        """Return (balance, ts) of the profile's latest entry in the ledger, if it has any."""
        if not self.existing:
            return None
        if self._tails is not None:
            return self._tails.get(profile)
        return self._conn.execute(
            "SELECT balance_after, ts FROM entries WHERE profile = ? ORDER BY ts DESC, seq DESC LIMIT 1", (profile,)
        ).fetchone()

    def seqs_of(self, ids: Iterable[str]) -> dict[str, int]:
        """Return id -> seq for the ids already in `entries` (used per batch when not bulk-loading)."""
        rows = self._conn.execute(
            "SELECT e.id, e.seq FROM json_each(?) j JOIN entries e ON e.id = j.value", (json.dumps(list(ids)),)
        )
        return dict(rows)

    def insert(self, rows: Sequence[tuple[Any, ...]]) -> None:
        """Insert rows: (seq, id, profile, occurred_at, ts, kind, connects, job, actor, note, balance_after)."""
        self._insert_values(list(chain.from_iterable(rows)))

    def insert_columns(self, columns: Sequence[Sequence[Any]]) -> None:
        """Insert rows given as the 11 columns of `insert`."""
        values: list[Any] = [None] * (len(columns[0]) * _WIDTH)
        for i, column in enumerate(columns):
            values[i::_WIDTH] = column
        self._insert_values(values)

    def _insert_values(self, values: list[Any]) -> None:
        """Insert rows given as one flat list of values, ROWS_PER_INSERT rows per statement."""
        started = time.perf_counter()
        step = ROWS_PER_INSERT * _WIDTH
        whole = len(values) // step * step
        execute = self._conn.execute
        for start in range(0, whole, step):
            execute(ENTRY_INSERT_MANY, values[start : start + step])
        rest = values[whole:]
        self._conn.executemany(ENTRY_INSERT, [rest[i : i + _WIDTH] for i in range(0, len(rest), _WIDTH)])
        self.insert_seconds += time.perf_counter() - started

    def finish_entries(self) -> bool:
        """Rebuild the indexes after a bulk load; return False when the unique id index found duplicates."""
        if not self.bulk:
            return True
        try:
            self._conn.execute(ENTRY_INDEXES["entries_id"])
        except sqlite3.IntegrityError:
            return False
        for name, statement in ENTRY_INDEXES.items():
            if name != "entries_id":
                self._conn.execute(statement)
        return True

    def duplicates(self, limit: int) -> tuple[list[tuple[int, str, int]], int]:
        """Return (first `limit` of (seq, id, seq of its first row), total) for repeated entry ids.

        One pass: the rows sorted by id once (a window over each id), not a search per repeated id,
        which without the id index is a scan of the table per id (quadratic: a refused re-import of
        40,000 rows took minutes). The ids a new row repeats are counted in the same query.
        """
        rows = self._conn.execute(
            "SELECT seq, id, first, COUNT(*) OVER () FROM (SELECT seq, id, MIN(seq) OVER (PARTITION BY id) "
            "AS first FROM main.entries) WHERE seq > first ORDER BY seq LIMIT ?",
            (limit,),
        ).fetchall()
        return [row[:3] for row in rows], rows[0][3] if rows else 0

    def recompute(self, profiles: Iterable[str]) -> list[tuple[int, str, str, int, int, int]]:
        """Recompute these profiles' running balances in (ts, seq) order; return the entries going below zero.

        Each returned row is (seq, id, profile, before, after, seq of the latest new entry before it).
        """
        chosen = json.dumps(sorted(profiles))
        self._conn.execute(
            "UPDATE main.entries SET balance_after = r.running FROM ("
            "SELECT seq, SUM(connects) OVER (PARTITION BY profile ORDER BY ts, seq ROWS UNBOUNDED PRECEDING) "
            "AS running FROM main.entries WHERE profile IN (SELECT value FROM json_each(?))) AS r "
            "WHERE main.entries.seq = r.seq AND main.entries.balance_after != r.running",
            (chosen,),
        )
        rows = self._conn.execute(
            "SELECT e.seq, e.id, e.profile, e.balance_after - e.connects, e.balance_after, ("
            "SELECT n.seq FROM entries n WHERE n.profile = e.profile AND n.seq > ?2 "
            "AND (n.ts < e.ts OR (n.ts = e.ts AND n.seq <= e.seq)) ORDER BY n.ts DESC, n.seq DESC LIMIT 1) "
            "FROM entries e WHERE e.profile IN (SELECT value FROM json_each(?1)) "
            "AND e.balance_after < 0 AND e.balance_after - e.connects >= 0 ORDER BY e.seq",
            (chosen, self.base_seq),
        )
        return rows.fetchall()
