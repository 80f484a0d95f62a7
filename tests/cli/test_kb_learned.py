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


def record(config: Path, question: str, entry_id: str) -> int:
    store = CandidateStore(config.parent / "data" / "learning.sqlite3")
    try:
        return store.record(question, entry_id, signal=cs.PICK, who=ALICE, by_asker=True).id
    finally:
        store.close()


def test_accepting_a_question_the_knowledge_labels_otherwise_is_refused_named_and_nothing_written(config: Path):
    phrasing = "where is the buy connects button"  # knowledge/entries/buying-connects.yaml, its own phrasing
    clashing = record(config, "Where is the BUY connects button??", "proposal-cost")
    learned = config.parent / "knowledge" / "examples" / "learned.yaml"

    refused = bot("kb", "learned", "accept", str(clashing), "--config", str(config))
    assert refused.returncode == 1 and refused.stdout == ""
    assert refused.stderr.strip() == (
        f"error: candidate #{clashing} not accepted as proposal-cost: the same question is already a phrasing of "
        "entry buying-connects (entries/buying-connects.yaml). Move it to buying-connects or reject it "
        "(to overrule that label, change the knowledge first)"
    )
    assert status_of(config, clashing) == "pending" and not learned.exists()

    listed = bot("kb", "learned", "--config", str(config))
    assert f"#{clashing} pending" in listed.stdout and "   not accepted as proposal-cost: the same" in listed.stdout
    (doc,) = [
        c for c in json.loads(bot("kb", "learned", "--json", "--config", str(config)).stdout) if c["id"] == clashing
    ]
    clash = doc["clash"]  # the whole object: tests/core/learning/test_clashes.py
    assert (clash["asked"], clash["label"], clash["where"]) == (
        "proposal-cost",
        "buying-connects",
        "entries/buying-connects.yaml",
    )
    assert doc["duplicate_of"] is None and doc["entry"] == "proposal-cost" and doc["status"] == "pending"
    assert phrasing in (config.parent / "knowledge" / "entries" / "buying-connects.yaml").read_text()

    moved = bot("kb", "learned", "accept", str(clashing), "--entry", "buying-connects", "--config", str(config))
    assert moved.returncode == 0, moved.stderr
    assert moved.stdout.startswith(f"#{clashing} already known: the same question is a phrasing of entry buying-con")
    assert status_of(config, clashing) == "served" and not learned.exists()


def test_accepting_what_the_examples_already_say_is_a_no_op_that_writes_nothing_and_retrains_nothing(config: Path):
    learned = config.parent / "knowledge" / "examples" / "learned.yaml"
    accepted = bot("kb", "learned", "accept", "1", "--config", str(config))  # a genuinely new question: it serves
    assert accepted.returncode == 0 and "now serve" in accepted.stdout
    before = (learned.read_bytes(), learned.stat().st_mtime_ns)
    chatter = "good morning everyone"  # knowledge/examples/off-topic.yaml
    same = record(config, chatter.upper() + "!!", "proposal-cost")
    again = record(config, QUESTION.replace("?", ","), "connects-price")  # the question learned just now

    off_topic = bot("kb", "learned", "accept", str(same), "--off-topic", "--config", str(config))
    assert off_topic.returncode == 0, off_topic.stderr
    assert off_topic.stdout == (
        f"#{same} already known: the same question is labelled off-topic in examples/off-topic.yaml; "
        "nothing to learn, nothing written\n"
    )
    duplicate = bot("kb", "learned", "accept", str(again), "--config", str(config))
    assert duplicate.returncode == 0 and "learned as connects-price in examples/learned.yaml" in duplicate.stdout
    assert "guard" not in off_topic.stdout + duplicate.stdout  # no retrain ran
    assert (learned.read_bytes(), learned.stat().st_mtime_ns) == before
    doc = {c["id"]: c for c in json.loads(bot("kb", "learned", "--all", "--json", "--config", str(config)).stdout)}
    assert doc[same]["status"] == "served" and doc[same]["duplicate_of"]["where"] == "examples/off-topic.yaml"
    assert doc[again]["duplicate_of"]["source"] == "learned" and doc[again]["clash"] is None
