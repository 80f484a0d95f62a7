"""The quality gate: accuracy on member questions and silence on chatter, from tests/data/.

Print the full confusion report with `python -m bot kb eval`.
"""

from __future__ import annotations

from bot.core.answers import AnswerEngine
from bot.core.evaluation import evaluate, format_report, load_chatter, load_questions

from .conftest import ROOT

DATA = ROOT / "tests" / "data"


def test_labelled_data_is_large_and_uses_real_ids(engine: AnswerEngine):
    questions = load_questions(DATA / "questions.yaml")
    chatter = load_chatter(DATA / "chatter.yaml")
    assert len(questions) >= 200 and len(chatter) >= 60
    assert {q.topic for q in questions} <= set(engine.kb.entries)
    assert len({q.topic for q in questions}) == 22  # every topic is measured


def test_top1_accuracy_and_silence_hold(engine: AnswerEngine):
    report = evaluate(engine, load_questions(DATA / "questions.yaml"), load_chatter(DATA / "chatter.yaml"))
    summary = format_report(report, details=False)
    assert report.top1_accuracy >= 0.90, summary
    assert report.silence_rate >= 0.95, summary
    # Answers given must be right: a wrong answer posted in the channel is worse than silence.
    assert report.answered_precision >= 0.93, summary
