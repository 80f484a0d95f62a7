"""Whose situation a post describes: an agency's (owner, member, team) or a solo freelancer's.

Several entries come in pairs that differ only in who asks (buying Connects as a freelancer or for an
agency; a freelancer's plan or the agency's). When two such entries rank close, the one that fits the
asker's situation, if the post says it, is shown first. Saying nothing, or both, decides nothing.
"""

from __future__ import annotations

import itertools

from bot.core.matching import text as textmod

_AGENCY = frozenset({"agency", "agencies", "agancy", "agencys", "team", "teammate", "teammates", "company"})
_AGENCY_PAIRS = frozenset({("business", "manager"), ("agency", "owner"), ("my", "members")})
_FREELANCER = frozenset({"solo", "individual", "independent", "independently", "personal", "myself"})
_FREELANCER_PAIRS = frozenset({("a", "freelancer"), ("my", "own"), ("own", "profile"), ("freelancer", "profile")})


def asker_situation(text: str) -> str | None:
    """'agency', 'freelancer', or None when the post does not say (or says both)."""
    words = textmod.words(text)
    pairs = set(itertools.pairwise(words))
    agency = bool(_AGENCY.intersection(words) or _AGENCY_PAIRS & pairs)
    freelancer = bool(_FREELANCER.intersection(words) or _FREELANCER_PAIRS & pairs)
    if agency == freelancer:
        return None
    return "agency" if agency else "freelancer"


def fitting_first(
    entry_ids: list[str], scores: list[float], audience: dict[str, str], situation: str | None, margin: float
) -> list[str]:
    """Entries in ranking order, except that among those within margin of the best, the ones written for
    the asker's situation come first and the ones written for the other situation last."""
    if situation is None or not entry_ids:
        return entry_ids
    close = [i for i, score in enumerate(scores) if scores[0] - score <= margin]

    def fit(entry_id: str) -> int:
        kind = audience.get(entry_id, "all")
        return 0 if kind == situation else 2 if kind != "all" else 1

    head = sorted((entry_ids[i] for i in close), key=fit)  # stable: ranking order within a kind
    return head + [e for i, e in enumerate(entry_ids) if i not in close]
