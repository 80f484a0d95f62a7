"""What moderators review: per-entry usage and votes with staleness, and a starting id for a new entry."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from bot.core.knowledge.model import MAX_ID_CHARS, KnowledgeBase

# Words that make poor ids ("how-do-i-...") when an entry is started from a member's question.
_ID_STOPWORDS = frozenset(
    "a an and are can do does for from get how i i'm im in is it my of on or the to what when where which "
    "who why will with you your me we our this that there".split()
)
_ID_WORDS = 5


class UsageCounts(Protocol):
    """Per-entry usage as the feedback store reports it."""

    entry_id: str
    posted: int
    helpful: int
    not_helpful: int


@dataclass(frozen=True)
class EntryReview:
    """One entry as a moderator reviews it: how often it was posted, the votes, how fresh it is."""

    entry_id: str
    question: str
    posted: int
    helpful: int
    not_helpful: int
    reviewed: dt.date
    age_days: int
    stale: bool


def review_entries(
    kb: KnowledgeBase, usage: Iterable[UsageCounts], *, today: dt.date, stale_after_days: int
) -> list[EntryReview]:
    """Join usage to every entry in service (unused ones included); most posted first, then by id."""
    counts = {u.entry_id: u for u in usage}
    reviews = []
    for entry in kb.entries.values():
        u = counts.get(entry.id)
        age = (today - entry.reviewed).days
        reviews.append(
            EntryReview(
                entry_id=entry.id,
                question=entry.question,
                posted=u.posted if u else 0,
                helpful=u.helpful if u else 0,
                not_helpful=u.not_helpful if u else 0,
                reviewed=entry.reviewed,
                age_days=age,
                stale=age > stale_after_days,
            )
        )
    return sorted(reviews, key=lambda r: (-r.posted, r.entry_id))


def suggest_entry_id(question: str, taken: Iterable[str] = ()) -> str:
    """Propose an id for an entry started from a member's question (free, well-formed, short)."""
    words = [w for w in re.findall(r"[a-z0-9]+", question.casefold()) if w not in _ID_STOPWORDS]
    base = "-".join(words[:_ID_WORDS])[:MAX_ID_CHARS].strip("-") or "new-entry"
    used = set(taken)
    candidate, n = base, 2
    while candidate in used:
        suffix = f"-{n}"
        candidate = base[: MAX_ID_CHARS - len(suffix)].strip("-") + suffix
        n += 1
    return candidate
