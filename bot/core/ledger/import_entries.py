"""Read ENTRIES.csv into an import session: each row checked once, every problem named by its line.

The file is read as bytes in blocks of whole lines. A block of plain lines is checked column by column
(import_columns), which only ever accepts; the rows it leaves undecided are checked here one by one
(`check` is the statement of the rules and words the problems). From the first block that is not plain
(a quote, a byte that is not UTF-8, a line too long ...) the rest of the file is read row by row, each
physical line decoded on its own so a bad byte is reported on its own line (import_lines). Both paths
apply the same caps on texts (limits). Each good row goes straight into `entries`
with its running balance, kept per profile while reading; a profile whose rows are not in time order (or
that reach back before what the ledger holds) is marked and its balances are recomputed in SQL at the
end (see import_session). Memory stays flat: a block of rows, a line of at most limits.MAX_LINE_BYTES,
a balance per profile, and one 4-byte file line per row (to name lines in problems found in SQL).
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import re
from array import array
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

import numpy as np

from bot.core.errors import ImportRejected
from bot.core.ledger.import_columns import ColumnChecker, RunningBalances, split_block, take
from bot.core.ledger.import_lines import LineTooLong, Rest, decode_line, not_utf8, physical_lines, read_header, too_long
from bot.core.ledger.import_session import ImportSession
from bot.core.ledger.limits import (
    MAX_ID_CHARS,
    MAX_JOB_CHARS,
    MAX_LINE_BYTES,
    MAX_NOTE_CHARS,
    UNSAFE_IN_REF,
    shown,
)
from bot.core.ledger.models import ENTRY_COLUMNS, ENTRY_KINDS, GRANT_KINDS, KINDS_NEEDING_JOB, SPEND_KINDS

if TYPE_CHECKING:
    from bot.core.ledger.importer import Problems

BATCH_ROWS = 5000
BLOCK_BYTES = 1 << 18  # read and checked column by column a block at a time (about 3,300 rows)
ENTRY_ID = re.compile(rf"\S{{1,{MAX_ID_CHARS}}}")
# A single entry moves at most this many Connects: real bundles are tens to hundreds, and the bound keeps
# every running sum far inside SQLite's 64-bit integers.
MAX_CONNECTS = 1_000_000
EARLIEST = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)  # Connects did not exist before this
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MICRO = dt.timedelta(microseconds=1)
_ALL_KINDS = frozenset(ENTRY_KINDS)

# (bytes read, bytes in the file), called after every batch.
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class EntryRules:
    """What each row is checked against: the profiles, who may act for which agency, the latest time."""

    kinds: dict[str, str]
    members: frozenset[tuple[str, str]]  # (agency, freelancer)
    latest: dt.datetime

    @property
    def ts_range(self) -> tuple[int, int]:
        return (EARLIEST - _EPOCH) // _MICRO, (self.latest - _EPOCH) // _MICRO


def read_entries(
    session: ImportSession, path: Path, rules: EntryRules, problems: Problems, progress: Progress | None
) -> tuple[int, array, list[tuple[int, str, str]], set[str]]:
    """Check and insert every row; return (rows, file line per row, balance problems, profiles to recompute).

    Balance problems are (line, profile, message) for rows that take a balance from >= 0 to below zero,
    found while reading; those of profiles marked for recompute are not final and are dropped by the caller.
    """
    label = path.name
    try:
        total_size = os.path.getsize(path)
        handle = open(path, "rb")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise ImportRejected([f"{label}: cannot read file: {exc.strerror}"], 1) from None
    with handle:
        header_line, header = read_header(handle, label)
        if header is None or sorted(h.strip() for h in header) != sorted(ENTRY_COLUMNS):
            raise ImportRejected(
                [f"{label} line {header_line or 1}: the header must be {','.join(ENTRY_COLUMNS)}, got {header!r}"], 1
            )
        session.start_entries(expected_rows=total_size // 60)  # a row is 60-100 bytes
        index = [[h.strip() for h in header].index(c) for c in ENTRY_COLUMNS]
        reorder = None if index == list(range(len(ENTRY_COLUMNS))) else index
        return _Reader(session, rules, problems, label, header_line).run(handle, reorder, progress, total_size)


class _Reader:
    """The row loop of one entries file (state kept on the instance, the hot loop in `run`)."""

    def __init__(self, session: ImportSession, rules: EntryRules, problems: Problems, label: str, header: int):
        self.session = session
        self.rules = rules
        self.problems = problems
        self.label = label
        self.header = header
        self.balances: dict[str, list[int]] = {}  # profile -> [balance, latest ts]
        self.recompute: set[str] = set()
        self.negatives: list[tuple[int, str, str]] = []
        self.lines = array("I")
        self.batch: list[tuple[Any, ...]] = []
        self.seq = session.base_seq
        self.earliest, self.latest = rules.ts_range
        self.good = self.fast_check()
        self.columns = ColumnChecker(rules.kinds, rules.members, self.earliest, self.latest)
        self.running = RunningBalances(list(rules.kinds), session.tail)

    def run(
        self, handle: BinaryIO, reorder: list[int] | None, progress: Progress | None, total_size: int
    ) -> tuple[int, array, list[tuple[int, str, str]], set[str]]:
        """Read blocks of whole lines column by column while they are plain, then the rest row by row."""
        report = None if progress is None else lambda: progress(handle.tell(), total_size)
        line = self.header + 1  # the file line of the block's first line
        carry = b""  # the start of a line the block cut
        while True:
            data = handle.read(BLOCK_BYTES)
            block = carry + data
            end = block.rfind(b"\n") + 1 if data else len(block)
            if data and end == 0 and len(block) <= MAX_LINE_BYTES:  # a line longer than a block: read on
                carry = block
                continue
            chunk, carry = block[:end], block[end:]
            if not block:
                break
            cols = split_block(chunk) if chunk else None  # no chunk: a line too long to hold
            if cols is None:  # from here on, row by row
                self.balances = self.running.as_dict()  # carry the balances over
                self.exact(physical_lines(Rest(block, handle)), line, reorder, report)
                break
            self.take_block(cols if reorder is None else [cols[i] for i in reorder], line)
            line += chunk.count(b"\n") + (not chunk.endswith(b"\n"))
            if report is not None:
                report()
        self.flush()
        if progress is not None:
            progress(total_size, total_size)
        return self.seq - self.session.base_seq, self.lines, self.negatives, self.recompute

    def take_block(self, cols: list[list[str]], first: int) -> None:
        """Check a block's columns (rows left undecided one by one) and queue the good rows with balances."""
        ok, ts, connects = self.columns.decide(cols)
        lines = np.arange(first, first + len(ok), dtype=np.uint32)
        if not ok.all():
            kept = ok.tolist()
            for i in np.flatnonzero(~ok).tolist():
                row = [c[i] for c in cols]
                checked = self.good(row)
                if checked is None:
                    self.problems.add(1, first + i, f"{self.label} line {first + i}: {self.check(row)}")
                else:
                    kept[i] = True
                    ts[i], connects[i] = checked[3], checked[5]
            mask = np.array(kept, bool)
            cols, ts, connects, lines = [take(c, kept) for c in cols], ts[mask], connects[mask], lines[mask]
        ids, profiles, times, kinds, _, jobs, actors, notes = cols
        if not ids:
            return
        after, late = self.running.add(profiles, ts, connects)
        self.recompute |= late
        for i in np.flatnonzero((after < 0) & (after - connects >= 0)).tolist():
            before, now = int(after[i] - connects[i]), int(after[i])
            message = f"entry {ids[i]!r} takes {profiles[i]}'s balance below zero ({before} -> {now})"
            self.negatives.append((int(lines[i]), profiles[i], message))
        seqs = range(self.seq + 1, self.seq + 1 + len(ids))
        self.seq, jobs, actors = seqs[-1], [j or None for j in jobs], [a or None for a in actors]
        self.lines.frombytes(lines.tobytes())
        columns = [seqs, ids, profiles, times, ts.tolist(), kinds, connects.tolist(), jobs, actors, notes]
        columns.append(after.tolist())
        if self.session.bulk:
            self.session.insert_columns(columns)
        else:  # a small import into a big ledger asks about known ids per batch (see flush)
            self.batch = list(zip(*columns, strict=True))
            self.flush()

    def exact(self, lines: Iterable[bytes | None], first: int, reorder: list[int] | None, report: Any) -> None:
        """Check and queue rows one by one from file line `first` on (each physical line decoded on its own)."""
        reader = csv.reader(map(decode_line, lines))
        problems, label, check, keep, good = self.problems, self.label, self.check, self.keep, self.good
        base = first - 1
        lost = 0  # lines csv.reader never counted (they failed to decode)
        done = 0  # reader.line_num after the previous row
        while True:
            try:
                for row in reader:
                    line = base + lost + done + 1
                    done = reader.line_num
                    if not row:
                        continue
                    if len(row) != 8:
                        problems.add(1, line, f"{label} line {line}: has {len(row)} fields, expected 8")
                        continue
                    if reorder is not None:
                        row = [row[i] for i in reorder]
                    checked = good(row)
                    if checked is None:
                        problems.add(1, line, f"{label} line {line}: {check(row)}")
                        continue
                    keep(line, checked)
                    if len(self.batch) >= BATCH_ROWS:
                        self.flush()
                        if report is not None:
                            report()
                break
            except UnicodeDecodeError as exc:
                line = base + lost + reader.line_num + 1
                lost += 1
                problems.add(1, line, not_utf8(label, line, exc))
            except LineTooLong:
                line = base + lost + reader.line_num + 1
                lost += 1
                problems.add(1, line, too_long(label, line))
            except csv.Error as exc:
                line = base + lost + done + 1
                done = reader.line_num
                problems.add(1, line, f"{label} line {line}: unreadable: {exc}")

    def keep(self, line: int, checked: tuple[Any, ...]) -> None:
        """Give a good row its seq and running balance and queue it for insertion."""
        profile, ts, connects = checked[1], checked[3], checked[5]
        state = self.balances.get(profile)
        if state is None:
            tail = self.session.tail(profile)
            state = self.balances[profile] = [tail[0], tail[1]] if tail else [0, ts]
        if ts < state[1]:
            self.recompute.add(profile)  # out of time order: SQL recomputes this profile's balances
        else:
            state[1] = ts
        before = state[0]
        state[0] = after = before + connects
        if after < 0 <= before:
            self.negatives.append(
                (line, profile, f"entry {checked[0]!r} takes {profile}'s balance below zero ({before} -> {after})")
            )
        self.seq += 1
        self.lines.append(line)
        self.batch.append((self.seq, *checked, after))

    def flush(self) -> None:
        """Insert the queued rows (after a per-batch duplicate check when not bulk-loading)."""
        if not self.batch:
            return
        if not self.session.bulk:
            self._refuse_known_ids()
        # Rows are inserted even once a problem is known (all is rolled back): later duplicates are still found.
        self.session.insert(self.batch)
        self.batch = []

    def _refuse_known_ids(self) -> None:
        base = self.session.base_seq
        seen: dict[str, int] = {}
        known = self.session.seqs_of(row[1] for row in self.batch)
        kept = []
        for row in self.batch:
            seq, entry_id = row[0], row[1]
            line = self.lines[seq - base - 1]
            first = known.get(entry_id) or seen.get(entry_id)
            if first is None:
                seen[entry_id] = seq
                kept.append(row)
            elif first <= base:
                self.problems.add(
                    1,
                    line,
                    f"{self.label} line {line}: entry id {entry_id!r} is already in the ledger (re-import refused)",
                )
            else:
                first_line = self.lines[first - base - 1]
                self.problems.add(
                    1, line, f"{self.label} line {line}: duplicate entry id {entry_id!r} (first on line {first_line})"
                )
        self.batch = kept

    def fast_check(self) -> Callable[[list[str]], tuple[Any, ...] | None]:
        """Return the rules of `check` as one predicate: the values to store for a good row, else None.

        A million rows pass through here, so it is one expression over local names; `check` stays the
        readable statement of the rules and says why a row is bad (a row this lets through would be
        stored, so every rule has a test that feeds a bad row through the import).
        """
        kinds, members, earliest, latest = self.rules.kinds.get, self.rules.members, self.earliest, self.latest
        parse, epoch, micro, good_id = dt.datetime.fromisoformat, _EPOCH, _MICRO, ENTRY_ID.fullmatch
        spend, grant, need_job, top = SPEND_KINDS, GRANT_KINDS, KINDS_NEEDING_JOB, MAX_CONNECTS
        unsafe, max_job, max_note = UNSAFE_IN_REF.search, MAX_JOB_CHARS, MAX_NOTE_CHARS

        def good(row: list[str]) -> tuple[Any, ...] | None:
            entry_id, profile, occurred_at, kind, text, job, actor, note = row
            profile_kind = kinds(profile)
            digits = text[1:] if text[:1] in ("-", "+") else text
            if (
                profile_kind is None
                or kind not in _ALL_KINDS
                or not (digits.isdigit() and digits.isascii() and len(digits) <= 7)
                or good_id(entry_id) is None
                or (not job and kind in need_job)
                or len(job) > max_job
                or len(note) > max_note
                or unsafe(entry_id + job) is not None
            ):
                return None
            try:
                ts = (parse(occurred_at) - epoch) // micro  # a time without offset raises TypeError
            except (ValueError, TypeError):
                return None
            connects = int(text)
            if (
                not earliest <= ts <= latest
                or not -top <= connects <= top
                or (connects > 0 and kind in spend)
                or (connects < 0 and kind in grant)
                or (actor and (actor != profile if profile_kind == "freelancer" else (profile, actor) not in members))
            ):
                return None
            return (entry_id, profile, occurred_at, ts, kind, connects, job or None, actor or None, note)

        return good

    def check(self, row: list[str]) -> tuple[Any, ...] | str:
        """Validate one CSV row; return the values to store or the reasons it is bad."""
        entry_id, profile, occurred_at, kind, connects_text, job, actor, note = row
        rules = self.rules
        reasons = []
        if not ENTRY_ID.fullmatch(entry_id):
            reasons.append(f"id must be 1 to {MAX_ID_CHARS} characters with no spaces, got {shown(entry_id)}")
        elif UNSAFE_IN_REF.search(entry_id):
            reasons.append(f"id must not hold a backtick or a control character, got {shown(entry_id)}")
        profile_kind = rules.kinds.get(profile)
        if profile_kind is None:
            reasons.append(f"unknown profile {shown(profile)}")
        ts = _timestamp(occurred_at, self.earliest, self.latest)
        if ts is None:
            reasons.append(f"occurred_at must be an ISO 8601 time with offset, got {shown(occurred_at)}")
        elif isinstance(ts, str):
            reasons.append(f"occurred_at must be between 2000-01-01 and now, got {shown(occurred_at)}")
        if kind not in _ALL_KINDS:
            reasons.append(f"unknown kind {shown(kind)} (expected one of {', '.join(ENTRY_KINDS)})")
        connects = _connects(connects_text)
        if connects is None:
            reasons.append(
                f"connects must be a whole number from -{MAX_CONNECTS} to {MAX_CONNECTS}, got {shown(connects_text)}"
            )
        elif connects > 0 and kind in SPEND_KINDS:
            reasons.append(f"a {kind} spends Connects: connects must be negative, got {connects}")
        elif connects < 0 and kind in GRANT_KINDS:
            reasons.append(f"a {kind} adds Connects: connects must be positive, got {connects}")
        if not job and kind in KINDS_NEEDING_JOB:
            reasons.append(f"a {kind} needs a job reference")
        elif len(job) > MAX_JOB_CHARS:
            reasons.append(f"job must be at most {MAX_JOB_CHARS} characters, got {len(job):,}")
        elif UNSAFE_IN_REF.search(job):
            reasons.append(f"job must not hold a backtick or a control character, got {shown(job)}")
        if len(note) > MAX_NOTE_CHARS:
            reasons.append(f"note must be at most {MAX_NOTE_CHARS} characters, got {len(note):,}")
        if actor:
            if rules.kinds.get(actor) != "freelancer":
                reasons.append(f"actor {shown(actor)} is not a freelancer profile")
            elif profile_kind == "agency" and (profile, actor) not in rules.members:
                reasons.append(f"actor {actor!r} is not a member of agency {profile!r}")
            elif profile_kind == "freelancer" and actor != profile:
                reasons.append(
                    f"actor {actor!r} is not the profile's owner: a freelancer entry is acted on by {profile} only"
                )
        if reasons:
            return "; ".join(reasons)
        return (entry_id, profile, occurred_at, ts, kind, connects, job or None, actor or None, note)


def _timestamp(text: str, earliest: int, latest: int) -> int | str | None:
    """Return UTC microseconds; None when not an ISO 8601 time with offset, "range" when implausible."""
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    ts = (moment - _EPOCH) // _MICRO
    return ts if earliest <= ts <= latest else "range"


def _connects(text: str) -> int | None:
    """Return a signed whole number of ASCII digits within +-MAX_CONNECTS, else None."""
    digits = text[1:] if text[:1] in ("-", "+") else text
    if not (digits.isascii() and digits.isdigit()) or len(digits) > 7:
        return None
    value = int(text)
    return value if -MAX_CONNECTS <= value <= MAX_CONNECTS else None
