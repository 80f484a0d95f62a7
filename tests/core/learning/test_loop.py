"""The learning loop on real files: a pick and a vote become an example that serves; poison never does."""

from __future__ import annotations

from pathlib import Path

from bot.core.learning import candidates as cs
from bot.core.matching.evaluation import load_questions
from bot.core.matching.examples import read_examples

ALICE, BOB, MALLORY = 101, 202, 666
# A real member question (tests/data/holdout.yaml) the shipped model only suggests for, right entry first.
QUESTION = "is 15c a connect still the rate? feels like it went up"
RIGHT = "connects-price"
HOLDOUT = Path(__file__).resolve().parents[2] / "data" / "holdout.yaml"


def new_questions() -> list[tuple[str, str]]:
    """Held-out member questions (text, entry) that no entry and no examples file labels: genuinely new."""
    known = {"profile boost connects"}  # an entry's own phrasing: accepting it is a duplicate (test_loop_clashes)
    return [(q.text, q.topic) for q in load_questions(HOLDOUT) if q.text not in known]


def test_the_askers_pick_and_vote_are_accepted_and_the_question_is_then_answered(make_loop) -> None:
    loop = make_loop(auto_accept=True)
    assert loop.engine.decide(QUESTION).action == "suggest"
    told: list[str] = []
    loop.add_listener(told.append)

    picked = loop.note_pick(QUESTION, RIGHT, ALICE, message_id=5)
    assert picked is not None and picked.status == cs.PENDING  # a pick alone waits
    voted = loop.note_vote(QUESTION, RIGHT, ALICE, True, asker=ALICE, message_id=5)
    assert voted is not None and (voted.id, voted.status) == (picked.id, cs.ACCEPTED)
    loop.wait_for_retraining()

    assert loop.store.get(picked.id).status == cs.SERVED
    learned = read_examples(loop.learned_path)
    assert [(e.text, e.entry_id) for e in learned] == [(QUESTION, RIGHT)]
    decision = loop.engine.decide(QUESTION)
    assert (decision.action, decision.entry_id) == ("answer", RIGHT)
    assert len(told) == 1 and "now serve" in told[0] and f"#{picked.id}" in told[0]


def test_without_auto_accept_a_moderator_accepts_and_can_move_it(make_loop) -> None:
    loop = make_loop()
    c = loop.note_pick(QUESTION, "proposal-cost", ALICE)
    assert c is not None
    assert loop.note_vote(QUESTION, "proposal-cost", ALICE, True, asker=ALICE, message_id=1).status == cs.PENDING
    assert [x.id for x in loop.to_review()] == [c.id]
    moved = loop.accept(c.id, by="cli:mod", entry_id=RIGHT)
    assert (moved.status, moved.result) == (cs.ACCEPTED, RIGHT)
    loop.wait_for_retraining()
    assert [(e.text, e.entry_id) for e in read_examples(loop.learned_path)] == [(QUESTION, RIGHT)]
    assert loop.engine.decide(QUESTION).entry_id == RIGHT


def test_one_member_picking_the_wrong_suggestion_fifty_times_changes_nothing(make_loop, examples_copy: Path) -> None:
    loop = make_loop(auto_accept=True)
    texts = [e.text for e in read_examples(examples_copy / "member-questions.yaml")[:50]]
    before = [loop.engine.decide(t) for t in texts]
    ranker = loop.engine._ranker
    for _ in range(50):  # the same wrong pick, again and again
        loop.note_pick(QUESTION, "taxes-vat", MALLORY)
    for text in texts:  # and a wrong pick on fifty different questions
        loop.note_pick(text, "taxes-vat", MALLORY)
    loop.wait_for_retraining()
    (same,) = [c for c in loop.to_review() if c.question == QUESTION]
    assert len(same.signals) == 1  # fifty picks of one member count once
    assert loop.store.with_status(cs.ACCEPTED, cs.SERVED) == []
    assert not loop.learned_path.exists()
    assert loop.engine._ranker is ranker and [loop.engine.decide(t) for t in texts] == before


def test_one_member_voting_for_each_wrong_pick_gets_at_most_one_through_to_the_guard(make_loop) -> None:
    loop = make_loop(auto_accept=True)
    texts = [text for text, _ in new_questions()[:50]]
    for text in texts:  # each time the entry the ranker puts first: the only one the asker's word can accept
        first = loop.engine.rank(text, limit=1)[0].entry_id
        loop.note_pick(text, first, MALLORY)
        loop.note_vote(text, first, MALLORY, True, asker=MALLORY, message_id=None)
    loop.wait_for_retraining()
    decided = loop.store.with_status(cs.ACCEPTED, cs.SERVED, cs.HELD)
    assert len(decided) == 1  # auto_accept_per_member: 1; the other 49 wait for a moderator
    assert len(loop.store.with_status(cs.PENDING)) == 49


def test_examples_that_hurt_are_held_back_named_and_the_old_model_keeps_serving(make_loop) -> None:
    loop = make_loop()
    told: list[str] = []
    loop.add_listener(told.append)
    questions = [text for text, entry_id in new_questions() if entry_id != "taxes-vat"][:30]
    ranker = loop.engine._ranker
    ids = []
    for text in questions:
        c = loop.note_pick(text, "taxes-vat", MALLORY)
        ids.append(c.id)
        loop.store.decide(c.id, cs.ACCEPTED, by="cli:mod", result="taxes-vat")
    report = loop.retrain()
    assert report is not None and not report.verdict.passed and report.held
    assert loop.engine._ranker is ranker
    assert not loop.learned_path.exists()
    assert {c.status for c in report.held} == {cs.HELD}
    assert "stays" in told[0] and all(f"#{c.id}" in told[0] for c in report.held)
    assert loop.store.with_status(cs.SERVED) == []


def test_the_askers_pick_and_helpful_vote_on_a_wrong_entry_is_not_served_to_others(make_loop) -> None:
    loop = make_loop(auto_accept=True)
    decision = loop.engine.decide(QUESTION)
    offered = [c.entry_id for c in decision.candidates]
    assert decision.action == "suggest" and offered[0] == RIGHT
    wrong = offered[1]  # a suggestion the bot offered, but not the answer: the asker picks it and votes Helpful
    c = loop.note_pick(QUESTION, wrong, MALLORY, message_id=9)
    voted = loop.note_vote(QUESTION, wrong, MALLORY, True, asker=MALLORY, message_id=9)
    loop.wait_for_retraining()
    assert c is not None and voted is not None and loop.store.get(c.id).status == cs.PENDING  # a moderator decides
    assert loop.store.with_status(cs.ACCEPTED, cs.SERVED, cs.HELD) == []
    assert not loop.learned_path.exists()
    assert loop.engine.decide(QUESTION) == decision  # what the next member asking it sees
