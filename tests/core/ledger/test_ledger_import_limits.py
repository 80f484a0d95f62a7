"""The caps on ledger texts hold on both ways an entries file is read, and in PROFILES.yaml, with line numbers.

A plain block of the entries file is checked column by column, anything else row by row (csv.reader);
each case here is imported unquoted (the column path) and quoted (the row path).
"""

from __future__ import annotations

import tracemalloc

import pytest
from ledger_sample import HEADER, PROFILES

from bot.core.errors import ImportRejected
from bot.core.ledger.importer import import_ledger
from bot.core.ledger.limits import MAX_JOB_CHARS, MAX_LINE_BYTES, MAX_NAME_CHARS, MAX_NOTE_CHARS
from bot.core.ledger.store import LedgerStore

TIME = "2026-01-01T10:00:00+00:00"


@pytest.fixture
def store(tmp_path):
    with LedgerStore(tmp_path / "ledger.sqlite3") as store:
        profiles = tmp_path / "profiles.yaml"
        profiles.write_text(PROFILES, encoding="utf-8")
        import_ledger(store, profiles_path=profiles)
        yield store


def write(tmp_path, rows: list[list[str]], *, quoted: bool):
    """Write the rows as an entries file, every field quoted or none."""
    if quoted:
        lines = [",".join('"' + f.replace('"', '""') + '"' for f in row) for row in rows]
    else:
        lines = [",".join(row) for row in rows]
    path = tmp_path / "entries.csv"
    path.write_text(HEADER + "\n" + "".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def problems_of(store, path) -> list[str]:
    """Import the entries file; return the problems, or [] when it was accepted."""
    try:
        import_ledger(store, entries_path=path)
    except ImportRejected as exc:
        return exc.problems
    return []


def refused(store, tmp_path, rows: list[list[str]], *, quoted: bool) -> list[str]:
    return problems_of(store, write(tmp_path, rows, quoted=quoted))


def row(entry_id="e-1", kind="monthly", connects="10", job="", note="") -> list[str]:
    return [entry_id, "fl-a", TIME, kind, connects, job, "", note]


@pytest.mark.parametrize("quoted", [False, True], ids=["columns", "rows"])
def test_notes_jobs_and_ids_are_capped_alike_on_both_paths(store, tmp_path, quoted):
    first = row("e-0")
    cases = [
        (row(note="n" * (MAX_NOTE_CHARS + 1)), f"note must be at most {MAX_NOTE_CHARS} characters, got 501"),
        (row(kind="proposal", connects="-4", job="j" * 65), f"job must be at most {MAX_JOB_CHARS} characters, got 65"),
        (row("i" * 65), "id must be 1 to 64 characters with no spaces, got 'iiii"),
        (row("e-`x"), "id must not hold a backtick or a control character, got 'e-`x'"),
        (row("e-\x1b[2J"), "id must not hold a backtick or a control character, got 'e-\\x1b[2J'"),
        (row("e-\x9bx"), "id must not hold a backtick or a control character, got 'e-\\x9bx'"),
        (row(kind="proposal", connects="-4", job="~01`"), "job must not hold a backtick or a control character"),
        (row(kind="proposal", connects="-4", job="~01\x07"), "job must not hold a backtick or a control character"),
    ]
    problems = refused(store, tmp_path, [first, *[c[0] for c in cases]], quoted=quoted)
    assert len(problems) == len(cases)
    for line, (problem, (_, expected)) in enumerate(zip(problems, cases, strict=True), start=3):
        assert problem.startswith(f"entries.csv line {line}: {expected}"), problem
    assert store.count_entries() == 0


@pytest.mark.parametrize("quoted", [False, True], ids=["columns", "rows"])
def test_texts_at_their_caps_are_stored(store, tmp_path, quoted):
    rows = [row("e" * 64, note="n" * MAX_NOTE_CHARS), row("e-2", "proposal", "-4", job="~" + "j" * 63, note="é" * 500)]
    assert refused(store, tmp_path, rows, quoted=quoted) == []
    assert store.entry("e" * 64).note == "n" * MAX_NOTE_CHARS
    assert store.entry("e-2").job == "~" + "j" * 63


@pytest.mark.parametrize("quoted", [False, True], ids=["columns", "rows"])
def test_a_huge_note_is_refused_with_its_line_and_never_held_whole(store, tmp_path, quoted):
    """An unquoted 250 MB note was accepted (1 GB of memory); here 8 MB: refused, in a short message."""
    note = "n" * (8 << 20)
    path = write(tmp_path, [row("e-0"), row(note=note), row("e-2")], quoted=quoted)
    del note
    tracemalloc.start()
    try:
        problems = problems_of(store, path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert problems == [
        f"entries.csv line 3: longer than {MAX_LINE_BYTES:,} bytes (a note may hold 500 characters, an id or a job 64)"
    ]
    assert peak < 2 << 20  # a block, a line at most, the checks: far below the 8 MB line
    assert store.count_entries() == 0


def test_a_header_line_too_long_is_refused_at_its_line(store, tmp_path):
    path = tmp_path / "entries.csv"
    path.write_text("# a comment\n" + "x" * (MAX_LINE_BYTES + 1) + "\n", encoding="utf-8")
    with pytest.raises(ImportRejected) as caught:
        import_ledger(store, entries_path=path)
    assert caught.value.problems[0].startswith(f"entries.csv line 2: longer than {MAX_LINE_BYTES:,} bytes")


def profiles_refused(store, tmp_path, text: str) -> list[str]:
    path = tmp_path / "more.yaml"
    path.write_text(text, encoding="utf-8")
    try:
        import_ledger(store, profiles_path=path)
    except ImportRejected as exc:
        return exc.problems
    return []


@pytest.mark.parametrize("pid", ["fl-new\n", "fl-new ", " fl-new", "fl-`x", "fl-\x1b"])
def test_a_profile_id_with_a_trailing_newline_or_odd_character_is_refused(store, tmp_path, pid):
    """'fl-new\\n' was accepted (the id pattern's `$` matches before a final newline), then never found."""
    text = f'profiles:\n  - {{id: "{pid.encode("unicode_escape").decode()}", kind: freelancer, name: New}}\n'
    problems = profiles_refused(store, tmp_path, text)
    assert len(problems) == 1 and problems[0].startswith("more.yaml line 2: profile "), problems
    assert "id must be letters, digits" in problems[0]


def test_profile_names_and_billing_methods_are_capped(store, tmp_path):
    long = "N" * (MAX_NAME_CHARS + 1)
    text = (
        "profiles:\n"
        f"  - {{id: fl-n1, kind: freelancer, name: {long}}}\n"
        f"  - {{id: fl-n2, kind: freelancer, name: New, billing_method: {long}}}\n"
        f"  - {{id: fl-n3, kind: freelancer, name: {'N' * MAX_NAME_CHARS}}}\n"
    )
    assert profiles_refused(store, tmp_path, text) == [
        f"more.yaml line 2: profile 'fl-n1': name must be at most {MAX_NAME_CHARS} characters, got 101",
        f"more.yaml line 3: profile 'fl-n2': billing_method must be at most {MAX_NAME_CHARS} characters, got 101",
    ]
    assert profiles_refused(store, tmp_path, "profiles:\n" + text.splitlines(keepends=True)[3]) == []
    assert store.get_profile("fl-n3").name == "N" * MAX_NAME_CHARS
