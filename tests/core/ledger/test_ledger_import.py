"""Import: all or nothing, every bad row named by line, re-import refused, balances in time order."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from ledger_sample import write_entries

import bot.core.ledger as ledger_pkg
import bot.core.ledger.importer as importer
from bot.core.errors import ImportRejected, LedgerError
from bot.core.ledger import open_ledger
from bot.core.ledger.importer import import_ledger
from bot.core.ledger.models import ENTRY_KINDS, ROLES
from bot.core.ledger.store import SCHEMA_VERSION, LedgerStore

GOOD = [
    "x-1,ag-x,2026-01-01T10:00:00+00:00,purchase,150,,fl-a,bundle",
    "x-2,fl-a,2026-01-01T10:00:00+00:00,monthly,10,,,",
    "x-3,ag-x,2026-01-02T10:00:00+02:00,proposal,-6,~01aa,fl-b,",
    "x-4,fl-a,2026-01-03T10:00:00+00:00,proposal,-4,~01bb,fl-a,",
]


def snapshot(store: LedgerStore) -> tuple:
    conn = store.connection
    return (
        conn.execute("SELECT * FROM entries ORDER BY seq").fetchall(),
        conn.execute("SELECT * FROM profiles ORDER BY id").fetchall(),
        conn.execute("SELECT * FROM memberships ORDER BY agency, profile").fetchall(),
    )


def test_good_import_derives_balances(empty, profiles_file, tmp_path):
    result = import_ledger(empty, profiles_path=profiles_file, entries_path=write_entries(tmp_path / "e.csv", GOOD))
    assert (result.profiles, result.entries) == (3, 4)
    assert empty.balance("ag-x") == 144
    assert empty.balance("fl-a") == 6
    assert empty.get_profile("fl-a").billing_method == "Visa •••• 4242"
    assert empty.get_profile("ag-x").billing_method == "Mastercard •••• 5100"
    assert [m.role for m in empty.members_of("ag-x")] == ["owner", "member"]
    assert empty.verify() == []


def test_one_bad_row_refuses_everything_and_names_the_line(empty, profiles_file, tmp_path):
    import_ledger(empty, profiles_path=profiles_file)
    before = snapshot(empty)
    rows = [*GOOD[:2], "x-3,ag-x,2026-01-02T10:00:00+00:00,propsal,-6,~01aa,fl-b,", GOOD[3]]
    with pytest.raises(ImportRejected) as caught:
        import_ledger(
            empty,
            entries_path=write_entries(tmp_path / "e.csv", rows),
        )
    assert caught.value.total == 1
    assert caught.value.problems[0].startswith("e.csv line 4: unknown kind 'propsal'")
    assert snapshot(empty) == before


def test_every_kind_of_bad_row_is_listed_with_its_line(empty, profiles_file, tmp_path):
    rows = [
        GOOD[0],  # line 2
        "y-1,fl-nobody,2026-01-01T10:00:00+00:00,monthly,10,,,",  # 3 unknown profile
        "y-2,fl-a,2026-13-01T10:00:00+00:00,monthly,10,,,",  # 4 bad date
        "y-3,fl-a,2026-01-01T10:00:00,monthly,10,,,",  # 5 no offset
        "y-4,fl-a,2026-01-01T10:00:00+00:00,monthly,ten,,,",  # 6 not an integer
        "y-5,fl-a,2026-01-01T10:00:00+00:00,proposal,-4,,fl-a,",  # 7 missing job
        "x-1,fl-a,2026-01-01T10:00:00+00:00,monthly,10,,,",  # 8 duplicate of line 2
        "y-6,fl-a,2026-01-01T10:00:00+00:00,purchase,-10,,,",  # 9 wrong sign
        "y-7,fl-a,2026-01-01T10:00:00+00:00,monthly,10,,ag-x,",  # 10 actor is not a freelancer
        "y-8,fl-a,2026-01-01T10:00:00+00:00,monthly,10,,",  # 11 seven fields
    ]
    with pytest.raises(ImportRejected) as caught:
        import_ledger(empty, profiles_path=profiles_file, entries_path=write_entries(tmp_path / "e.csv", rows))
    problems = caught.value.problems
    assert caught.value.total == 9
    assert [p.split(":")[0] for p in problems] == [f"e.csv line {n}" for n in range(3, 12)]
    expected = [
        "unknown profile 'fl-nobody'",
        "occurred_at must be an ISO 8601 time",
        "occurred_at must be an ISO 8601 time",
        "connects must be a whole number",
        "a proposal needs a job reference",
        "duplicate entry id 'x-1' (first on line 2)",
        "a purchase adds Connects",
        "actor 'ag-x' is not a freelancer profile",
        "has 7 fields, expected 8",
    ]
    for problem, words in zip(problems, expected, strict=True):
        assert words in problem
    assert empty.count_entries() == 0
    assert empty.connection.execute("SELECT COUNT(*) FROM profiles").fetchone()[0] == 0


def test_more_than_fifty_bad_rows_lists_fifty_then_a_count(empty, profiles_file, tmp_path):
    rows = [f"z-{i},fl-a,2026-01-01T10:00:00+00:00,bogus,1,,," for i in range(120)]
    with pytest.raises(ImportRejected) as caught:
        import_ledger(empty, profiles_path=profiles_file, entries_path=write_entries(tmp_path / "e.csv", rows))
    assert caught.value.total == 120
    assert len(caught.value.problems) == 50
    assert caught.value.problems[0].startswith("e.csv line 2:")
    assert caught.value.problems[-1].startswith("e.csv line 51:")
    assert "... and 70 more" in str(caught.value)


def test_reimport_is_refused_by_id_not_duplicated(empty, profiles_file, tmp_path):
    entries = write_entries(tmp_path / "e.csv", GOOD)
    import_ledger(empty, profiles_path=profiles_file, entries_path=entries)
    before = snapshot(empty)
    with pytest.raises(ImportRejected) as caught:
        import_ledger(empty, entries_path=entries)
    assert caught.value.total == 4
    assert "line 2: entry id 'x-1' is already in the ledger" in caught.value.problems[0]
    assert snapshot(empty) == before


def test_balance_is_checked_in_occurred_at_order_not_file_order(empty, profiles_file, tmp_path):
    import_ledger(empty, profiles_path=profiles_file)
    # The spend comes first in the file but after the purchase in time: fine.
    later_spend = [
        "a-2,fl-b,2026-02-02T00:00:00+00:00,proposal,-8,~01cc,fl-b,",
        "a-1,fl-b,2026-02-01T00:00:00+00:00,purchase,10,,fl-b,",
    ]
    import_ledger(empty, entries_path=write_entries(tmp_path / "ok.csv", later_spend))
    assert empty.balance("fl-b") == 2
    # The spend comes last in the file but first in time (an offset makes it earlier): refused.
    earlier_spend = [
        "b-1,fl-a,2026-03-01T10:00:00+00:00,purchase,10,,fl-a,",
        "b-2,fl-a,2026-03-01T11:00:00+02:00,proposal,-8,~01dd,fl-a,",
    ]
    before = snapshot(empty)
    with pytest.raises(ImportRejected) as caught:
        import_ledger(empty, entries_path=write_entries(tmp_path / "bad.csv", earlier_spend))
    assert caught.value.problems == ["bad.csv line 3: entry 'b-2' takes fl-a's balance below zero (0 -> -8)"]
    assert snapshot(empty) == before


def test_import_reaching_back_in_time_recomputes_running_balances(empty, profiles_file, tmp_path):
    import_ledger(empty, profiles_path=profiles_file, entries_path=write_entries(tmp_path / "1.csv", GOOD))
    older = ["o-1,fl-a,2025-12-01T00:00:00+00:00,bonus,30,,,"]
    import_ledger(empty, entries_path=write_entries(tmp_path / "2.csv", older))
    assert empty.verify() == []
    assert empty.balance("fl-a") == 36
    assert [e.balance_after for e in empty.entries("fl-a")] == [36, 40, 30]
    # A spend back in time that would have overdrawn the balance then is refused.
    overdraw = ["o-2,fl-a,2025-11-01T00:00:00+00:00,availability,-5,,,"]
    with pytest.raises(ImportRejected) as caught:
        import_ledger(empty, entries_path=write_entries(tmp_path / "3.csv", overdraw))
    assert "line 2: entry 'o-2' takes fl-a's balance below zero (0 -> -5)" in caught.value.problems[0]
    assert empty.balance("fl-a") == 36 and empty.verify() == []


def test_profile_errors_name_the_line(empty, tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text(
        "profiles:\n"
        "  - {id: fl-a, kind: freelancer, name: A}\n"
        "  - {id: fl-b, kind: freelancr, name: B}\n"
        "  - {id: ag-y, kind: agency, name: Y, discord_id: '1234'}\n"
        "  - id: ag-z\n"
        "    kind: agency\n"
        "    name: Z\n"
        "    members:\n"
        "      - {profile: fl-a, role: boss, exclusive: false}\n"
        "  - {id: fl-a, kind: freelancer, name: again, colour: red}\n",
        encoding="utf-8",
    )
    with pytest.raises(ImportRejected) as caught:
        import_ledger(empty, profiles_path=path)
    text = "\n".join(caught.value.problems)
    assert "p.yaml line 3: profile 'fl-b': kind must be one of freelancer, agency" in text
    assert "p.yaml line 4: profile 'ag-y': only freelancer profiles link to a Discord user" in text
    assert "p.yaml line 5: agency 'ag-z': members[0]: role must be one of" in text
    assert "p.yaml line 10: profile 'fl-a': unknown field 'colour'" in text
    assert "p.yaml line 10: profile 'fl-a': duplicate profile id (first on line 2)" in text
    assert empty.connection.execute("SELECT COUNT(*) FROM profiles").fetchone()[0] == 0


def test_wrong_header_is_refused_at_line_one(empty, profiles_file, tmp_path):
    path = tmp_path / "e.csv"
    path.write_text("id,profile,when,kind,connects,job,actor,note\n", encoding="utf-8")
    with pytest.raises(ImportRejected) as caught:
        import_ledger(empty, profiles_path=profiles_file, entries_path=path)
    assert caught.value.problems[0].startswith("e.csv line 1: the header must be")


def test_demo_ledger_tells_every_story(demo):
    conn = demo.connection
    kinds = {k for (k,) in conn.execute("SELECT DISTINCT kind FROM entries")}
    assert kinds == set(ENTRY_KINDS)
    months = {m for (m,) in conn.execute("SELECT DISTINCT substr(occurred_at, 1, 7) FROM entries")}
    assert len(months) >= 3
    freelancers = conn.execute("SELECT COUNT(*) FROM profiles WHERE kind = 'freelancer'").fetchone()[0]
    assert freelancers >= 4
    members = demo.members_of("ag-brightpath")
    assert {m.role for m in members} == set(ROLES)
    assert {m.exclusive for m in members if m.role == "member"} == {True, False}
    # Seed story: Ben's agency proposals are on the agency's balance; his own only grew.
    ben_agency = demo.entries("ag-brightpath", actor="fl-ben", limit=100)
    assert any(e.kind == "proposal" for e in ben_agency)
    assert all(e.connects > 0 for e in demo.entries("fl-ben", limit=100))
    # Marco's one mistaken freelancer-profile proposal, beside his agency ones.
    assert [e.id for e in demo.entries("fl-marco", limit=100) if e.kind == "proposal"] == ["e-1037"]
    assert demo.find_profile("700100200300400502").id == "fl-ben"
    assert demo.verify() == []


def test_balance_is_the_sum_of_the_entries(demo):
    sums = dict(demo.connection.execute("SELECT profile, SUM(connects) FROM entries GROUP BY profile"))
    assert sums
    for profile, total in sums.items():
        assert demo.balance(profile) == total


def test_fresh_ledger_is_seeded_and_versioned(tmp_path):
    path = tmp_path / "sub" / "ledger.sqlite3"
    with open_ledger(path) as store:
        assert store.count_entries() > 0
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.commit()
    conn.close()
    with pytest.raises(LedgerError):
        LedgerStore(path)


def test_a_crash_mid_seed_leaves_no_ledger_behind(tmp_path, monkeypatch):
    real = importer.import_ledger

    def crash_after_import(store, **kwargs):
        real(store, **kwargs)
        raise OSError("disk full")

    monkeypatch.setattr(importer, "import_ledger", crash_after_import)
    path = tmp_path / "ledger.sqlite3"
    with pytest.raises(OSError):
        open_ledger(path)
    assert list(tmp_path.iterdir()) == []
    monkeypatch.undo()
    with open_ledger(path) as store:
        assert store.count_entries() > 0


def test_link_and_unlink_discord(demo):
    assert demo.link_discord("fl-sam", "999999999999999999").discord_id == "999999999999999999"
    assert demo.find_profile("999999999999999999").id == "fl-sam"
    # Linking the same Discord user elsewhere moves the link.
    demo.link_discord("fl-lena", 999999999999999999)
    assert demo.get_profile("fl-sam").discord_id is None
    assert demo.unlink_discord("999999999999999999").discord_id is None
    with pytest.raises(LedgerError):
        demo.link_discord("ag-brightpath", "123456789012345678")
    with pytest.raises(LedgerError):
        demo.link_discord("fl-sam", "not-a-number")


def test_demo_files_ship_with_the_package():
    demo_dir = Path(ledger_pkg.__file__).parent / "demo"
    assert (demo_dir / "profiles.yaml").is_file() and (demo_dir / "entries.csv").is_file()


def test_a_file_that_is_not_a_database_is_a_clear_error(tmp_path):
    path = tmp_path / "ledger.sqlite3"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(LedgerError, match="not a usable ledger database"):
        open_ledger(path)
    assert path.read_bytes() == b"this is not sqlite" * 100


def test_a_members_acted_entries_are_read_through_the_actor_index(demo):
    """entries_actor leaves out entries acted on by their own profile; the query must still match it."""
    agency, member = demo.connection.execute(
        "SELECT profile, actor FROM entries WHERE actor IS NOT NULL AND actor != profile LIMIT 1"
    ).fetchone()
    statements: list[str] = []
    demo.connection.set_trace_callback(statements.append)
    acted = demo.entries(agency, actor=member)
    demo.connection.set_trace_callback(None)
    assert acted and {e.actor for e in acted} == {member}
    plan = demo.connection.execute(f"EXPLAIN QUERY PLAN {statements[-1]}").fetchall()
    assert any("entries_actor" in row[-1] for row in plan), plan
    own = demo.entries(member, actor=member)  # a freelancer's own actions: found through the history index
    assert own and {e.actor for e in own} == {member}


def test_a_v2_ledger_gets_the_smaller_v3_indexes(demo):
    path = demo.path
    conn = demo.connection
    conn.execute("DROP INDEX entries_actor")
    conn.execute("CREATE INDEX entries_actor ON entries(actor, profile, ts) WHERE actor IS NOT NULL")
    conn.execute("PRAGMA user_version = 2")
    demo.close()
    with LedgerStore(path) as store:
        (sql,) = store.connection.execute("SELECT sql FROM sqlite_master WHERE name = 'entries_actor'").fetchone()
        assert "actor != profile" in sql
        assert store.connection.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 3


def test_an_import_says_where_its_time_went(empty, profiles_file, tmp_path):
    entries = write_entries(tmp_path / "e.csv", ["t-1,fl-a,2026-01-01T10:00:00+00:00,bonus,5,,,"])
    result = import_ledger(empty, profiles_path=profiles_file, entries_path=entries)
    assert [name for name, _ in result.phases] == [
        "profiles",
        "rows read and checked",
        "rows written",
        "indexes",
        "balances",
        "commit",
    ]
    assert all(seconds >= 0 for _, seconds in result.phases)
    assert sum(seconds for _, seconds in result.phases) <= result.seconds
    only_profiles = import_ledger(empty, profiles_path=profiles_file)
    assert [name for name, _ in only_profiles.phases] == ["profiles", "commit"]
