"""The one way every feature posts to the moderators' log channel (bot.ui.replies.post_to_log_channel)."""

from __future__ import annotations

import logging
from typing import Any

import discord
import pytest

from bot.ui.replies import post_to_log_channel


class Channel(discord.abc.Messageable):
    """A channel that records what was sent, or refuses it."""

    def __init__(self, refuse: bool = False) -> None:
        self.sent: list[tuple[str, dict[str, Any]]] = []
        self.refuse = refuse

    async def _get_channel(self) -> Any:
        return self

    async def send(self, content: str, **kwargs: Any) -> None:  # type: ignore[override]
        if self.refuse:
            raise discord.Forbidden(FakeResponse(), "Missing Access")
        self.sent.append((content, kwargs))


class FakeResponse:
    status, reason = 403, "Forbidden"


class Client:
    def __init__(self, channels: dict[int, Any]) -> None:
        self.channels = channels

    def get_channel(self, channel_id: int) -> Any:
        return self.channels.get(channel_id)


async def test_posts_with_no_pings_when_the_channel_is_there() -> None:
    channel = Channel()
    assert await post_to_log_channel(Client({7: channel}), 7, "@everyone changed", what="a change") is True  # type: ignore[arg-type]
    ((text, kwargs),) = channel.sent
    mentions = kwargs["allowed_mentions"]
    assert text == "@everyone changed" and not (mentions.everyone or mentions.users or mentions.roles)


async def test_no_log_channel_set_is_quiet(caplog: pytest.LogCaptureFixture) -> None:
    assert await post_to_log_channel(Client({}), None, "x", what="a change") is False  # type: ignore[arg-type]
    assert caplog.records == []


@pytest.mark.parametrize(("channels", "warning"), [
    ({}, "log channel 7 not found; a ledger lookup was not posted"),
    ({7: Channel(refuse=True)}, "could not post to the log channel 7: 403 Forbidden (error code: 0): Missing Access"),
])  # fmt: skip
async def test_a_missing_or_refusing_channel_is_one_warning(
    caplog: pytest.LogCaptureFixture, channels: dict[int, Any], warning: str
) -> None:
    caplog.set_level(logging.WARNING)
    assert await post_to_log_channel(Client(channels), 7, "x", what="a ledger lookup") is False  # type: ignore[arg-type]
    assert [r.getMessage() for r in caplog.records] == [warning]
