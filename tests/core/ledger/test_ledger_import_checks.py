"""Import checks that keep the ledger honest: who acted, kept memberships, sane numbers and times, true lines."""

from __future__ import annotations

import pytest
from ledger_sample import HEADER, PROFILES, write_entries

from bot.core.errors import ImportRejected
from bot.core.ledger.access import Viewer
from bot.core.ledger.importer import import_ledger
from bot.core.ledger.service import LedgerService

GOOD_ROW = "ok-1,fl-a,2026-01-01T10:00:00+00:00,monthly,10,,,"
# ledger_sample.PROFILES: fl-a owns ag-x, fl-b is a member; fl-c (added here) is in no agency.
WITH_OUTSIDER = PROFILES + "  - {id: fl-c, kind: freelancer, name: Cy Outsider}\n"


def rejected(store, tmp_path, rows, profiles=None) -> list[str]:
    with pytest.raises(ImportRejected) as caught:
        import_ledger(store, profiles_path=profiles, entries_path=write_entries(tmp_path / "e.csv", rows))
    assert store.count_entries() == 0
    return caught.value.problems


@pytest.fixture
def sample(empty, tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text(WITH_OUTSIDER, encoding="utf-8")
    import_ledger(empty, profiles_path=path)
    return empty


def test_agency_entry_by_someone_outside_the_agency_is_refused_and_unreadable(sample, tmp_path):
    rows = [
        "a-1,ag-x,2026-01-01T10:00:00+00:00,purchase,150,,fl-a,",  # line 2: the owner, fine
        "a-2,ag-x,2026-01-02T10:00:00+00:00,proposal,-6,~01aa,fl-c,",  # line 3: not a member
    ]
    assert rejected(sample, tmp_path, rows) == [
        "e.csv line 3: actor 'fl-c' is not a member of agency 'ag-x'",
    ]


def test_freelancer_entry_acted_on_by_another_freelancer_is_refused(sample, tmp_path):
    rows = [
        "f-1,fl-a,2026-01-01T10:00:00+00:00,purchase,80,,fl-a,",  # own action: fine
        "f-2,fl-a,2026-01-02T10:00:00+00:00,proposal,-4,~01bb,fl-c,",  # someone else on fl-a's balance
    ]
    assert rejected(sample, tmp_path, rows) == [
        "e.csv line 3: actor 'fl-c' is not the profile's owner: a freelancer entry is acted on by fl-a only",
    ]


def test_an_entry_someone_else_acted_on_stays_hidden_even_if_it_got_in(sample, tmp_path):
    """Ledgers imported before the check may hold such rows: the access rules must not trust the actor."""
    import_ledger(sample, entries_path=write_entries(tmp_path / "ok.csv", [GOOD_ROW]))
    sample.connection.execute(
        "INSERT INTO entries (id, profile, occurred_at, ts, kind, connects, job, actor, note, balance_after) "
        "VALUES ('old-1', 'fl-a', '2026-01-02T00:00:00+00:00', 0, 'proposal', -2, '~01', 'fl-c', '', 8), "
        "('old-2', 'ag-x', '2026-01-02T00:00:00+00:00', 0, 'bonus', 5, NULL, 'fl-c', '', 5)"
    )
    outsider = Viewer("discord:3", "fl-c")
    service = LedgerService(sample)
    for ref in ("old-1", "old-2"):
        with pytest.raises(Exception, match="may not see"):
            service.explain(outsider, ref)


def test_reimporting_an_agency_without_members_keeps_them(sample, tmp_path):
    before = sample.members_of("ag-x")
    assert len(before) == 2
    path = tmp_path / "rename.yaml"
    path.write_text("profiles:\n  - {id: ag-x, kind: agency, name: Xeno Works Ltd}\n", encoding="utf-8")
    import_ledger(sample, profiles_path=path)
    assert sample.get_profile("ag-x").name == "Xeno Works Ltd"
    assert sample.members_of("ag-x") == before
    # An explicit empty list is the way to clear them.
    path.write_text("profiles:\n  - {id: ag-x, kind: agency, name: Xeno Works Ltd, members: []}\n", encoding="utf-8")
    import_ledger(sample, profiles_path=path)
    assert sample.members_of("ag-x") == []


def test_members_key_with_no_value_is_refused_not_read_as_clear(sample, tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("profiles:\n  - id: ag-x\n    kind: agency\n    name: X\n    members:\n", encoding="utf-8")
    with pytest.raises(ImportRejected) as caught:
        import_ledger(sample, profiles_path=path)
    assert caught.value.problems == [
        "p.yaml line 2: agency 'ag-x': members: is empty; write members: [] to remove every member, "
        "or leave the key out to keep them"
    ]
    assert len(sample.members_of("ag-x")) == 2


@pytest.mark.parametrize(
    ("connects", "problem"),
    [
        ("18446744073709551616", "connects must be a whole number from -1000000 to 1000000"),
        ("99999999999999999999999", "connects must be a whole number from -1000000 to 1000000"),
        ("١٠", "connects must be a whole number"),  # Arabic-Indic digits
        ("１０", "connects must be a whole number"),  # full-width digits
        ("1_0", "connects must be a whole number"),
    ],
)
def test_connects_out_of_range_or_not_ascii_is_a_row_error(sample, tmp_path, connects, problem):
    rows = [GOOD_ROW, f"c-1,fl-a,2026-01-02T10:00:00+00:00,bonus,{connects},,,"]
    (message,) = rejected(sample, tmp_path, rows)
    assert message.startswith(f"e.csv line 3: {problem}")


@pytest.mark.parametrize(
    "when", ["0001-01-01T00:00:00+00:00", "9999-12-31T23:59:59+00:00", "1999-12-31T23:00:00+02:00"]
)
def test_implausible_years_are_row_errors(sample, tmp_path, when):
    rows = [GOOD_ROW, f"t-1,fl-a,{when},bonus,5,,,"]
    (message,) = rejected(sample, tmp_path, rows)
    assert message.startswith("e.csv line 3: occurred_at must be between 2000-01-01 and now")


def test_non_ascii_discord_id_is_a_profile_error_not_a_crash(empty, tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text('profiles:\n  - {id: fl-q, kind: freelancer, name: Q, discord_id: "12²"}\n', encoding="utf-8")
    with pytest.raises(ImportRejected) as caught:
        import_ledger(empty, profiles_path=path)
    assert caught.value.problems == [
        "p.yaml line 2: profile 'fl-q': discord_id must be a Discord user id (digits), got '12²'"
    ]


@pytest.mark.parametrize("line", [2, 3, 5000])
def test_a_byte_that_is_not_utf8_is_reported_on_its_own_line(sample, tmp_path, line):
    rows = [f"u-{n},fl-a,2026-01-01T10:00:00+00:00,bonus,1,,,".encode() for n in range(2, 5002)]
    rows[line - 2] = b"bad,fl-a,2026-01-01T10:00:00+00:00,bonus,1,,,Caf\xe9"  # Latin-1 'é'
    path = tmp_path / "e.csv"
    path.write_bytes(HEADER.encode() + b"\n" + b"\n".join(rows) + b"\n")
    with pytest.raises(ImportRejected) as caught:
        import_ledger(sample, entries_path=path)
    assert caught.value.total == 1
    (message,) = caught.value.problems
    assert message.startswith(f"e.csv line {line}: not UTF-8 text (byte 0xe9 at column 49)")
    assert sample.count_entries() == 0


def test_a_header_that_is_not_utf8_names_line_one(sample, tmp_path):
    path = tmp_path / "e.csv"
    path.write_bytes(b"id,profile,occurred_at,kind,connects,job,actor,not\xe9\n" + GOOD_ROW.encode() + b"\n")
    with pytest.raises(ImportRejected) as caught:
        import_ledger(sample, entries_path=path)
    assert caught.value.problems[0].startswith("e.csv line 1: not UTF-8 text")
