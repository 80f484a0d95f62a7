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
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
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

SCHEMA_VERSION = 1
T = TypeVar("T")

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


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


class LedgerStore:
    """The ledger database: open it once, share it within one thread."""

    def __init__(self, path: str | Path, *, check_same_thread: bool = True) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(str(self.path), isolation_level=None, check_same_thread=check_same_thread)
        try:
            self._conn.execute("PRAGMA busy_timeout = 5000")
            use_wal(self._conn)
            self._conn.execute("PRAGMA synchronous = NORMAL")
            self._conn.execute("PRAGMA foreign_keys = ON")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            self._conn.close()
            raise LedgerError(f"{self.path}: not a usable ledger database ({exc})") from None

    # --- lifecycle -------------------------------------------------------------------------------------

    def _migrate(self) -> None:
        version = self._conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise LedgerError(f"{self.path}: ledger schema version {version} is newer than this bot ({SCHEMA_VERSION})")
        if version == SCHEMA_VERSION:
            return
        with self.transaction():
            if version < 1:
                for statement in [*_SCHEMA_V1.split(";"), *ENTRY_INDEXES.values()]:
                    if statement.strip():
                        self._conn.execute(statement)
            self._conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        log.info("ledger %s at schema version %d", self.path, SCHEMA_VERSION)

    def close(self) -> None:
        """Close the connection (checkpointing the WAL)."""
        self._conn.close()

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
        self._conn.execute(
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
        return [AccessRecord(a, v, s, w, bool(al), r) for a, v, s, w, al, r in self._conn.execute(sql, params)]


class _Transaction:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self._outer = False

    def __enter__(self) -> sqlite3.Connection:
        # Nested use (a store method inside an import session) joins the open transaction.
        self._outer = not self._conn.in_transaction
        if self._outer:
            self._conn.execute("BEGIN IMMEDIATE")
        return self._conn

    def __exit__(self, exc_type: object, *rest: object) -> None:
        if not self._outer:
            return
        if exc_type is None:
            self._conn.execute("COMMIT")
        else:
            self._conn.execute("ROLLBACK")


class ImportSession:
    """One all-or-nothing import: a single IMMEDIATE transaction, committed only by `commit()`.

    Rows are staged in a TEMP table (its own file, so staging a million rows never touches the WAL),
    checked there in SQL (duplicate ids within the file and against the ledger), moved into `entries`
    with their running balances computed by a window function, and checked again for balances that go
    below zero, in occurred_at order per profile, before anything is committed. Any exit without
    `commit()` rolls everything back, so a refused import leaves the ledger exactly as it was.
    """

    BULK_CACHE_KIB = 16_384  # page cache and sorter memory per database while importing (bounded RSS)
    BULK_THREADS = 0  # measured: helper sort threads cost ~30 MB of RSS and saved no time on 2 cores

    def __init__(self, store: LedgerStore) -> None:
        self._store = store
        self._conn = store.connection
        self._done = False

    def __enter__(self) -> ImportSession:
        self._conn.execute(f"PRAGMA cache_size = -{self.BULK_CACHE_KIB}")
        self._conn.execute(f"PRAGMA temp.cache_size = -{self.BULK_CACHE_KIB}")
        self._conn.execute(f"PRAGMA threads = {self.BULK_THREADS}")
        self._conn.execute("BEGIN IMMEDIATE")
        self._conn.execute("DROP TABLE IF EXISTS temp.import_stage")
        self._conn.execute(
            "CREATE TEMP TABLE import_stage (line INTEGER PRIMARY KEY, id TEXT NOT NULL, "
            "profile TEXT NOT NULL, "
            "occurred_at TEXT NOT NULL, ts INTEGER NOT NULL, kind TEXT NOT NULL, connects INTEGER NOT NULL, "
            "job TEXT, actor TEXT, note TEXT NOT NULL)"
        )
        return self

    def __exit__(self, exc_type: object, *rest: object) -> None:
        if not self._done:
            self._conn.execute("ROLLBACK")
        self._conn.execute("DROP TABLE IF EXISTS temp.import_stage")
        self._conn.execute("DROP TABLE IF EXISTS temp.import_touched")
        self._conn.execute("PRAGMA cache_size = -2000")
        self._conn.execute("PRAGMA temp.cache_size = -2000")

    def commit(self) -> None:
        """Make the import permanent."""
        self._conn.execute("COMMIT")
        self._done = True

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

    def stage(self, rows: Sequence[tuple[Any, ...]]) -> None:
        """Stage validated rows: (line, id, profile, occurred_at, ts, kind, connects, job, actor, note)."""
        self._conn.executemany("INSERT INTO import_stage VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)

    def duplicate_problems(self, limit: int) -> tuple[list[tuple[int, str]], int]:
        """Return (first `limit` problems by line, total) for ids repeated in the file or already imported."""
        self._conn.execute("CREATE INDEX temp.import_stage_id ON import_stage(id, line)")
        # The first occurrence in the file is fine unless the ledger has the id; later ones are repeats.
        sql = (
            "SELECT s.line, s.id, f.first FROM import_stage s "
            "JOIN (SELECT id, MIN(line) AS first FROM import_stage GROUP BY id HAVING COUNT(*) > 1) f "
            "ON f.id = s.id AND s.line > f.first "
            "UNION ALL SELECT s.line, s.id, NULL FROM import_stage s "
            "WHERE s.id IN (SELECT id FROM main.entries)"
        )
        total = self._conn.execute(f"SELECT COUNT(*) FROM ({sql})").fetchone()[0]
        if not total:
            return [], 0
        problems = []
        for line, entry_id, first in self._conn.execute(f"SELECT * FROM ({sql}) ORDER BY 1 LIMIT ?", (limit,)):
            if first is None:
                problems.append((line, f"entry id {entry_id!r} is already in the ledger (re-import refused)"))
            else:
                problems.append((line, f"duplicate entry id {entry_id!r} (first on line {first})"))
        return problems, total

    def insert_staged(self) -> int:
        """Move the staged rows into entries with their running balances; return how many."""
        staged = self._conn.execute("SELECT COUNT(*) FROM import_stage").fetchone()[0]
        if not staged:
            return 0
        existing = self._conn.execute("SELECT COUNT(*) FROM main.entries").fetchone()[0]
        self._conn.execute("DROP TABLE IF EXISTS temp.import_touched")
        self._conn.execute(
            "CREATE TEMP TABLE import_touched AS SELECT profile "
            "FROM (SELECT DISTINCT profile FROM import_stage) p "
            "WHERE EXISTS (SELECT 1 FROM main.entries e WHERE e.profile = p.profile)"
            if existing
            else "CREATE TEMP TABLE import_touched (profile TEXT)"
        )
        # Building an index once over sorted data beats updating it row by row, when the import is big
        # relative to what is already there.
        bulk = staged > existing
        if bulk:
            for name in ENTRY_INDEXES:
                self._conn.execute(f"DROP INDEX IF EXISTS main.{name}")
        self._conn.execute(
            "INSERT INTO main.entries "
            "(id, profile, occurred_at, ts, kind, connects, job, actor, note, balance_after) "
            "SELECT id, profile, occurred_at, ts, kind, connects, job, actor, note, "
            "SUM(connects) OVER (PARTITION BY profile ORDER BY ts, line ROWS UNBOUNDED PRECEDING) "
            "FROM import_stage ORDER BY profile, ts, line"
        )
        if bulk:
            for statement in ENTRY_INDEXES.values():
                self._conn.execute(statement)
        # A profile that already had entries: the new ones may reach back in time, so recompute its
        # running balances over all its entries in (ts, seq) order.
        self._conn.execute(
            "UPDATE main.entries SET balance_after = r.running FROM ("
            "SELECT seq, SUM(connects) OVER (PARTITION BY profile ORDER BY ts, seq ROWS UNBOUNDED PRECEDING) "
            "AS running FROM main.entries WHERE profile IN (SELECT profile FROM import_touched)) AS r "
            "WHERE main.entries.seq = r.seq AND main.entries.balance_after != r.running"
        )
        return staged

    def negative_problems(self, limit: int) -> tuple[list[tuple[int, str]], int]:
        """Return (first problems by line, total) for entries that take a balance below zero."""
        # The ledger was never negative before this import, so only this import can cause a negative
        # balance; report each entry that crosses from >= 0 to < 0, with the file line that caused it.
        rows = self._conn.execute(
            "SELECT e.profile, e.id, e.connects, e.balance_after, s.line, e.ts, e.seq FROM main.entries e "
            "LEFT JOIN import_stage s ON s.id = e.id "
            "WHERE e.balance_after < 0 AND e.balance_after - e.connects >= 0"
        ).fetchall()
        problems: list[tuple[int, str]] = []
        for profile, entry_id, connects, after, line, ts, seq in rows:
            before = after - connects
            if line is None:
                # An entry already in the ledger goes negative because an earlier new one spent first.
                cause = self._conn.execute(
                    "SELECT s.line FROM main.entries e JOIN import_stage s ON s.id = e.id "
                    "WHERE e.profile = ? AND (e.ts < ? OR (e.ts = ? AND e.seq < ?)) "
                    "ORDER BY e.ts DESC LIMIT 1",
                    (profile, ts, ts, seq),
                ).fetchone()
                problems.append(
                    (
                        cause[0] if cause else 0,
                        f"spending here makes existing entry {entry_id!r} take {profile}'s balance "
                        f"below zero "
                        f"({before} -> {after})",
                    )
                )
            else:
                problems.append(
                    (line, f"entry {entry_id!r} takes {profile}'s balance below zero ({before} -> {after})")
                )
        problems.sort()
        return problems[:limit], len(problems)


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
