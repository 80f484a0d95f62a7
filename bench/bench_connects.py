"""Benchmark /connects history and /connects explain through the fake Discord on a 1,000,000-entry ledger.

    .venv/bin/python bench/bench_connects.py [--profiles 10000] [--entries 1000000] [--samples 500]
                                             [--members 300] [--db PATH] [--keep]

The ledger comes from bench/bench_ledger.py's generator and importer (imported, not copied): 10,000
profiles and 1,000,000 entries in the import format, imported by the real CLI in a child process.
`--db` reuses a ledger built by an earlier run (`--keep` prints where it is).

Then the real SupportBot starts in this process against the fake Discord (tests/e2e), with a
community-manager role and `--members` Discord members linked to random freelancer profiles (about
half of them belong to an agency, so their history has two sections), and a log channel, as in
production. A manager runs, one at a time:
  - `/connects history member:@someone` (two ledger calls, the 90-day chart PNG, embeds, the pager,
    a multipart upload), and
  - `/connects explain reference:` with a random entry id or job reference;
the latency of each is from the INTERACTION_CREATE event leaving the fake to the bot's interaction
callback arriving at the fake. Both run in one process and one event loop, so the figures include the
fake's own work (a pessimistic measure of the bot's share).

Baselines in the same run, on the same ledger file and the same targets:
  - the bare ledger service without Discord (viewer_for_discord + history, and explain), in this thread;
  - the same plus the chart PNG (what history adds before Discord);
  - `/faq show` through the same fake and bot: the floor set by discord.py, the fake and loopback.
Target (2 cores): p95 <= 50 ms for history and explain through Discord.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import logging
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import discord
import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.bench_ledger import generate, import_in_child  # noqa: E402
from bot.config import load_settings  # noqa: E402
from bot.core.knowledge.loader import load_knowledge  # noqa: E402
from bot.core.ledger.series import balance_chart  # noqa: E402
from bot.core.ledger.service import LedgerService  # noqa: E402
from bot.core.ledger.store import LedgerStore  # noqa: E402
from bot.discord_bot import SupportBot  # noqa: E402
from bot.services import build_services  # noqa: E402
from bot.ui.balance_chart import render_png  # noqa: E402
from tests.e2e.fake_discord import FakeDiscord, FakeInteraction  # noqa: E402

TARGET_P95_MS = 50.0
WARMUP = 30


class ErrorCount(logging.Handler):
    """Count ERROR records: a bot that fails inside a command must not look fast."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1


def summary(samples_ms: list[float]) -> str:
    ordered = sorted(samples_ms)
    return f"p50 {statistics.median(ordered):7.2f} ms   p95 {p95(ordered):7.2f} ms   (n={len(ordered)})"


def p95(samples_ms: list[float]) -> float:
    ordered = sorted(samples_ms)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]


def build_ledger(args: argparse.Namespace, folder: Path) -> Path:
    """Generate and import the big ledger (or reuse --db); return the database path."""
    if args.db:
        print(f"reusing ledger {args.db}")
        return Path(args.db)
    t0 = time.perf_counter()
    profiles, entries, _ = generate(folder, args.profiles, args.entries)
    print(f"generated {args.profiles:,} profiles and {args.entries:,} entries in {time.perf_counter() - t0:.1f}s")
    db = folder / "ledger.sqlite3"
    config = folder / "import-config.yaml"
    config.write_text(f"ledger:\n  path: {db}\nknowledge:\n  path: {REPO / 'knowledge'}\n", encoding="utf-8")
    seconds, peak_mb, _ = import_in_child(config, profiles, entries)
    print(f"imported in {seconds:.1f}s (peak RSS {peak_mb:.0f} MB)")
    return db


def pick_targets(db: Path, n_members: int, n_samples: int, rng: random.Random) -> tuple[list[str], list[str]]:
    """Choose freelancer profiles to link, and entry ids / job references to explain."""
    with LedgerStore(db) as store:
        conn = store.connection
        freelancers = [r[0] for r in conn.execute("SELECT id FROM profiles WHERE kind = 'freelancer'")]
        max_seq = conn.execute("SELECT MAX(seq) FROM entries").fetchone()[0]
        refs = []
        while len(refs) < n_samples:
            row = conn.execute("SELECT id, job FROM entries WHERE seq = ?", (rng.randint(1, max_seq),)).fetchone()
            if row is not None:
                refs.append(row[1] if row[1] and rng.random() < 0.5 else row[0])
    return rng.sample(freelancers, n_members), refs


def write_config(folder: Path, db: Path, fake: FakeDiscord, guild: int, role: int, log_channel: int) -> Path:
    knowledge = folder / "knowledge"
    if not knowledge.exists():
        shutil.copytree(REPO / "knowledge", knowledge)
    config = {
        "log_level": "WARNING",
        "knowledge": {"path": str(knowledge), "watch_interval_seconds": 0},
        "ledger": {"path": str(db)},
        "feedback": {"path": str(folder / "feedback.sqlite3")},
        "discord": {
            "guild_ids": [guild],
            "support_channel_ids": [],
            "manager_role_ids": [role],
            "log_channel_id": log_channel,
            "api_base": fake.api_base,
            "gateway_url": fake.gateway_url,
            "guild_ready_timeout": 0.1,
        },
    }
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


async def through_discord(
    fake: FakeDiscord,
    sent_at: dict[str, float],
    send: Callable[[int], Awaitable[FakeInteraction]],
    count: int,
    check: Callable[[FakeInteraction], None],
) -> list[float]:
    """Run `send(i)` for each sample, one at a time; return latencies in ms (event out -> callback in)."""
    latencies = []
    for i in range(count):
        ix = await send(i)
        await fake.wait_for_callback(ix, timeout=10)
        assert ix.callback is not None
        check(ix)
        latencies.append((ix.callback.at - sent_at[str(ix.id)]) * 1000)
    return latencies


def bare_baselines(db: Path, users: list[int], refs: list[str], manager: int) -> dict[str, list[float]]:
    """The ledger service without Discord, and with the chart, on the same targets."""
    kb = load_knowledge(REPO / "knowledge")
    store = LedgerStore(db)
    service = LedgerService(store, kb)
    today = dt.datetime.now(dt.UTC).date()
    out: dict[str, list[float]] = {"history": [], "history+chart": [], "explain": []}
    for user in users:
        t0 = time.perf_counter()
        viewer = service.viewer_for_discord(manager, manager=True)
        history = service.history(viewer, user, limit=50)
        t1 = time.perf_counter()
        render_png(balance_chart(history, today=today))
        t2 = time.perf_counter()
        out["history"].append((t1 - t0) * 1000)
        out["history+chart"].append((t2 - t0) * 1000)
    for ref in refs:
        t0 = time.perf_counter()
        viewer = service.viewer_for_discord(manager, manager=True)
        service.explain(viewer, ref)
        out["explain"].append((time.perf_counter() - t0) * 1000)
    store.close()
    return out


async def run(args: argparse.Namespace) -> int:
    folder = Path(tempfile.mkdtemp(prefix="bench-connects-"))
    print(f"machine: {os.cpu_count()} cpu(s), python {sys.version.split()[0]}, discord.py {discord.__version__}")
    db = build_ledger(args, folder)
    rng = random.Random(13)
    profiles, refs = pick_targets(db, args.members, args.samples + WARMUP, rng)

    fake = FakeDiscord()
    guild = fake.add_guild("Freelancers")
    channel = fake.add_channel(guild, "connects-help")
    log_channel = fake.add_channel(guild, "ledger-log")
    role = fake.add_role(guild, "Community managers")
    manager = fake.add_member(guild, "manager", roles=(role,))
    users = [fake.add_member(guild, f"member{i}") for i in range(args.members)]
    with LedgerStore(db) as store:
        for user, profile in zip(users, profiles, strict=True):
            store.link_discord(profile, user)
    sent_at: dict[str, float] = {}
    dispatch = fake.dispatch

    async def timed_dispatch(event: str, data: dict[str, Any]) -> float:
        at = await dispatch(event, data)
        if event == "INTERACTION_CREATE":
            sent_at[data["id"]] = at
        return at

    fake.dispatch = timed_dispatch  # type: ignore[method-assign]
    await fake.start()
    errors = ErrorCount()
    logging.getLogger().addHandler(errors)
    services = build_services(load_settings(write_config(folder, db, fake, guild, role, log_channel)))
    bot = SupportBot(services)
    task = asyncio.create_task(bot.start("fake-token-for-bench"))
    await asyncio.wait_for(bot.wait_until_ready(), 30)

    def targets(i: int) -> int:
        return users[i % len(users)]

    def history_ok(ix: FakeInteraction) -> None:
        embeds = ix.callback_data.get("embeds") or []
        assert embeds and ix.callback.files, f"no history in the reply: {ix.callback_data.get('content')}"

    def explain_ok(ix: FakeInteraction) -> None:
        assert ix.callback_data.get("embeds"), f"no explanation in the reply: {ix.callback_data.get('content')}"

    async def history(i: int) -> FakeInteraction:
        return await fake.slash("connects history", {"member": targets(i)}, user_id=manager, channel_id=channel)

    async def explain(i: int) -> FakeInteraction:
        return await fake.slash("connects explain", {"reference": refs[i]}, user_id=manager, channel_id=channel)

    async def faq(i: int) -> FakeInteraction:
        return await fake.slash("faq show", {"id": "expiry-rollover"}, user_id=manager, channel_id=channel)

    try:
        await through_discord(fake, sent_at, history, WARMUP, history_ok)
        await through_discord(fake, sent_at, explain, WARMUP, explain_ok)
        samples = args.samples
        results = {
            "history": await through_discord(fake, sent_at, lambda i: history(i + WARMUP), samples, history_ok),
            "explain": await through_discord(fake, sent_at, lambda i: explain(i + WARMUP), samples, explain_ok),
            "faq": await through_discord(fake, sent_at, faq, samples, lambda ix: None),
        }
    finally:
        await bot.close()
        await asyncio.wait_for(task, 10)
        services.close()
        await fake.stop()
    bare = bare_baselines(db, [targets(i + WARMUP) for i in range(args.samples)], refs[WARMUP:], manager)
    with LedgerStore(db) as store:
        entries = store.count_entries()

    print(f"\nledger: {entries:,} entries; {args.members} linked members; sequential requests by one manager")
    print("through the fake Discord (INTERACTION_CREATE out -> interaction callback in):")
    print(f"  /connects history member:   {summary(results['history'])}")
    print(f"  /connects explain reference: {summary(results['explain'])}")
    print("baselines (same run, same targets):")
    print(f"  /faq show (no ledger)        {summary(results['faq'])}")
    print(f"  bare service: history        {summary(bare['history'])}")
    print(f"  bare service: history+chart  {summary(bare['history+chart'])}")
    print(f"  bare service: explain        {summary(bare['explain'])}")
    print(f"errors logged by the bot: {errors.count}")
    checks = [
        (f"history p95 <= {TARGET_P95_MS:.0f} ms", p95(results["history"]) <= TARGET_P95_MS),
        (f"explain p95 <= {TARGET_P95_MS:.0f} ms", p95(results["explain"]) <= TARGET_P95_MS),
        ("no errors", errors.count == 0),
    ]
    print("targets: " + ", ".join(f"{name}: {'ok' if ok else 'MISSED'}" for name, ok in checks))
    if args.keep:
        print(f"kept {folder} (ledger: {db})")
    else:
        shutil.rmtree(folder)
    return 0 if all(ok for _, ok in checks) else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profiles", type=int, default=10_000)
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=500)
    parser.add_argument("--members", type=int, default=300)
    parser.add_argument("--db", help="reuse this ledger file instead of generating one")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (and the ledger)")
    args = parser.parse_args()
    return asyncio.run(run(args))


if __name__ == "__main__":
    sys.exit(main())
