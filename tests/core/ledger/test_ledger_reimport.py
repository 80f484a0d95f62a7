"""A duplicate re-import is refused for no more work than the import, with a bounded message naming the rows.

Work is counted in SQLite virtual-machine steps (a progress handler called every STEP instructions),
which is deterministic: refusing a re-import once cost a scan of the whole table per repeated id and per
profile (quadratic: 40,000 rows took minutes to refuse), far more steps than importing them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.errors import ImportRejected
from bot.core.ledger.importer import MAX_LISTED, import_ledger
from bot.core.ledger.store import LedgerStore

STEP = 1000
PROFILES = 300
ROWS = 6000


def write_files(folder: Path, note: str) -> tuple[Path, Path]:
    """Write PROFILES freelancers and ROWS monthly grants among them, in time order."""
    profiles = folder / "profiles.yaml"
    profiles.write_text(
        "profiles:\n" + "".join(f"  - {{id: fl-{i}, kind: freelancer, name: M {i}}}\n" for i in range(PROFILES)),
        encoding="utf-8",
    )
    entries = folder / "entries.csv"
    rows = (
        f"e-{n},fl-{n % PROFILES},2026-01-{1 + n // 1000:02d}T{n // 60 % 16:02d}:{n % 60:02d}:00+00:00,"
        f"monthly,10,,,{note}\n"
        for n in range(ROWS)
    )
    entries.write_text("id,profile,occurred_at,kind,connects,job,actor,note\n" + "".join(rows), encoding="utf-8")
    return profiles, entries


class Steps:
    """Count, while open, the STEPs of SQLite instructions a connection runs."""

    def __init__(self, store: LedgerStore) -> None:
        self.connection = store.connection
        self.count = 0

    def _tick(self) -> int:
        self.count += 1
        return 0  # go on

    def __enter__(self) -> Steps:
        self.connection.set_progress_handler(self._tick, STEP)
        return self

    def __exit__(self, *exc: object) -> None:
        self.connection.set_progress_handler(None, STEP)


# Short rows: the file looks bigger than the ledger, so the re-import takes the bulk path (indexes dropped,
# duplicates found once the rows are in); long rows: it checks ids batch by batch through the id index.
@pytest.mark.parametrize("note", ["", "a note long enough to make each row longer than sixty bytes"])
def test_refusing_a_reimport_costs_no_more_than_the_import(tmp_path, note):
    profiles, entries = write_files(tmp_path, note)
    with LedgerStore(tmp_path / "ledger.sqlite3") as store:
        with Steps(store) as imported:
            import_ledger(store, profiles_path=profiles, entries_path=entries)
        before = store.connection.execute("SELECT COUNT(*), SUM(connects) FROM entries").fetchone()
        with pytest.raises(ImportRejected) as caught, Steps(store) as refused:
            import_ledger(store, entries_path=entries)
        assert store.connection.execute("SELECT COUNT(*), SUM(connects) FROM entries").fetchone() == before
    assert refused.count <= 2 * imported.count, (refused.count, imported.count)
    assert caught.value.total == ROWS
    assert len(caught.value.problems) == MAX_LISTED
    assert caught.value.problems[0] == "entries.csv line 2: entry id 'e-0' is already in the ledger (re-import refused)"
    assert caught.value.problems[-1].startswith(f"entries.csv line {MAX_LISTED + 1}: entry id 'e-{MAX_LISTED - 1}'")
    assert str(caught.value).endswith(f"... and {ROWS - MAX_LISTED} more")
    assert len(str(caught.value)) < 100 * (MAX_LISTED + 2)


def test_a_bulk_import_into_a_ledger_continues_each_profiles_balance(tmp_path):
    """The bulk path reads every profile's latest balance before dropping the indexes; balances carry on."""
    profiles, entries = write_files(tmp_path, "")
    with LedgerStore(tmp_path / "ledger.sqlite3") as store:
        first = tmp_path / "first.csv"
        lines = entries.read_text(encoding="utf-8").splitlines(keepends=True)
        first.write_text("".join(lines[:301]), encoding="utf-8")  # the header and one grant a profile
        import_ledger(store, profiles_path=profiles, entries_path=first)
        rest = tmp_path / "rest.csv"
        rest.write_text(lines[0] + "".join(lines[301:]), encoding="utf-8")
        result = import_ledger(store, entries_path=rest)
        assert result.entries == ROWS - PROFILES
        assert {store.balance(f"fl-{i}") for i in range(PROFILES)} == {10 * ROWS // PROFILES}
        assert store.verify() == []
