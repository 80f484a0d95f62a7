"""The running bot over a ledger file, with a community-manager role and a ledger log channel.

/connects tests (test_connects, test_agency_view, test_hostile_text) need the same world: a manager to
look up anyone, a channel the bot logs every lookup to, and the ledger file itself to inspect.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.core.ledger.models import AccessRecord
from bot.core.ledger.store import LedgerStore
from tests.e2e.conftest import RunningBot, StartBot, World
from tests.e2e.fake_discord import FakeInteraction


@dataclass
class Ledger:
    """The running bot with a manager role, a ledger log channel, and the ledger file to inspect."""

    world: World
    running: RunningBot
    path: Path
    manager: int
    log_channel: int

    async def send(self, command: str, options: dict[str, Any] | None = None, *, user: int) -> FakeInteraction:
        ix = await self.world.fake.slash(command, options, user_id=user, channel_id=self.world.offtopic_id)
        await self.world.fake.wait_for_callback(ix)
        return ix

    def access_log(self) -> list[AccessRecord]:
        with LedgerStore(self.path) as store:
            return store.access_log(limit=500)

    async def log_lines(self, count: int) -> list[str]:
        """The log channel's lines, once there are at least count of them."""
        pattern = rf"/channels/{self.log_channel}/messages"
        await self.world.fake.wait_for_request(
            "POST", pattern, lambda r: len(self.world.fake.find_requests("POST", pattern)) >= count
        )
        sent = self.world.fake.find_requests("POST", pattern)
        assert all(r.json["allowed_mentions"] == {"parse": []} for r in sent)  # a log line never pings
        return [r.json["content"] for r in sent]


async def start_ledger_bot(world: World, start_bot: StartBot, path: Path, fill: Callable[[Path], None]) -> Ledger:
    """Add the manager role and the log channel, write the ledger at path with fill, start the bot."""
    fake = world.fake
    role = fake.add_role(world.guild_id, "Community managers")
    manager = fake.add_member(world.guild_id, "manager", roles=(role,))
    log_channel = fake.add_channel(world.guild_id, "ledger-log")
    fill(path)
    running = await start_bot(manager_role_ids=[role], log_channel_id=log_channel)
    return Ledger(world, running, path, manager, log_channel)
