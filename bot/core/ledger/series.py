"""Balances over time for a chart: per history section, the balance on each day of a recent window.

Pure functions over a `History` the service already returned (no extra read, so no extra lookup in the
access log). Each entry carries `balance_after`, so a balance at any moment is the `balance_after` of
the latest entry up to then; nothing is summed here and nothing can disagree with the ledger.

Two kinds of series, because the sections differ in what the viewer may see:
- a section with every entry of its profile (`own`, `all`): the exact end-of-day balance for every day
  from the first day the fetched entries cover to today;
- an `acted` section (an agency's entries this member acted on): the agency balance is only known right
  after those entries, and today; the series holds just those points, never a guessed value between them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from bot.core.ledger.access import ACTED
from bot.core.ledger.models import History, HistorySection

DEFAULT_DAYS = 90


@dataclass(frozen=True)
class BalanceSeries:
    """One profile's balance over the window: (day, balance) points, oldest first."""

    profile: str
    name: str
    kind: str  # "freelancer" or "agency"
    points: tuple[tuple[dt.date, int], ...]
    # True: one point per day (a step line); False: only the moments the balance is known.
    daily: bool


@dataclass(frozen=True)
class BalanceChart:
    """Every balance of a history over the same window, one series per section, never summed."""

    start: dt.date
    end: dt.date
    series: tuple[BalanceSeries, ...]


def entry_day(occurred_at: str) -> dt.date:
    """Return the UTC calendar day of an ISO 8601 time with offset."""
    moment = dt.datetime.fromisoformat(occurred_at)
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC)
    return moment.date()


def section_series(
    section: HistorySection, *, today: dt.date, days: int = DEFAULT_DAYS, complete: bool | None = None
) -> BalanceSeries:
    """Return the balance series of one section over the `days` days ending today.

    `complete` says whether the section's entries reach back to the profile's first entry (the fetch
    was not cut by its limit); by default it is inferred as "fewer than 50 entries were fetched".
    """
    start = today - dt.timedelta(days=days - 1)
    profile = section.profile
    newest_first = section.entries
    if section.scope == ACTED:
        points = [(entry_day(e.occurred_at), e.balance_after) for e in reversed(newest_first)]
        points = [(d, b) for d, b in points if start <= d <= today]
        # Several entries on one day: keep the last balance of that day.
        by_day = dict(points)
        by_day[today] = section.balance
        return BalanceSeries(profile.id, profile.name, profile.kind, tuple(sorted(by_day.items())), daily=False)
    if complete is None:
        complete = len(newest_first) < 50
    return BalanceSeries(
        profile.id,
        profile.name,
        profile.kind,
        tuple(_daily(newest_first, section.balance, start, today, complete)),
        daily=True,
    )


def _daily(
    newest_first: Sequence, balance_now: int, start: dt.date, today: dt.date, complete: bool
) -> list[tuple[dt.date, int]]:
    # Walk the days newest first, stepping back through the entries: the balance at the end of a day is
    # the balance after the latest entry on or before it.
    points: list[tuple[dt.date, int]] = []
    entries = [(entry_day(e.occurred_at), e) for e in newest_first]
    i = 0
    value = entries[0][1].balance_after if entries else balance_now
    day = today
    while day >= start:
        while i < len(entries) and entries[i][0] > day:
            i += 1
        if i < len(entries):
            value = entries[i][1].balance_after
        elif entries:
            oldest = entries[-1][1]
            if not complete:
                break  # older entries were not fetched: the balance before the oldest day is unknown
            value = oldest.balance_after - oldest.connects
        points.append((day, value))
        day -= dt.timedelta(days=1)
    points.reverse()
    return points


def balance_chart(history: History, *, today: dt.date, days: int = DEFAULT_DAYS, fetch_limit: int = 50) -> BalanceChart:
    """Return one series per section of the history over the `days` days ending today."""
    series = tuple(
        section_series(s, today=today, days=days, complete=len(s.entries) < fetch_limit) for s in history.sections
    )
    return BalanceChart(today - dt.timedelta(days=days - 1), today, series)
