"""Auto-accept: the asker's pick and Helpful vote, or two members; never one member's word beyond the cap."""

from __future__ import annotations

from bot.core.learning import candidates as cs
from bot.core.learning.candidates import Candidate, Signal
from bot.core.learning.rules import auto_accept_reason

ALICE, BOB = 101, 202


def candidate(*signals: tuple[str, int, bool], entry: str | None = "taxes-vat", status: str = "pending") -> Candidate:
    return Candidate(
        1, "why vat", "why vat", entry, None if entry else "taxes-vat", "t", status,
        tuple(Signal(kind, who, asker, "t") for kind, who, asker in signals),
    )  # fmt: skip


def reason(
    c: Candidate, others: tuple[Candidate, ...] = (), accepted: int = 0, per_member: int = 1, first: str = "taxes-vat"
) -> str | None:
    return auto_accept_reason(c, others, accepted_for={ALICE: accepted}, per_member=per_member, ranked_first=first)


def test_the_askers_pick_and_helpful_vote_accept() -> None:
    assert reason(candidate((cs.PICK, ALICE, True), (cs.HELPFUL, ALICE, True))) == f"auto: asker {ALICE}"


def test_a_pick_alone_or_a_vote_alone_waits_for_a_moderator() -> None:
    assert reason(candidate((cs.PICK, ALICE, True))) is None
    assert reason(candidate((cs.HELPFUL, ALICE, True))) is None


def test_two_different_members_accept() -> None:
    assert reason(candidate((cs.PICK, ALICE, True), (cs.HELPFUL, BOB, False))) == "auto: two members"


def test_one_member_is_capped_however_often_they_confirm() -> None:
    both = candidate((cs.PICK, ALICE, True), (cs.HELPFUL, ALICE, True))
    assert reason(both, accepted=1, per_member=1) is None
    assert reason(both, accepted=0, per_member=0) is None


def test_never_a_not_this_entry_a_disputed_or_an_already_decided_candidate() -> None:
    both = ((cs.PICK, ALICE, True), (cs.HELPFUL, BOB, False))
    assert reason(candidate(*both, entry=None)) is None
    disputed = candidate((cs.NOT_HELPFUL, BOB, False), entry=None)
    assert reason(candidate(*both), others=(disputed,)) is None
    assert reason(candidate(*both, status="rejected")) is None
    assert reason(candidate(*both, status="held")) is None


def test_the_askers_word_alone_never_moves_the_bot_off_the_entry_it_ranks_first() -> None:
    both = candidate((cs.PICK, ALICE, True), (cs.HELPFUL, ALICE, True))
    assert reason(both, first="proposal-cost") is None  # picked the second suggestion: a moderator decides
    assert reason(both, first="taxes-vat") == f"auto: asker {ALICE}"
    two = candidate((cs.PICK, ALICE, True), (cs.HELPFUL, BOB, False))
    assert reason(two, first="proposal-cost") == "auto: two members"  # a second member is the check
