"""Discord API payload builders for the fake server: every JSON shape the fake sends lives here.

Shapes follow what discord.py 2.7.1 reads (its parsers index some keys with [] and crash on a missing
one). When discord.py is upgraded, this is the one file to adjust.
"""

from __future__ import annotations

import datetime as dt
import itertools
import time
from typing import Any

DISCORD_EPOCH_MS = 1420070400000
ALL_PERMISSIONS = str((1 << 50) - 1)
EPHEMERAL = 1 << 6
HAS_THREAD = 1 << 5  # message flag: a thread was started from this message
INTENT_MESSAGE_CONTENT = 1 << 15
PRIVILEGED_INTENTS = (1 << 1) | (1 << 8) | INTENT_MESSAGE_CONTENT  # members, presences, message content

# Channel types.
TEXT, FORUM, PUBLIC_THREAD = 0, 15, 11
# Interaction types and the callback types the bot answers with.
PING, APPLICATION_COMMAND, COMPONENT, AUTOCOMPLETE, MODAL_SUBMIT = 1, 2, 3, 4, 5
CHAT_INPUT, USER_COMMAND, MESSAGE_COMMAND = 1, 2, 3
CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE, DEFERRED_UPDATE, UPDATE_MESSAGE = 4, 5, 6, 7
AUTOCOMPLETE_RESULT, MODAL = 8, 9

_counter = itertools.count(1)


SESSION_ID = "fake-session"


def snowflake() -> int:
    """Return a fresh, time-ordered Discord id."""
    ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
    return (ms << 22) | (next(_counter) & 0x3FFFFF)


def iso_now() -> str:
    return dt.datetime.now(dt.UTC).isoformat()


def user(user_id: int, name: str, *, bot: bool = False) -> dict[str, Any]:
    return {
        "id": str(user_id),
        "username": name,
        "discriminator": "0",
        "global_name": name,
        "avatar": None,
        "bot": bot,
        "public_flags": 0,
        "flags": 0,
    }


def member(user_payload: dict[str, Any], roles: list[int], *, with_user: bool = True) -> dict[str, Any]:
    data: dict[str, Any] = {
        "roles": [str(r) for r in roles],
        "joined_at": iso_now(),
        "deaf": False,
        "mute": False,
        "flags": 0,
        "nick": None,
        "avatar": None,
        "premium_since": None,
        "pending": False,
        "communication_disabled_until": None,
    }
    if with_user:
        data["user"] = user_payload
    return data


def role(role_id: int, name: str, *, position: int = 0, permissions: str = "0") -> dict[str, Any]:
    return {
        "id": str(role_id),
        "name": name,
        "color": 0,
        "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
        "hoist": False,
        "position": position,
        "permissions": permissions,
        "managed": False,
        "mentionable": False,
        "flags": 0,
    }


def channel(channel_id: int, guild_id: int, name: str, *, kind: int = TEXT, position: int = 0) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": str(channel_id),
        "type": kind,
        "guild_id": str(guild_id),
        "name": name,
        "position": position,
        "permission_overwrites": [],
        "nsfw": False,
        "parent_id": None,
        "topic": None,
        "rate_limit_per_user": 0,
        "last_message_id": None,
        "flags": 0,
    }
    if kind == FORUM:
        data.update(available_tags=[], default_reaction_emoji=None, default_sort_order=None, default_layout=0)
    return data


def thread(thread_id: int, guild_id: int, parent_id: int, name: str, owner_id: int) -> dict[str, Any]:
    return {
        "id": str(thread_id),
        "type": PUBLIC_THREAD,
        "guild_id": str(guild_id),
        "parent_id": str(parent_id),
        "owner_id": str(owner_id),
        "name": name,
        "message_count": 0,
        "member_count": 1,
        "rate_limit_per_user": 0,
        "flags": 0,
        "last_message_id": None,
        "thread_metadata": {
            "archived": False,
            "auto_archive_duration": 1440,
            "archive_timestamp": iso_now(),
            "locked": False,
        },
    }


def guild(
    guild_id: int,
    name: str,
    *,
    channels: list[dict[str, Any]],
    threads: list[dict[str, Any]],
    roles: list[dict[str, Any]],
    members: list[dict[str, Any]],
    owner_id: int,
) -> dict[str, Any]:
    """GUILD_CREATE payload; member_count == len(members) so the client never waits to chunk."""
    return {
        "id": str(guild_id),
        "name": name,
        "icon": None,
        "owner_id": str(owner_id),
        "unavailable": False,
        "large": False,
        "member_count": len(members),
        "features": [],
        "roles": roles,
        "emojis": [],
        "stickers": [],
        "channels": channels,
        "threads": threads,
        "members": members,
        "presences": [],
        "voice_states": [],
        "stage_instances": [],
        "guild_scheduled_events": [],
        "soundboard_sounds": [],
        "joined_at": iso_now(),
        "premium_tier": 0,
        "preferred_locale": "en-US",
        "verification_level": 0,
        "default_message_notifications": 0,
        "explicit_content_filter": 0,
        "mfa_level": 0,
        "nsfw_level": 0,
        "system_channel_flags": 0,
    }


def ready(bot_user: dict[str, Any], guild_ids: list[int], application_id: int, resume_url: str) -> dict[str, Any]:
    return {
        "v": 10,
        "user": bot_user,
        "guilds": [{"id": str(g), "unavailable": True} for g in guild_ids],
        "session_id": SESSION_ID,
        "resume_gateway_url": resume_url,
        "application": {"id": str(application_id), "flags": 0},
        "private_channels": [],
        "relationships": [],
    }


def application(application_id: int, owner: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": str(application_id),
        "name": "Connects Support (fake)",
        "icon": None,
        "description": "",
        "bot_public": True,
        "bot_require_code_grant": False,
        "verify_key": "0" * 64,
        "owner": owner,
        "flags": 0,
    }


def message(
    message_id: int,
    channel_id: int,
    guild_id: int | None,
    author: dict[str, Any],
    content: str,
    *,
    author_member: dict[str, Any] | None = None,
    embeds: list[dict[str, Any]] | None = None,
    components: list[dict[str, Any]] | None = None,
    attachments: list[dict[str, Any]] | None = None,
    flags: int = 0,
    reference: dict[str, Any] | None = None,
    referenced_message: dict[str, Any] | None = None,
    webhook_id: int | None = None,
    interaction_metadata: dict[str, Any] | None = None,
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": str(message_id),
        "channel_id": str(channel_id),
        "author": author,
        "content": content,
        "timestamp": iso_now(),
        "edited_timestamp": None,
        "tts": False,
        "mention_everyone": False,
        "mentions": [],
        "mention_roles": [],
        "attachments": attachments or [],
        "embeds": embeds or [],
        "components": components or [],
        "pinned": False,
        "type": 19 if reference else 0,
        "flags": flags,
    }
    if guild_id is not None:
        data["guild_id"] = str(guild_id)
    if author_member is not None:
        data["member"] = author_member
    if reference is not None:
        data["message_reference"] = reference
        data["referenced_message"] = referenced_message
    if webhook_id is not None:
        data["webhook_id"] = str(webhook_id)
    if interaction_metadata is not None:
        data["interaction_metadata"] = interaction_metadata
    return data


def attachment(attachment_id: int, filename: str, size: int, content_type: str | None) -> dict[str, Any]:
    url = f"https://cdn.example.invalid/attachments/{attachment_id}/{filename}"
    return {
        "id": str(attachment_id),
        "filename": filename,
        "size": size,
        "url": url,
        "proxy_url": url,
        "content_type": content_type,
    }


def interaction(
    interaction_id: int,
    kind: int,
    *,
    application_id: int,
    token: str,
    guild_id: int,
    channel_payload: dict[str, Any],
    member_payload: dict[str, Any],
    data: dict[str, Any] | None,
    message_payload: dict[str, Any] | None = None,
) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "id": str(interaction_id),
        "application_id": str(application_id),
        "type": kind,
        "token": token,
        "version": 1,
        "guild_id": str(guild_id),
        "guild": {"id": str(guild_id), "features": [], "locale": "en-US"},
        "channel_id": channel_payload["id"],
        "channel": channel_payload,
        "member": {**member_payload, "permissions": ALL_PERMISSIONS},
        "app_permissions": ALL_PERMISSIONS,
        "locale": "en-US",
        "guild_locale": "en-US",
        "entitlements": [],
        "authorizing_integration_owners": {"0": str(guild_id)},
        "context": 0,
        "attachment_size_limit": 10 * 1024 * 1024,
    }
    if data is not None:
        payload["data"] = data
    if message_payload is not None:
        payload["message"] = message_payload
    return payload


def synced_command(command: dict[str, Any], *, command_id: int, application_id: int, guild_id: int | None) -> dict:
    """Echo a command from a bulk-overwrite request the way Discord stores it (with ids)."""
    out = {
        "options": [],
        "default_member_permissions": None,
        "nsfw": False,
        "description": "",
        **command,
        "id": str(command_id),
        "application_id": str(application_id),
        "version": str(command_id),
        "type": command.get("type", CHAT_INPUT),
    }
    if guild_id is not None:
        out["guild_id"] = str(guild_id)
    return out


def callback_response(
    interaction_id: int, callback_type: int, message_payload: dict[str, Any] | None, *, ephemeral: bool
) -> dict[str, Any]:
    """The body of POST /interactions/.../callback?with_response=1."""
    info: dict[str, Any] = {
        "id": str(interaction_id),
        "type": APPLICATION_COMMAND,
        "response_message_loading": callback_type == DEFERRED_CHANNEL_MESSAGE,
        "response_message_ephemeral": ephemeral,
    }
    if message_payload is not None:
        info["response_message_id"] = message_payload["id"]
        return {"interaction": info, "resource": {"type": callback_type, "message": message_payload}}
    return {"interaction": info}
