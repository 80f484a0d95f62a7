"""When a candidate may be accepted without a moderator (config `learning.auto_accept`, off by default).

Two confirmations count:
* the asker's own pick of a suggestion *and* the asker's Helpful vote on the answer it became, for the
  same question (the person who asked says twice that this entry answered it), if the entry is the one
  the ranker itself ranks first for the question: one member alone may confirm what the bot already
  thinks, never steer it to an entry it did not put first (a pick of the second or third suggestion, right
  or wrong, waits for a second member or a moderator);
* two different members saying the question gets this entry (a pick, a Helpful vote, a teach).

What never auto-accepts: a "not this entry" candidate (which entry is right needs a moderator), a
candidate someone voted Not helpful on (members disagree), and more than `per_member` candidates on one
member's word alone: a member who picks the wrong suggestion fifty times and votes for each gets at most
that many through, and those still have to pass the guard before anyone else sees a change.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bot.core.learning.candidates import HELPFUL, PENDING, PICK, TEACH, Candidate

CONFIRMING = frozenset({PICK, HELPFUL, TEACH})


def auto_accept_reason(
    candidate: Candidate,
    others: Sequence[Candidate],
    *,
    accepted_for: Mapping[int, int],
    per_member: int,
    ranked_first: str | None,
) -> str | None:
    """Why candidate may be accepted automatically (the `decided_by` text), or None.

    others: the other candidates about the same question; accepted_for: per member, how many candidates
    that member's own pick and vote have auto-accepted already; ranked_first: the entry the ranker puts
    first for the question now.
    """
    if candidate.status != PENDING or candidate.entry_id is None:
        return None
    if any(o.not_entry == candidate.entry_id for o in others):
        return None  # someone said this entry does not answer it
    confirming = [s for s in candidate.signals if s.signal in CONFIRMING]
    if len({s.who for s in confirming}) >= 2:
        return "auto: two members"
    if candidate.entry_id != ranked_first:
        return None  # one member's word alone never moves the bot to an entry it does not rank first
    for signal in confirming:
        if signal.signal != PICK or not signal.by_asker:
            continue
        voted = any(s.signal == HELPFUL and s.who == signal.who for s in candidate.signals)
        if voted and accepted_for.get(signal.who, 0) < per_member:
            return f"auto: asker {signal.who}"
    return None
