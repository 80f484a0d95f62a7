"""End-to-end fixtures: a fake Discord on 127.0.0.1 and the real SupportBot connected to it.

`world` is the fake server with one guild (support channel, a thread in it, a support forum with a
post, an off-topic channel, a moderator role, members). `start_bot(**discord_overrides)` writes a tmp
config (tmp copy of knowledge/, tmp feedback database), starts SupportBot in-process against the fake
and waits until it is ready; it is closed after the test. Any ERROR log record (a failing command,
view, listener or background write) fails the test, unless the test takes it with `bot_errors.take()`.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import discord
import pytest
import yaml

from bot.config import load_settings
from bot.core.matching.examples import load_examples
from bot.discord_bot import SupportBot
from bot.services import Services, build_services
from tests.e2e.fake_discord import FakeDiscord
from tests.shared_cache import EMBEDDING_CACHE

REPO = Path(__file__).resolve().parents[2]
KNOWLEDGE = REPO / "knowledge"
READY_TIMEOUT = 10.0


@dataclass
class World:
    """The fake server and the ids of everything in it."""

    fake: FakeDiscord
    guild_id: int
    support_id: int
    thread_id: int
    forum_id: int
    forum_post_id: int
    offtopic_id: int
    moderator_role_id: int
    alice: int
    bob: int
    carol: int
    moderator: int
    other_bot: int


class ErrorLog(logging.Handler):
    """Collect ERROR records from every logger while a test runs."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def take(self) -> list[logging.LogRecord]:
        """Hand the collected records to a test that expects them (they no longer fail it)."""
        taken, self.records = self.records, []
        return taken


@pytest.fixture
def bot_errors() -> Any:
    handler = ErrorLog()
    root = logging.getLogger()
    root.addHandler(handler)
    yield handler
    root.removeHandler(handler)
    if handler.records:
        fmt = logging.Formatter()
        lines = [
            f"{r.name}: {r.getMessage()}\n{fmt.formatException(r.exc_info) if r.exc_info else ''}"
            for r in handler.records
        ]
        pytest.fail("the bot logged errors:\n" + "\n".join(lines))


@pytest.fixture
async def world() -> AsyncIterator[World]:
    fake = FakeDiscord()
    gid = fake.add_guild("Freelancers")
    support = fake.add_channel(gid, "connects-help")
    forum = fake.add_channel(gid, "connects-forum", forum=True)
    world = World(
        fake=fake,
        guild_id=gid,
        support_id=support,
        thread_id=fake.add_thread(gid, support, "my connects vanished"),
        forum_id=forum,
        forum_post_id=fake.add_thread(gid, forum, "Question about boosting"),
        offtopic_id=fake.add_channel(gid, "off-topic"),
        moderator_role_id=(mod_role := fake.add_role(gid, "Moderators")),
        alice=fake.add_member(gid, "alice"),
        bob=fake.add_member(gid, "bob"),
        carol=fake.add_member(gid, "carol"),
        moderator=fake.add_member(gid, "mod", roles=(mod_role,)),
        other_bot=fake.add_member(gid, "otherbot", bot=True),
    )
    await fake.start()
    yield world
    await fake.stop()


def write_config(
    world: World, tmp_path: Path, *, catch_up: dict[str, Any] | None = None, **discord_overrides: Any
) -> Path:
    """Write a config for the fake (tmp knowledge copy, tmp databases); return its path."""
    knowledge = tmp_path / "knowledge"
    if not knowledge.exists():
        shutil.copytree(KNOWLEDGE, knowledge)
    discord_section: dict[str, Any] = {
        "guild_ids": [world.guild_id],
        "support_channel_ids": [world.support_id, world.forum_id],
        "moderator_role_ids": [world.moderator_role_id],
        "manager_role_ids": [],
        "api_base": world.fake.api_base,
        "gateway_url": world.fake.gateway_url,
        "guild_ready_timeout": 0.1,
    }
    discord_section.update(discord_overrides)
    config = {
        "log_level": "INFO",
        "knowledge": {"path": "knowledge", "watch_interval_seconds": 0},
        "ledger": {"path": "data/ledger.sqlite3"},
        "feedback": {"path": "data/feedback.sqlite3"},
        "embedding": {"cache_path": str(EMBEDDING_CACHE)},
        "discord": discord_section,
        "catch_up": catch_up or {},
    }
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


class Pauses:
    """Stands in for the bot's waits between retries: records each delay asked for, and returns at once,
    or, with hold=True, when the test calls release(). `on_pause(n)` runs before the n-th wait returns."""

    def __init__(self, *, hold: bool = False, on_pause: Callable[[int], Awaitable[None]] | None = None) -> None:
        self.delays: list[float] = []
        self.hold = hold
        self.on_pause = on_pause
        self._released = asyncio.Semaphore(0)
        self._changed = asyncio.Condition()

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)
        async with self._changed:
            self._changed.notify_all()
        if self.on_pause is not None:
            await self.on_pause(len(self.delays))
        if self.hold:
            await self._released.acquire()

    def release(self) -> None:
        self._released.release()

    async def wait_for(self, count: int, timeout: float = 5.0) -> None:
        """Wait until the bot has asked to wait `count` times."""
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: len(self.delays) >= count), timeout)


@dataclass
class RunningBot:
    bot: SupportBot
    services: Services
    task: asyncio.Task[None]

    async def outcome(self, message_id: int | str, timeout: float = 5.0) -> Any:
        """Wait for the support listener's verdict on a message (see bot.cogs.support)."""
        return await self.bot.wait_for(
            "support_outcome", check=lambda o: o.message_id == int(message_id), timeout=timeout
        )


StartBot = Callable[..., Awaitable[RunningBot]]


@pytest.fixture
async def start_bot(world: World, tmp_path: Path, bot_errors: ErrorLog) -> AsyncIterator[StartBot]:
    running: list[RunningBot] = []
    saved = (discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY)

    async def start(
        *,
        wait_ready: bool = True,
        meaning: bool = True,
        pause: Pauses | None = None,
        catch_up: dict[str, Any] | None = None,
        login_answer_seconds: float | None = None,
        wall_clock: Any = None,
        **discord_overrides: Any,
    ) -> RunningBot:
        config = write_config(world, tmp_path, catch_up=catch_up, **discord_overrides)
        if not meaning:  # the lexical matcher alone, as when the model files are missing
            raw = yaml.safe_load(config.read_text(encoding="utf-8"))
            raw["embedding"]["enabled"] = False
            config.write_text(yaml.safe_dump(raw), encoding="utf-8")
        settings = load_settings(config)
        services = build_services(settings, wall_clock=wall_clock)
        options: dict[str, Any] = {"pause": pause} if pause is not None else {}
        if login_answer_seconds is not None:
            options["login_answer_seconds"] = login_answer_seconds
        bot = SupportBot(services, **options)
        task = asyncio.create_task(bot.start("fake-token-for-tests"))
        handle = RunningBot(bot, services, task)
        running.append(handle)
        if wait_ready:
            ready = asyncio.create_task(bot.wait_until_ready())
            done, _ = await asyncio.wait({ready, task}, timeout=READY_TIMEOUT, return_when=asyncio.FIRST_COMPLETED)
            if ready not in done:
                ready.cancel()
                if task in done:
                    task.result()  # raise what stopped the bot
                raise TimeoutError("the bot did not become ready against the fake Discord")
        return handle

    yield start
    for handle in running:
        await handle.bot.close()
        try:
            await asyncio.wait_for(handle.task, 5)
        except Exception as exc:  # a test that expected the start to fail already checked it
            logging.getLogger(__name__).debug("bot task ended with %r", exc)
        handle.services.close()
    discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = saved


@pytest.fixture
async def running(start_bot: StartBot) -> RunningBot:
    """The bot with the default test config, connected and ready."""
    return await start_bot()


DATA = REPO / "tests" / "data"


def labelled_texts() -> list[str]:
    """Every labelled member message in knowledge/examples (questions first, then off-topic)."""
    # Shortest first: short messages make readable tests and fit in Discord's previews.
    examples = sorted(load_examples(KNOWLEDGE / "examples"), key=lambda e: len(e.text))
    return [e.text for e in examples if e.entry_id] + [e.text for e in examples if not e.entry_id]


def find_text(services: Services, action: str, *, question_shaped: bool | None = None) -> str:
    """Pick a labelled message the engine in service decides `action` for (so tests follow the matcher)."""
    from bot.core.matching.text import looks_like_question

    for text in labelled_texts():
        if services.engine.decide(text).action != action:
            continue
        if question_shaped is None or looks_like_question(text) == question_shaped:
            return text
    pytest.fail(f"no labelled message gets {action!r} from the engine; the e2e test needs one")
