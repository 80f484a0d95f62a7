"""The column-by-column path of the entries import stores and reports exactly what the row-by-row path does."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from ledger_sample import HEADER, PROFILES

import bot.core.ledger.import_entries as import_entries
from bot.core.errors import ImportRejected
from bot.core.ledger.import_columns import _times, split_block
from bot.core.ledger.importer import import_ledger
from bot.core.ledger.store import LedgerStore

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
WIDE = (-(2**62), 2**62)


def micros(text: str) -> int | None:
    """What the row-by-row rules make of a time: UTC microseconds, or None when it is not one."""
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return None if moment.tzinfo is None else (moment - EPOCH) // dt.timedelta(microseconds=1)


def plain_time(rng: random.Random) -> str:
    sign = rng.choice("+-")
    return (
        f"{rng.randrange(1, 10000):04d}-{rng.randrange(0, 14):02d}-{rng.randrange(0, 33):02d}T"
        f"{rng.randrange(0, 26):02d}:{rng.randrange(0, 61):02d}:{rng.randrange(0, 62):02d}"
        f"{sign}{rng.randrange(0, 26):02d}:{rng.randrange(0, 62):02d}"
    )


def test_times_decided_in_columns_are_those_fromisoformat_gives():
    rng = random.Random(5)
    times = [plain_time(rng) for _ in range(20_000)]
    times += ["2024-02-29T12:00:00+00:00", "2023-02-29T12:00:00+00:00", "2000-02-29T00:00:00-23:59"]
    times += ["1900-02-29T00:00:00+00:00", "2026-01-01T00:00:00Z", "2026-01-01 00:00:00+00:00"]
    times += ["2026-01-01T00:00:00", "2026-01-01T00:00:00.5+00:00", "２026-01-01T00:00:00+00:00"]
    # Mutate one character of valid times: every variant is either decided alike or left undecided.
    for _ in range(5000):
        text = list(f"20{rng.randrange(0, 30):02d}-0{rng.randrange(1, 10)}-1{rng.randrange(0, 10)}T10:20:30+01:00")
        text[rng.randrange(len(text))] = rng.choice("0123456789+-:T Zé")
        times.append("".join(text))
    decided, ts = _times(times, *WIDE)
    expected = [micros(t) for t in times]
    for text, ok, value, want in zip(times, decided.tolist(), ts.tolist(), expected, strict=True):
        if ok:
            assert value == want, text
    # And the plain shape is decided whenever the rules accept it (else the fast path would be pointless).
    plain = [i for i, t in enumerate(times) if len(t) == 25 and t[10] == "T" and t[19] in "+-" and t.isascii()]
    # (fromisoformat also takes offset minutes up to 99, as "+01:75"; the columns leave those to it)
    accepted = [i for i in plain if expected[i] is not None and int(times[i][23:]) <= 59]
    assert accepted and all(decided[i] for i in accepted)


def test_blocks_that_csv_reader_might_read_differently_are_not_split():
    assert split_block(b"a,b,c,d,e,f,g,h\n1,2,3,4,5,6,7,8\n") == [
        ["a", "1"],
        ["b", "2"],
        ["c", "3"],
        ["d", "4"],
        ["e", "5"],
        ["f", "6"],
        ["g", "7"],
        ["h", "8"],
    ]
    assert split_block(b"a,b,c,d,e,f,g,h\r\n")[7] == ["h"]
    for odd in (
        b'a,b,c,d,e,f,g,"h"\n',
        b"a,b,c,d,e,f,g,h\rx\n",
        b"a,b,c,d,e,f,g,\x00\n",
        b"a,b,c\n",
        b"\n",
        b"a,b,c,d,e,f,g,h\n\n",
        b"a,b,c,d,e,f,g,\xe9\n",
    ):
        assert split_block(odd) is None, odd


ROWS = [
    "e-1,fl-a,2026-01-01T10:00:00+00:00,purchase,80,,fl-a,bundle",
    "e-2,ag-x,2026-01-01T11:00:00+02:00,purchase,150,,fl-a,",
    "e-3,ag-x,2026-01-02T10:00:00+00:00,proposal,-6,~01aa,fl-b,",
    "e-4,fl-b,2026-01-02T10:00:00Z,monthly,+10,,,",  # another ISO form and a plus sign: checked row by row
    "e-5,fl-b,2026-01-02 11:00:00.250+00:00,proposal,-04,~01bb,fl-b,",
    "e-6,fl-a,2026-01-01T08:00:00-01:00,bonus,3,,,late in the file",  # fl-a steps back in time
    "e-7,fl-a,2026-01-03T10:00:00+00:00,returned,3,~01cc,,",
    "e-8,ag-x,2026-01-03T10:00:00+00:00,adjustment,0,,,support",
]
BAD = [
    "b-1,fl-z,2026-01-01T10:00:00+00:00,monthly,10,,,",  # unknown profile
    "b-2,fl-a,2026-01-01T10:00:00+00:00,gift,10,,,",  # unknown kind
    "b-3,fl-a,2026-01-01T10:00:00+00:00,monthly,1.5,,,",
    "b-4,fl-a,2026-01-01T10:00:00+00:00,monthly,١٢,,,",
    "b-5,fl-a,2026-01-01T10:00:00+00:00,monthly,12345678,,,",
    "b-6,fl-a,2026-01-01T10:00:00+00:00,monthly,1000001,,,",
    "b-7,fl-a,2026-01-01T10:00:00+00:00,proposal,4,~01dd,,",  # a spend that adds
    "b-8,fl-a,2026-01-01T10:00:00+00:00,purchase,-4,,,",  # a grant that takes
    "b-9,fl-a,2026-01-01T10:00:00+00:00,proposal,-4,,,",  # no job
    "b-10,fl-a,2026-01-01T10:00:00+00:00,proposal,-4,~01ee,fl-b,",  # not the owner
    "b-11,ag-x,2026-01-01T10:00:00+00:00,proposal,-4,~01ee,fl-z,",  # not a member
    "b-12,fl-a,2026-01-01T10:00:00,monthly,10,,,",  # no offset
    "b-13,fl-a,1999-12-31T23:59:59+00:00,monthly,10,,,",  # too early
    "b-14,fl-a,2999-01-01T00:00:00+00:00,monthly,10,,,",  # in the future
    "b-15,fl-a,2026-02-30T10:00:00+00:00,monthly,10,,,",
    "b 16,fl-a,2026-01-01T10:00:00+00:00,monthly,10,,,",  # a space in the id
    ",fl-a,2026-01-01T10:00:00+00:00,monthly,10,,,",  # no id
    "x" * 65 + ",fl-a,2026-01-01T10:00:00+00:00,monthly,10,,,",
    "e-1,fl-a,2026-01-04T10:00:00+00:00,monthly,10,,,",  # a duplicate id
    "b-17,fl-b,2026-01-04T10:00:00+00:00,expired,-500,,,",  # below zero
    "b-18,fl-a,2026-01-01T10:00:00+00:00,proposal,-4," + "j" * 65 + ",fl-a,",  # a job over its cap
    "b-19,fl-a,2026-01-01T10:00:00+00:00,monthly,10,,," + "n" * 501,  # a note over its cap
    "b`20,fl-a,2026-01-01T10:00:00+00:00,monthly,10,,,",  # a backtick in the id
    "b-21\x1b[2J,fl-a,2026-01-01T10:00:00+00:00,monthly,10,,,",  # a control character in the id
    "b-22,fl-a,2026-01-01T10:00:00+00:00,proposal,-4,~01`x,fl-a,",  # a backtick in the job
    "b-23,fl-a,2026-01-01T10:00:00+00:00,proposal,-4,~01\x7f,fl-a,",  # DEL in the job
]


def outcome(tmp_path, name: str, data: bytes, *, columns: bool, monkeypatch, existing=None, block=150):
    """Import data into a fresh ledger (column path, or row by row only); return what came of it.

    The default block of 150 bytes makes many blocks, cuts lines, and has a line longer than a block.
    """
    with monkeypatch.context() as patch:
        patch.setattr(import_entries, "BLOCK_BYTES", block)
        split = [0]  # blocks read column by column

        def spy(chunk: bytes) -> list[list[str]] | None:
            cols = split_block(chunk) if columns else None
            split[0] += cols is not None
            return cols

        patch.setattr(import_entries, "split_block", spy)
        profiles = tmp_path / f"{name}.yaml"
        profiles.write_text(PROFILES, encoding="utf-8")
        entries = tmp_path / f"{name}.csv"
        store = LedgerStore(tmp_path / f"{name}-{columns}-{block}.sqlite3")
        try:
            import_ledger(store, profiles_path=profiles)
            if existing is not None:
                entries.write_bytes(existing)
                import_ledger(store, entries_path=entries)
            entries.write_bytes(data)
            try:
                import_ledger(store, entries_path=entries)
                problems = None
            except ImportRejected as exc:
                problems = (exc.problems, exc.total)
            rows = store.connection.execute("SELECT * FROM entries ORDER BY seq").fetchall()
            assert (split[0] > 0) == columns or block > len(data)  # every file here starts with plain lines
            return problems, rows, store.verify()
        finally:
            store.close()


def text(rows: list[str], header: str = HEADER, end: str = "\n") -> bytes:
    return (end.join([header, *rows]) + end).encode()


@pytest.mark.parametrize(
    "name, data",
    [
        ("good", text(ROWS)),
        ("crlf", text(ROWS, end="\r\n")),
        ("no-final-newline", text(ROWS)[:-1]),
        ("reordered", text([",".join(r.split(",")[::-1]) for r in ROWS], ",".join(HEADER.split(",")[::-1]))),
        ("bad", text(ROWS + BAD)),
        ("bad-first", text(BAD[:3] + ROWS)),
        ("quoted-later", text([*ROWS[:5], 'q-1,fl-a,2026-01-05T10:00:00+00:00,monthly,5,,,"a, b"', *ROWS[5:]])),
        ("quoted-newline", text([*ROWS, 'q-2,fl-a,2026-01-05T10:00:00+00:00,monthly,5,,,"two\nlines"', *BAD[:2]])),
        ("blank-lines", text([*ROWS[:6], "", *ROWS[6:], "", ""])),
        ("not-utf8", text(ROWS[:6]) + b"n-1,fl-a,2026-01-05T10:00:00+00:00,monthly,5,,,caf\xe9\n" + text(BAD[:2])),
        ("short-row", text([*ROWS[:6], "s-1,fl-a,2026-01-05T10:00:00+00:00", *ROWS[6:]])),
        ("caps", text([*ROWS[:6], "c-1,fl-a,2026-01-05T10:00:00+00:00,monthly,5,,," + "n" * 500, *ROWS[6:]])),
        ("long-line", text([*ROWS[:3], "l-1,fl-a,2026-01-05T10:00:00+00:00,monthly,5,,," + "n" * 20_000, *ROWS[3:]])),
        ("long-utf8-line", text([*ROWS[:3], "l-2,fl-a,2026-01-05T10:00:00+00:00,monthly,5,,," + "é" * 9000, *BAD])),
    ],
)
@pytest.mark.parametrize("block", [150, import_entries.BLOCK_BYTES])
def test_column_path_agrees_with_row_path(tmp_path, monkeypatch, name, data, block):
    fast = outcome(tmp_path, name, data, columns=True, monkeypatch=monkeypatch, block=block)
    exact = outcome(tmp_path, name, data, columns=False, monkeypatch=monkeypatch, block=block)
    assert fast == exact
    assert fast[2] == []  # balances agree with a recomputation
    if name in ("good", "crlf", "reordered"):
        assert fast[0] is None and len(fast[1]) == len(ROWS)


def test_column_path_agrees_when_adding_to_a_bigger_ledger(tmp_path, monkeypatch):
    """A small import into a ledger with more entries checks ids per batch and starts from its balances."""
    before = [r.replace("e-", "old-").replace("2026-01-0", "2025-12-1") for r in ROWS]
    before += [f"old-x{i},fl-b,2025-12-20T10:00:00+00:00,bonus,1,,," for i in range(40)]
    cases = {
        "new": [*ROWS[:4], "n-1,fl-b,2026-01-05T10:00:00+00:00,bonus,1,,,"],
        "known-id": [*ROWS[:2], before[0]],
        "back-in-time": ["l-1,fl-a,2025-12-01T00:00:00+00:00,boost,-500,~1,,"],
    }
    for name, rows in cases.items():
        data, existing = text(rows), text(before)
        fast = outcome(tmp_path, name, data, columns=True, monkeypatch=monkeypatch, existing=existing)
        exact = outcome(tmp_path, name, data, columns=False, monkeypatch=monkeypatch, existing=existing)
        assert fast == exact
        assert (fast[0] is None) == (name == "new")
