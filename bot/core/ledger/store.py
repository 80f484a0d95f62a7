"""The SQL of the Connects ledger: schema and migrations, profiles, links, entries and balances.

Balances are never stored apart from the entries. Each entry carries `balance_after`, the running sum
of its profile's entries up to and including it in (occurred_at, insertion) order. The import computes
it while reading the file, in the same transaction that inserts the entries (a window function recomputes
it for a profile whose rows are out of time order or reach back into its history), so it is a cache of
the entries, never a second source of truth: `verify()` recomputes it from scratch. It exists because history must show
"balance after each entry" for the newest 50 entries of a profile with a million rows in the table in
well under 5 ms, which a running sum over the whole profile cannot do.

`LedgerStore` is the bundled stand-in for the marketplace's data: one implementation of
source.LedgerSource, the interface the services use. The bot runs it on one dedicated thread
(worker.LedgerWorker) so the Discord event loop never blocks on disk.

The access log is its own file beside the ledger (see audit); the connection helpers are in connection.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from bot.core.errors import LedgerError, ProfileNotFound
from bot.core.ledger.audit import ACCESS_FIELDS, AccessLog
from bot.core.ledger.connection import Transaction, connect, make_folder
from bot.core.ledger.models import AccessRecord, LedgerEntry, Membership, Profile
from bot.core.sqlite_wal import use_wal

log = logging.getLogger(__name__)

SCHEMA_VERSION = 3
T = TypeVar("T")
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
"""

# v2: the access log (a table of v1 ledgers, not listed above since no ledger is created at v1 any more)
# moves to its own file (see audit); `ledger_meta` records facts about the ledger as a whole, such as
# `origin = demo` for a ledger seeded from the bundled demo files.
_SCHEMA_V2 = """
DROP TABLE IF EXISTS access_log;
CREATE TABLE ledger_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
"""

# Indexes on entries, by name, so a bulk import can drop them and build them once after loading.
# The history query reads (profile, ts) newest first; explain looks up an id or a job (a job has a handful
# of entries, sorted on reading); a member's agency section reads the agency entries they acted on. An
# entry acted on by its own profile (every acted freelancer entry) is left out of entries_actor: the
# history index finds those, and building the index over only the rest takes 0.3 s instead of 0.8 s for a
# million entries.
ENTRY_INDEXES = {
    "entries_id": "CREATE UNIQUE INDEX entries_id ON entries(id)",
    "entries_profile_ts": "CREATE INDEX entries_profile_ts ON entries(profile, ts)",
    "entries_job": "CREATE INDEX entries_job ON entries(job) WHERE job IS NOT NULL",
    "entries_actor": (
        "CREATE INDEX entries_actor ON entries(actor, profile, ts) WHERE actor IS NOT NULL AND actor != profile"
    ),
}
# v3: entries_job and entries_actor become the smaller indexes above.
_REBUILT_IN_V3 = ("entries_job", "entries_actor")

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


class LedgerStore:
    """The ledger database: open it once, share it within one thread."""

    def __init__(self, path: str | Path, *, check_same_thread: bool = True) -> None:
        self.path = Path(path)
        make_folder(self.path)
        self._audit = AccessLog(self.path, check_same_thread=check_same_thread)
        self._conn = connect(self.path, check_same_thread)
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
            if version == 1:
                self._move_access_log()
            if version < 2:
                for statement in _SCHEMA_V2.split(";"):
                    if statement.strip():
                        self._conn.execute(statement)
                if version == 1 and _holds_demo(self._conn):
                    self.set_meta("origin", DEMO_ORIGIN)
            if 1 <= version < 3:
                for name in _REBUILT_IN_V3:
                    self._conn.execute(f"DROP INDEX IF EXISTS {name}")
                    self._conn.execute(ENTRY_INDEXES[name])
            self._conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        log.info("ledger %s at schema version %d", self.path, SCHEMA_VERSION)

    def _move_access_log(self) -> None:
        """Copy a v1 ledger's access log into its own file, keeping each row's seq (so a rerun adds nothing)."""
        rows = self._conn.execute(f"SELECT {ACCESS_FIELDS} FROM access_log ORDER BY seq").fetchall()
        if rows:
            self._audit.copy_in(rows)

    def close(self) -> None:
        """Close the connections (checkpointing the WAL)."""
        self._conn.close()
        self._audit.close()

    def __enter__(self) -> LedgerStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def transaction(self) -> Transaction:
        """Return a context manager running its body in one IMMEDIATE transaction."""
        return Transaction(self._conn)

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
            if actor != profile_id:
                sql += " AND actor != profile"  # the condition of entries_actor, so SQLite may use it
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
        return self._audit.record(viewer, subject, what, allowed, reason)

    def access_log(self, *, limit: int = 50, subject: str | None = None) -> list[AccessRecord]:
        """Return the newest access-log records, optionally for one subject."""
        return self._audit.newest(limit=limit, subject=subject)
