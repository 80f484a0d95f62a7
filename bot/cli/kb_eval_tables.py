"""The diagnostic tables `kb eval` prints under the figures (computed in core/matching/quality_report.py)."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from bot.core.matching.cross_validation import Labelled
from bot.core.matching.embeddings.chatter_gate import ChatterGate
from bot.core.matching.embeddings.ranker import GATED
from bot.core.matching.matcher import Decision
from bot.core.matching.quality_report import CONFIDENCE_BINS, entry_precision, gate_false_positives, reliability


def print_calibration(items: Sequence[Labelled], decisions: Sequence[Decision]) -> None:
    """The reliability curve per length bucket: mean confidence beside the share really right, per bin."""
    print(
        "calibration (cross-validated; per confidence bin: posts, mean confidence -> share with the best entry right):"
    )
    edges = [f"{lo:.1f}-{min(hi, 1.0):.1f}" for lo, hi in itertools.pairwise(CONFIDENCE_BINS)]
    print(f"  {'':<13} " + " ".join(f"{e:>17}" for e in edges))
    for row in reliability(items, decisions):
        cells = [f"{n:>4}: {p:.2f} -> {r:.2f}" if n else f"{'-':>17}" for n, p, r in row.bins]
        print(f"  {row.label:<13} " + " ".join(f"{c:>17}" for c in cells))


def print_entry_precision(items: Sequence[Labelled], decisions: Sequence[Decision], summary: bool) -> None:
    """Per entry posted as an answer: how often, how often wrongly, and (unless summary) on what."""
    rows = entry_precision(items, decisions)
    print("precision per entry (cross-validated; answers posted, wrong ones, precision):")
    for row in rows:
        print(f"  {row.entry_id:<32} {row.answered:>4} answered, {len(row.wrong):>2} wrong, {row.precision:.1%}")
        if not summary:
            for expected, text in row.wrong:
                print(f"      [{expected}] {text[:100]!r}")


def print_gate_false_positives(
    items: Sequence[Labelled],
    decisions: Sequence[Decision],
    extra: dict[str, list[Labelled]],
    gate: ChatterGate | None,
) -> None:
    """Labelled questions the chatter gate silences: cross-validated gates on the examples, the gate in service
    on the held-out sets. Must be none."""
    print("chatter gate false positives (labelled questions it silences; must be 0):")
    sources = dict.fromkeys(item.source for item in items if item.entry_id is not None)
    for source in sources:
        questions = [(i, d) for i, d in zip(items, decisions, strict=True) if i.source == source and i.entry_id]
        gated = [i for i, d in questions if d.reason == GATED]
        _print_gated(f"{source} (cross-validated)", len(questions), gated)
    for name, labelled in extra.items():
        questions = [i for i in labelled if i.entry_id is not None]
        if questions:
            _print_gated(name, len(questions), gate_false_positives(questions, gate.is_chatter) if gate else [])


def _print_gated(name: str, total: int, gated: Sequence[Labelled]) -> None:
    print(f"  {name}: {len(gated)} of {total}")
    for item in gated:
        print(f"      [{item.entry_id}] {item.text[:100]!r}")
