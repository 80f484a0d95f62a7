"""The learning loop with the clash guard: real engine, real SQLite, real YAML in a tmp copy of the examples."""

from __future__ import annotations

import pytest

from bot.core.learning import candidates as cs
from bot.core.learning.clashes import CandidateClashes
from bot.core.matching.examples import read_examples

ALICE, BOB = 101, 202
NEW, RIGHT = "is 15c a connect still the rate? feels like it went up", "connects-price"  # tests/data/holdout.yaml


def test_a_moderators_accept_that_clashes_is_held_pending_named_and_told(make_loop) -> None:
    loop = make_loop()
    told: list[str] = []
    loop.add_listener(told.append)
    phrasing = loop.engine.kb.entries["buying-connects"].alternates[0]
    c = loop.note_pick(phrasing, "proposal-cost", ALICE)
    ranker = loop.engine._ranker

    with pytest.raises(CandidateClashes) as raised:
        loop.accept(c.id, by="discord:7")
    assert f"#{c.id} not accepted as proposal-cost" in str(raised.value)
    assert "a phrasing of entry buying-connects (entries/buying-connects.yaml)" in str(raised.value)
    held = loop.store.get(c.id)
    assert held.status == cs.PENDING and held.known["label"] == "buying-connects"
    assert [x.id for x in loop.to_review()] == [c.id] and "Move it to buying-connects" in held.note
    assert len(told) == 1 and "is held (discord:7)" in told[0] and "entries/buying-connects.yaml" in told[0]
    assert loop._trainer is None and loop.engine._ranker is ranker
    assert not loop.learned_path.exists()

    moved = loop.accept(c.id, by="discord:7", entry_id="buying-connects")  # resolved: it is what the entry says
    assert (moved.status, moved.result) == (cs.SERVED, "buying-connects")
    assert moved.to_json()["duplicate_of"]["where"] == "entries/buying-connects.yaml"
    assert loop._trainer is None and not loop.learned_path.exists() and len(told) == 1


def test_an_accept_with_the_same_label_as_an_example_writes_nothing_and_does_not_retrain(make_loop, examples_copy):
    loop = make_loop()
    examples = read_examples(examples_copy / "member-questions.yaml")
    (example, *_) = [e for e in examples if loop.engine.decide(e.text).action != "answer"]
    c = loop.note_pick(example.text, example.entry_id, ALICE)
    settled = loop.accept(c.id, by="cli:mod")
    assert (settled.status, settled.result) == (cs.SERVED, example.entry_id)
    assert settled.note.startswith(f"already known: the same question is labelled {example.entry_id} in examples/")
    assert loop._trainer is None and not loop.learned_path.exists()
    assert loop.retrain() is None  # nothing accepted waits for the guard


def test_auto_accept_holds_two_members_who_disagree_with_a_labelled_example(make_loop, examples_copy) -> None:
    loop = make_loop(auto_accept=True)
    told: list[str] = []
    loop.add_listener(told.append)
    (chatter, *_) = [e.text for e in read_examples(examples_copy / "off-topic.yaml") if not e.lenient]
    loop.note_pick(chatter, RIGHT, ALICE)
    c = loop.note_pick(chatter, RIGHT, BOB)  # two members: the rule would accept it
    assert c.status == cs.PENDING and c.known["kind"] == "clash" and c.known["label"] == "off-topic"
    assert "labelled off-topic in examples/off-topic.yaml" in c.note
    assert len(told) == 1 and "(auto: two members)" in told[0]
    assert loop._trainer is None and loop.store.auto_accepted_by(ALICE) == 0


def test_an_accepted_candidate_that_clashes_by_the_retrain_is_held_there_and_never_written(make_loop) -> None:
    loop = make_loop()
    c = loop.note_pick(NEW, RIGHT, ALICE)
    other = loop.note_pick(NEW.upper(), "buying-connects", BOB)
    loop.store.decide(c.id, cs.ACCEPTED, by="cli:mod", result=RIGHT)
    with pytest.raises(CandidateClashes, match=f"candidate #{c.id}, accepted as {RIGHT} and waiting for the guard"):
        loop.accept(other.id, by="cli:mod")
    loop.store.decide(other.id, cs.ACCEPTED, by="cli:mod", result="buying-connects")  # a road around accept()
    report = loop.retrain()
    assert report is not None and [s.id for s in report.served] == [c.id]
    assert loop.store.get(other.id).status == cs.PENDING
    assert [(e.text, e.entry_id) for e in read_examples(loop.learned_path)] == [(NEW, RIGHT)]

    again = loop.note_pick(NEW.replace("?", ","), RIGHT, BOB)  # the learned example asked again: a duplicate
    assert again.id not in (c.id, other.id) and loop.accept(again.id, by="cli:mod").status == cs.SERVED
    assert len(read_examples(loop.learned_path)) == 1
