"""A small fake Discord (gateway websocket + the REST routes the bot uses) on 127.0.0.1.

The real discord.py client connects to it (see conftest.py). Tests build a world (guilds, channels,
threads, roles, members) before the bot connects, inject gateway events (messages, slash commands,
autocomplete, button clicks, modal submits, context menus) and assert on the exact REST payloads the
bot sent, which are all recorded in `FakeDiscord.requests`.

Every JSON shape comes from payloads.py. Unknown routes answer 404 and are recorded, so a test that
expects a call the fake does not know about fails loudly instead of hanging.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.e2e import payloads as P
from tests.e2e.fake_events import EventsMixin, FakeUpload
from tests.e2e.fake_faults import Fault, FaultsMixin
from tests.e2e.fake_gateway import GatewayMixin
from tests.e2e.fake_outage import OutageMixin
from tests.e2e.fake_routes import route

__all__ = ["FakeDiscord", "FakeInteraction", "FakeUpload", "RecordedRequest", "UploadedFile"]

log = logging.getLogger(__name__)

API_PREFIX = "/api/v10"


@dataclass(frozen=True)
class UploadedFile:
    field: str
    filename: str | None
    content_type: str
    data: bytes


@dataclass
class RecordedRequest:
    """One REST call the bot made: method, path below /api/v10, query, JSON body (or payload_json), files."""

    method: str
    path: str
    query: dict[str, str]
    json: Any
    files: list[UploadedFile]
    at: float
    authorization: str | None = field(repr=False, default=None)
    # What the fake answered (the created message for a send), filled in once routed.
    response: Any = field(repr=False, default=None)

    def matches(self, method: str, pattern: str) -> bool:
        return self.method == method and re.fullmatch(pattern, self.path) is not None


@dataclass
class FakeInteraction:
    """An interaction the fake sent, with the callback (first answer) and followups the bot made for it."""

    id: int
    token: str
    payload: dict[str, Any]
    callback: RecordedRequest | None = None
    original_message: dict[str, Any] | None = None
    followups: list[RecordedRequest] = field(default_factory=list)

    @property
    def callback_type(self) -> int | None:
        return None if self.callback is None else self.callback.json["type"]

    @property
    def callback_data(self) -> dict[str, Any]:
        assert self.callback is not None, "the bot has not answered this interaction"
        return self.callback.json.get("data") or {}


class FakeDiscord(EventsMixin, FaultsMixin, GatewayMixin, OutageMixin):
    """The fake server. Build the world, `await start()`, point the bot at `api_base`/`gateway_url`."""

    def __init__(self, *, refuse_privileged_intents: bool = False, heartbeat_interval_ms: int = 41250) -> None:
        self.init_gateway(
            refuse_privileged_intents=refuse_privileged_intents, heartbeat_interval_ms=heartbeat_interval_ms
        )
        self.init_outage()
        self.application_id = P.snowflake()
        self.bot_user = P.user(P.snowflake(), "ConnectsBot", bot=True)
        self.bot_user_id = int(self.bot_user["id"])
        self.owner = P.user(P.snowflake(), "owner")
        self.requests: list[RecordedRequest] = []
        self.interactions: dict[str, FakeInteraction] = {}
        self.messages: dict[int, dict[str, Any]] = {}
        self.uploads: dict[int, bytes] = {}
        # Channels where the bot lacks Send Messages: posting there answers 403 Missing Permissions.
        self.forbidden_channels: set[int] = set()
        self.commands: dict[int | None, list[dict[str, Any]]] = {}
        self.faults: list[Fault] = []
        self._guilds: dict[int, dict[str, Any]] = {}
        self._users: dict[int, dict[str, Any]] = {}
        self._member_roles: dict[tuple[int, int], list[int]] = {}
        self._channel_guild: dict[int, int] = {}
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.port = 0

    # --- world building (before the bot connects) ---------------------------------------------

    def add_guild(self, name: str = "Freelancers", guild_id: int | None = None) -> int:
        gid = guild_id or P.snowflake()
        self._guilds[gid] = {
            "name": name,
            "channels": [],
            "threads": [],
            "roles": [P.role(gid, "@everyone", permissions=P.ALL_PERMISSIONS)],
            "members": [],
        }
        self._add_member_to(gid, self.bot_user, [])
        return gid

    def add_channel(self, guild_id: int, name: str, *, forum: bool = False, channel_id: int | None = None) -> int:
        cid = channel_id or P.snowflake()
        kind = P.FORUM if forum else P.TEXT
        self._guilds[guild_id]["channels"].append(P.channel(cid, guild_id, name, kind=kind))
        self._channel_guild[cid] = guild_id
        return cid

    def add_thread(self, guild_id: int, parent_id: int, name: str, *, thread_id: int | None = None) -> int:
        """Add a thread (or a forum post: a thread whose parent is a forum channel)."""
        tid = thread_id or P.snowflake()
        self._guilds[guild_id]["threads"].append(P.thread(tid, guild_id, parent_id, name, self.bot_user_id))
        self._channel_guild[tid] = guild_id
        return tid

    def add_role(self, guild_id: int, name: str, *, role_id: int | None = None) -> int:
        rid = role_id or P.snowflake()
        roles = self._guilds[guild_id]["roles"]
        roles.append(P.role(rid, name, position=len(roles)))
        return rid

    def add_member(
        self, guild_id: int, name: str, *, roles: tuple[int, ...] = (), bot: bool = False, listed: bool = True
    ) -> int:
        """Add a member; listed=False leaves it out of GUILD_CREATE (as in a large server) but its
        messages and interactions still carry its member object."""
        payload = P.user(P.snowflake(), name, bot=bot)
        self._add_member_to(guild_id, payload, list(roles), listed=listed)
        return int(payload["id"])

    def _add_member_to(
        self, guild_id: int, user_payload: dict[str, Any], roles: list[int], *, listed: bool = True
    ) -> None:
        uid = int(user_payload["id"])
        self._users[uid] = user_payload
        self._member_roles[(guild_id, uid)] = roles
        if listed:
            self._guilds[guild_id]["members"].append(P.member(user_payload, roles))

    def guild_of(self, channel_id: int) -> int:
        return self._channel_guild[channel_id]

    def channel_payload(self, channel_id: int) -> dict[str, Any]:
        guild = self._guilds[self.guild_of(channel_id)]
        for item in guild["channels"] + guild["threads"]:
            if int(item["id"]) == channel_id:
                return item
        raise KeyError(channel_id)

    def member_payload(self, guild_id: int, user_id: int, *, with_user: bool = True) -> dict[str, Any]:
        return P.member(self._users[user_id], self._member_roles.get((guild_id, user_id), []), with_user=with_user)

    # --- lifecycle ---------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_base(self) -> str:
        return self.base_url + API_PREFIX

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/"

    async def start(self, port: int = 0) -> None:
        """Listen on 127.0.0.1 (on `port`, or a free one)."""
        app = web.Application(client_max_size=32 * 1024 * 1024)
        app.router.add_get("/", self._gateway)
        app.router.add_get("/attachments/{aid}/{name}", self._attachment)
        app.router.add_route("*", API_PREFIX + "/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        self.gateway_open.set()  # let a held connection end
        if self._ws is not None and not self._ws.closed:
            await self._ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _attachment(self, request: web.Request) -> web.Response:
        data = self.uploads.get(int(request.match_info["aid"]))
        return web.Response(status=404) if data is None else web.Response(body=data)

    # --- REST --------------------------------------------------------------------------------

    async def _rest(self, request: web.Request) -> web.Response:
        body, files = await _read_body(request)
        path = "/" + request.match_info["tail"]
        rec = RecordedRequest(
            request.method,
            path,
            dict(request.query),
            body,
            files,
            time.perf_counter(),
            request.headers.get("Authorization"),
        )
        self.requests.append(rec)
        status, reply = self.injected_fault(rec) or self._route(rec)
        rec.response = reply
        await self.notify_changed()
        if status == 204:
            return web.Response(status=204)
        return web.Response(
            status=status, body=json.dumps(reply).encode(), headers={"Content-Type": "application/json"}
        )

    def _route(self, rec: RecordedRequest) -> tuple[int, Any]:
        return route(self, rec)

    # --- waiting for what the bot did --------------------------------------------------------

    async def notify_changed(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def wait_for_request(
        self,
        method: str,
        pattern: str,
        predicate: Callable[[RecordedRequest], bool] | None = None,
        *,
        since: int = 0,
        timeout: float = 5.0,
    ) -> RecordedRequest:
        """Wait until the bot made a matching REST call (index >= since); return it."""

        def find() -> RecordedRequest | None:
            for rec in self.requests[since:]:
                if rec.matches(method, pattern) and (predicate is None or predicate(rec)):
                    return rec
            return None

        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: find() is not None), timeout)
        found = find()
        assert found is not None
        return found

    def find_requests(self, method: str, pattern: str) -> list[RecordedRequest]:
        return [r for r in self.requests if r.matches(method, pattern)]

    async def wait_for_reply_to(self, message_id: int, *, timeout: float = 5.0) -> RecordedRequest:
        """Wait for a channel message the bot sent as a reply to message_id."""
        return await self.wait_for_request(
            "POST",
            r"/channels/\d+/messages",
            lambda r: (r.json.get("message_reference") or {}).get("message_id") in (message_id, str(message_id)),
            timeout=timeout,
        )

    async def wait_for_heartbeats(self, count: int, *, timeout: float = 5.0) -> None:
        """Wait until the bot has sent `count` heartbeats (use a short heartbeat_interval_ms)."""
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: self.heartbeats >= count), timeout)

    async def wait_for_callback(self, ix: FakeInteraction, *, timeout: float = 5.0) -> RecordedRequest:
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: ix.callback is not None), timeout)
        assert ix.callback is not None
        return ix.callback

    def replies_to(self, message_id: int) -> list[RecordedRequest]:
        return [
            r
            for r in self.find_requests("POST", r"/channels/\d+/messages")
            if (r.json.get("message_reference") or {}).get("message_id") in (message_id, str(message_id))
        ]

    # --- injecting events: see fake_events.py for the helpers tests call -----------------------

    def store_message(self, payload: dict[str, Any]) -> dict[str, Any]:
        self.messages[int(payload["id"])] = payload
        return payload

    def new_interaction(
        self,
        kind: int,
        channel_id: int,
        user_id: int,
        data: dict[str, Any] | None,
        message_payload: dict[str, Any] | None = None,
    ) -> FakeInteraction:
        guild_id = self.guild_of(channel_id)
        iid = P.snowflake()
        token = f"ixtoken-{iid}"
        payload = P.interaction(
            iid,
            kind,
            application_id=self.application_id,
            token=token,
            guild_id=guild_id,
            channel_payload=self.channel_payload(channel_id),
            member_payload=self.member_payload(guild_id, user_id),
            data=data,
            message_payload=message_payload,
        )
        ix = FakeInteraction(iid, token, payload)
        self.interactions[token] = ix
        return ix


async def _read_body(request: web.Request) -> tuple[Any, list[UploadedFile]]:
    if request.content_type == "multipart/form-data":
        body: Any = None
        files: list[UploadedFile] = []
        reader = await request.multipart()
        async for part in reader:
            data = await part.read()  # type: ignore[union-attr]
            if part.name == "payload_json":
                body = json.loads(data)
            else:
                ctype = part.headers.get("Content-Type", "application/octet-stream")
                files.append(UploadedFile(part.name or "", part.filename, ctype, bytes(data)))
        return body, files
    raw = await request.read()
    return (json.loads(raw) if raw else None), []
