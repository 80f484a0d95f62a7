"""Outages the way Discord has them: the session is invalidated and nothing is replayed; history is read back.

Mixed into FakeDiscord. `await fake.start_outage()` cuts the bot's connection and holds every new one
(the websocket opens, HELLO never comes) until `fake.end_outage()`. Events dispatched meanwhile are
dropped, as Discord drops them for a session it will not resume; messages posted meanwhile are only in
the channels' history. When the bot then sends RESUME, the fake answers op 9 INVALID_SESSION with
`d: false` (the session cannot be resumed); the client closes, IDENTIFYs afresh and gets READY (not
RESUMED), as after a longer outage or a gateway restart.

REST, as Discord serves it:
- `GET /channels/{id}/messages?limit=&after=|before=|around=`: at most `limit` (1-100, default 50) of
  the channel's messages, always newest first (discord-api-docs#7740): with `after`, the `limit` messages
  right after it; with `before` (or nothing), the `limit` messages right before it (or the newest).
- `GET /guilds/{id}/threads/active`: `{"threads": [...], "members": []}`, every active thread and
  forum post of the server.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import TYPE_CHECKING, Any

from tests.e2e import payloads as P
from tests.e2e.fake_routes import _on

if TYPE_CHECKING:
    from aiohttp import web

    from tests.e2e.fake_discord import FakeDiscord, RecordedRequest

OP_INVALID_SESSION = 9
DEFAULT_HISTORY_LIMIT, MAX_HISTORY_LIMIT = 50, 100


class OutageMixin:
    """Holding the gateway shut and invalidating the session; state set up by init_outage()."""

    def init_outage(self: FakeDiscord) -> None:
        self.gateway_open = asyncio.Event()
        self.gateway_open.set()
        self.in_outage = False
        self.session_invalidated = False
        self.invalidations = 0  # RESUMEs answered with op 9, d=false

    async def start_outage(self: FakeDiscord) -> None:
        """Cut the bot's connection (no close frame) and hold every new one; the session will not resume."""
        assert self._ws_request is not None and self._ws_request.transport is not None, "the bot is not connected"
        self.gateway_open.clear()
        self.in_outage = self.session_invalidated = True
        async with self._ws_lock:
            self._resumable = False
            self._ws_request.transport.abort()

    def end_outage(self: FakeDiscord) -> None:
        """Let connections through again: the bot's RESUME is refused and it identifies afresh."""
        self.in_outage = False
        self.gateway_open.set()

    def post_while_away(
        self: FakeDiscord, channel_id: int, author_id: int, content: str, *, seconds_ago: float = 0.0, **kw: Any
    ) -> dict[str, Any]:
        """A member's message posted while the bot is not connected (no event is sent): only in the history.

        seconds_ago backdates it (its id is a snowflake of that time, as Discord's are)."""
        payload = self.build_message(channel_id, author_id, content, **kw)
        # build_message blanks content for a bot without the message-content intent; before the bot has
        # identified there is no intent yet, and the history is read later, by the bot that has it.
        payload["content"] = content
        if seconds_ago:
            del self.messages[int(payload["id"])]
            payload["id"] = str(snowflake_at(time.time() - seconds_ago))
            self.store_message(payload)
        return payload

    async def refuse_resume(self: FakeDiscord, ws: web.WebSocketResponse) -> bool:
        """Answer a RESUME of an invalidated session with op 9 d=false, as Discord does; True if it did."""
        if not self.session_invalidated:
            return False
        self.session_invalidated = False
        self.invalidations += 1
        await ws.send_str(json.dumps({"op": OP_INVALID_SESSION, "d": False}))
        await self.notify_changed()
        return True


def snowflake_at(unix_seconds: float) -> int:
    """A fresh Discord id for a moment in the past."""
    return (int(unix_seconds * 1000) - P.DISCORD_EPOCH_MS) << 22 | (P.snowflake() & 0x3FFFFF)


def channel_history(fake: FakeDiscord, channel_id: int, query: dict[str, str]) -> list[dict[str, Any]]:
    """What Discord answers to GET /channels/{id}/messages with this query (newest first)."""
    limit = int(query.get("limit", DEFAULT_HISTORY_LIMIT))
    if not 1 <= limit <= MAX_HISTORY_LIMIT:
        raise ValueError(f"limit {limit} outside 1-{MAX_HISTORY_LIMIT}")
    oldest_first = sorted(
        (m for m in fake.messages.values() if int(m["channel_id"]) == channel_id), key=lambda m: int(m["id"])
    )
    if "after" in query:
        after = int(query["after"])
        page = [m for m in oldest_first if int(m["id"]) > after][:limit]
    elif "around" in query:
        raise ValueError("around is not modelled by the fake")
    else:
        before = int(query.get("before", 2**64))
        page = [m for m in oldest_first if int(m["id"]) < before][-limit:]
    return list(reversed(page))


@_on("GET", r"/channels/(\d+)/messages")
def _history(fake: FakeDiscord, rec: RecordedRequest, m: Any) -> tuple[int, Any]:
    channel_id = int(m.group(1))
    try:
        fake.channel_payload(channel_id)
    except KeyError:
        return 404, {"message": "Unknown Channel", "code": 10003}
    try:
        return 200, channel_history(fake, channel_id, rec.query)
    except ValueError as exc:
        return 400, {"message": f"Invalid Form Body: {exc}", "code": 50035}


@_on("GET", r"/guilds/(\d+)/threads/active")
def _active_threads(fake: FakeDiscord, rec: RecordedRequest, m: Any) -> tuple[int, Any]:
    guild = fake._guilds.get(int(m.group(1)))
    if guild is None:
        return 404, {"message": "Unknown Guild", "code": 10004}
    threads = [t for t in guild["threads"] if not t.get("thread_metadata", {}).get("archived")]
    return 200, {"threads": threads, "members": []}
