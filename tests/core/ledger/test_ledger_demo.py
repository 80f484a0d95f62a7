"""The demo ledger is never mixed with real data: imports into it are refused, or replace it explicitly."""

from __future__ import annotations

import sqlite3

from ledger_sample import PROFILES, REPO, write_entries

from bot.cli import main
from bot.core.ledger import open_ledger
from bot.core.ledger.audit import audit_path
from bot.core.ledger.store import LedgerStore


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def setup_files(tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text(f"knowledge:\n  path: {REPO / 'knowledge'}\nledger:\n  path: ledger.sqlite3\n", encoding="utf-8")
    profiles = tmp_path / "p.yaml"
    profiles.write_text(PROFILES, encoding="utf-8")
    entries = write_entries(tmp_path / "e.csv", ["r-1,fl-b,2026-10-01T10:00:00+00:00,bonus,20,,,"])
    return str(config), str(profiles), str(entries)


def test_importing_into_the_demo_ledger_is_refused_and_changes_nothing(capsys, tmp_path):
    config, profiles, entries = setup_files(tmp_path)
    assert run(capsys, "ledger", "history", "fl-ben", "--config", config)[0] == 0  # seeds the demo
    code, _, err = run(capsys, "ledger", "import", "--profiles", profiles, "--entries", entries, "--config", config)
    assert code == 1
    assert "holds the bundled demo ledger; nothing was imported" in err and "ledger reset" in err
    assert "--replace-demo" in err
    with LedgerStore(tmp_path / "ledger.sqlite3") as store:
        assert store.find_profile("fl-ben").name == "Ben Okafor"
        assert store.profiles(["fl-a", "fl-b", "ag-x"]) == {}


def test_replace_demo_swaps_the_people_in_one_import_and_keeps_the_access_log(capsys, tmp_path):
    config, profiles, entries = setup_files(tmp_path)
    run(capsys, "ledger", "history", "fl-ben", "--config", config)
    argv = ["ledger", "import", "--profiles", profiles, "--entries", entries, "--replace-demo", "--config", config]
    code, out, _ = run(capsys, *argv)
    assert code == 0 and "imported 3 profiles and 1 entry into" in out
    with LedgerStore(tmp_path / "ledger.sqlite3") as store:
        assert sorted(store.profiles(["fl-a", "fl-b", "ag-x"])) == ["ag-x", "fl-a", "fl-b"]
        assert store.connection.execute("SELECT COUNT(*) FROM profiles").fetchone()[0] == 3
        assert store.count_entries() == 1 and not store.is_demo
        assert any(r.subject == "fl-ben" and r.what == "history" for r in store.access_log())
    code, _, err = run(capsys, "ledger", "history", "fl-ben", "--config", config)
    assert code == 1 and "fl-ben" in err


def test_reset_empties_a_demo_ledger_once_and_never_touches_real_data(capsys, tmp_path):
    config, profiles, entries = setup_files(tmp_path)
    run(capsys, "ledger", "history", "fl-ben", "--config", config)
    code, out, _ = run(capsys, "ledger", "reset", "--config", config)
    assert code == 0 and "removed the demo people" in out
    assert run(capsys, "ledger", "import", "--profiles", profiles, "--entries", entries, "--config", config)[0] == 0
    code, _, err = run(capsys, "ledger", "reset", "--config", config)
    assert code == 1 and "holds imported data, not the demo" in err
    with LedgerStore(tmp_path / "ledger.sqlite3") as store:
        assert store.count_entries() == 1 and store.find_profile("fl-a").name == "Alma Quist"


def test_a_version_1_demo_ledger_is_recognised_and_its_access_log_moves_to_its_own_file(tmp_path):
    path = tmp_path / "ledger.sqlite3"
    open_ledger(path).close()
    conn = sqlite3.connect(path)  # turn it back into what version 1 wrote
    conn.executescript(
        "DROP TABLE ledger_meta; CREATE TABLE access_log (seq INTEGER PRIMARY KEY, at TEXT NOT NULL, "
        "viewer TEXT NOT NULL, subject TEXT NOT NULL, what TEXT NOT NULL, allowed INTEGER NOT NULL, "
        "reason TEXT NOT NULL DEFAULT ''); CREATE INDEX access_log_subject ON access_log(subject, seq);"
        "INSERT INTO access_log VALUES (7, '2026-10-01T00:00:00+00:00', 'cli:old', 'fl-ben', 'history', 1, 'x');"
        "PRAGMA user_version = 1;"
    )
    conn.close()
    assert not audit_path(path).exists()
    with LedgerStore(path) as store:
        assert store.is_demo
        (record,) = store.access_log()
        assert (record.viewer, record.subject) == ("cli:old", "fl-ben")
    assert audit_path(path).is_file()
    tables = {r[0] for r in sqlite3.connect(path).execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert "access_log" not in tables
