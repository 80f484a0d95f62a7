"""Hostile and broken files at full size, through the real CLI, in a process with capped memory.

Each of these took minutes and gigabytes before (a billion-laughs entry or profiles file) or was accepted
(a 50 MB entry file, `answer_threshold: .nan`); now each is refused with one clear line. The memory cap
makes a regression fail quickly instead of swapping the machine.
"""

from __future__ import annotations

import contextlib
import shutil
import sqlite3
from pathlib import Path

from tests.hostile import ROOT, alias_bomb, entry_with, run_capped


def knowledge_copy(tmp_path: Path) -> Path:
    return Path(shutil.copytree(ROOT / "knowledge", tmp_path / "knowledge"))


def test_a_billion_laughs_entry_file_is_refused(tmp_path):
    knowledge = knowledge_copy(tmp_path)
    entry_with(knowledge, "agency-plan", "reviewed", alias_bomb())
    out = run_capped(["kb", "check", str(knowledge)], cwd=tmp_path)
    assert out.returncode == 1, out.stderr[-2000:]
    assert "knowledge/entries/agency-plan.yaml: YAML anchor or alias at line" in out.stderr
    assert "not allowed in this file" in out.stderr
    assert "lol" not in out.stderr  # nothing was expanded into the message


def test_a_50_mb_entry_file_is_refused_with_its_size(tmp_path):
    knowledge = knowledge_copy(tmp_path)
    path = knowledge / "entries" / "agency-plan.yaml"
    with path.open("a", encoding="utf-8") as handle:  # still valid YAML: 50 MB of unique phrasings
        handle.write("alternates:\n")
        for i in range(650_000):
            handle.write(f"  - how do agency connects work question number {i:07d} padded out a bit more\n")
    assert path.stat().st_size > 50_000_000
    out = run_capped(["kb", "check", str(knowledge)], cwd=tmp_path)
    assert out.returncode == 1, out.stderr[-2000:]
    assert "knowledge/entries/agency-plan.yaml: is 48." in out.stderr
    assert " MB; the limit is 64 KB\n" in out.stderr


def test_a_billion_laughs_profiles_file_is_refused_and_nothing_is_imported(tmp_path):
    profiles = tmp_path / "profiles.yaml"
    profiles.write_text(
        "profiles:\n  - {id: fl-x, kind: freelancer, name: X, billing_method: " + alias_bomb() + "}\n",
        encoding="utf-8",
    )
    config = tmp_path / "config.yaml"
    config.write_text(f"knowledge: {{path: {ROOT / 'knowledge'}}}\nledger: {{path: ledger.sqlite3}}\n")
    out = run_capped(["ledger", "import", "--config", str(config), "--profiles", str(profiles)], cwd=tmp_path)
    assert out.returncode == 1, out.stderr[-2000:]
    assert "nothing was imported" in out.stderr
    assert "profiles.yaml: YAML anchor or alias at line 2, column 60: not allowed in this file" in out.stderr
    assert "lol" not in out.stderr
    ledger = tmp_path / "ledger.sqlite3"
    if ledger.exists():
        with contextlib.closing(sqlite3.connect(ledger)) as db:
            assert db.execute("SELECT count(*) FROM profiles").fetchone() == (0,)


def test_a_billion_laughs_config_is_one_line_exit_2(tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text("matcher:\n  domain_words: " + alias_bomb() + "\n", encoding="utf-8")
    out = run_capped(["ask", "--config", str(config), "hello"], cwd=tmp_path)
    assert out.returncode == 2
    assert out.stderr.startswith(f"error: config: {config}: YAML anchor or alias at line 2")
    assert out.stderr.count("\n") == 1


def test_a_nan_threshold_is_one_line_naming_the_key(tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text("matcher:\n  answer_threshold: .nan\n", encoding="utf-8")
    out = run_capped(["ask", "--config", str(config), "how do i buy connects for my agency"], cwd=tmp_path)
    assert out.returncode == 2, out.stdout
    assert out.stderr == f"error: config: {config}: matcher.answer_threshold: must be a finite number, got nan\n"


def test_a_config_that_is_not_utf8_is_one_line_naming_the_file(tmp_path):
    config = tmp_path / "config.yaml"
    config.write_bytes("# café\nlog_level: INFO\n".encode("latin-1"))
    out = run_capped(["ask", "--config", str(config), "hello"], cwd=tmp_path)
    assert out.returncode == 2
    assert out.stderr == f"error: config: {config}: is not UTF-8 text (byte 0xe9 on line 1)\n"
