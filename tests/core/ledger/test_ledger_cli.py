"""`python -m bot ledger ...`: JSON shapes (a contract), exit codes, a fresh machine, refused imports."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from ledger_sample import PROFILES, REPO, write_entries

from bot.cli import main

ENTRY_KEYS = {"id", "profile", "occurred_at", "kind", "connects", "job", "actor", "note", "balance_after"}
EXPLAIN_KEYS = {"entry", "profile", "profile_kind", "kind", "connects", "job", "actor", "rules", "text"}


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(
        f"knowledge:\n  path: {REPO / 'knowledge'}\nledger:\n  path: data/ledger.sqlite3\n", encoding="utf-8"
    )
    return path


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_fresh_machine_history_and_explain_work_as_a_subprocess(config, tmp_path):
    assert not (tmp_path / "data").exists()
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    cmd = [sys.executable, "-m", "bot", "ledger"]
    out = subprocess.run(
        [*cmd, "history", "fl-ben", "--json", "--config", str(config)],
        capture_output=True, text=True, env=env, cwd=tmp_path, check=True,
    )  # fmt: skip
    data = json.loads(out.stdout)
    assert data["balances"] == {"fl-ben": 70, "ag-brightpath": 382}
    out = subprocess.run(
        [*cmd, "explain", "e-1042", "--config", str(config)],
        capture_output=True, text=True, env=env, cwd=tmp_path, check=True,
    )  # fmt: skip
    assert "collective agency balance" in out.stdout
    assert "proposal-draws-from-submitting-profile" in out.stdout
    assert (tmp_path / "data" / "ledger.sqlite3").is_file()


def test_history_json_shape(capsys, config):
    code, out, _ = run(capsys, "ledger", "history", "fl-ben", "--json", "--config", str(config))
    assert code == 0
    data = json.loads(out)
    assert {"profile", "balances", "entries"} <= set(data)
    assert data["profile"] == "fl-ben"
    assert all(isinstance(v, int) for v in data["balances"].values())
    assert all(set(e) == ENTRY_KEYS for e in data["entries"])
    code, out, _ = run(capsys, "ledger", "history", "fl-ben", "--json", "--limit", "2", "--config", str(config))
    assert len(json.loads(out)["entries"]) == 4  # two per balance


def test_history_text_shows_two_sections(capsys, config):
    code, out, _ = run(capsys, "ledger", "history", "700100200300400502", "--config", str(config))
    assert code == 0
    assert "Freelancer fl-ben · Ben Okafor · balance 70" in out
    assert "Agency ag-brightpath · Brightpath Studio · balance 382" in out


def test_explain_json_shape_for_a_job(capsys, config):
    code, out, _ = run(capsys, "ledger", "explain", "~01c8e0a2b4d6f8a0c2", "--json", "--config", str(config))
    assert code == 0
    items = json.loads(out)["explanations"]
    assert [x["entry"] for x in items] == ["e-1036", "e-1038", "e-1055"]
    assert all(set(x) >= EXPLAIN_KEYS for x in items)
    assert items[0]["profile_kind"] == "agency" and items[0]["job"] == "~01c8e0a2b4d6f8a0c2"


def test_unknown_reference_exits_1(capsys, config):
    code, out, err = run(capsys, "ledger", "explain", "e-424242", "--config", str(config))
    assert code == 1 and out == ""
    assert "e-424242" in err


def test_refused_import_exits_1_names_the_line_and_changes_nothing(capsys, config, tmp_path):
    profiles = tmp_path / "p.yaml"
    profiles.write_text(PROFILES, encoding="utf-8")
    first = write_entries(tmp_path / "first.csv", ["m-1,fl-b,2026-10-01T10:00:00+00:00,bonus,20,,,"])
    code, _, _ = run(
        capsys, "ledger", "import", "--profiles", str(profiles), "--entries", str(first), "--config", str(config)
    )
    assert code == 0
    ledger = tmp_path / "data" / "ledger.sqlite3"
    before = run(capsys, "ledger", "history", "fl-b", "--json", "--limit", "500", "--config", str(config))
    rows = [
        "n-1,fl-b,2026-11-01T10:00:00+00:00,monthly,10,,,",
        "n-2,fl-b,2026-11-02T10:00:00+00:00,proposal,-4,~01ff,fl-b,",
        "n-3,fl-b,yesterday,monthly,10,,,",
    ]
    entries = write_entries(tmp_path / "new.csv", rows)
    code, _, err = run(capsys, "ledger", "import", "--entries", str(entries), "--config", str(config))
    assert code == 1
    assert "new.csv line 4: occurred_at must be an ISO 8601 time" in err
    after = run(capsys, "ledger", "history", "fl-b", "--json", "--limit", "500", "--config", str(config))
    assert json.loads(after[1])["entries"] == json.loads(before[1])["entries"]
    assert ledger.is_file()
    assert json.loads(after[1])["balances"]["fl-b"] == 20


def test_import_into_a_new_ledger_then_audit(capsys, tmp_path):
    config = tmp_path / "c.yaml"
    config.write_text("ledger:\n  path: fresh.sqlite3\n", encoding="utf-8")
    profiles = tmp_path / "p.yaml"
    profiles.write_text(PROFILES, encoding="utf-8")
    entries = write_entries(tmp_path / "e.csv", ["q-1,fl-b,2026-01-01T00:00:00+00:00,bonus,5,,,"])
    code, out, _ = run(
        capsys, "ledger", "import", "--profiles", str(profiles), "--entries", str(entries), "--config", str(config)
    )
    assert code == 0 and "imported 3 profiles and 1 entry into" in out
    code, out, _ = run(capsys, "ledger", "history", "fl-b", "--json", "--config", str(config))
    assert json.loads(out)["balances"] == {"fl-b": 5, "ag-x": 0}
    code, out, _ = run(capsys, "ledger", "audit", "--json", "--config", str(config))
    this_reading, record = json.loads(out)["records"]
    assert (this_reading["what"], this_reading["subject"]) == ("audit", "*")
    assert record["viewer"].startswith("cli:") and record["subject"] == "fl-b" and record["allowed"] is True


def test_import_needs_a_file(capsys, config):
    code, _, err = run(capsys, "ledger", "import", "--config", str(config))
    assert code == 2 and "--profiles" in err


def test_chat_as_a_member_answers_charge_questions_from_their_ledger(capsys, config, monkeypatch):
    typed = "what is entry e-1042?\nwhy did I lose 6 connects on job ~01b8d0f2a4c6e8a0b2?\n"
    monkeypatch.setattr(sys, "stdin", io.StringIO(typed))
    code, out, _ = run(capsys, "chat", "--as", "700100200300400502", "--config", str(config))
    assert code == 0
    first, second = out.strip().split("\n", 1)
    assert "collective agency balance" in first and "Ben Okafor" in first
    # Marco's own freelancer charge is not Ben's to see, and reads like a missing one.
    assert second == "I can't find job ~01b8d0f2a4c6e8a0b2 in your Connects ledger."
    code, out, _ = run(capsys, "ledger", "audit", "--json", "--limit", "3", "--config", str(config))
    viewers = {r["viewer"] for r in json.loads(out)["records"] if r["what"].startswith("explain")}
    assert viewers and all(v.endswith(" as fl-ben") for v in viewers)


def test_chat_as_an_agency_is_refused(capsys, config, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    code, _, err = run(capsys, "chat", "--as", "ag-brightpath", "--config", str(config))
    assert code == 1 and "freelancer profile" in err
