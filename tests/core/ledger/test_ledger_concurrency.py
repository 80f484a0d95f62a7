"""While an import holds the ledger's write lock, other processes still read it (audited); a second import is refused.

No sleeps: the import's progress callback runs the other processes while the import's transaction is
open (its rows written, its write lock held), so they meet the lock for certain.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from ledger_sample import PROFILES, REPO, write_entries

from bot.core.errors import LedgerError
from bot.core.ledger.importer import import_ledger
from bot.core.ledger.store import LedgerStore


def cli(config, *argv: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    cmd = [sys.executable, "-m", "bot", "ledger", *argv, "--config", str(config)]
    return subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=REPO, timeout=60)


def test_reads_and_lookups_go_on_and_are_audited_while_an_import_runs(tmp_path):
    path = tmp_path / "ledger.sqlite3"
    config = tmp_path / "config.yaml"
    config.write_text(f"ledger:\n  path: {path}\n", encoding="utf-8")
    profiles = tmp_path / "p.yaml"
    profiles.write_text(PROFILES, encoding="utf-8")
    first = write_entries(tmp_path / "1.csv", ["k-1,fl-a,2026-10-01T10:00:00+00:00,bonus,20,,,"])
    big = write_entries(
        tmp_path / "2.csv", [f"k-{n},fl-a,2026-10-02T10:00:00+00:00,bonus,1,,," for n in range(2, 2000)]
    )
    other = write_entries(tmp_path / "3.csv", ["z-1,fl-b,2026-10-03T10:00:00+00:00,bonus,1,,,"])
    store = LedgerStore(path)
    import_ledger(store, profiles_path=profiles, entries_path=first)
    seen: dict[str, subprocess.CompletedProcess] = {}

    def during_import(done: int, total: int) -> None:
        if seen:
            return
        assert store.connection.in_transaction  # the import holds the write lock from here on
        seen["history"] = cli(config, "history", "fl-a", "--json")
        seen["explain"] = cli(config, "explain", "k-1", "--json")
        seen["second import"] = cli(config, "import", "--entries", str(other))

    result = import_ledger(store, entries_path=big, progress=during_import)
    assert result.entries == 1998

    history = seen["history"]
    assert history.returncode == 0, history.stderr
    assert json.loads(history.stdout)["balances"]["fl-a"] == 20  # the last committed state
    explain = seen["explain"]
    assert explain.returncode == 0, explain.stderr
    assert json.loads(explain.stdout)["explanations"][0]["entry"] == "k-1"
    second = seen["second import"]
    assert second.returncode == 1
    assert second.stderr.count("\n") == 1 and "another import is running" in second.stderr
    assert "nothing was imported" in second.stderr
    # Both reads were recorded while the import ran.
    assert [(r.subject, r.what) for r in reversed(store.access_log())] == [("fl-a", "history"), ("fl-a", "explain k-1")]
    assert store.balance("fl-a") == 20 + 1998 and store.count_entries() == 1999
    store.close()


def test_a_second_import_in_the_same_process_is_refused_at_once(tmp_path):
    path = tmp_path / "ledger.sqlite3"
    profiles = tmp_path / "p.yaml"
    profiles.write_text(PROFILES, encoding="utf-8")
    entries = write_entries(tmp_path / "e.csv", ["k-1,fl-a,2026-10-01T10:00:00+00:00,bonus,20,,,"])
    first, second = LedgerStore(path), LedgerStore(path)
    refusals = []

    def try_another(done: int, total: int) -> None:
        with pytest.raises(LedgerError, match="another import is running") as caught:
            import_ledger(second, profiles_path=profiles)
        refusals.append(caught.value)

    import_ledger(first, profiles_path=profiles, entries_path=entries, progress=try_another)
    assert refusals and first.count_entries() == 1
    import_ledger(second, profiles_path=profiles)  # once the first has finished, the lock is free
    first.close()
    second.close()
