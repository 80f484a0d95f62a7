"""Recognise a member's question about one specific charge and pull out its reference.

"why did I lose 6 connects on job ~01ab...?" -> job ~01ab..., amount 6; "what is entry e-1042?" -> entry
e-1042. A message with no entry id or job reference, or with no sign of asking about Connects or a
charge, is not a charge question (the FAQ matcher handles it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_ENTRY_WORD = re.compile(r"\b(?:entry|transaction|charge|line)\s+(?:id\s+)?#?\s*([A-Za-z0-9][\w.:-]*[A-Za-z0-9])", re.I)
_ENTRY_BARE = re.compile(r"(?<![\w-])(e-\d+)(?![\w-])", re.I)
_JOB_TILDE = re.compile(r"(~[0-9A-Za-z]{4,})")
_JOB_WORD = re.compile(r"\bjob\s+(?:id\s+|ref(?:erence)?\s+)?#?\s*([0-9a-f]{8,})\b", re.I)
_AMOUNT = re.compile(r"\b(\d{1,5})\s*(?:connects?|cx)\b", re.I)
_CUES = re.compile(
    r"\?|\b(?:why|what|how|explain|which|where|charged?|charging|lost|lose|losing|took|taken|take|spent|"
    r"deduct\w*|debit\w*|minus|missing|refund\w*|returned|connects?)\b",
    re.I,
)
# A reference a front end can carry in a button (Discord's custom_id holds at most 100 characters).
MAX_OFFER_REF_CHARS = 60
# Words after "entry" that are not ids ("entry in my history").
_NOT_IDS = frozenset({"in", "on", "of", "for", "from", "the", "a", "an", "my", "this", "that", "is", "was"})


@dataclass(frozen=True)
class ChargeQuestion:
    """A question about one entry or one job, with the amount the member mentioned (if any)."""

    kind: str  # "entry" or "job"
    ref: str
    amount: int | None = None

    @property
    def offerable(self) -> bool:
        """Whether the reference can be offered for a private explanation (short, no spaces or colons)."""
        return len(self.ref) <= MAX_OFFER_REF_CHARS and ":" not in self.ref and not any(c.isspace() for c in self.ref)


def recognise_charge_question(text: str) -> ChargeQuestion | None:
    """Return the charge the message asks about, or None when it is not a charge question."""
    if not text or not _CUES.search(text):
        return None
    amount_match = _AMOUNT.search(text)
    amount = int(amount_match.group(1)) if amount_match else None
    job = _JOB_TILDE.search(text)
    if job:
        return ChargeQuestion("job", job.group(1), amount)
    for match in _ENTRY_WORD.finditer(text):
        candidate = match.group(1)
        if candidate.casefold() not in _NOT_IDS and any(ch.isdigit() for ch in candidate):
            return ChargeQuestion("entry", candidate, amount)
    bare = _ENTRY_BARE.search(text)
    if bare:
        return ChargeQuestion("entry", bare.group(1), amount)
    job_word = _JOB_WORD.search(text)
    if job_word:
        return ChargeQuestion("job", "~" + job_word.group(1), amount)
    return None
