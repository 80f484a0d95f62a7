"""Import PROFILES.yaml and ENTRIES.csv into the ledger: streaming, all or nothing, every bad row named.

Profiles come first (parsed whole: the file is small, and each item keeps its line number), then the
entries file is read row by row (import_entries) straight into the ledger inside the import's single
transaction (import_session), which is rolled back on any problem. Balance problems are reported only
once every row is otherwise valid: with a row missing or duplicated, they would be misleading.

Imports never mix real data into the bundled demo ledger: a ledger marked as the demo is refused unless
the caller asks to replace the demo (`replace_demo=True`), which removes the demo's rows in the same
transaction.
"""

from __future__ import annotations

import datetime as dt
import gc
import logging
import time
from dataclasses import dataclass
from pathlib import Path

from bot.core.errors import ImportRejected, LedgerError
from bot.core.ledger.import_entries import EntryRules, Progress, read_entries
from bot.core.ledger.import_profiles import import_profiles
from bot.core.ledger.import_session import ImportSession
from bot.core.ledger.models import Profile
from bot.core.ledger.store import LedgerStore

log = logging.getLogger(__name__)

MAX_LISTED = 50
# Entries may be stamped up to a day ahead of this machine's clock (time zones, clock skew), no later.
CLOCK_SLACK = dt.timedelta(days=1)


class DemoLedger(LedgerError):
    """The ledger holds the bundled demo people; real data is not mixed into it."""


@dataclass(frozen=True)
class ImportResult:
    """What an import added."""

    profiles: int
    entries: int
    seconds: float
    phases: tuple[tuple[str, float], ...] = ()  # (what, seconds), in order: where the time went


class _Phases:
    """Time the phases of one import: each mark closes the phase that ran since the previous one."""

    def __init__(self) -> None:
        self.done: list[tuple[str, float]] = []
        self._since = time.perf_counter()

    def mark(self, name: str, *, part: tuple[str, float] | None = None) -> None:
        """Close the phase `name`; `part` (name, seconds) is time within it to report on its own."""
        now = time.perf_counter()
        if part is None:
            self.done.append((name, now - self._since))
        else:
            self.done += [(name, now - self._since - part[1]), part]
        self._since = now


class Problems:
    """Collect (sort key, message) problems; keep the first MAX_LISTED by key, count them all."""

    def __init__(self) -> None:
        self.items: list[tuple[tuple[int, int], str]] = []
        self.total = 0

    def add(self, order: int, line: int, message: str) -> None:
        self.total += 1
        if len(self.items) < MAX_LISTED * 4:
            self.items.append(((order, line), message))

    def raise_if_any(self) -> None:
        if self.total:
            listed = [m for _, m in sorted(self.items)[:MAX_LISTED]]
            raise ImportRejected(listed, self.total)


def import_ledger(
    store: LedgerStore,
    *,
    profiles_path: str | Path | None = None,
    entries_path: str | Path | None = None,
    progress: Progress | None = None,
    replace_demo: bool = False,
) -> ImportResult:
    """Import a profiles file and/or an entries file; raise ImportRejected listing every bad row."""
    # Parsing allocates millions of short-lived lists, dicts and tuples and creates no cycles: the cyclic
    # garbage collector would only rescan the same long-lived objects over and over (~20% of the time).
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _import(store, profiles_path, entries_path, progress, replace_demo)
    finally:
        if collecting:
            gc.enable()


def _import(
    store: LedgerStore,
    profiles_path: str | Path | None,
    entries_path: str | Path | None,
    progress: Progress | None,
    replace_demo: bool,
) -> ImportResult:
    started = time.perf_counter()
    problems = Problems()
    phases = _Phases()
    with ImportSession(store) as session:
        if session.is_demo():
            if not replace_demo:
                raise DemoLedger(
                    f"{store.path} holds the bundled demo ledger; nothing was imported. Run `ledger reset` to "
                    "remove the demo people first, or import with --replace-demo"
                )
            session.remove_demo()
        kinds = session.known_profiles()
        profiles: list[Profile] = []
        members = {(m.agency, m.profile) for m in session.memberships()}
        if profiles_path is not None:
            profiles, replaced = import_profiles(session, Path(profiles_path), kinds, problems)
            members = {pair for pair in members if pair[0] not in replaced}
            members |= {(m.agency, m.profile) for ms in replaced.values() for m in ms}
        phases.mark("profiles")
        count = 0
        if entries_path is not None:
            rules = EntryRules(kinds, frozenset(members), dt.datetime.now(dt.UTC) + CLOCK_SLACK)
            count = _import_entries(session, Path(entries_path), rules, problems, progress, phases)
        problems.raise_if_any()
        session.commit()
        phases.mark("commit")
    elapsed = time.perf_counter() - started
    log.info("imported %d profile(s) and %d entries in %.2fs", len(profiles), count, elapsed)
    return ImportResult(profiles=len(profiles), entries=count, seconds=elapsed, phases=tuple(phases.done))


def reset_demo(store: LedgerStore) -> None:
    """Remove the bundled demo people from a demo ledger (the access log stays); refuse any other ledger."""
    with ImportSession(store) as session:
        if not session.is_demo():
            raise LedgerError(f"{store.path} holds imported data, not the demo; `ledger reset` only removes the demo")
        session.remove_demo()
        session.commit()


def _import_entries(
    session: ImportSession,
    path: Path,
    rules: EntryRules,
    problems: Problems,
    progress: Progress | None,
    phases: _Phases,
) -> int:
    label = path.name
    count, lines, negatives, recompute = read_entries(session, path, rules, problems, progress)
    phases.mark("rows read and checked", part=("rows written", session.insert_seconds))

    def line_of(seq: int) -> int:
        return lines[seq - session.base_seq - 1]

    if not session.finish_entries():
        found, total = session.duplicates(MAX_LISTED)
        for seq, entry_id, first in found:
            line = line_of(seq)
            if first <= session.base_seq:
                problems.add(
                    1, line, f"{label} line {line}: entry id {entry_id!r} is already in the ledger (re-import refused)"
                )
            else:
                problems.add(
                    1, line, f"{label} line {line}: duplicate entry id {entry_id!r} (first on line {line_of(first)})"
                )
        problems.total += total - len(found)
    phases.mark("indexes")
    problems.raise_if_any()
    for line, profile, message in negatives:
        if profile not in recompute:
            problems.add(1, line, f"{label} line {line}: {message}")
    if recompute:
        for seq, entry_id, profile, before, after, cause in session.recompute(recompute):
            if seq > session.base_seq:
                line = line_of(seq)
                problems.add(
                    1,
                    line,
                    f"{label} line {line}: entry {entry_id!r} takes {profile}'s balance below zero "
                    f"({before} -> {after})",
                )
            else:
                line = line_of(cause) if cause else 0
                problems.add(
                    1,
                    line,
                    f"{label} line {line}: spending here makes existing entry {entry_id!r} take {profile}'s balance "
                    f"below zero ({before} -> {after})",
                )
    phases.mark("balances")
    return count
