"""The fake Discord's gateway: HELLO, IDENTIFY, READY, GUILD_CREATE, heartbeats, close codes, RESUME.

Mixed into FakeDiscord. `await fake.drop_gateway()` cuts the connection the way a network failure
does (no close frame); events dispatched while the bot is away are kept and replayed when it sends
RESUME with the last sequence it saw, then RESUMED, as Discord does. `fake.identifies` counts
IDENTIFYs (a resumed session has one), `fake.resumes` holds every RESUME payload.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import deque
from typing import TYPE_CHECKING, Any

from aiohttp import WSCloseCode, WSMsgType, web

from tests.e2e import payloads as P

if TYPE_CHECKING:
    from tests.e2e.fake_discord import FakeDiscord

OP_DISPATCH, OP_HEARTBEAT, OP_IDENTIFY, OP_RESUME, OP_HELLO, OP_HEARTBEAT_ACK = 0, 1, 2, 6, 10, 11
# Events kept for a RESUME: enough for any test's outage, bounded so a soak doesn't grow the fake.
REPLAY_LIMIT = 10_000


class GatewayMixin:
    """The websocket side of the fake; state is created in FakeDiscord.__init__ via init_gateway()."""

    def init_gateway(self: FakeDiscord, *, refuse_privileged_intents: bool, heartbeat_interval_ms: int) -> None:
        self.refuse_privileged_intents = refuse_privileged_intents
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.identify: dict[str, Any] | None = None
        self.identifies = 0
        self.resumes: list[dict[str, Any]] = []
        self.heartbeats = 0
        self.connected = asyncio.Event()
        self._ws: web.WebSocketResponse | None = None
        self._ws_request: web.Request | None = None
        self._ws_lock = asyncio.Lock()
        self._seq = 0
        # (seq, frame) of recent dispatches, for RESUME; set while a dropped session may be resumed.
        self._sent: deque[tuple[int, str]] = deque(maxlen=REPLAY_LIMIT)
        self._resumable = False

    async def _gateway(self: FakeDiscord, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        await self.gateway_open.wait()  # held during an outage (fake_outage.py)
        await ws.send_str(json.dumps({"op": OP_HELLO, "d": {"heartbeat_interval": self.heartbeat_interval_ms}}))
        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                continue
            frame = json.loads(msg.data)
            op = frame.get("op")
            if op == OP_HEARTBEAT:
                self.heartbeats += 1
                await ws.send_str(json.dumps({"op": OP_HEARTBEAT_ACK}))
                await self.notify_changed()
            elif op == OP_IDENTIFY:
                self.identify = frame["d"]
                self.identifies += 1
                if self.refuse_privileged_intents and frame["d"].get("intents", 0) & P.PRIVILEGED_INTENTS:
                    await ws.close(code=4014, message=b"Disallowed intent(s).")
                    break
                self._ws, self._ws_request, self._resumable = ws, request, False
                await self._send_ready()
                self.connected.set()
            elif op == OP_RESUME:
                await self._resume(ws, request, frame["d"])
        return ws

    async def _send_ready(self: FakeDiscord) -> None:
        await self.dispatch("READY", P.ready(self.bot_user, list(self._guilds), self.application_id, self.gateway_url))
        for gid, g in self._guilds.items():
            await self.dispatch(
                "GUILD_CREATE",
                P.guild(
                    gid,
                    g["name"],
                    channels=g["channels"],
                    threads=g["threads"],
                    roles=g["roles"],
                    members=g["members"],
                    owner_id=int(self.owner["id"]),
                ),
            )

    async def _resume(self: FakeDiscord, ws: web.WebSocketResponse, request: web.Request, data: dict[str, Any]) -> None:
        """Replay what the bot missed since the sequence it names, then RESUMED (or 4009: start over)."""
        self.resumes.append(data)
        if await self.refuse_resume(ws):
            return
        if not self._resumable or data.get("session_id") != P.SESSION_ID:
            await ws.close(code=4009, message=b"Session timed out.")
            return
        async with self._ws_lock:
            for seq, frame in self._sent:
                if seq > int(data.get("seq") or 0):
                    await ws.send_str(frame)
            self._ws, self._ws_request, self._resumable = ws, request, False
        await self.dispatch("RESUMED", {})
        await self.notify_changed()

    async def dispatch(self: FakeDiscord, event: str, data: dict[str, Any]) -> float:
        """Send one gateway event (kept for replay while a dropped session may resume); return
        time.perf_counter() just after it left the fake."""
        if self.in_outage:  # a session Discord will not resume gets nothing, now or later
            return time.perf_counter()
        if not self._resumable and (self._ws is None or self._ws.closed):
            raise ConnectionError("the bot is not connected to the fake gateway")
        async with self._ws_lock:
            self._seq += 1
            frame = json.dumps({"op": OP_DISPATCH, "s": self._seq, "t": event, "d": data})
            if self._sent.maxlen:
                self._sent.append((self._seq, frame))
            if not self._resumable:
                assert self._ws is not None
                await self._ws.send_str(frame)
            return time.perf_counter()

    async def close_gateway(self: FakeDiscord, code: int = WSCloseCode.OK) -> None:
        if self._ws is not None:
            await self._ws.close(code=code)

    async def drop_gateway(self: FakeDiscord) -> None:
        """Cut the connection with no close frame (a network failure); the session stays resumable."""
        assert self._ws_request is not None and self._ws_request.transport is not None, "the bot is not connected"
        async with self._ws_lock:
            self._resumable = True
            self._ws_request.transport.abort()

    async def wait_for_resume(self: FakeDiscord, count: int = 1, *, timeout: float = 5.0) -> None:
        """Wait until the bot has resumed `count` dropped sessions."""
        async with self._changed:
            await asyncio.wait_for(
                self._changed.wait_for(lambda: len(self.resumes) >= count and not self._resumable), timeout
            )

    @property
    def intents(self: FakeDiscord) -> int:
        return 0 if self.identify is None else int(self.identify.get("intents", 0))
