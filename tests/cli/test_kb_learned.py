"""`python -m bot kb learned` as an operator runs it: list, accept (guarded), move, reject; hostile questions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.core.learning import candidates as cs
from bot.core.learning.candidates import CandidateStore
from bot.core.matching.examples import read_examples
from tests.cli.conftest import OperatorFolder
from tests.cli.test_kb_versions import bot
from tests.shared_cache import EMBEDDING_CACHE

ALICE, BOB = 101, 202
QUESTION = "is 15c a connect still the rate? feels like it went up"
HOSTILE = "why\x1b[2J my connects \u202egone\u202c? @everyone"


@pytest.fixture
def config(operator_folder: OperatorFolder) -> Path:
    path = operator_folder(embedding={"cache_path": str(EMBEDDING_CACHE)}, learning={"path": "data/learning.sqlite3"})
    store = CandidateStore(path.parent / "data" / "learning.sqlite3")
    store.record(QUESTION, "connects-price", signal=cs.PICK, who=ALICE, by_asker=True)  # 1
    store.record(HOSTILE, "taxes-vat", signal=cs.PICK, who=BOB, by_asker=True)  # 2
    store.record(QUESTION, "proposal-cost", signal=cs.NOT_HELPFUL, who=BOB, by_asker=False, not_this=True)  # 3
    store.close()
    return path


def status_of(config: Path, candidate_id: int) -> str:
    store = CandidateStore(config.parent / "data" / "learning.sqlite3")
    try:
        return store.get(candidate_id).status
    finally:
        store.close()


def test_learned_lists_candidates_with_control_characters_made_visible(config: Path) -> None:
    listed = bot("kb", "learned", "--config", str(config))
    assert listed.returncode == 0, listed.stderr
    assert "#1 pending · pick by 101 · " in listed.stdout
    assert f"   > {QUESTION}" in listed.stdout and "entry: connects-price" in listed.stdout
    assert "not this entry: proposal-cost" in listed.stdout
    assert "\x1b" not in listed.stdout and "\u202e" not in listed.stdout
    assert "why\\x1b[2J my connects \\u202egone\\u202c? @everyone" in listed.stdout

    doc = json.loads(bot("kb", "learned", "--json", "--config", str(config)).stdout)
    assert [(c["id"], c["entry"], c["signal"], c["who"]) for c in doc] == [
        (1, "connects-price", "pick", str(ALICE)),
        (2, "taxes-vat", "pick", str(BOB)),
        (3, None, "not_helpful", str(BOB)),
    ]
    assert doc[1]["question"] == " ".join(HOSTILE.split()) and all(c["when"] for c in doc)


def test_accept_runs_the_guard_writes_the_example_and_reject_drops_one(config: Path) -> None:
    accepted = bot("kb", "learned", "accept", "1", "--config", str(config))
    assert accepted.returncode == 0, accepted.stderr
    assert "#1 accepted as connects-price" in accepted.stdout and "now serve" in accepted.stdout
    assert accepted.stdout.rstrip().endswith("#1: served")
    learned = read_examples(config.parent / "knowledge" / "examples" / "learned.yaml")
    assert [(e.text, e.entry_id) for e in learned] == [(QUESTION, "connects-price")]
    asked = bot("ask", "--json", QUESTION, "--config", str(config))
    assert json.loads(asked.stdout)["entry"] == "connects-price"

    rejected = bot("kb", "learned", "reject", "2", "--config", str(config))
    assert rejected.returncode == 0 and rejected.stdout.startswith("#2 rejected: why\\x1b[2J")
    doc = json.loads(bot("kb", "learned", "--json", "--config", str(config)).stdout)
    assert [c["id"] for c in doc] == [3]


def test_a_not_this_entry_candidate_needs_an_entry_and_is_moved_with_one(config: Path) -> None:
    refused = bot("kb", "learned", "accept", "3", "--config", str(config))
    assert refused.returncode == 1
    assert refused.stderr.strip().startswith("error: candidate #3 says only that it is not `proposal-cost`")
    assert status_of(config, 3) == "pending"
    unknown = bot("kb", "learned", "accept", "3", "--entry", "no-such-entry", "--config", str(config))
    assert unknown.returncode == 1 and "no entry `no-such-entry`" in unknown.stderr
    missing = bot("kb", "learned", "reject", "99", "--config", str(config))
    assert missing.returncode == 1 and missing.stderr.strip() == "error: no learned candidate #99 (see `kb learned`)"

    moved = bot("kb", "learned", "accept", "3", "--entry", "connects-price", "--config", str(config))
    assert moved.returncode == 0, moved.stdout + moved.stderr
    assert "#3 accepted as connects-price" in moved.stdout and status_of(config, 3) == "served"
