"""Keep the bot from flooding a channel: an entry cooldown per channel and a rate limit per member.

A reply is reserved before it is sent (so a question arriving meanwhile sees it) and released when
Discord refuses it, so a reply that never appeared spends neither the entry cooldown nor the member's
slot. Time comes from an injected clock (seconds, monotonic), so tests move time instead of sleeping.
Old records are pruned as new ones arrive, so memory stays bounded by what happened within a window.
"""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass

Clock = Callable[[], float]


@dataclass(frozen=True)
class EarlierAnswer:
    """An answer the bot already posted in this channel within the cooldown window."""

    entry_id: str
    jump_url: str
    posted_at: float


class Cooldowns:
    """Remember recent answers per (channel, entry) and recent replies per member."""

    def __init__(
        self,
        *,
        entry_cooldown_seconds: float,
        member_rate_limit_count: int,
        member_rate_limit_seconds: float,
        clock: Clock = time.monotonic,
    ) -> None:
        self.entry_cooldown_seconds = entry_cooldown_seconds
        self.member_rate_limit_count = member_rate_limit_count
        self.member_rate_limit_seconds = member_rate_limit_seconds
        self._clock = clock
        # Insertion-ordered, so the oldest records are at the front and pruning stops early.
        self._answers: OrderedDict[tuple[int, str], EarlierAnswer] = OrderedDict()
        self._members: OrderedDict[int, deque[float]] = OrderedDict()

    def earlier_answer(self, channel_id: int, entry_id: str) -> EarlierAnswer | None:
        """Return the answer to this entry posted in this channel within the window, if any."""
        self._prune_answers()
        return self._answers.get((channel_id, entry_id))

    def record_answer(self, channel_id: int, entry_id: str, jump_url: str) -> None:
        """Remember that this entry was just posted in this channel."""
        if self.entry_cooldown_seconds <= 0:
            return
        self._prune_answers()
        key = (channel_id, entry_id)
        self._answers.pop(key, None)
        self._answers[key] = EarlierAnswer(entry_id, jump_url, self._clock())

    def release_answer(self, channel_id: int, entry_id: str, jump_url: str) -> None:
        """Forget a reservation whose reply was never posted, unless a newer one has replaced it."""
        key = (channel_id, entry_id)
        current = self._answers.get(key)
        if current is not None and current.jump_url == jump_url:
            del self._answers[key]

    def take_member_slot(self, member_id: int) -> bool:
        """Use one of the member's bot replies; return False when they have used them all."""
        now = self._clock()
        self._prune_members(now)
        stamps = self._members.get(member_id)
        if stamps is None:
            stamps = self._members[member_id] = deque()
        while stamps and now - stamps[0] >= self.member_rate_limit_seconds:
            stamps.popleft()
        if len(stamps) >= self.member_rate_limit_count:
            return False
        stamps.append(now)
        self._members.move_to_end(member_id)
        return True

    def release_member_slot(self, member_id: int) -> None:
        """Give back a slot whose reply was never posted (the latest one: the count is what limits)."""
        stamps = self._members.get(member_id)
        if stamps:
            stamps.pop()

    def __len__(self) -> int:
        return len(self._answers) + len(self._members)

    def _prune_answers(self) -> None:
        now = self._clock()
        while self._answers:
            key, first = next(iter(self._answers.items()))
            if now - first.posted_at < self.entry_cooldown_seconds:
                break
            del self._answers[key]

    def _prune_members(self, now: float) -> None:
        # Members are ordered by their latest reply: once the front one is inside the window, stop.
        while self._members:
            member_id, stamps = next(iter(self._members.items()))
            if stamps and now - stamps[-1] < self.member_rate_limit_seconds:
                break
            del self._members[member_id]
