"""All the SQL of the Connects ledger: schema, reads, links, the access log, and bulk import.

Balances are never stored apart from the entries. Each entry carries `balance_after`, the running sum
of its profile's entries up to and including it in (occurred_at, insertion) order. It is computed in
SQL by a window function inside the same transaction that inserts the entries (and recomputed for a
profile whose older history an import reaches back into), so it is a cache of the entries, never a
second source of truth: `verify()` recomputes it from scratch. It exists because history must show
"balance after each entry" for the newest 50 entries of a profile with a million rows in the table in
well under 5 ms, which a running sum over the whole profile cannot do.

The sync store runs on sqlite3. `AsyncLedgerStore` runs the same calls on one dedicated worker thread
so the Discord event loop never blocks on disk (sqlite3 on a single thread rather than aiosqlite: one
less dependency, and the importer's bulk path needs the plain sqlite3 connection anyway).

The access log lives in its own SQLite file beside the ledger (`ledger.audit.sqlite3` for
`ledger.sqlite3`): an import holds the ledger's write lock for seconds, and SQLite allows one writer per
file, so with the log in the same file every read (which writes its log row first) would wait for the
import and fail. Reads of the ledger itself go on during an import (WAL readers see the last commit).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import json
import logging
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from bot.core.errors import LedgerError, ProfileNotFound
from bot.core.ledger.models import AccessRecord, LedgerEntry, Membership, Profile
from bot.core.sqlite_wal import use_wal

log = logging.getLogger(__name__)

SCHEMA_VERSION = 2
AUDIT_SCHEMA_VERSION = 1
T = TypeVar("T")
BUSY_TIMEOUT_MS = 5000
DEMO_ORIGIN = "demo"

_SCHEMA_V1 = """
CREATE TABLE profiles (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('freelancer', 'agency')),
    name TEXT NOT NULL,
    billing_method TEXT,
    discord_id TEXT UNIQUE
);
CREATE TABLE memberships (
    agency TEXT NOT NULL REFERENCES profiles(id),
    profile TEXT NOT NULL REFERENCES profiles(id),
    role TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'business_manager', 'member')),
    exclusive INTEGER NOT NULL CHECK (exclusive IN (0, 1)),
    PRIMARY KEY (agency, profile)
) WITHOUT ROWID;
CREATE INDEX memberships_profile ON memberships(profile);
CREATE TABLE entries (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL,
    profile TEXT NOT NULL,
    occurred_at TEXT NOT NULL,
    ts INTEGER NOT NULL,
    kind TEXT NOT NULL,
    connects INTEGER NOT NULL,
    job TEXT,
    actor TEXT,
    note TEXT NOT NULL DEFAULT '',
    balance_after INTEGER NOT NULL
);
CREATE TABLE access_log (
    seq INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    viewer TEXT NOT NULL,
    subject TEXT NOT NULL,
    what TEXT NOT NULL,
    allowed INTEGER NOT NULL,
    reason TEXT NOT NULL DEFAULT ''
);
CREATE INDEX access_log_subject ON access_log(subject, seq);
"""

# v2: the access log moves to its own file (see the module docstring); `ledger_meta` records facts about
# the ledger as a whole, such as `origin = demo` for a ledger seeded from the bundled demo files.
_SCHEMA_V2 = """
DROP TABLE access_log;
CREATE TABLE ledger_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
"""

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
_ACCESS_FIELDS = "seq, at, viewer, subject, what, allowed, reason"


class LedgerBusy(LedgerError):
    """Another import (or write) holds the ledger; nothing was changed."""


def audit_path(path: str | Path) -> Path:
    """Return the access-log file that belongs to the ledger at path."""
    path = Path(path)
    return path.with_name(f"{path.stem}.audit{path.suffix}") if path.suffix else path.with_name(path.name + ".audit")


def _connect(path: Path, check_same_thread: bool) -> sqlite3.Connection:
    conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=check_same_thread)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    return conn


def is_locked(exc: sqlite3.OperationalError) -> bool:
    """Tell whether SQLite gave up waiting for another connection's lock."""
    return "locked" in str(exc) or "busy" in str(exc)


# Indexes on entries, by name, so a bulk import can drop them and build them once after loading.
# The history query reads (profile, ts) newest first; explain looks up an id or a job; a member's agency
# section reads the agency entries they acted on.
ENTRY_INDEXES = {
    "entries_id": "CREATE UNIQUE INDEX entries_id ON entries(id)",
    "entries_profile_ts": "CREATE INDEX entries_profile_ts ON entries(profile, ts)",
    "entries_job": "CREATE INDEX entries_job ON entries(job, ts) WHERE job IS NOT NULL",
    "entries_actor": "CREATE INDEX entries_actor ON entries(actor, profile, ts) WHERE actor IS NOT NULL",
}

_ENTRY_FIELDS = "id, profile, occurred_at, kind, connects, job, actor, note, balance_after"
_PROFILE_FIELDS = "id, kind, name, billing_method, discord_id"


def _entry(row: Sequence[Any]) -> LedgerEntry:
    return LedgerEntry(*row)


def _profile(row: Sequence[Any]) -> Profile:
    return Profile(*row)


def _holds_demo(conn: sqlite3.Connection) -> bool:
    """Tell whether a v1 ledger holds the bundled demo entries (it was seeded from them)."""
    from bot.core.ledger.demo import demo_entry_keys  # the demo files, read only when migrating

    keys = demo_entry_keys()
    found = conn.execute(
        "SELECT COUNT(*) FROM entries e JOIN json_each(?) j ON e.id = j.value ->> 0 "
        "AND e.profile = j.value ->> 1 AND e.connects = j.value ->> 2",
        (json.dumps(sorted(keys)),),
    ).fetchone()[0]
    return found == len(keys)


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


class LedgerStore:
    """The ledger database: open it once, share it within one thread."""

    def __init__(self, path: str | Path, *, check_same_thread: bool = True) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._check_same_thread = check_same_thread
        self._audit: sqlite3.Connection | None = None  # opened on first use: seeding never creates it
        self._conn = _connect(self.path, check_same_thread)
        try:
            use_wal(self._conn)
            self._conn.execute("PRAGMA synchronous = NORMAL")
            self._conn.execute("PRAGMA foreign_keys = ON")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            self._conn.close()
            raise LedgerError(f"{self.path}: not a usable ledger database ({exc})") from None

    # --- lifecycle -------------------------------------------------------------------------------------

    def _version(self) -> int:
        version = self._conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise LedgerError(f"{self.path}: ledger schema version {version} is newer than this bot ({SCHEMA_VERSION})")
        return version

    def _migrate(self) -> None:
        if self._version() == SCHEMA_VERSION:
            return
        with self.transaction():
            version = self._version()  # again under the write lock: another process may have migrated it
            if version < 1:
                for statement in [*_SCHEMA_V1.split(";"), *ENTRY_INDEXES.values()]:
                    if statement.strip():
                        self._conn.execute(statement)
            if version < 2:
                self._move_access_log()
                for statement in _SCHEMA_V2.split(";"):
                    if statement.strip():
                        self._conn.execute(statement)
                if version == 1 and _holds_demo(self._conn):
                    self.set_meta("origin", DEMO_ORIGIN)
            self._conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        log.info("ledger %s at schema version %d", self.path, SCHEMA_VERSION)

    def _move_access_log(self) -> None:
        """Copy a v1 ledger's access log into its own file, keeping each row's seq (so a rerun adds nothing)."""
        rows = self._conn.execute(f"SELECT {_ACCESS_FIELDS} FROM access_log ORDER BY seq").fetchall()
        if rows:
            audit = self._audit_conn()
            with _Transaction(audit):
                audit.executemany(f"INSERT OR IGNORE INTO access_log ({_ACCESS_FIELDS}) VALUES (?,?,?,?,?,?,?)", rows)

    def _audit_conn(self) -> sqlite3.Connection:
        if self._audit is None:
            path = audit_path(self.path)
            conn = _connect(path, self._check_same_thread)
            try:
                use_wal(conn)
                conn.execute("PRAGMA synchronous = NORMAL")
                if conn.execute("PRAGMA user_version").fetchone()[0] < AUDIT_SCHEMA_VERSION:
                    with _Transaction(conn):
                        for statement in _AUDIT_SCHEMA.split(";"):
                            if statement.strip():
                                conn.execute(statement)
                        conn.execute(f"PRAGMA user_version = {AUDIT_SCHEMA_VERSION}")
            except sqlite3.DatabaseError as exc:
                conn.close()
                raise LedgerError(f"{path}: not a usable ledger access log ({exc})") from None
            self._audit = conn
        return self._audit

    def close(self) -> None:
        """Close the connections (checkpointing the WAL)."""
        self._conn.close()
        if self._audit is not None:
            self._audit.close()

    def __enter__(self) -> LedgerStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def transaction(self) -> _Transaction:
        """Return a context manager running its body in one IMMEDIATE transaction."""
        return _Transaction(self._conn)

    @property
    def connection(self) -> sqlite3.Connection:
        """The raw connection, for the import session only."""
        return self._conn

    # --- ledger facts ----------------------------------------------------------------------------------

    def meta(self, key: str) -> str | None:
        """Return one fact about the ledger (e.g. `origin`), if recorded."""
        row = self._conn.execute("SELECT value FROM ledger_meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str | None) -> None:
        """Record (or, with None, forget) one fact about the ledger."""
        with self.transaction():
            self._conn.execute("DELETE FROM ledger_meta WHERE key = ?", (key,))
            if value is not None:
                self._conn.execute("INSERT INTO ledger_meta (key, value) VALUES (?, ?)", (key, value))

    @property
    def is_demo(self) -> bool:
        """Tell whether the ledger still holds the bundled demo people (seeded, never replaced)."""
        return self.meta("origin") == DEMO_ORIGIN

    # --- profiles --------------------------------------------------------------------------------------

    def get_profile(self, profile_id: str) -> Profile:
        """Return the profile with this id or raise ProfileNotFound."""
        row = self._conn.execute(f"SELECT {_PROFILE_FIELDS} FROM profiles WHERE id = ?", (profile_id,)).fetchone()
        if row is None:
            raise ProfileNotFound(profile_id)
        return _profile(row)

    def profile_by_discord(self, discord_id: str | int) -> Profile | None:
        """Return the profile linked to this Discord user id, if any."""
        row = self._conn.execute(
            f"SELECT {_PROFILE_FIELDS} FROM profiles WHERE discord_id = ?", (str(discord_id),)
        ).fetchone()
        return _profile(row) if row else None

    def find_profile(self, ref: str | int) -> Profile:
        """Resolve a profile id or a linked Discord user id; raise ProfileNotFound."""
        ref = str(ref).strip()
        row = self._conn.execute(f"SELECT {_PROFILE_FIELDS} FROM profiles WHERE id = ?", (ref,)).fetchone()
        if row:
            return _profile(row)
        found = self.profile_by_discord(ref) if ref.isdigit() else None
        if found is None:
            raise ProfileNotFound(ref)
        return found

    def profiles(self, ids: Iterable[str]) -> dict[str, Profile]:
        """Return the known profiles among these ids."""
        wanted = sorted(set(ids))
        out: dict[str, Profile] = {}
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for row in self._conn.execute(f"SELECT {_PROFILE_FIELDS} FROM profiles WHERE id IN ({marks})", chunk):
                out[row[0]] = _profile(row)
        return out

    def memberships_of(self, profile_id: str) -> list[Membership]:
        """Return the agencies this freelancer belongs to."""
        rows = self._conn.execute(
            "SELECT agency, profile, role, exclusive FROM memberships WHERE profile = ? ORDER BY agency",
            (profile_id,),
        )
        return [Membership(a, p, r, bool(x)) for a, p, r, x in rows]

    def members_of(self, agency_id: str) -> list[Membership]:
        """Return the members of this agency."""
        rows = self._conn.execute(
            "SELECT agency, profile, role, exclusive FROM memberships WHERE agency = ? ORDER BY profile",
            (agency_id,),
        )
        return [Membership(a, p, r, bool(x)) for a, p, r, x in rows]

    def link_discord(self, profile_id: str, discord_id: str | int) -> Profile:
        """Link a freelancer profile to a Discord user id (moving the link if that user had another)."""
        discord = str(discord_id).strip()
        if not discord.isdigit() or not 0 < int(discord) < 2**64:
            raise LedgerError(f"not a Discord user id: {discord_id!r}")
        with self.transaction():
            profile = self.get_profile(profile_id)
            if profile.kind != "freelancer":
                raise LedgerError(f"only freelancer profiles link to a Discord user; {profile_id} is an agency")
            self._conn.execute("UPDATE profiles SET discord_id = NULL WHERE discord_id = ?", (discord,))
            self._conn.execute("UPDATE profiles SET discord_id = ? WHERE id = ?", (discord, profile_id))
        return self.get_profile(profile_id)

    def unlink_discord(self, ref: str | int) -> Profile:
        """Remove the Discord link of a profile (given by profile id or by the linked Discord id)."""
        profile = self.find_profile(ref)
        with self.transaction():
            self._conn.execute("UPDATE profiles SET discord_id = NULL WHERE id = ?", (profile.id,))
        return self.get_profile(profile.id)

    # --- entries ---------------------------------------------------------------------------------------

    def balance(self, profile_id: str) -> int:
        """Return the profile's balance now: the balance after its latest entry (0 with none)."""
        row = self._conn.execute(
            "SELECT balance_after FROM entries WHERE profile = ? ORDER BY ts DESC, seq DESC LIMIT 1",
            (profile_id,),
        ).fetchone()
        return row[0] if row else 0

    def entries(
        self, profile_id: str, *, limit: int = 50, since_ts: int | None = None, actor: str | None = None
    ) -> list[LedgerEntry]:
        """Return a profile's newest entries (optionally only those an actor did), newest first."""
        sql = f"SELECT {_ENTRY_FIELDS} FROM entries WHERE profile = ?"
        params: list[Any] = [profile_id]
        if actor is not None:
            sql += " AND actor = ?"
            params.append(actor)
        if since_ts is not None:
            sql += " AND ts >= ?"
            params.append(since_ts)
        sql += " ORDER BY ts DESC, seq DESC LIMIT ?"
        params.append(limit)
        return [_entry(r) for r in self._conn.execute(sql, params)]

    def entry(self, entry_id: str) -> LedgerEntry | None:
        """Return the entry with this id, if any."""
        row = self._conn.execute(f"SELECT {_ENTRY_FIELDS} FROM entries WHERE id = ?", (entry_id,)).fetchone()
        return _entry(row) if row else None

    def job_entries(self, job: str) -> list[LedgerEntry]:
        """Return every entry of a job, in time order."""
        rows = self._conn.execute(f"SELECT {_ENTRY_FIELDS} FROM entries WHERE job = ? ORDER BY ts, seq", (job,))
        return [_entry(r) for r in rows]

    def count_entries(self) -> int:
        """Return how many entries the ledger holds."""
        return self._conn.execute("SELECT COUNT(*) FROM entries").fetchone()[0]

    def verify(self) -> list[str]:
        """Recompute every running balance from the entries; return the ids of entries that disagree."""
        rows = self._conn.execute(
            "SELECT id FROM (SELECT id, balance_after, SUM(connects) OVER "
            "(PARTITION BY profile ORDER BY ts, seq ROWS UNBOUNDED PRECEDING) AS running FROM entries) "
            "WHERE balance_after != running ORDER BY id"
        )
        return [r[0] for r in rows]

    # --- access log ------------------------------------------------------------------------------------

    def log_access(self, viewer: str, subject: str, what: str, allowed: bool, reason: str = "") -> AccessRecord:
        """Record one read (or refused read) of someone's ledger."""
        record = AccessRecord(_now(), viewer, subject, what, allowed, reason)
        self._audit_conn().execute(
            "INSERT INTO access_log (at, viewer, subject, what, allowed, reason) VALUES (?, ?, ?, ?, ?, ?)",
            (record.at, viewer, subject, what, int(allowed), reason),
        )
        return record

    def access_log(self, *, limit: int = 50, subject: str | None = None) -> list[AccessRecord]:
        """Return the newest access-log records, optionally for one subject."""
        sql = "SELECT at, viewer, subject, what, allowed, reason FROM access_log"
        params: list[Any] = []
        if subject is not None:
            sql += " WHERE subject = ?"
            params.append(subject)
        sql += " ORDER BY seq DESC LIMIT ?"
        params.append(limit)
        rows = self._audit_conn().execute(sql, params)
        return [AccessRecord(a, v, s, w, bool(al), r) for a, v, s, w, al, r in rows]


class _Transaction:
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


class AsyncLedgerStore:
    """Run LedgerStore calls on one dedicated thread so the event loop never waits on SQLite."""

    def __init__(self, opener: Callable[[], LedgerStore]) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ledger")
        # Opened on the worker thread: the connection is only ever used there.
        self._store: LedgerStore = self._executor.submit(opener).result()

    @property
    def executor(self) -> ThreadPoolExecutor:
        """The single ledger thread (the async service runs its calls here too)."""
        return self._executor

    @property
    def store(self) -> LedgerStore:
        """The sync store; only touch it from the ledger thread (via `run`)."""
        return self._store

    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run fn(store, *args, **kwargs) on the ledger thread and await its result."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, functools.partial(fn, self._store, *args, **kwargs))

    async def find_profile(self, ref: str | int) -> Profile:
        """Resolve a profile id or linked Discord id (see LedgerStore.find_profile)."""
        return await self.run(LedgerStore.find_profile, ref)

    async def link_discord(self, profile_id: str, discord_id: str | int) -> Profile:
        """Link a freelancer profile to a Discord user id."""
        return await self.run(LedgerStore.link_discord, profile_id, discord_id)

    async def unlink_discord(self, ref: str | int) -> Profile:
        """Remove a profile's Discord link."""
        return await self.run(LedgerStore.unlink_discord, ref)

    async def close(self) -> None:
        """Close the connection on its thread, then stop the thread."""
        await self.run(LedgerStore.close)
        self._executor.shutdown(wait=True)
