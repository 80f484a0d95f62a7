"""A member's view of an agency shows only the entries they acted on, and says when the balance jumps."""

from __future__ import annotations

from bot.cli import main
from bot.core.ledger.access import OTHERS_HIDDEN, Viewer
from bot.core.ledger.models import HistorySection, LedgerEntry, Profile
from bot.core.ledger.service import LedgerService

AGENCY = Profile("ag-x", "agency", "X Studio")


def entry(n: int, connects: int, after: int) -> LedgerEntry:
    return LedgerEntry(
        f"e-{n}", "ag-x", f"2026-09-{n:02d}T00:00:00+00:00", "proposal", connects, "~01", "fl-a", "", after
    )


def test_a_member_s_view_of_the_agency_says_others_entries_are_hidden(service: LedgerService) -> None:
    ben = service.history(Viewer.discord(1, "fl-ben"), "fl-ben")
    own, agency = ben.sections
    assert agency.scope == "acted" and agency.others_hidden  # e-1020 → 130, e-1036 → 414: others' entries between
    assert not own.others_hidden
    assert ben.to_json()["sections"][1]["others_hidden"] is True

    owner = service.history(Viewer.discord(2, "fl-nadia"), "ag-brightpath")
    assert [s.scope for s in owner.sections] == ["all"] and not owner.sections[0].others_hidden


def test_only_a_jump_in_the_running_balance_counts() -> None:
    chained = (entry(3, -6, 88), entry(2, -6, 94), entry(1, 100, 100))  # newest first, each follows the last
    assert not HistorySection(AGENCY, 88, chained, scope="acted").others_hidden
    assert HistorySection(AGENCY, 84, chained, scope="acted").others_hidden  # someone spent 4 after the newest
    gap = (entry(3, -6, 84), entry(2, -6, 94), entry(1, 100, 100))  # 94 - 4 (not shown) - 6 = 84
    assert HistorySection(AGENCY, 84, gap, scope="acted").others_hidden
    assert not HistorySection(AGENCY, 84, gap, scope="all").others_hidden  # everything is shown


def test_ledger_history_says_so_under_the_agency_section(capsys, tmp_path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("ledger:\n  path: data/ledger.sqlite3\n", encoding="utf-8")
    assert main(["ledger", "history", "fl-ben", "--config", str(config)]) == 0
    lines = capsys.readouterr().out.splitlines()
    agency = next(i for i, line in enumerate(lines) if line.startswith("Agency ag-brightpath"))
    assert lines[agency + 1] == f"  ({OTHERS_HIDDEN})"
    assert sum(OTHERS_HIDDEN in line for line in lines) == 1  # not under Ben's own balance
