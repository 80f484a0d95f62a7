"""Check a block of plain ENTRIES.csv lines column by column, saying "good" only where that is certain.

The row-by-row checks in import_entries are the statement of the rules; at a million rows they cost
about 3 µs a row, mostly in creating and inspecting each field from Python. Here a block of whole lines
(about a megabyte) is split by `str.split` into eight columns, and each rule runs once over a column
(one regex over the joined ids, one `map(int, ...)`, the times parsed as a numpy matrix of digits, the
(profile, actor) pairs looked up once per distinct pair), so the per-row work happens in C.

This path only ever *accepts*: a row with anything unusual (a time in another ISO 8601 form, a sign rule
broken, an unknown profile ...) is left undecided and the caller checks it with the row-by-row rules,
which also word the problem. A block it cannot split the way csv.reader would (a quote, a carriage
return not ending a line, a NUL, a line without exactly eight fields, a line over limits.MAX_LINE_BYTES)
is not split at all: the caller reads the rest of the file row by row. The caps on texts (limits) are
checked here as there. So what is stored, and every problem message with its line, is
exactly what the row-by-row path gives (tests/core/ledger/test_ledger_import_columns.py compares them).
Balances are carried per profile as numpy arrays (`RunningBalances`), with the same rules as `keep`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from itertools import repeat
from typing import Any

import numpy as np

from bot.core.ledger.limits import MAX_ID_CHARS, MAX_JOB_CHARS, MAX_LINE_BYTES, MAX_NOTE_CHARS, UNSAFE_IN_REF
from bot.core.ledger.models import ENTRY_KINDS, GRANT_KINDS, KINDS_NEEDING_JOB, SPEND_KINDS

WIDTH = 8  # fields in a row: id, profile, occurred_at, kind, connects, job, actor, note
# Not in an id: white space (an id is \S{1,64}, import_entries.ENTRY_ID), a backtick, a control character.
_NOT_IN_ID = re.compile(rf"\s|{UNSAFE_IN_REF.pattern}")
_AMOUNTS = re.compile(r"[+-]?[0-9]{1,7}(?:\n[+-]?[0-9]{1,7})*")  # sign and 1-7 ASCII digits, one a line
_KIND_CODE = {kind: code for code, kind in enumerate(ENTRY_KINDS)}
_SPENDS = np.array([k in SPEND_KINDS for k in ENTRY_KINDS] + [False])  # the extra slot is "unknown kind"
_GRANTS = np.array([k in GRANT_KINDS for k in ENTRY_KINDS] + [False])
_NEEDS_JOB = np.array([k in KINDS_NEEDING_JOB for k in ENTRY_KINDS] + [False])

# The one time shape decided here: 2025-01-31T23:59:59+02:00 (25 characters, `T`, seconds, `+HH:MM`).
_TIME_LEN = 25
_DIGITS_AT = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18, 20, 21, 23, 24]
_PUNCT_AT = {4: "-", 7: "-", 10: "T", 13: ":", 16: ":", 22: ":"}
_MONTH_DAYS = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])


def split_block(chunk: bytes) -> list[list[str]] | None:
    """Split whole lines into WIDTH columns as csv.reader would; None when it might not agree or a line is odd."""
    try:
        text = chunk.decode("utf-8")
    except UnicodeDecodeError:
        return None  # the row-by-row reader names the line
    if "\r" in text:
        text = text.replace("\r\n", "\n")  # csv.reader drops a line's \r\n ending
    if '"' in text or "\r" in text or "\0" in text:
        return None
    body = text[:-1] if text.endswith("\n") else text
    lines = body.split("\n")
    # A line can be too long only with more than a quarter of MAX_LINE_BYTES characters (UTF-8 takes at
    # most 4 bytes a character); the row-by-row reader refuses it (see import_entries.physical_lines).
    if max(map(len, lines)) > MAX_LINE_BYTES // 4 and longest_line(chunk) > MAX_LINE_BYTES:
        return None
    # Exactly WIDTH - 1 commas on every line (this also refuses the blank lines csv.reader skips).
    if list(map(str.count, lines, repeat(","))).count(WIDTH - 1) != len(lines):
        return None
    flat = body.replace("\n", ",").split(",")
    return [flat[i::WIDTH] for i in range(WIDTH)]


def longest_line(chunk: bytes) -> int:
    """Return the bytes of the chunk's longest line, its newline counted."""
    pieces = chunk.split(b"\n")
    return max(max(map(len, pieces[:-1]), default=-1) + 1, len(pieces[-1]))


def _times(times: Sequence[str], earliest: int, latest: int) -> tuple[np.ndarray, np.ndarray]:
    """Return (decided, UTC microseconds) for times of the one plain shape within [earliest, latest]."""
    n = len(times)
    plain = np.fromiter(map(len, times), np.int64, n) == _TIME_LEN
    joined = "".join(times)
    if not (plain.all() and joined.isascii()):
        plain &= np.fromiter(map(str.isascii, times), bool, n)
        joined = "".join(t if ok else "0" * _TIME_LEN for t, ok in zip(times, plain.tolist(), strict=True))
    chars = np.frombuffer(joined.encode("ascii"), np.uint8).reshape(n, _TIME_LEN)
    digits = chars[:, _DIGITS_AT].astype(np.int64) - ord("0")
    ok = plain & ((digits >= 0) & (digits <= 9)).all(axis=1)
    for at, char in _PUNCT_AT.items():
        ok &= chars[:, at] == ord(char)
    sign = chars[:, 19]
    ok &= (sign == ord("+")) | (sign == ord("-"))
    d = digits.T
    year = d[0] * 1000 + d[1] * 100 + d[2] * 10 + d[3]
    month, day = d[4] * 10 + d[5], d[6] * 10 + d[7]
    hour, minute, second = d[8] * 10 + d[9], d[10] * 10 + d[11], d[12] * 10 + d[13]
    off_h, off_m = d[14] * 10 + d[15], d[16] * 10 + d[17]
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    month_days = _MONTH_DAYS[np.clip(month, 1, 12) - 1] + ((month == 2) & leap)
    ok &= (year >= 1) & (month >= 1) & (month <= 12) & (day >= 1) & (day <= month_days)
    ok &= (hour <= 23) & (minute <= 59) & (second <= 59) & (off_h <= 23) & (off_m <= 59)
    # Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
    y = year - (month <= 2)
    era = y // 400
    yoe = y - era * 400
    doy = (153 * ((month + 9) % 12) + 2) // 5 + day - 1
    days = era * 146097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 719468
    offset = np.where(sign == ord("+"), 1, -1) * (off_h * 3600 + off_m * 60)
    ts = (days * 86400 + hour * 3600 + minute * 60 + second - offset) * 1_000_000
    ok &= (ts >= earliest) & (ts <= latest)
    return ok, ts


class ColumnChecker:
    """The fast accept of import_entries' rules over a block of columns (see the module docstring)."""

    def __init__(self, kinds: dict[str, str], members: frozenset[tuple[str, str]], earliest: int, latest: int):
        self.kinds = kinds
        self.members = members
        self.earliest, self.latest = earliest, latest
        self.good_pairs: set[tuple[str, str]] = set()  # (profile, actor) pairs found acceptable so far
        self.bad_pairs: set[tuple[str, str]] = set()

    def decide(self, cols: Sequence[list[str]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Return (decided good, ts, connects) per row; ts and connects are meaningful where decided."""
        ids, profiles, times, kinds, amounts, jobs, actors, notes = cols
        n = len(ids)
        ok, ts = _times(times, self.earliest, self.latest)
        if _NOT_IN_ID.search("".join(ids)) or min(map(len, ids)) < 1 or max(map(len, ids)) > MAX_ID_CHARS:
            ok &= np.fromiter((not _NOT_IN_ID.search(i) and 1 <= len(i) <= MAX_ID_CHARS for i in ids), bool, n)
        if UNSAFE_IN_REF.search("".join(jobs)) or max(map(len, jobs)) > MAX_JOB_CHARS:
            ok &= np.fromiter((not UNSAFE_IN_REF.search(j) and len(j) <= MAX_JOB_CHARS for j in jobs), bool, n)
        if max(map(len, notes)) > MAX_NOTE_CHARS:
            ok &= np.fromiter(map(MAX_NOTE_CHARS.__ge__, map(len, notes)), bool, n)
        ok &= np.fromiter(map(self.kinds.__contains__, profiles), bool, n)
        kind = np.fromiter(map(_KIND_CODE.get, kinds, repeat(len(ENTRY_KINDS))), np.int64, n)
        ok &= kind < len(ENTRY_KINDS)
        if _AMOUNTS.fullmatch("\n".join(amounts)):
            connects = np.fromiter(map(int, amounts), np.int64, n)
        else:
            shaped = [_AMOUNTS.fullmatch(a) is not None for a in amounts]
            ok &= np.array(shaped, bool)
            connects = np.array([int(a) if s else 0 for a, s in zip(amounts, shaped, strict=True)], np.int64)
        ok &= np.abs(connects) <= 1_000_000
        ok &= ~((connects > 0) & _SPENDS[kind]) & ~((connects < 0) & _GRANTS[kind])
        ok &= np.fromiter(map(bool, jobs), bool, n) | ~_NEEDS_JOB[kind]
        pairs = set(zip(profiles, actors, strict=True))
        for pair in pairs - self.good_pairs - self.bad_pairs:
            (self.bad_pairs if self._bad_actor(*pair) else self.good_pairs).add(pair)
        if not pairs.isdisjoint(self.bad_pairs):
            bad = self.bad_pairs
            ok &= np.fromiter((pair not in bad for pair in zip(profiles, actors, strict=True)), bool, n)
        return ok, ts, connects

    def _bad_actor(self, profile: str, actor: str) -> bool:
        if not actor:
            return False
        kind = self.kinds.get(profile)
        if kind is None:
            return False  # the row is refused for its profile already
        return actor != profile if kind == "freelancer" else (profile, actor) not in self.members


class RunningBalances:
    """Each profile's running balance and latest time, carried from block to block as numpy arrays."""

    def __init__(self, profiles: Sequence[str], tail: Callable[[str], tuple[int, int] | None]):
        self.code = {p: i for i, p in enumerate(profiles)}
        self.names = list(profiles)
        self.balance = np.zeros(len(profiles), np.int64)
        self.latest = np.full(len(profiles), np.iinfo(np.int64).min, np.int64)
        self.seen = np.zeros(len(profiles), bool)
        self._tail = tail

    def add(self, profiles: Sequence[str], ts: np.ndarray, connects: np.ndarray) -> tuple[np.ndarray, set[str]]:
        """Return (balance after each row, profiles whose rows are not in time order), rows in file order."""
        code = np.fromiter(map(self.code.__getitem__, profiles), np.int64, len(profiles))
        for c in np.unique(code[~self.seen[code]]).tolist():
            self.seen[c] = True
            found = self._tail(self.names[c])  # the ledger's own latest entry of the profile, if any
            if found is not None:
                self.balance[c], self.latest[c] = found
        order = np.argsort(code, kind="stable")
        code_s, amount_s, ts_s = code[order], connects[order], ts[order]
        starts = np.flatnonzero(np.r_[True, code_s[1:] != code_s[:-1]])
        sizes = np.diff(np.r_[starts, len(code_s)])
        running = np.cumsum(amount_s)
        before_group = np.repeat(running[starts] - amount_s[starts], sizes)
        after_s = running - before_group + self.balance[code_s]
        first = np.zeros(len(code_s), bool)
        first[starts] = True
        earlier = np.r_[np.iinfo(np.int64).min, ts_s[:-1]]
        back = (ts_s < earlier) & ~first | (ts_s < self.latest[code_s]) & first
        # A profile whose rows step back in time has its balances recomputed in SQL (as in `keep`).
        late = {self.names[c] for c in np.unique(code_s[back]).tolist()}
        ends = starts + sizes - 1
        self.balance[code_s[starts]] = after_s[ends]
        heads = code_s[starts]
        self.latest[heads] = np.maximum(self.latest[heads], np.maximum.reduceat(ts_s, starts))
        after = np.empty_like(after_s)
        after[order] = after_s
        return after, late

    def as_dict(self) -> dict[str, list[int]]:
        """Return profile -> [balance, latest ts] for every profile seen (the row-by-row reader's state)."""
        seen = np.flatnonzero(self.seen).tolist()
        return {self.names[c]: [int(self.balance[c]), int(self.latest[c])] for c in seen}


def take(values: list[Any], keep: list[bool] | None) -> list[Any]:
    """Return the values whose keep flag is set (all of them when keep is None)."""
    if keep is None:
        return values
    return [v for v, k in zip(values, keep, strict=True) if k]
