"""The learning database on real SQLite files: signals fold into candidates, one member counts once."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.core.learning import candidates as cs
from bot.core.learning.candidates import SCHEMA_VERSION, CandidateNotFound, CandidateStore

ALICE, BOB = 101, 202


@pytest.fixture
def store(tmp_path: Path) -> CandidateStore:
    s = CandidateStore(tmp_path / "sub" / "learning.sqlite3")
    yield s
    s.close()


def test_schema_is_versioned_and_wal(store: CandidateStore) -> None:
    assert store.schema_version == SCHEMA_VERSION
    conn = sqlite3.connect(store.path)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        conn.close()


def test_a_pick_becomes_a_pending_candidate_with_who_and_when(store: CandidateStore) -> None:
    c = store.record("How do I move connects?", "agency-transfer", signal=cs.PICK, who=ALICE, by_asker=True)
    assert (c.question, c.entry_id, c.not_entry, c.signal, c.who, c.status) == (
        "How do I move connects?",
        "agency-transfer",
        None,
        "pick",
        ALICE,
        "pending",
    )
    assert c.created_at and c.to_json()["who"] == str(ALICE)
    assert set(c.to_json()) >= {"id", "question", "entry", "signal", "who", "when"}


def test_one_member_repeating_a_signal_counts_once(store: CandidateStore) -> None:
    for _ in range(50):
        c = store.record("how do I move connects", "bonus-connects", signal=cs.PICK, who=ALICE, by_asker=True)
    assert len(c.signals) == 1 and c.members == {ALICE}
    assert len(store.with_status(cs.PENDING)) == 1


def test_the_same_question_folded_is_one_candidate_and_another_member_adds_to_it(store: CandidateStore) -> None:
    first = store.record("How do I move Connects?", "agency-transfer", signal=cs.PICK, who=ALICE, by_asker=True)
    second = store.record("how do i move  connects", "agency-transfer", signal=cs.HELPFUL, who=BOB, by_asker=False)
    assert first.id == second.id and second.members == {ALICE, BOB}


def test_a_not_helpful_vote_is_a_not_this_entry_candidate(store: CandidateStore) -> None:
    up = store.record("q about vat", "taxes-vat", signal=cs.HELPFUL, who=ALICE, by_asker=True)
    down = store.record("q about vat", "taxes-vat", signal=cs.NOT_HELPFUL, who=BOB, by_asker=False, not_this=True)
    assert down.id != up.id and (down.entry_id, down.not_entry) == (None, "taxes-vat")
    assert {c.id for c in store.same_question(up.question_key)} == {up.id, down.id}


def test_decisions_are_kept_across_reopening(tmp_path: Path) -> None:
    path = tmp_path / "l.sqlite3"
    first = CandidateStore(path)
    c = first.record("q", "taxes-vat", signal=cs.PICK, who=ALICE, by_asker=True)
    first.decide(c.id, cs.ACCEPTED, by="auto: asker 101", result="taxes-vat")
    first.close()
    again = CandidateStore(path)
    try:
        got = again.get(c.id)
        assert (got.status, got.result, got.decided_by) == ("accepted", "taxes-vat", "auto: asker 101")
        assert again.auto_accepted_by(ALICE) == 1 and again.auto_accepted_by(BOB) == 0
    finally:
        again.close()


def test_unknown_ids_and_a_newer_schema_are_refused(store: CandidateStore, tmp_path: Path) -> None:
    with pytest.raises(CandidateNotFound, match="#99"):
        store.get(99)
    with pytest.raises(CandidateNotFound):
        store.decide(99, cs.REJECTED, by="x")
    newer = tmp_path / "newer.sqlite3"
    conn = sqlite3.connect(newer)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(sqlite3.DatabaseError, match="newer"):
        CandidateStore(newer)
