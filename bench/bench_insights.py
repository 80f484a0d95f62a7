"""The decision log at 1,000,000 decisions: recording cost, and the insights queries stay under a second.

Usage: python bench/bench_insights.py [--decisions 1000000] [--days 365] [--repeats 5]

Builds a log of --decisions decisions spread evenly over --days days (the bundled knowledge base's
entries, a realistic mix: 55% answers, 15% suggestions, a fifth of them picked, 20% silences, votes on
a tenth of the answers, chatter counts per day), through the real write path (`DecisionLog.note`, batched
as the bot batches them). Then, median of --repeats runs each:
  note       what recording costs the event loop per decision (the queue append; the write is the log's thread's)
  write      decisions written per second by the log's thread (one transaction per batch of 1,000, with the
             daily counts kept in the same transaction)
  insights   build_insights for 7, 30, 90 and 365 days (every query /faq insights, the digest and kb report make)
  baseline   the floor from the same file: one full scan of every row (`SELECT COUNT(*), SUM(helpful) ... NOT
             INDEXED`), what any query that touches the whole log pays.
Target: every insights query under 1 s at 1,000,000 decisions.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.core.insights.decision_log import DAY_SECONDS, DecisionLog, Noted, day_of  # noqa: E402
from bot.core.insights.figures import build_insights, period  # noqa: E402
from bot.core.knowledge.loader import load_knowledge  # noqa: E402

KINDS = (("answer", 55), ("suggest", 15), ("silent", 20), ("earlier", 5), ("rate_limited", 3), ("explain", 2))


async def fill(log: DecisionLog, count: int, days: int, entries: list[str], now: float) -> tuple[float, float]:
    """Write count decisions over days, 1,000 an event-loop iteration as a busy bot queues them; return
    (seconds spent in note() and the other calls, seconds until all were written)."""
    rnd = random.Random(7)
    kinds = [k for k, w in KINDS for _ in range(w)]
    start = now - days * DAY_SECONDS
    step = days * DAY_SECONDS / count
    noting = 0.0
    t0 = time.perf_counter()
    for batch in range(0, count, 1000):
        records = []
        for i in range(batch, min(count, batch + 1000)):
            kind = rnd.choice(kinds)
            refused = rnd.random() < 0.005
            outcome = "none" if kind in ("silent", "rate_limited") else ("refused" if refused else "posted")
            entry = None if kind == "silent" else rnd.choice(entries)
            records.append(Noted(start + i * step, 1, "channel", kind, entry, rnd.random(), False, outcome, i + 1))
        t = time.perf_counter()
        for record in records:
            log.note(record)
        for i in range(batch, min(count, batch + 1000), 10):
            log.note_chatter(1)
            if rnd.random() < 0.3:
                log.note_pick(i + 1, rnd.choice(entries))
            if rnd.random() < 0.5:
                log.note_vote(i + 1, rnd.random() < 0.8, changed=False)
        noting += time.perf_counter() - t
        await asyncio.sleep(0)  # the loop's next iteration hands the batch to the log's thread
    await log.submit(lambda: None)
    return noting, time.perf_counter() - t0


def median_time(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--decisions", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    kb = load_knowledge(ROOT / "knowledge")
    now = time.time()
    with tempfile.TemporaryDirectory(prefix="bench-insights-") as tmp:
        path = Path(tmp) / "decisions.sqlite3"
        log = DecisionLog(path, now=lambda: now)
        noting, writing = asyncio.run(fill(log, args.decisions, args.days, sorted(kb.entries), now))
        size_mb = path.stat().st_size / 1e6
        print(f"{args.decisions:,} decisions over {args.days} days, {len(kb.entries)} entries; file {size_mb:.0f} MB")
        print(f"note(): {noting / args.decisions * 1e6:.2f} µs a decision on the caller's side")
        print(f"written: {args.decisions / writing:,.0f} decisions/s (the log's thread, batches of 1,000)")
        conn = sqlite3.connect(path)
        floor = median_time(
            lambda: conn.execute("SELECT COUNT(*), SUM(helpful) FROM decisions NOT INDEXED").fetchone(), args.repeats
        )
        print(f"\n{'query':32} {'median':>9} {'x baseline':>11}")
        print(f"{'baseline: full scan of every row':32} {floor * 1000:8.0f}ms {1.0:10.2f}x")
        for days in (7, 30, 90, 365):
            first, last = period(days, now)
            took = median_time(
                lambda f=first, la=last: build_insights(log, kb, first_day=f, last_day=la, stale_after_days=180),
                args.repeats,
            )
            print(f"{f'build_insights, {days} days':32} {took * 1000:8.0f}ms {took / floor:10.2f}x")
        rows = conn.execute("SELECT COUNT(*) FROM decisions WHERE day >= ?", (day_of(now) - 29,)).fetchone()[0]
        print(f"(30 days hold {rows:,} decisions)")
        conn.close()
        log.close()


if __name__ == "__main__":
    main()
