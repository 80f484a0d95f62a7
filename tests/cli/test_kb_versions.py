"""`python -m bot kb history` and `kb revert` as an operator runs them, on a copy of knowledge/."""

from __future__ import annotations

import getpass
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.core.knowledge.history import KnowledgeHistory
from bot.core.knowledge.loader import load_knowledge
from bot.core.knowledge.store import KnowledgeStore
from tests.cli.conftest import OperatorFolder

ROOT = Path(__file__).resolve().parents[2]


def bot(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "DISCORD_TOKEN"}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], cwd=ROOT, capture_output=True, text=True, env=env, timeout=120
    )


@pytest.fixture
def config(operator_folder: OperatorFolder) -> Path:
    return operator_folder()


def store_for(config: Path) -> KnowledgeStore:
    return KnowledgeStore(config.parent / "knowledge", KnowledgeHistory(config.parent / "data" / "history.sqlite3"))


def test_history_lists_versions_and_revert_brings_one_back(config: Path) -> None:
    entry_file = config.parent / "knowledge" / "entries" / "taxes-vat.yaml"
    original = entry_file.read_text(encoding="utf-8")
    store = store_for(config)
    store.edit(
        "taxes-vat",
        {"answer": "A moderator's rewrite."},
        expected_version=store.open("taxes-vat").version,
        actor="discord:42 (mod)",
    )

    listed = bot("kb", "history", "taxes-vat", "--config", str(config))
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("v2 ") and " edit " in lines[0] and "discord:42 (mod)" in lines[0]
    assert "answer rewritten" in lines[0]
    assert lines[1].startswith("v1 ") and " original " in lines[1]
    shown = bot("kb", "history", "taxes-vat", "--show", "1", "--config", str(config))
    assert shown.stdout == original

    reverted = bot("kb", "revert", "taxes-vat", "1", "--config", str(config))
    assert reverted.returncode == 0, reverted.stderr
    assert reverted.stdout.startswith("taxes-vat: now version 3 (back to version 1: ")
    assert entry_file.read_text(encoding="utf-8") == original
    latest = KnowledgeHistory(config.parent / "data" / "history.sqlite3").latest("taxes-vat")
    assert (latest.version, latest.action, latest.actor) == (3, "revert", f"cli:{getpass.getuser()}")
    assert load_knowledge(config.parent / "knowledge").entry("taxes-vat").answer != "A moderator's rewrite."


def test_unknown_entry_or_version_is_one_line_and_exit_1(config: Path) -> None:
    before = (config.parent / "knowledge" / "entries" / "taxes-vat.yaml").read_bytes()
    missing = bot("kb", "history", "no-such-entry", "--config", str(config))
    assert missing.returncode == 1 and missing.stderr == "error: no entry with id 'no-such-entry'\n"
    bad = bot("kb", "revert", "taxes-vat", "7", "--config", str(config))
    assert bad.returncode == 1
    assert bad.stderr.strip() == "error: entry 'taxes-vat' has no version 7 (it has versions 1 to 1)"
    assert (config.parent / "knowledge" / "entries" / "taxes-vat.yaml").read_bytes() == before


def test_a_mistyped_entry_id_names_the_closest_ones(config: Path) -> None:
    typo = bot("kb", "history", "taxes-vta", "--config", str(config))
    assert typo.returncode == 1 and typo.stderr == "error: no entry with id 'taxes-vta'; did you mean taxes-vat?\n"
    typo = bot("kb", "revert", "taxes-vta", "1", "--config", str(config))
    assert typo.returncode == 1 and typo.stderr.endswith("did you mean taxes-vat?\n")
