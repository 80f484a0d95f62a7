"""The /faq learned page: a member's question and a held clash are shown inert (no pings, no markdown)."""

from __future__ import annotations

from pathlib import Path

from bot.core.knowledge.loader import load_knowledge
from bot.core.learning.candidates import PENDING, Candidate, Signal
from bot.ui.learned_views import learned_embed

ROOT = Path(__file__).resolve().parents[2]
HOSTILE = "@everyone **free connects** [click](http://evil.example)\n# heading `code`"


def test_a_held_clash_is_shown_beside_the_escaped_question() -> None:
    note = "not accepted as proposal-cost: the same question is already labelled [x](http://e.x) in examples/a_b.yaml"
    known = {"kind": "clash", "label": "buying-connects"}
    c = Candidate(4, HOSTILE, "k", "proposal-cost", None, "2026-12-01", PENDING, (Signal("pick", 1, True, "t"),))
    held = Candidate(**{**c.__dict__, "note": note, "known": known})
    kb = load_knowledge(ROOT / "knowledge")

    plain = learned_embed([c], 0, kb, "proposal-cost")
    assert [f.name for f in plain.fields] == ["Signals"]
    assert "@everyone" not in plain.description and "\\*\\*free connects\\*\\*" in plain.description
    assert "\\[click\\]\\(http" in plain.description and "\\n# heading \\`code\\`" in plain.description

    embed = learned_embed([held], 0, kb, "proposal-cost")
    (clash,) = [f for f in embed.fields if f.name == "Not accepted: it clashes"]
    assert (
        clash.value.startswith("not accepted as proposal-cost")
        and "\\[x\\]\\(http://e.x\\) in examples/a\\_b" in clash.value
    )
