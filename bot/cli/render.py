"""Console rendering of decisions: what the bot would post, as plain text."""

from __future__ import annotations

import textwrap

from bot.core.knowledge.model import KnowledgeBase
from bot.core.matching.matcher import Decision

RULE = "─" * 60


def render_answer(kb: KnowledgeBase, entry_id: str, score: float | None = None) -> str:
    """Render an entry the way the bot posts it: title, answer, footer."""
    entry = kb.entry(entry_id)
    footer = f"{entry.id} · reviewed {entry.reviewed.isoformat()}"
    if score is not None:
        footer += f" · match {score:.2f}"
    return f"{RULE}\n{entry.question}\n\n{entry.answer.strip()}\n\n— {footer}\n{RULE}"


def render_suggestions(kb: KnowledgeBase, decision: Decision) -> str:
    """Render a "Did you mean…" list, numbered for the console."""
    lines = ["Did you mean…"]
    for number, candidate in enumerate(decision.candidates, start=1):
        question = kb.entry(candidate.entry_id).question
        lines.append(f"  {number}. {question}  ({candidate.entry_id}, {candidate.score:.2f})")
    return "\n".join(lines)


def render_decision(kb: KnowledgeBase, decision: Decision, *, explain: bool = False) -> str:
    """Render any decision for a person reading a terminal."""
    if decision.action == "answer" and decision.entry_id:
        out = render_answer(kb, decision.entry_id, decision.score)
    elif decision.action == "suggest":
        out = render_suggestions(kb, decision)
    else:
        out = "(the bot stays silent)"
    if explain or decision.action == "silent":
        out += "\n" + textwrap.fill(f"why: {decision.reason}", width=100, subsequent_indent="     ")
    return out
