"""The quality gate: what members would see, on labelled examples and real forum posts.

The meaning model is judged cross-validated (each example decided by a head that never trained on
it) on the real forum posts and the member questions, and on tests/data/holdout.yaml, which nothing
is trained or tuned on. The lexical matcher, which serves alone when the model is unavailable, keeps
its own gate. Floors are the figures measured when they were set, minus a small margin (README).
Print everything, with the misses, with `python -m bot kb eval`.
"""

from __future__ import annotations

import pytest

from bot.core.matching.answers import AnswerEngine
from bot.core.matching.cross_validation import Labelled, Outcomes, cross_validate, labelled_from_examples, tally
from bot.core.matching.embeddings.ranker import GATED
from bot.core.matching.evaluation import load_chatter, load_questions
from bot.core.matching.examples import read_examples
from bot.core.matching.matcher import Decision

from .conftest import KNOWLEDGE, ROOT

EXAMPLES = KNOWLEDGE / "examples"


def labelled(name: str) -> list[Labelled]:
    return labelled_from_examples(read_examples(EXAMPLES / name))


@pytest.fixture(scope="module")
def decided(meaning_engine: AnswerEngine) -> list[tuple[Labelled, Decision]]:
    """Every example decided cross-validated (folds by thread); kept-aside posts by a ranker that never saw them."""
    assert meaning_engine.meaning is not None, "the bundled meaning model did not load"
    pooled = [e for name in sorted(p.name for p in EXAMPLES.glob("*.yaml")) for e in read_examples(EXAMPLES / name)]
    decisions = cross_validate(meaning_engine.meaning, meaning_engine.kb, meaning_engine.matcher, pooled)
    return list(zip(labelled_from_examples(pooled), decisions, strict=True))


@pytest.fixture(scope="module")
def cross_validated(decided: list[tuple[Labelled, Decision]]) -> dict[str, Outcomes]:
    """Per set, the part tuned on (the kept-aside threads under "kept aside")."""
    by_set: dict[str, Outcomes] = {}
    for item, decision in decided:
        by_set.setdefault("kept aside" if item.kept_aside else item.source, Outcomes()).add(item, decision)
    return by_set


def test_labelled_data_is_large_and_uses_real_ids(engine: AnswerEngine):
    questions = labelled("member-questions.yaml")
    off_topic = labelled("off-topic.yaml")
    forum = labelled("forum-posts.yaml")
    assert len(questions) >= 400 and len(off_topic) >= 300 and len(forum) >= 70
    assert {q.entry_id for q in questions + forum if q.entry_id} <= set(engine.kb.entries)
    assert len({q.entry_id for q in questions}) == 22  # every topic is measured


def test_real_forum_posts_cross_validated(cross_validated: dict[str, Outcomes]):
    # The part tuned on: 24 questions and 25 off-topic posts, folds by thread; one post is 4 points.
    assert_floors(cross_validated["forum-posts.yaml"], right=0.70, wrong=0.05, helped=0.83, silent=0.96)


def test_real_forum_posts_kept_aside(cross_validated: dict[str, Outcomes]):
    # Threads nothing was trained, tuned or designed on (threads.py): 12 questions, 13 off-topic posts.
    assert_floors(cross_validated["kept aside"], right=0.66, wrong=0.09, helped=0.83, silent=0.92)


def assert_floors(outcomes: Outcomes, *, right: float, wrong: float, helped: float, silent: float) -> None:
    summary = outcomes.summary()
    assert outcomes.rate(outcomes.right) >= right, summary
    assert outcomes.rate(outcomes.wrong) <= wrong, summary
    assert outcomes.rate(outcomes.helped) >= helped, summary
    assert outcomes.rate(outcomes.off_topic_silent, of_off_topic=True) >= silent, summary


def test_member_questions_and_off_topic_cross_validated(cross_validated: dict[str, Outcomes]):
    questions, off_topic = cross_validated["member-questions.yaml"], cross_validated["off-topic.yaml"]
    assert questions.rate(questions.right) >= 0.88, questions.summary()
    assert questions.rate(questions.wrong) <= 0.025, questions.summary()
    stories = cross_validated["member-stories.yaml"]
    assert stories.rate(stories.right) >= 0.87 and stories.rate(stories.wrong) <= 0.035, stories.summary()
    assert stories.rate(stories.off_topic_silent, of_off_topic=True) >= 0.96, stories.summary()
    assert off_topic.rate(off_topic.off_topic_silent, of_off_topic=True) >= 0.97, off_topic.summary()


def test_holdout_never_trained_on(meaning_engine: AnswerEngine):
    holdout = [Labelled(q.text, q.topic) for q in load_questions(ROOT / "tests" / "data" / "holdout.yaml")]
    outcomes = tally(holdout, meaning_engine.decide)
    assert outcomes.rate(outcomes.right) >= 0.90, outcomes.summary()
    assert outcomes.rate(outcomes.wrong) <= 0.03, outcomes.summary()


def test_lexical_matcher_alone_still_holds(engine: AnswerEngine):
    assert engine.meaning is None
    questions = tally(labelled("member-questions.yaml"), engine.decide)
    off_topic = tally(labelled("off-topic.yaml"), engine.decide)
    # measured 78.6% right, 4.0% wrong
    assert questions.rate(questions.right) >= 0.76, questions.summary()
    assert questions.rate(questions.wrong) <= 0.05, questions.summary()
    assert off_topic.rate(off_topic.off_topic_silent, of_off_topic=True) >= 0.95, off_topic.summary()


def test_the_chatter_gate_silences_no_labelled_question(decided: list[tuple[Labelled, Decision]]):
    gated = [item.text for item, decision in decided if item.entry_id is not None and decision.reason == GATED]
    assert gated == []


def test_the_seed_threads_reply_is_answered_in_its_members_words(meaning_engine: AnswerEngine):
    # https://community.upwork.com/t5/Agencies/How-to-use-agency-connects/td-p/712620: an agency member who
    # wants his proposals to spend one balance. Not a phrasing of any entry: answered by meaning.
    reply = "How can I use only one account connects?"
    assert all(reply.lower() != p.lower() for e in meaning_engine.kb.entries.values() for p in e.phrasings)
    decision = meaning_engine.decide(reply)
    assert (decision.action, decision.entry_id) == ("answer", "agency-vs-freelancer-balance"), decision.reason


def test_chatter_no_model_trained_on_gets_silence(meaning_engine: AnswerEngine):
    chatter = [Labelled(t, None) for t in load_chatter(ROOT / "tests" / "data" / "channel-chatter.yaml")]
    outcomes = tally(chatter, meaning_engine.decide)
    assert outcomes.rate(outcomes.off_topic_silent, of_off_topic=True) >= 0.98, outcomes.summary()


def test_near_misses_no_model_trained_on_get_silence(meaning_engine: AnswerEngine):
    # Off-topic posts in the entries' own words (a plan, a card, a balance, "connect"): measured 63 of 65
    # silent, the other two suggestions, none answered. An answer here is a wrong answer in the channel.
    near_misses = [Labelled(t, None) for t in load_chatter(ROOT / "tests" / "data" / "near-misses.yaml")]
    outcomes = tally(near_misses, meaning_engine.decide)
    assert outcomes.off_topic == 65
    assert outcomes.off_topic_answered == 0, outcomes.summary()
    assert outcomes.rate(outcomes.off_topic_silent, of_off_topic=True) >= 0.95, outcomes.summary()


def test_posts_written_blind_to_the_knowledge_base(meaning_engine: AnswerEngine):
    # Written by sessions that never saw knowledge/ (tests/data/blind-*.yaml): measured 85.5% right, 1.5%
    # wrong, 91.6% helped of 131 questions, silent on 98.9% of 270 (2 answered). Floors: that minus a
    # margin, and no looser than issue 15's targets.
    questions = [Labelled(q.text, q.topic) for q in load_questions(ROOT / "tests" / "data" / "blind-questions.yaml")]
    chatter = [Labelled(t, None) for t in load_chatter(ROOT / "tests" / "data" / "blind-chatter.yaml")]
    outcomes = tally(questions + chatter, meaning_engine.decide)
    assert (outcomes.answerable, outcomes.off_topic) == (131, 270)
    assert_floors(outcomes, right=0.80, wrong=0.03, helped=0.87, silent=0.95)
