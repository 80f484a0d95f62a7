"""The bot in a busy support channel: `python -m bot run` driven through the fake Discord.

Usage: python bench/bench_discord.py [--messages 20000] [--burst 1000] [--paced 10000] [--rate 1000]
                                     [--members 10000] [--bots noop support] [--profile PATH]

The fake Discord (tests/e2e) runs in this process; the bot runs as its own process (`python -m bot
run`, so its memory and CPU are its own) with the bundled knowledge base. Messages in one support
channel: 80% chatter (tests/data/channel-chatter.yaml: greetings, thanks and small talk no model trains
on), 20% questions (knowledge/examples/member-questions.yaml), from many
distinct members, because the per-member rate limit (3 replies / 60 s, left at its default) would
otherwise silence a flood; the entry cooldown is set to 0 so every answer is posted and timed.

Phases, each waiting for every reply the bot should post (computed with the same engine and the
same core rate-limit code, so a lost reply shows up as `lost`, not as a faster figure):
  1. bursts: --messages sent as fast as the fake can send, in bursts of --burst (the next burst goes
     once a sentinel question closing the previous one is answered; --burst 0 sends all at once)
     -> messages handled per second, first event out to last reply in;
  2. paced: --paced messages at --rate per second (open loop) -> p50 / p99 latency from the gateway
     event leaving the fake to the reply arriving at it.
Per phase the bot's CPU time per message (user + system, all threads, from /proc) is reported too:
unlike latency it does not depend on what else the machine is running.
Baselines in the same run: the bare answer engine (decide() on the same messages, in this process),
and the same pipeline with a no-op bot (a discord.py client that replies "ok" to the same messages
after a set lookup), the floor set by discord.py, the fake and loopback.
Resident memory: the bot's VmRSS at the end and its peak (VmHWM), from /proc.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import gc
import json
import os
import random
import signal
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.config import Settings, load_settings  # noqa: E402
from bot.core.channel.cooldowns import Cooldowns  # noqa: E402
from bot.core.channel.desk import SupportDesk  # noqa: E402
from bot.core.channel.policy import MessageFacts  # noqa: E402
from bot.core.matching.answers import AnswerEngine  # noqa: E402
from tests.e2e.fake_discord import FakeDiscord  # noqa: E402

READY_TIMEOUT = 60.0
DRAIN_TIMEOUT = 180.0


@dataclass
class Phase:
    name: str
    sent: int
    expected_replies: int
    seconds: float
    latencies_ms: list[float] = field(default_factory=list)
    missing: int = 0
    bot_cpu_seconds: float = 0.0

    def summary(self) -> dict[str, Any]:
        lat = sorted(self.latencies_ms)
        return {
            "phase": self.name,
            "messages": self.sent,
            "replies": len(lat),
            "missing_replies": self.missing,
            "seconds": round(self.seconds, 3),
            "handled_per_s": round(self.sent / self.seconds, 1) if self.seconds else None,
            "p50_ms": round(percentile(lat, 50), 2) if lat else None,
            "p99_ms": round(percentile(lat, 99), 2) if lat else None,
            "max_ms": round(lat[-1], 2) if lat else None,
            "bot_cpu_ms_per_message": round(self.bot_cpu_seconds * 1000 / self.sent, 3),
            "bot_cpu_share": round(self.bot_cpu_seconds / self.seconds, 2) if self.seconds else None,
        }


def percentile(sorted_values: list[float], pct: float) -> float:
    index = min(len(sorted_values) - 1, max(0, round(pct / 100 * len(sorted_values) + 0.5) - 1))
    return sorted_values[index]


# The bot's embedding: section, set in main() (the bot runs in its own process from a written config).
EMBEDDING: dict[str, Any] = {}


def load_mix(count: int, seed: int) -> list[str]:
    """Return count messages: 80% chatter, 20% questions, shuffled with a fixed seed."""
    examples = ROOT / "knowledge" / "examples"
    # Chatter proper (greetings, thanks, small talk): what the bot must drop before any model runs. Not
    # under knowledge/examples: the gate and the head never train on the lines measured here.
    chatter = [
        c["text"] for c in yaml.safe_load((ROOT / "tests" / "data" / "channel-chatter.yaml").read_text())["chatter"]
    ]
    questions = [q["text"] for q in yaml.safe_load((examples / "member-questions.yaml").read_text())["questions"]]
    rng = random.Random(seed)
    n_questions = count // 5
    texts = [rng.choice(questions) for _ in range(n_questions)] + [
        rng.choice(chatter) for _ in range(count - n_questions)
    ]
    rng.shuffle(texts)
    return texts


def embedding_section(settings: Settings) -> dict[str, Any]:
    """config.yaml's embedding: section with absolute paths (the bot's config lives in a temp folder)."""
    e = settings.embedding
    section = {f.name: getattr(e, f.name) for f in dataclasses.fields(e)}
    return {k: str(v) if isinstance(v, Path) else v for k, v in section.items()}


def write_config(fake: FakeDiscord, guild_id: int, channel_id: int, tmp: Path) -> Path:
    # The bot must decide as the driver's engine does (config.yaml's matcher and meaning model, or the
    # lexical matcher alone with --lexical), or the replies the driver waits for are not the ones it sends.
    matcher = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8")).get("matcher") or {}
    config = {
        "log_level": "WARNING",
        "matcher": matcher,
        "embedding": EMBEDDING,
        "knowledge": {"path": str(ROOT / "knowledge"), "watch_interval_seconds": 0},
        "feedback": {"path": str(tmp / "feedback.sqlite3")},
        "ledger": {"path": str(tmp / "ledger.sqlite3")},
        "discord": {
            "guild_ids": [guild_id],
            "support_channel_ids": [channel_id],
            "api_base": fake.api_base,
            "gateway_url": fake.gateway_url,
            "guild_ready_timeout": 0.1,
            "entry_cooldown_seconds": 0,  # every answer is posted, so every question is timed
        },
    }
    path = tmp / "config.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def cpu_seconds(pid: int) -> float:
    """Return the user + system CPU time a process (all its threads) has used."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_kib(pid: int) -> tuple[int, int]:
    """Return (VmRSS, VmHWM) of a process in KiB."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        fields[key] = value.strip()
    return int(fields["VmRSS"].split()[0]), int(fields["VmHWM"].split()[0])


class Driver:
    """One bot process against one fake Discord."""

    def __init__(
        self, kind: str, texts: list[str], members: int, engine: AnswerEngine, tmp: Path, profile: str | None = None
    ) -> None:
        self.kind, self.texts, self.engine, self.tmp, self.profile = kind, texts, engine, tmp, profile
        self.fake = FakeDiscord()
        self.guild_id = self.fake.add_guild("Bench")
        self.channel_id = self.fake.add_channel(self.guild_id, "connects-help")
        self.members = [self.fake.add_member(self.guild_id, f"m{i}", listed=False) for i in range(members)]
        self.member_cursor = 0
        self.sent_at: dict[str, float] = {}
        # The same rate-limit code the bot runs, with a clock that never moves: the worst case.
        cooldowns = Cooldowns(
            entry_cooldown_seconds=0, member_rate_limit_count=3, member_rate_limit_seconds=60, clock=lambda: 0.0
        )
        self.desk = SupportDesk(engine, cooldowns, support_channel_ids=(self.channel_id,), explains_charges=False)
        self.decisions = {t: engine.decide(t) for t in set(texts)}
        self.proc: asyncio.subprocess.Process | None = None
        self.sentinel_text = engine.kb.entry("proposal-cost").question
        self.decisions[self.sentinel_text] = engine.decide(self.sentinel_text)

    def expects_reply(self, text: str, member: int) -> bool:
        decision = self.decisions[text]
        if self.kind == "noop":
            return decision.action != "silent"
        facts = MessageFacts(member, False, False, self.channel_id, None, True, text)
        return self.desk.reply_to(facts, decision).reply.speaks

    async def start(self) -> None:
        await self.fake.start()
        config = write_config(self.fake, self.guild_id, self.channel_id, self.tmp)
        env = {**os.environ, "DISCORD_TOKEN": "bench-token"}
        if self.kind == "support":
            profile = ["-m", "cProfile", "-o", self.profile] if self.profile else []
            args = [sys.executable, *profile, "-m", "bot", "run", "--config", str(config)]
        else:
            answerable = sorted(t for t, d in self.decisions.items() if d.action != "silent")
            (self.tmp / "answerable.json").write_text(json.dumps(answerable))
            args = [sys.executable, __file__, "--noop-bot", str(config), str(self.tmp / "answerable.json")]
        self.proc = await asyncio.create_subprocess_exec(*args, cwd=ROOT, env=env)
        await asyncio.wait_for(self.fake.connected.wait(), READY_TIMEOUT)
        # Warm up: the first reply proves the bot is ready (guilds loaded, commands synced).
        text = self.sentinel_text
        member = self.fake.add_member(self.guild_id, "warmup", listed=False)
        deadline = time.monotonic() + READY_TIMEOUT
        while True:
            msg = await self.fake.post_message(self.channel_id, member, text)
            try:
                await self.fake.wait_for_reply_to(int(msg["id"]), timeout=1.0)
                break
            except TimeoutError:
                if time.monotonic() > deadline:
                    raise
        self.forget()

    async def run_phase(self, name: str, texts: list[str], rate: float | None, burst: int | None = None) -> Phase:
        """Send texts (at rate/s, or as fast as possible); with burst, wait for the bot after every burst."""
        expected: set[str] = set()
        start_index = len(self.fake.requests)
        assert self.proc is not None
        cpu0 = cpu_seconds(self.proc.pid)
        t0 = time.perf_counter()
        for i, text in enumerate(texts):
            if rate is not None:
                delay = t0 + i / rate - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
            member = self.members[self.member_cursor % len(self.members)]
            self.member_cursor += 1
            payload = self.fake.build_message(self.channel_id, member, text)
            if self.expects_reply(text, member):
                expected.add(payload["id"])
            self.sent_at[payload["id"]] = await self.fake.dispatch("MESSAGE_CREATE", payload)
            self.fake.messages.pop(int(payload["id"]), None)  # keep the fake's memory flat
            if burst and (i + 1) % burst == 0 and i + 1 < len(texts):
                await self.send_sentinel(expected)
                await self.drain(expected, start_index)
        await self.send_sentinel(expected)
        replies = await self.drain(expected, start_index)
        end = max((r.at for r in replies), default=time.perf_counter())
        phase = Phase(name, len(texts), len(expected), end - t0, missing=len(expected) - len(replies))
        phase.bot_cpu_seconds = cpu_seconds(self.proc.pid) - cpu0
        for r in replies:
            ref = str(r.json["message_reference"]["message_id"])
            phase.latencies_ms.append((r.at - self.sent_at[ref]) * 1000)
        self.forget()
        return phase

    def forget(self) -> None:
        """Drop what the fake recorded, so this process's own collector doesn't pause the next phase."""
        self.fake.requests.clear()
        self.fake.messages.clear()
        self.sent_at.clear()
        gc.collect()
        gc.freeze()

    async def send_sentinel(self, expected: set[str]) -> None:
        """An answerable question from a fresh member: its reply means every earlier event was handled."""
        member = self.fake.add_member(self.guild_id, "sentinel", listed=False)
        sentinel = self.fake.build_message(self.channel_id, member, self.sentinel_text)
        expected.add(sentinel["id"])
        self.sent_at[sentinel["id"]] = await self.fake.dispatch("MESSAGE_CREATE", sentinel)

    async def drain(self, expected: set[str], start_index: int) -> list[Any]:
        deadline = time.monotonic() + DRAIN_TIMEOUT
        while True:
            replies = [
                r
                for r in self.fake.requests[start_index:]
                if r.method == "POST" and str((r.json.get("message_reference") or {}).get("message_id")) in expected
            ]
            if len(replies) >= len(expected) or time.monotonic() > deadline:
                return replies
            await asyncio.sleep(0.05)

    async def stop(self) -> tuple[int, int]:
        assert self.proc is not None
        memory = rss_kib(self.proc.pid)
        self.proc.send_signal(signal.SIGTERM)
        await asyncio.wait_for(self.proc.wait(), 60)
        await self.fake.stop()
        return memory


async def drive(
    kind: str,
    texts: list[str],
    paced: list[str],
    rate: float,
    members: int,
    engine: AnswerEngine,
    burst: int,
    profile: str | None = None,
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix=f"bench-discord-{kind}-") as tmp:
        driver = Driver(kind, texts + paced, members, engine, Path(tmp), profile if kind == "support" else None)
        await driver.start()
        try:
            label = f"bursts of {burst}" if burst else "one flood"
            flood = await driver.run_phase(label, texts, None, burst or None)
            steady = await driver.run_phase(f"paced {rate:.0f}/s", paced, rate)
        finally:
            rss, peak = await driver.stop()
    return {
        "bot": kind,
        "phases": [flood.summary(), steady.summary()],
        "rss_mib": round(rss / 1024, 1),
        "peak_rss_mib": round(peak / 1024, 1),
    }


def bare_engine(engine: AnswerEngine, texts: list[str]) -> dict[str, Any]:
    timings = []
    t0 = time.perf_counter()
    for text in texts:
        t = time.perf_counter()
        engine.decide(text)
        timings.append((time.perf_counter() - t) * 1000)
    total = time.perf_counter() - t0
    timings.sort()
    return {
        "messages": len(texts),
        "per_s": round(len(texts) / total, 1),
        "p50_ms": round(percentile(timings, 50), 3),
        "p99_ms": round(percentile(timings, 99), 3),
    }


def run_noop_bot(config_path: str, answerable_path: str) -> None:
    """The baseline bot: same intents and transport, a set lookup instead of the answer engine."""
    import discord

    from bot.discord_bot import build_intents, point_at_endpoints

    settings = load_settings(config_path)
    answerable = set(json.loads(Path(answerable_path).read_text()))
    point_at_endpoints(settings.discord)
    discord.VoiceClient.warn_nacl = discord.VoiceClient.warn_dave = False
    client = discord.Client(
        intents=build_intents(), guild_ready_timeout=0.1, allowed_mentions=discord.AllowedMentions.none()
    )

    @client.event
    async def on_message(message: discord.Message) -> None:
        if message.content in answerable:
            await message.reply("ok")

    async def main() -> None:
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, lambda: loop.create_task(client.close()))
        async with client:
            await client.start(os.environ["DISCORD_TOKEN"])

    asyncio.run(main())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=20000)
    parser.add_argument("--paced", type=int, default=10000)
    parser.add_argument("--rate", type=float, default=1000.0)
    parser.add_argument("--members", type=int, default=10000)
    parser.add_argument("--burst", type=int, default=1000, help="messages per burst in phase 1 (0: all at once)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--lexical", action="store_true", help="bot and driver without the meaning model")
    parser.add_argument("--bots", nargs="+", choices=("noop", "support"), default=["noop", "support"])
    parser.add_argument("--profile", metavar="PATH", help="run the support bot under cProfile, stats to PATH")
    parser.add_argument("--noop-bot", nargs=2, metavar=("CONFIG", "ANSWERABLE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.noop_bot:
        run_noop_bot(*args.noop_bot)
        return

    # The fake runs in this process: keep its collector from pausing it (and so the timings) mid-phase.
    gc.set_threshold(20_000, 20, 100)
    settings = load_settings(ROOT / "config.yaml")
    if args.lexical:
        settings = dataclasses.replace(settings, embedding=dataclasses.replace(settings.embedding, enabled=False))
    EMBEDDING.update(embedding_section(settings))
    engine = AnswerEngine.from_settings(settings)
    print(f"engine: {'meaning model + lexical' if engine.meaning else 'lexical matcher alone'}")
    texts = load_mix(args.messages, args.seed)
    embedded = sum(not engine.settles_quickly(t) for t in texts)
    print(f"{embedded} of {len(texts)} flood messages ({embedded / len(texts):.1%}) reach the sentence encoder")
    paced = load_mix(args.paced, args.seed + 1)
    print(
        f"{len(engine.kb.entries)} entries; {len(texts)} flood + {len(paced)} paced messages "
        f"(80% chatter / 20% questions), {args.members} members, entry cooldown 0",
        flush=True,
    )
    results: dict[str, Any] = {"baseline_engine": bare_engine(engine, texts)}
    for kind in args.bots:
        results[kind] = asyncio.run(
            drive(kind, texts, paced, args.rate, args.members, engine, args.burst, args.profile)
        )

    b = results["baseline_engine"]
    print(
        f"\nbaseline, answer engine alone: {b['per_s']:.0f} msg/s, decide() p50 {b['p50_ms']} ms, p99 {b['p99_ms']} ms"
    )
    print(
        f"\n{'bot':8} {'phase':15} {'msgs':>6} {'replies':>7} {'lost':>4} {'msg/s':>8} {'p50 ms':>7} "
        f"{'p99 ms':>7} {'max ms':>7} {'cpu ms/msg':>10} {'cpu share':>9}"
    )
    for kind in args.bots:
        for p in results[kind]["phases"]:
            print(
                f"{kind:8} {p['phase']:15} {p['messages']:>6} {p['replies']:>7} {p['missing_replies']:>4} "
                f"{p['handled_per_s']:>8} {p['p50_ms']:>7} {p['p99_ms']:>7} {p['max_ms']:>7} "
                f"{p['bot_cpu_ms_per_message']:>10} {p['bot_cpu_share']:>9}"
            )
    load = os.getloadavg()
    print(
        f"machine load average during the run: {load[0]:.2f} (1 min), {load[1]:.2f} (5 min) on {os.cpu_count()} cores"
    )
    results["load_average"] = load
    for kind in args.bots:
        r = results[kind]
        print(f"{kind} bot memory: RSS {r['rss_mib']} MiB at the end, peak {r['peak_rss_mib']} MiB")
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "bench_discord.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
