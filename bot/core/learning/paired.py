"""The guard's rule: the same labelled items, decided in the same folds with and without the new examples.

Comparing totals (wrong 4 → 5) cannot tell a one-item wobble of cross-validation from harm: retraining a
head on a few more examples moves a few items near a threshold, both ways. Pairing the two runs item by
item can. Each labelled item's outcome is ranked (a question: answered right > helped by a suggestion >
nothing useful > answered wrong; an off-topic post: silence > a suggestion posted > an answer posted), and
the new examples pass only if

1. **wrong answers**, which weigh most: the items newly answered wrong (the wrong entry, or any answer on
   an off-topic post) minus the items no longer answered wrong, are at most the allowance,
   `max(1, share × labelled items)` (`learning.guard_tolerance`, 0.2%: one item of about 950);
2. **posts on off-topic**: the same net count and allowance for off-topic posts that get anything posted;
3. **everything else**: the items that got worse are not significantly more than those that got better,
   by a one-sided sign test at 5%. Under "no real effect" an item that changed is as likely to have gone
   either way (Binomial(n, ½)); 4 worse and none better (p = 6%) is still noise, 5 to none (p = 3%) is not.

Rules 1 and 2 are absolute, so no number of improvements buys new wrong answers beyond the allowance; rule 3
catches a broad loss of right answers or help that no single item shows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from math import comb

from bot.core.matching.examples import Example
from bot.core.matching.matcher import Decision

SIGNIFICANCE = 0.05
# Outcome ranks, higher is better. An answer on an off-topic post ranks with a wrong answer.
WRONG, NOTHING, HELPED, RIGHT = 0, 1, 2, 3
ANSWERED, POSTED, SILENT = 0, 1, 2


def outcome(example: Example, decision: Decision) -> int:
    """The rank of what a member would see for one labelled item (higher is better)."""
    if example.entry_id is None:
        return {"silent": SILENT, "answer": ANSWERED}.get(decision.action, POSTED)
    if decision.action == "answer":
        return RIGHT if decision.entry_id == example.entry_id else WRONG
    if decision.action == "suggest" and any(c.entry_id == example.entry_id for c in decision.candidates):
        return HELPED
    return NOTHING


def is_wrong(example: Example, rank: int) -> bool:
    """A wrong answer: the wrong entry for a question, or any answer on an off-topic post."""
    return rank == (ANSWERED if example.entry_id is None else WRONG)


def sign_test(worse: int, better: int) -> float:
    """One-sided p-value of at least `worse` of `worse + better` changed items going worse, if each went either way."""
    n = worse + better
    return sum(comb(n, k) for k in range(worse, n + 1)) / 2**n if n else 1.0


@dataclass(frozen=True)
class Paired:
    """How the same labelled items fared with the new examples, item by item."""

    items: int
    worse: int = 0
    better: int = 0
    newly_wrong: int = 0
    no_longer_wrong: int = 0
    newly_posted: int = 0  # off-topic posts that now get something posted (silence before)
    newly_silent: int = 0

    @property
    def net_wrong(self) -> int:
        return self.newly_wrong - self.no_longer_wrong

    @property
    def net_posted(self) -> int:
        return self.newly_posted - self.newly_silent

    @property
    def p_value(self) -> float:
        return sign_test(self.worse, self.better)

    def allowance(self, share: float) -> int:
        """How many items may net newly go wrong (or get an off-topic post): noise of one item, at least."""
        return max(1, int(share * self.items))

    def refusal(self, share: float) -> str | None:
        """Why the new examples do harm (None: they pass), in one line for the moderators."""
        allowed = self.allowance(share)
        if self.net_wrong > allowed:
            return f"{self.net_wrong} more labelled item(s) answered wrong (allowed: {allowed})"
        if self.net_posted > allowed:
            return f"{self.net_posted} more off-topic post(s) answered or offered suggestions (allowed: {allowed})"
        if self.p_value < SIGNIFICANCE:
            return f"{self.worse} labelled item(s) got worse and {self.better} better (sign test p={self.p_value:.3f})"
        return None

    def line(self) -> str:
        return (
            f"{self.worse} item(s) worse, {self.better} better of {self.items}; answered wrong {self.net_wrong:+d}, "
            f"off-topic posts {self.net_posted:+d}"
        )


def compare(labelled: Sequence[Example], before: Sequence[Decision], after: Sequence[Decision]) -> Paired:
    """Pair each labelled item's decision before and after (the same folds) and count the changes."""
    counts = dict.fromkeys(("worse", "better", "newly_wrong", "no_longer_wrong", "newly_posted", "newly_silent"), 0)
    for example, old, new in zip(labelled, before, after, strict=True):
        was, now = outcome(example, old), outcome(example, new)
        if was == now:
            continue
        counts["worse" if now < was else "better"] += 1
        if is_wrong(example, now) != is_wrong(example, was):
            counts["newly_wrong" if is_wrong(example, now) else "no_longer_wrong"] += 1
        if example.entry_id is None and (was == SILENT or now == SILENT):
            counts["newly_silent" if now == SILENT else "newly_posted"] += 1
    return Paired(len(labelled), **counts)


def got_worse(example: Example, old: Decision, now: Decision) -> bool:
    """Whether one labelled item's outcome got worse (the guard blames the new examples closest to these)."""
    return outcome(example, now) < outcome(example, old)
