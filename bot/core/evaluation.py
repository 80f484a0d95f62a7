"""Measure the matcher on labelled questions and chatter: accuracy, silence, and a confusion report."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.core.answers import AnswerEngine
from bot.core.matcher import Decision


@dataclass(frozen=True)
class LabelledQuestion:
    text: str
    topic: str


@dataclass
class QualityReport:
    """Figures for one run over a labelled set."""

    questions: int = 0
    top1_correct: int = 0
    answered: int = 0
    answered_correct: int = 0
    suggested_containing: int = 0
    chatter: int = 0
    chatter_silent: int = 0
    misses: list[tuple[LabelledQuestion, Decision]] = field(default_factory=list)
    chatter_answered: list[tuple[str, Decision]] = field(default_factory=list)
    confusion: Counter[tuple[str, str]] = field(default_factory=Counter)

    @property
    def top1_accuracy(self) -> float:
        return self.top1_correct / self.questions if self.questions else 0.0

    @property
    def answer_rate(self) -> float:
        return self.answered / self.questions if self.questions else 0.0

    @property
    def answered_precision(self) -> float:
        return self.answered_correct / self.answered if self.answered else 0.0

    @property
    def useful_rate(self) -> float:
        """Share of questions answered correctly or offered the right entry among suggestions."""
        return (self.answered_correct + self.suggested_containing) / self.questions if self.questions else 0.0

    @property
    def silence_rate(self) -> float:
        return self.chatter_silent / self.chatter if self.chatter else 0.0


def load_questions(path: str | Path) -> list[LabelledQuestion]:
    """Read a `questions:` file of {topic, text} items."""
    raw = _load(path, "questions")
    return [LabelledQuestion(text=str(item["text"]), topic=str(item["topic"])) for item in raw]


def load_chatter(path: str | Path) -> list[str]:
    """Read a `chatter:` (or knowledge/examples' `off_topic:`) file of {text, why} items."""
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    key = "off_topic" if isinstance(data, dict) and "off_topic" in data else "chatter"
    return [str(item["text"]) for item in _load(path, key)]


def evaluate(engine: AnswerEngine, questions: list[LabelledQuestion], chatter: list[str]) -> QualityReport:
    """Run every labelled line through the engine and tally the outcome."""
    report = QualityReport()
    for q in questions:
        decision = engine.decide(q.text)
        ranked = decision.candidates
        top = decision.entry_id or (ranked[0].entry_id if ranked else None)
        report.questions += 1
        if top == q.topic:
            report.top1_correct += 1
        else:
            report.misses.append((q, decision))
            report.confusion[(q.topic, top or "(none)")] += 1
        if decision.action == "answer":
            report.answered += 1
            report.answered_correct += decision.entry_id == q.topic
        elif decision.action == "suggest" and any(c.entry_id == q.topic for c in ranked):
            report.suggested_containing += 1
    for text in chatter:
        decision = engine.decide(text)
        report.chatter += 1
        if decision.action == "silent":
            report.chatter_silent += 1
        else:
            report.chatter_answered.append((text, decision))
    return report


def format_report(report: QualityReport, *, details: bool = True) -> str:
    """Render the figures and, with details, which questions went where."""
    lines = [
        f"questions: {report.questions}  top-1 accuracy: {report.top1_accuracy:.1%}  "
        f"answered: {report.answer_rate:.1%}  answered precision: {report.answered_precision:.1%}  "
        f"answered-or-suggested right: {report.useful_rate:.1%}",
        f"chatter: {report.chatter}  silent: {report.silence_rate:.1%}",
    ]
    if details:
        if report.confusion:
            lines.append("\nconfusions (expected -> got: count):")
            for (expected, got), count in report.confusion.most_common():
                lines.append(f"  {expected} -> {got}: {count}")
        if report.misses:
            lines.append("\nmissed questions:")
            for q, d in report.misses:
                got = d.entry_id or (d.candidates[0].entry_id if d.candidates else "-")
                lines.append(f"  [{q.topic} -> {d.action}:{got} {d.score:.2f}] {q.text[:150]!r}")
        if report.chatter_answered:
            lines.append("\nchatter that was not silent:")
            for text, d in report.chatter_answered:
                got = d.entry_id or ",".join(c.entry_id for c in d.candidates)
                lines.append(f"  [{d.action}:{got} {d.score:.2f}] {text[:150]!r}")
    return "\n".join(lines)


def _load(path: str | Path, key: str) -> list[dict[str, Any]]:
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not isinstance(data.get(key), list):
        raise ValueError(f"{path}: expected a mapping with a {key}: list")
    return data[key]
