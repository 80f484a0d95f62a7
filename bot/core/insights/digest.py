"""The weekly digest: when it is due (a day and an hour, UTC), and how a week compares with the one before.

The time is read from an injected clock (`WallClock`): the bot's real one sleeps with asyncio, a test's
moves only when the test says so. The last digest posted is remembered in the decision log, so a restart
never posts one twice, and a bot that was down at the hour posts it when it comes back the same day.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from typing import Protocol

from bot.core.insights.figures import Insights

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
LATE_LIMIT = dt.timedelta(days=1)  # a digest more than a day late is skipped, not posted days after
LAST_DIGEST_KEY = "last_digest"
MAX_NAP = 3600.0  # the real clock re-reads the time at least hourly (a suspended machine, a changed clock)


class WallClock(Protocol):
    def now(self) -> float:
        """Unix time in seconds."""
        ...

    async def sleep_until(self, when: float) -> None:
        """Return once now() >= when."""
        ...


class SystemClock:
    """The real clock."""

    def now(self) -> float:
        return time.time()

    async def sleep_until(self, when: float) -> None:
        while (left := when - time.time()) > 0:
            await asyncio.sleep(min(left, MAX_NAP))


def latest_slot(now: float, weekday: str, hour: int) -> float:
    """The most recent scheduled time at or before now."""
    moment = dt.datetime.fromtimestamp(now, dt.UTC)
    slot = moment.replace(hour=hour, minute=0, second=0, microsecond=0)
    slot -= dt.timedelta(days=(slot.weekday() - WEEKDAYS.index(weekday)) % 7)
    if slot > moment:
        slot -= dt.timedelta(days=7)
    return slot.timestamp()


def next_slot(now: float, weekday: str, hour: int) -> float:
    return latest_slot(now, weekday, hour) + 7 * 86400


def digest_due(now: float, last_posted: float | None, weekday: str, hour: int) -> float | None:
    """The slot to post a digest for now, or None (already posted, or more than a day late)."""
    slot = latest_slot(now, weekday, hour)
    if last_posted is not None and last_posted >= slot:
        return None
    if now - slot > LATE_LIMIT.total_seconds():
        return None
    return slot


def _points(now: float | None, before: float | None) -> str:
    if now is None:
        return "–"
    text = f"{now:.0%}"
    if before is not None:
        text += f" ({round(100 * now) - round(100 * before):+d})"
    return text


def _count(now: int, before: int) -> str:
    return f"{now} ({now - before:+d})"


def comparison(this: Insights, before: Insights) -> str:
    """One line comparing two weeks: "answered 61% (+4) · helpful 80% (-3) · questions 120 (+15) ..."."""
    parts = [
        f"answered {_points(this.answer_rate, before.answer_rate)}",
        f"helpful {_points(this.helpful_ratio, before.helpful_ratio)}",
        f"questions {_count(this.total('questions'), before.total('questions'))}",
        f"👍 {_count(this.total('helpful'), before.total('helpful'))}",
        f"👎 {_count(this.total('not_helpful'), before.total('not_helpful'))}",
    ]
    return " · ".join(parts)
