"""The guard on the real labelled sets: it lets in correct examples and refuses, naming them, ones that hurt."""

from __future__ import annotations

import pytest

from bot.core.learning.guard import Guard
from bot.core.matching.answers import AnswerEngine
from bot.core.matching.evaluation import load_questions
from bot.core.matching.examples import Example, read_examples
from tests.core.learning.conftest import ROOT, engine_over


@pytest.fixture(scope="module")
def engine() -> AnswerEngine:
    return engine_over(ROOT / "knowledge" / "examples")


@pytest.fixture(scope="module")
def guard(engine: AnswerEngine) -> Guard:
    labelled = [e for p in sorted((ROOT / "knowledge" / "examples").glob("*.yaml")) for e in read_examples(p)]
    assert engine.meaning is not None
    return Guard(engine.meaning, engine.kb, engine.matcher, labelled, tolerance=0.002)


def test_correct_examples_never_seen_pass(guard: Guard) -> None:
    holdout = load_questions(ROOT / "tests" / "data" / "holdout.yaml")[:20]
    verdict = guard.check([], [Example(q.text, q.topic) for q in holdout])
    assert verdict.passed, verdict.line()
    assert verdict.refusal is None and not verdict.hurt
    allowed = verdict.paired.allowance(guard.tolerance)
    assert verdict.paired.net_wrong <= allowed and verdict.paired.net_posted <= allowed


def test_examples_that_make_wrong_answers_are_refused_and_named(guard: Guard, engine: AnswerEngine) -> None:
    # Members' real questions relabelled with one wrong entry: trained on, they teach the head to answer wrongly.
    questions = [e for e in guard.labelled if e.entry_id not in (None, "taxes-vat")][:30]
    poison = [Example(e.text, "taxes-vat") for e in questions]
    verdict = guard.check([], poison)
    assert not verdict.passed
    assert verdict.after.wrong > verdict.before.wrong
    assert verdict.paired.net_wrong > verdict.paired.allowance(guard.tolerance)
    assert verdict.refusal and "answered wrong" in verdict.refusal
    assert verdict.hurt and set(verdict.hurt) <= set(poison)
    assert verdict.confidence is None


def test_the_baseline_is_the_model_in_service_and_is_computed_once(guard: Guard, monkeypatch) -> None:
    holdout = load_questions(ROOT / "tests" / "data" / "holdout.yaml")[20:25]
    first = guard.check([], [Example(q.text, q.topic) for q in holdout])
    calls: list[int] = []
    original = guard._decide
    monkeypatch.setattr(guard, "_decide", lambda *a: calls.append(1) or original(*a))
    second = guard.check([], [Example(q.text, q.topic) for q in holdout])
    assert first.before == second.before
    assert len(calls) == (2 if guard.retrain_confidence else 1)  # only the candidate's decisions: no baseline
