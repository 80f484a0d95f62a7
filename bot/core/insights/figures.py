"""The figures moderators read, from the decision log, the knowledge base and the unanswered queue's groups.

One `Insights` value feeds every view of them (the /faq insights chart and embed, the weekly digest, the
HTML report and `kb report --json`), so they cannot disagree. Definitions:
* questions: decisions recorded in the period (chatter settled before the model is counted apart);
* answered: an answer or a pointer to an earlier answer that was posted, or a suggestion the asker picked;
* answer rate: answered / questions; helpful ratio: 👍 / (👍 + 👎) over the votes on that day's replies;
* an entry's uses: its posted answers and pointers, and picks of it; unused: no use in the period.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.core.insights.decision_log import KINDS, DecisionLog, day_of
from bot.core.knowledge.model import KnowledgeBase

EPOCH = dt.date(1970, 1, 1)
TOP = 5


def date_of(day: int) -> dt.date:
    return EPOCH + dt.timedelta(days=day)


def ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass(frozen=True)
class DayFigures:
    """One day: decisions by kind, chatter, answered, votes."""

    date: dt.date
    counts: dict[str, int]
    chatter: int = 0
    answered: int = 0
    refused: int = 0
    helpful: int = 0
    not_helpful: int = 0

    @property
    def questions(self) -> int:
        return sum(self.counts.values())

    @property
    def answer_rate(self) -> float | None:
        return ratio(self.answered, self.questions)

    @property
    def helpful_ratio(self) -> float | None:
        return ratio(self.helpful, self.helpful + self.not_helpful)


@dataclass(frozen=True)
class EntryFigures:
    """One entry of the knowledge base (or one used in the period and removed since)."""

    entry_id: str
    question: str
    uses: int
    helpful: int
    not_helpful: int
    reviewed: dt.date | None
    last_used: dt.date | None
    stale: bool
    removed: bool = False


@dataclass(frozen=True)
class GroupFigures:
    """One group of the unanswered queue (bot.core.channel.question_groups), as moderators see it."""

    size: int
    kind: str
    representative: str
    phrasings: tuple[str, ...]
    closest: str | None


@dataclass(frozen=True)
class Insights:
    """Everything about one period (first..last, inclusive)."""

    first: dt.date
    last: dt.date
    days: tuple[DayFigures, ...]
    entries: tuple[EntryFigures, ...]
    groups: tuple[GroupFigures, ...] = ()
    stale_after_days: int = 180
    quality: dict[str, Any] | None = field(default=None)  # kb eval's figures, when they were computed

    def total(self, attribute: str) -> int:
        return sum(getattr(d, attribute) for d in self.days)

    @property
    def by_decision(self) -> dict[str, int]:
        counts: Counter[str] = Counter()
        for d in self.days:
            counts.update(d.counts)
        return {kind: counts.get(kind, 0) for kind in KINDS}

    @property
    def answer_rate(self) -> float | None:
        return ratio(self.total("answered"), self.total("questions"))

    @property
    def helpful_ratio(self) -> float | None:
        helpful = self.total("helpful")
        return ratio(helpful, helpful + self.total("not_helpful"))

    def busiest(self, n: int = TOP) -> list[EntryFigures]:
        used = [e for e in self.entries if e.uses]
        return sorted(used, key=lambda e: (-e.uses, e.entry_id))[:n]

    def most_voted_down(self, n: int = TOP) -> list[EntryFigures]:
        down = [e for e in self.entries if e.not_helpful]
        return sorted(down, key=lambda e: (-e.not_helpful, e.helpful, e.entry_id))[:n]

    def stale(self) -> list[EntryFigures]:
        return sorted((e for e in self.entries if e.stale), key=lambda e: (e.reviewed or self.first, e.entry_id))

    def unused(self) -> list[EntryFigures]:
        return [e for e in self.entries if not e.uses and not e.removed]

    def to_json(self) -> dict[str, Any]:
        """Every figure, as plain JSON values (`kb report --json`, and the HTML report's numbers)."""

        def entry(e: EntryFigures) -> dict[str, Any]:
            return {
                "entry": e.entry_id,
                "question": e.question,
                "uses": e.uses,
                "helpful": e.helpful,
                "not_helpful": e.not_helpful,
                "reviewed": e.reviewed.isoformat() if e.reviewed else None,
                "last_used": e.last_used.isoformat() if e.last_used else None,
                "stale": e.stale,
                "removed": e.removed,
            }

        return {
            "first": self.first.isoformat(),
            "last": self.last.isoformat(),
            "totals": {
                "questions": self.total("questions"),
                "answered": self.total("answered"),
                "answer_rate": self.answer_rate,
                "helpful": self.total("helpful"),
                "not_helpful": self.total("not_helpful"),
                "helpful_ratio": self.helpful_ratio,
                "chatter": self.total("chatter"),
                "refused": self.total("refused"),
                "by_decision": self.by_decision,
            },
            "days": [
                {
                    "date": d.date.isoformat(),
                    "questions": d.questions,
                    **{kind: d.counts.get(kind, 0) for kind in KINDS},
                    "chatter": d.chatter,
                    "answered": d.answered,
                    "refused": d.refused,
                    "helpful": d.helpful,
                    "not_helpful": d.not_helpful,
                }
                for d in self.days
            ],
            "busiest": [e.entry_id for e in self.busiest()],
            "most_voted_down": [e.entry_id for e in self.most_voted_down()],
            "stale_after_days": self.stale_after_days,
            "stale": [e.entry_id for e in self.stale()],
            "unused": [e.entry_id for e in self.unused()],
            "entries": [entry(e) for e in self.entries],
            "unanswered_groups": [
                {
                    "size": g.size,
                    "kind": g.kind,
                    "representative": g.representative,
                    "phrasings": list(g.phrasings),
                    "closest": g.closest,
                }
                for g in self.groups
            ],
            "quality": self.quality,
        }


def period(days: int, now: float) -> tuple[int, int]:
    """The day numbers of the `days` days ending today (UTC), inclusive."""
    last = day_of(now)
    return last - days + 1, last


def build_insights(
    log: DecisionLog,
    kb: KnowledgeBase,
    *,
    first_day: int,
    last_day: int,
    stale_after_days: int,
    groups: Sequence[GroupFigures] = (),
    quality: dict[str, Any] | None = None,
) -> Insights:
    """Read the log for first_day..last_day and join it to the knowledge base (blocking: run it off the loop)."""
    counts: dict[int, Counter[str]] = {day: Counter() for day in range(first_day, last_day + 1)}
    extra: dict[int, Counter[str]] = {day: Counter() for day in counts}
    for row in log.days(first_day, last_day):
        counts[row.day][row.decision] += row.count
        more = extra[row.day]
        posted = row.outcome == "posted"
        more["answered"] += row.count if posted and (row.decision in ("answer", "earlier") or row.picked) else 0
        more["refused"] += row.count if row.outcome == "refused" else 0
        more["helpful"] += row.helpful
        more["not_helpful"] += row.not_helpful
    chatter = log.chatter(first_day, last_day)
    days = tuple(
        DayFigures(date_of(day), dict(counts[day]), chatter.get(day, 0), **extra[day]) for day in sorted(counts)
    )
    today = date_of(last_day)
    used = {row.entry_id: row for row in log.entries(first_day, last_day)}
    last_used = log.last_used()
    entries = []
    for entry_id in sorted(set(kb.entries) | set(used)):
        entry = kb.entries.get(entry_id)
        row = used.get(entry_id)
        used_day = last_used.get(entry_id)
        reviewed = entry.reviewed if entry is not None else None
        entries.append(
            EntryFigures(
                entry_id=entry_id,
                question=entry.question if entry is not None else "(removed from the knowledge base)",
                uses=row.uses if row else 0,
                helpful=row.helpful if row else 0,
                not_helpful=row.not_helpful if row else 0,
                reviewed=reviewed,
                last_used=date_of(used_day) if used_day is not None else None,
                stale=reviewed is not None and (today - reviewed).days > stale_after_days,
                removed=entry is None,
            )
        )
    return Insights(
        date_of(first_day),
        today,
        days,
        tuple(entries),
        tuple(groups),
        stale_after_days=stale_after_days,
        quality=quality,
    )


def groups_from_queue(groups: Sequence[Any], limit: int = 10, phrasings: int = 5) -> tuple[GroupFigures, ...]:
    """The queue's own groups (question_groups.QuestionGroup), biggest first, as figures."""
    return tuple(
        GroupFigures(
            size=g.size,
            kind=g.kind,
            representative=g.representative,
            phrasings=tuple(q.text for q in g.questions[:phrasings]),
            closest=g.closest.entry_id if g.closest else None,
        )
        for g in list(groups)[:limit]
    )
