"""The REST routes of the fake Discord: what each call the bot makes returns, and what it stores.

Add a route here when the bot starts calling a new endpoint; unknown routes answer 404 (recorded).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from tests.e2e import payloads as P

if TYPE_CHECKING:
    from tests.e2e.fake_discord import FakeDiscord, FakeInteraction, RecordedRequest

Handler = Callable[["FakeDiscord", "RecordedRequest", re.Match[str]], tuple[int, Any]]
_ROUTES: list[tuple[str, re.Pattern[str], Handler]] = []
NO_CONTENT = (204, None)


def _on(method: str, pattern: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        _ROUTES.append((method, re.compile(pattern), fn))
        return fn

    return register


def route(fake: FakeDiscord, rec: RecordedRequest) -> tuple[int, Any]:
    """Answer one recorded request."""
    for method, pattern, handler in _ROUTES:
        if method == rec.method and (m := pattern.fullmatch(rec.path)):
            return handler(fake, rec, m)
    return 404, {"message": f"Unknown route {rec.method} {rec.path} (fake Discord)", "code": 0}


def bot_message(
    fake: FakeDiscord,
    channel_id: int,
    body: dict[str, Any] | None,
    rec: RecordedRequest,
    *,
    interaction: FakeInteraction | None = None,
) -> dict[str, Any]:
    """Build and store the message Discord would create from a send/respond body."""
    body = body or {}
    ref = body.get("message_reference")
    referenced = fake.messages.get(int(ref["message_id"])) if ref else None
    attachments = [P.attachment(P.snowflake(), f.filename or "file", len(f.data), f.content_type) for f in rec.files]
    guild_id = fake.guild_of(channel_id) if channel_id in fake._channel_guild else None
    metadata = None
    if interaction is not None:
        metadata = {
            "id": str(interaction.id),
            "type": interaction.payload["type"],
            "user": interaction.payload["member"]["user"],
            "authorizing_integration_owners": {},
        }
    payload = P.message(
        P.snowflake(),
        channel_id,
        guild_id,
        fake.bot_user,
        body.get("content") or "",
        embeds=body.get("embeds"),
        components=body.get("components"),
        attachments=attachments,
        flags=int(body.get("flags") or 0),
        reference={**ref, "message_id": str(ref["message_id"]), "channel_id": str(channel_id)} if ref else None,
        referenced_message=referenced,
        interaction_metadata=metadata,
    )
    return fake.store_message(payload)


def _edit(fake: FakeDiscord, message_id: int, body: dict[str, Any] | None, rec: RecordedRequest) -> tuple[int, Any]:
    stored = fake.messages.get(message_id)
    if stored is None:
        return 404, {"message": "Unknown Message", "code": 10008}
    for key in ("content", "embeds", "components", "flags"):
        if body and key in body:
            stored[key] = body[key] if body[key] is not None else ([] if key != "content" else "")
    if rec.files:
        stored["attachments"] = [
            P.attachment(P.snowflake(), f.filename or "file", len(f.data), f.content_type) for f in rec.files
        ]
    stored["edited_timestamp"] = P.iso_now()
    return 200, stored


@_on("GET", r"/users/@me")
def _me(fake, rec, m):
    return 200, fake.bot_user


@_on("GET", r"/oauth2/applications/@me")
def _app(fake, rec, m):
    return 200, P.application(fake.application_id, fake.owner)


@_on("PUT", r"/applications/(\d+)/commands")
@_on("PUT", r"/applications/(\d+)/guilds/(\d+)/commands")
def _sync(fake, rec, m):
    guild_id = int(m.group(2)) if m.lastindex and m.lastindex >= 2 else None
    synced = [
        P.synced_command(c, command_id=P.snowflake(), application_id=fake.application_id, guild_id=guild_id)
        for c in rec.json or []
    ]
    fake.commands[guild_id] = synced
    return 200, synced


@_on("GET", r"/applications/(\d+)/commands")
@_on("GET", r"/applications/(\d+)/guilds/(\d+)/commands")
def _commands(fake, rec, m):
    guild_id = int(m.group(2)) if m.lastindex and m.lastindex >= 2 else None
    return 200, fake.commands.get(guild_id, [])


@_on("GET", r"/channels/(\d+)")
def _channel(fake, rec, m):
    try:
        return 200, fake.channel_payload(int(m.group(1)))
    except KeyError:
        return 404, {"message": "Unknown Channel", "code": 10003}


@_on("POST", r"/channels/(\d+)/messages")
def _send(fake, rec, m):
    if int(m.group(1)) in fake.forbidden_channels:
        return 403, {"message": "Missing Permissions", "code": 50013}
    return 200, bot_message(fake, int(m.group(1)), rec.json, rec)


@_on("GET", r"/channels/(\d+)/messages/(\d+)")
def _get_message(fake, rec, m):
    # A message is found only in its own channel: the starter of a thread opened from a channel message
    # stays in the parent channel (same id as the thread), so asking the thread for it is 404, as on Discord.
    stored = fake.messages.get(int(m.group(2)))
    if stored is None or stored["channel_id"] != m.group(1):
        return 404, {"message": "Unknown Message", "code": 10008}
    return 200, stored


@_on("PATCH", r"/channels/(\d+)/messages/(\d+)")
def _edit_message(fake, rec, m):
    return _edit(fake, int(m.group(2)), rec.json, rec)


@_on("DELETE", r"/channels/(\d+)/messages/(\d+)")
def _delete_message(fake, rec, m):
    fake.messages.pop(int(m.group(2)), None)
    return NO_CONTENT


@_on("POST", r"/channels/(\d+)/typing")
@_on("PUT", r"/channels/(\d+)/messages/(\d+)/reactions/.+")
@_on("DELETE", r"/channels/(\d+)/messages/(\d+)/reactions/.+")
def _no_content(fake, rec, m):
    return NO_CONTENT


@_on("POST", r"/interactions/(\d+)/([^/]+)/callback")
def _callback(fake, rec, m):
    ix = fake.interactions.get(m.group(2))
    if ix is None:
        return 404, {"message": "Unknown interaction", "code": 10062}
    if ix.callback is not None:
        # Discord refuses a second initial response; the bot must use followups.
        return 400, {"message": "Interaction has already been acknowledged.", "code": 40060}
    ix.callback = rec
    kind = rec.json["type"]
    data = rec.json.get("data") or {}
    ephemeral = bool(int(data.get("flags") or 0) & P.EPHEMERAL)
    channel_id = int(ix.payload["channel_id"])
    message = None
    if kind in (P.CHANNEL_MESSAGE, P.DEFERRED_CHANNEL_MESSAGE):
        message = bot_message(fake, channel_id, data, rec, interaction=ix)
        ix.original_message = message
    elif kind == P.UPDATE_MESSAGE and "message" in ix.payload:
        _, message = _edit(fake, int(ix.payload["message"]["id"]), data, rec)
    return 200, P.callback_response(ix.id, kind, message, ephemeral=ephemeral)


@_on("GET", r"/webhooks/(\d+)/([^/]+)/messages/@original")
def _get_original(fake, rec, m):
    ix = fake.interactions.get(m.group(2))
    if ix is None or ix.original_message is None:
        return 404, {"message": "Unknown Message", "code": 10008}
    return 200, ix.original_message


@_on("PATCH", r"/webhooks/(\d+)/([^/]+)/messages/@original")
def _edit_original(fake, rec, m):
    ix = fake.interactions.get(m.group(2))
    if ix is None:
        return 404, {"message": "Unknown Webhook", "code": 10015}
    if ix.original_message is None and "message" in ix.payload:
        return _edit(fake, int(ix.payload["message"]["id"]), rec.json, rec)
    if ix.original_message is None:
        return 404, {"message": "Unknown Message", "code": 10008}
    return _edit(fake, int(ix.original_message["id"]), rec.json, rec)


@_on("DELETE", r"/webhooks/(\d+)/([^/]+)/messages/@original")
def _delete_original(fake, rec, m):
    return NO_CONTENT


@_on("POST", r"/webhooks/(\d+)/([^/]+)")
def _followup(fake, rec, m):
    ix = fake.interactions.get(m.group(2))
    if ix is None:
        return 404, {"message": "Unknown Webhook", "code": 10015}
    ix.followups.append(rec)
    return 200, bot_message(fake, int(ix.payload["channel_id"]), rec.json, rec, interaction=ix)


@_on("PATCH", r"/webhooks/(\d+)/([^/]+)/messages/(\d+)")
def _edit_followup(fake, rec, m):
    return _edit(fake, int(m.group(3)), rec.json, rec)


@_on("DELETE", r"/webhooks/(\d+)/([^/]+)/messages/(\d+)")
def _delete_followup(fake, rec, m):
    fake.messages.pop(int(m.group(3)), None)
    return NO_CONTENT
