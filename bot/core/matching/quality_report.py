"""The tables behind the quality figures: calibration by post length, precision per entry, gate mistakes.

Each reads labelled items beside the decisions made on them (cross-validated ones, in `kb eval`):
* reliability: for the posts that reached the confidence model, grouped by length, the mean confidence
  beside how often the best entry was really right (a calibrated model has the two equal in every row;
  long posts used to come out under-confident);
* per-entry precision: for each entry, how often it was posted as the answer and how often wrongly, on
  what (the near misses an entry attracts);
* the chatter gate's false positives: labelled questions it would silence (must be none).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from bot.core.matching import text as textmod
from bot.core.matching.cross_validation import Labelled
from bot.core.matching.matcher import Decision

# Words per post: a short question, a paragraph, a long post with its back-story.
LENGTH_BUCKETS = ((0, 12, "<= 12 words"), (13, 35, "13-35 words"), (36, 10**9, "> 35 words"))
CONFIDENCE_BINS = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0000001)


@dataclass
class ReliabilityRow:
    """One length bucket: per confidence bin, (posts, mean confidence, share whose best entry was right)."""

    label: str
    bins: list[tuple[int, float, float]]

    @property
    def posts(self) -> int:
        return sum(n for n, _, _ in self.bins)


def reliability(items: Sequence[Labelled], decisions: Sequence[Decision]) -> list[ReliabilityRow]:
    """Calibration by post length, over the answerable items the confidence model scored."""
    rows = []
    for low, high, label in LENGTH_BUCKETS:
        scored = [
            (d.score, d.candidates[0].entry_id == item.entry_id)
            for item, d in zip(items, decisions, strict=True)
            if item.entry_id is not None
            and not item.lenient
            and _reached_model(d)
            and low <= len(textmod.words(item.text)) <= high
        ]
        bins = []
        for lo, hi in itertools.pairwise(CONFIDENCE_BINS):
            inside = [(p, right) for p, right in scored if lo <= p < hi]
            n = len(inside)
            bins.append((n, sum(p for p, _ in inside) / n if n else 0.0, sum(r for _, r in inside) / n if n else 0.0))
        rows.append(ReliabilityRow(label, bins))
    return rows


def _reached_model(decision: Decision) -> bool:
    return bool(decision.candidates) and "exact known phrasing" not in decision.reason


@dataclass
class EntryPrecision:
    """How one entry was posted as the answer: how often, and the wrong ones (expected entry, text)."""

    entry_id: str
    answered: int = 0
    wrong: list[tuple[str, str]] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return 1.0 - len(self.wrong) / self.answered if self.answered else 1.0


def entry_precision(items: Sequence[Labelled], decisions: Sequence[Decision]) -> list[EntryPrecision]:
    """Per answered entry, worst precision first (lenient items are neither right nor wrong)."""
    table: dict[str, EntryPrecision] = {}
    for item, decision in zip(items, decisions, strict=True):
        if decision.action != "answer" or decision.entry_id is None or item.lenient:
            continue
        row = table.setdefault(decision.entry_id, EntryPrecision(decision.entry_id))
        row.answered += 1
        if decision.entry_id != item.entry_id:
            row.wrong.append((item.entry_id or "silence", item.text))
    return sorted(table.values(), key=lambda r: (r.precision, -r.answered, r.entry_id))


def gate_false_positives(items: Sequence[Labelled], is_chatter: Callable[[str], bool]) -> list[Labelled]:
    """The labelled questions a chatter gate would silence."""
    return [item for item in items if item.entry_id is not None and is_chatter(item.text)]
