"""Balances over time for the history chart: checked against running sums computed here from the demo CSV."""

from __future__ import annotations

import csv
import datetime as dt
from importlib import resources

from bot.core.ledger.access import Viewer
from bot.core.ledger.series import balance_chart
from bot.core.ledger.service import LedgerService

TODAY = dt.date(2026, 11, 28)
OPERATOR = Viewer.operator("test")


def rows() -> list[dict[str, str]]:
    text = (resources.files("bot.core.ledger.demo") / "entries.csv").read_text(encoding="utf-8")
    return list(csv.DictReader(line for line in text.splitlines() if not line.startswith("#")))


def balance_at_end_of(profile: str, day: dt.date) -> int:
    """The running sum of a profile's entries up to the end of a UTC day."""
    total = 0
    for r in rows():
        moment = dt.datetime.fromisoformat(r["occurred_at"]).astimezone(dt.UTC)
        if r["profile"] == profile and moment.date() <= day:
            total += int(r["connects"])
    return total


def test_own_balance_is_exact_for_every_day_of_the_window(service: LedgerService) -> None:
    chart = balance_chart(service.history(OPERATOR, "fl-ben"), today=TODAY)
    assert (chart.start, chart.end) == (TODAY - dt.timedelta(days=89), TODAY)
    own, _ = chart.series
    assert (own.profile, own.kind, own.daily) == ("fl-ben", "freelancer", True)
    assert [d for d, _ in own.points] == [chart.start + dt.timedelta(days=i) for i in range(90)]
    assert own.points == tuple((d, balance_at_end_of("fl-ben", d)) for d, _ in own.points)
    assert len({b for _, b in own.points}) > 1  # the window holds changes, so a flat line would be wrong


def test_an_agency_section_is_known_only_after_the_members_own_entries_and_today(service: LedgerService) -> None:
    history = service.history(OPERATOR, "fl-ben")
    agency = balance_chart(history, today=TODAY).series[1]
    assert (agency.profile, agency.daily) == ("ag-brightpath", False)
    start = TODAY - dt.timedelta(days=89)
    bens = sorted(
        (r for r in rows() if r["profile"] == "ag-brightpath" and r["actor"] == "fl-ben"),
        key=lambda r: r["occurred_at"],
    )
    expected = {}
    for r in bens:
        day = dt.datetime.fromisoformat(r["occurred_at"]).astimezone(dt.UTC).date()
        if day >= start:
            running = sum(
                int(o["connects"])
                for o in rows()
                if o["profile"] == "ag-brightpath" and o["occurred_at"] <= r["occurred_at"]
            )
            expected[day] = running
    expected[TODAY] = balance_at_end_of("ag-brightpath", TODAY)
    assert agency.points == tuple(sorted(expected.items()))


def test_a_cut_fetch_never_invents_the_days_before_its_oldest_entry(service: LedgerService) -> None:
    history = service.history(OPERATOR, "fl-yuki", limit=3)
    (own,) = balance_chart(history, today=TODAY, fetch_limit=3).series
    oldest_day = dt.datetime.fromisoformat(history.sections[0].entries[-1].occurred_at).astimezone(dt.UTC).date()
    assert own.points[0][0] == oldest_day
    assert all(b == balance_at_end_of("fl-yuki", d) for d, b in own.points)


def test_a_window_after_the_last_entry_is_flat_at_the_balance(service: LedgerService) -> None:
    later = dt.date(2027, 6, 1)
    (own,) = balance_chart(service.history(OPERATOR, "fl-sam"), today=later, days=30).series
    balance = balance_at_end_of("fl-sam", later)
    assert own.points == tuple((later - dt.timedelta(days=29 - i), balance) for i in range(30))
