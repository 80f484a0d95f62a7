"""Soak: 100,000 channel messages through the fake Discord; does the bot's resident memory keep growing?

Usage: python bench/bench_soak.py [--messages 100000] [--sample-every 10000] [--members 10000]
                                  [--bots noop support]

The same set-up as bench_discord.py (its Driver): the fake Discord in this process, the bot as its own
process (`python -m bot run`), one support channel, 80% chatter / 20% questions from --members distinct
members, entry cooldown 0. Messages go in bursts of 1,000; after every --sample-every messages the
driver waits until every reply the bot owes has arrived (so the bot is idle) and reads its VmRSS from
/proc. Acceptance: RSS at the last message is at most 10% above RSS at the 20,000th. Baseline in the
same run: a no-op discord.py bot (same intents, transport and fake) through the same messages, so
growth that discord.py itself shows is told apart from the bot's.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_discord import EMBEDDING, ROOT, Driver, embedding_section, load_mix, rss_kib

from bot.config import load_settings
from bot.core.matching.answers import AnswerEngine

REFERENCE_AT = 20_000  # the growth limit is measured from here (start-up and warm caches are done by then)
GROWTH_LIMIT = 0.10
BURST = 1000


async def soak(kind: str, texts: list[str], every: int, members: int, engine: AnswerEngine) -> dict[str, Any]:
    """Drive one bot through texts; sample its RSS after every `every` messages."""
    with tempfile.TemporaryDirectory(prefix=f"bench-soak-{kind}-") as tmp:
        driver = Driver(kind, texts, members, engine, Path(tmp))
        await driver.start()
        samples: list[dict[str, Any]] = []
        lost = 0
        t0 = time.perf_counter()
        try:
            for start in range(0, len(texts), every):
                chunk = texts[start : start + every]
                phase = await driver.run_phase(f"{start + len(chunk)}", chunk, None, BURST)
                lost += phase.missing
                assert driver.proc is not None
                rss, peak = rss_kib(driver.proc.pid)
                samples.append(
                    {
                        "messages": start + len(chunk),
                        "rss_mib": round(rss / 1024, 1),
                        "peak_rss_mib": round(peak / 1024, 1),
                        "handled_per_s": round(len(chunk) / phase.seconds, 1),
                    }
                )
                print(f"  {kind:8} {samples[-1]}", flush=True)
        finally:
            await driver.stop()
    return {"bot": kind, "samples": samples, "lost_replies": lost, "seconds": round(time.perf_counter() - t0, 1)}


def growth(samples: list[dict[str, Any]]) -> tuple[float, float, float]:
    """RSS at the reference message, at the last, and the relative growth between them."""
    reference = next(s for s in samples if s["messages"] >= REFERENCE_AT)["rss_mib"]
    last = samples[-1]["rss_mib"]
    return reference, last, (last - reference) / reference


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--sample-every", type=int, default=10_000)
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--bots", nargs="+", choices=("noop", "support"), default=["noop", "support"])
    args = parser.parse_args()
    if args.messages < REFERENCE_AT or REFERENCE_AT % args.sample_every:
        parser.error(f"--messages must be >= {REFERENCE_AT} and --sample-every must divide {REFERENCE_AT}")

    gc.set_threshold(20_000, 20, 100)  # the fake runs here: keep this process's collector out of the timings
    settings = load_settings(ROOT / "config.yaml")
    EMBEDDING.update(embedding_section(settings))  # the bot process decides as this engine does
    engine = AnswerEngine.from_settings(settings)
    texts = load_mix(args.messages, args.seed)
    print(f"{len(texts)} messages (80% chatter / 20% questions), {args.members} members, bursts of {BURST}")
    results: dict[str, Any] = {}
    for kind in args.bots:
        results[kind] = asyncio.run(soak(kind, texts, args.sample_every, args.members, engine))

    print(f"\n{'bot':8} {'RSS at 20,000':>14} {'RSS at last':>12} {'growth':>7} {'peak':>8} {'lost':>5} {'seconds':>8}")
    for kind in args.bots:
        r = results[kind]
        reference, last, grew = growth(r["samples"])
        r["growth"] = round(grew, 4)
        peak = max(s["peak_rss_mib"] for s in r["samples"])
        print(
            f"{kind:8} {reference:>10.1f} MiB {last:>8.1f} MiB {grew:>+7.1%} {peak:>4.1f} MiB "
            f"{r['lost_replies']:>5} {r['seconds']:>8}"
        )
    if "support" in results:
        verdict = "met" if results["support"]["growth"] <= GROWTH_LIMIT else "NOT met"
        print(f"acceptance (support bot RSS grows <= {GROWTH_LIMIT:.0%} from message {REFERENCE_AT:,}): {verdict}")
    load = os.getloadavg()
    print(f"machine load average: {load[0]:.2f} (1 min), {load[1]:.2f} (5 min) on {os.cpu_count()} cores")
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "bench_soak.json").write_text(json.dumps({**results, "load_average": load}, indent=2))


if __name__ == "__main__":
    main()
