"""The decision log keeps its rows only for `feedback.retention_days`: the daily purge deletes older ones.

A row holds no member's words, but it is the log's bulk (about 111 bytes a decision, README), and once its
link to the bot's reply is cleared no pick or vote can reach it: nothing reads it any more. The per-day
counts every report reads stay. Each test writes a real SQLite file through DecisionLog and purges it
with an injected clock (the `now` the daily purge is given), so days pass without waiting.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

from bot.core.insights.decision_log import DAY_SECONDS, DecisionLog, Noted, day_of
from bot.core.insights.retention import purge

START = dt.datetime(2026, 1, 1, 12, tzinfo=dt.UTC)  # noon: no decision falls on a day boundary
PER_DAY = 30
RETENTION = 180


def write_days(path: Path, first: int, last: int) -> None:
    """PER_DAY answers a day, days first..last after START, each with its reply id (votes join through it)."""
    log = DecisionLog(path, now=lambda: START.timestamp())
    for day in range(first, last + 1):
        for n in range(PER_DAY):
            at = START.timestamp() + day * DAY_SECONDS + n
            log.note(Noted(at, 100, "channel", "answer", "taxes-vat", 0.9, False, "posted", day * 1000 + n))
    log.close()


def stored(path: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(path) as conn:
        return conn.execute(sql).fetchall()


def test_the_purge_deletes_decision_rows_older_than_the_retention_period_and_keeps_the_counts(tmp_path) -> None:
    path = tmp_path / "decisions.sqlite3"
    write_days(path, 0, 199)
    log = DecisionLog(path)
    counts_before = log.days(0, day_of(START.timestamp()) + 400)
    log.close()
    now = START + dt.timedelta(days=199)

    purged = purge(None, path, retention_days=RETENTION, now=now)

    first_kept = day_of((now - dt.timedelta(days=RETENTION)).timestamp())
    days = stored(path, "SELECT MIN(day), MAX(day), COUNT(*) FROM decisions")
    assert days == [(first_kept, day_of(now.timestamp()), (RETENTION + 1) * PER_DAY)]
    assert purged.decisions == (200 - RETENTION - 1) * PER_DAY
    log = DecisionLog(path)
    assert log.days(0, day_of(START.timestamp()) + 400) == counts_before  # what the reports read stays
    log.close()

    again = purge(None, path, retention_days=RETENTION, now=now)
    assert again.decisions == 0


def test_a_vote_on_a_purged_decision_changes_nothing(tmp_path) -> None:
    path = tmp_path / "decisions.sqlite3"
    write_days(path, 0, 10)
    purge(None, path, retention_days=5, now=START + dt.timedelta(days=10))
    log = DecisionLog(path)
    before = log.days(0, day_of(START.timestamp()) + 20)
    log.note_vote(0, True, changed=False)  # the reply of day 0's first answer, purged
    log.note_vote(10 * 1000, False, changed=False)  # day 10's, kept
    log.flush()
    after = log.days(0, day_of(START.timestamp()) + 20)
    log.close()

    changed = [(a.day, a.helpful, a.not_helpful) for a, b in zip(after, before, strict=True) if a != b]
    assert changed == [(day_of(START.timestamp()) + 10, 0, 1)]


def test_a_daily_purge_keeps_the_file_from_growing_past_the_retention_period(tmp_path) -> None:
    # 400 days of decisions, purged every 10 days as the running bot would (daily): the rows stay those of
    # the last RETENTION days, and the file's pages, freed and reused, stop growing once it holds them.
    path = tmp_path / "decisions.sqlite3"
    pages = {}
    for last in range(9, 400, 10):
        write_days(path, last - 9, last)
        purge(None, path, retention_days=RETENTION, now=START + dt.timedelta(days=last))
        pages[last] = stored(path, "PRAGMA page_count")[0][0]

    (count,) = stored(path, "SELECT COUNT(*) FROM decisions")[0]
    assert count == (RETENTION + 1) * PER_DAY
    assert pages[399] <= pages[209] * 1.05, pages
