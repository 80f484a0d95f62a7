"""Event injection for the fake Discord: messages, slash commands, autocomplete, clicks, modals, menus.

Mixed into FakeDiscord. Every helper builds its payload with payloads.py, dispatches it over the
gateway and returns what a test needs to assert on (the message payload or a FakeInteraction whose
`callback`/`followups` fill in as the bot answers; `await fake.wait_for_callback(ix)`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tests.e2e import payloads as P

if TYPE_CHECKING:
    from tests.e2e.fake_discord import FakeDiscord, FakeInteraction

OPTION_STRING, OPTION_INTEGER, OPTION_BOOLEAN, OPTION_USER = 3, 4, 5, 6
OPTION_CHANNEL, OPTION_ROLE, OPTION_NUMBER, OPTION_ATTACHMENT = 7, 8, 10, 11
SUB_COMMAND, SUB_COMMAND_GROUP = 1, 2


@dataclass(frozen=True)
class FakeUpload:
    """A file a member attaches to a slash-command option; the bot can download it from the fake."""

    filename: str
    data: bytes
    content_type: str = "text/csv"


class EventsMixin:
    """Helpers that make the fake send gateway events the way Discord would."""

    # --- messages ------------------------------------------------------------------------------

    def build_message(
        self: FakeDiscord,
        channel_id: int,
        author_id: int,
        content: str,
        *,
        reply_to: int | None = None,
        webhook: bool = False,
        mentions_bot: bool = False,
    ) -> dict[str, Any]:
        """Build and store a member's message (not yet sent); see post_message."""
        guild_id = self.guild_of(channel_id)
        ref = referenced = None
        if reply_to is not None:
            referenced = self.messages.get(reply_to)
            ref = {"message_id": str(reply_to), "channel_id": str(channel_id), "guild_id": str(guild_id)}
        author = self._users[author_id]
        payload = P.message(
            P.snowflake(),
            channel_id,
            guild_id,
            author,
            content,
            author_member=None if webhook else self.member_payload(guild_id, author_id, with_user=False),
            reference=ref,
            referenced_message=referenced,
            webhook_id=P.snowflake() if webhook else None,
        )
        if mentions_bot:
            payload["mentions"] = [self.bot_user]
        if not self.intents & P.INTENT_MESSAGE_CONTENT and not mentions_bot:
            # Discord blanks content when the privileged message-content intent is missing.
            payload.update(content="", embeds=[], attachments=[], components=[])
        return self.store_message(payload)

    async def post_message(self: FakeDiscord, channel_id: int, author_id: int, content: str, **kw: Any) -> dict:
        """Send MESSAGE_CREATE for a member's message; return its payload (ids are strings)."""
        payload = self.build_message(channel_id, author_id, content, **kw)
        await self.dispatch("MESSAGE_CREATE", payload)
        return payload

    async def create_thread(
        self: FakeDiscord, parent_id: int, name: str, *, opener: str | None = None, author_id: int | None = None
    ) -> int:
        """Open a thread (or forum post) while the bot is connected (THREAD_CREATE).

        A forum post with `opener` also gets its starter message as Discord makes it: inside the post,
        with the post's id, sent as MESSAGE_CREATE after THREAD_CREATE (wait on `running.outcome(tid)`).
        """
        guild_id = self.guild_of(parent_id)
        tid = self.add_thread(guild_id, parent_id, name)
        await self.dispatch("THREAD_CREATE", {**self.channel_payload(tid), "newly_created": True})
        if opener is not None:
            assert author_id is not None, "a forum post's opening message needs its author"
            starter = P.message(
                tid,
                tid,
                guild_id,
                self._users[author_id],
                opener,
                author_member=self.member_payload(guild_id, author_id, with_user=False),
            )
            await self.dispatch("MESSAGE_CREATE", self.store_message(starter))
        return tid

    async def start_thread(self: FakeDiscord, message_id: int, name: str) -> int:
        """Start a thread from a member's channel message ("Create Thread" on it), as Discord does.

        The thread takes the message's id, and the message stays in the parent channel: reading it
        through the thread (`GET /channels/{thread}/messages/{thread}`) is 404. Discord sends
        THREAD_CREATE, then MESSAGE_UPDATE for the message (now flagged HAS_THREAD).
        """
        message = self.messages[message_id]
        parent_id = int(message["channel_id"])
        tid = self.add_thread(self.guild_of(parent_id), parent_id, name, thread_id=message_id)
        await self.dispatch("THREAD_CREATE", {**self.channel_payload(tid), "newly_created": True})
        message["flags"] = int(message.get("flags") or 0) | P.HAS_THREAD
        message["thread"] = self.channel_payload(tid)
        await self.dispatch("MESSAGE_UPDATE", message)
        return tid

    # --- application commands --------------------------------------------------------------

    def command_definition(self: FakeDiscord, name: str, channel_id: int, kind: int = P.CHAT_INPUT) -> dict:
        guild_id = self.guild_of(channel_id)
        for scope in (guild_id, None):
            for cmd in self.commands.get(scope, []):
                if cmd["name"] == name and cmd.get("type", P.CHAT_INPUT) == kind:
                    return cmd
        raise KeyError(f"command {name!r} (type {kind}) was not synced to guild {guild_id} or globally")

    async def slash(
        self: FakeDiscord,
        command: str,
        options: dict[str, Any] | None = None,
        *,
        user_id: int,
        channel_id: int,
        focused: str | None = None,
    ) -> FakeInteraction:
        """Invoke `/command [sub] option:value...`; `focused` names the option being typed (autocomplete)."""
        top, *path = command.split()
        definition = self.command_definition(top, channel_id)
        resolved: dict[str, dict[str, Any]] = {}
        built = self._build_options(
            definition.get("options", []), path, options or {}, focused, resolved, self.guild_of(channel_id)
        )
        data: dict[str, Any] = {
            "id": definition["id"],
            "name": top,
            "type": P.CHAT_INPUT,
            "options": built,
            "guild_id": str(self.guild_of(channel_id)),
        }
        if resolved:
            data["resolved"] = resolved
        kind = P.AUTOCOMPLETE if focused else P.APPLICATION_COMMAND
        ix = self.new_interaction(kind, channel_id, user_id, data)
        await self.dispatch("INTERACTION_CREATE", ix.payload)
        return ix

    async def autocomplete(
        self: FakeDiscord,
        command: str,
        options: dict[str, Any],
        focused: str,
        *,
        user_id: int,
        channel_id: int,
    ) -> FakeInteraction:
        """Send an autocomplete interaction (type 4) while the member types option `focused`."""
        return await self.slash(command, options, user_id=user_id, channel_id=channel_id, focused=focused)

    def _build_options(
        self: FakeDiscord,
        defs: list[dict],
        path: list[str],
        values: dict[str, Any],
        focused: str | None,
        resolved: dict[str, dict[str, Any]],
        guild_id: int,
    ) -> list[dict]:
        if path:
            sub = next((o for o in defs if o["name"] == path[0]), None)
            if sub is None:
                raise KeyError(f"no subcommand {path[0]!r}; has {[o['name'] for o in defs]}")
            inner = self._build_options(sub.get("options", []), path[1:], values, focused, resolved, guild_id)
            return [{"type": sub["type"], "name": sub["name"], "options": inner}]
        out = []
        for name, value in values.items():
            opt = next((o for o in defs if o["name"] == name), None)
            if opt is None:
                raise KeyError(f"no option {name!r}; has {[o['name'] for o in defs]}")
            out.append(self._option_value(opt, value, name == focused, resolved, guild_id))
        return out

    def _option_value(
        self: FakeDiscord,
        opt: dict,
        value: Any,
        focused: bool,
        resolved: dict[str, dict[str, Any]],
        guild_id: int,
    ) -> dict[str, Any]:
        kind = opt["type"]
        item: dict[str, Any] = {"type": kind, "name": opt["name"], "value": value}
        if focused:
            item["focused"] = True
        elif kind == OPTION_USER:
            uid = int(value)
            resolved.setdefault("users", {})[str(uid)] = self._users[uid]
            resolved.setdefault("members", {})[str(uid)] = {
                **self.member_payload(guild_id, uid, with_user=False),
                "permissions": P.ALL_PERMISSIONS,
            }
            item["value"] = str(uid)
        elif kind == OPTION_CHANNEL:
            resolved.setdefault("channels", {})[str(value)] = {
                **self.channel_payload(int(value)),
                "permissions": P.ALL_PERMISSIONS,
            }
            item["value"] = str(value)
        elif kind == OPTION_ATTACHMENT:
            aid = P.snowflake()
            self.uploads[aid] = value.data
            att = P.attachment(aid, value.filename, len(value.data), value.content_type)
            att["url"] = att["proxy_url"] = f"{self.base_url}/attachments/{aid}/{value.filename}"
            resolved.setdefault("attachments", {})[str(aid)] = att
            item["value"] = str(aid)
        return item

    async def message_command(self: FakeDiscord, name: str, target_message_id: int, *, user_id: int) -> FakeInteraction:
        """Invoke a message context-menu command (Apps > name) on a stored message."""
        target = self.messages[target_message_id]
        channel_id = int(target["channel_id"])
        definition = self.command_definition(name, channel_id, P.MESSAGE_COMMAND)
        data = {
            "id": definition["id"],
            "name": name,
            "type": P.MESSAGE_COMMAND,
            "target_id": str(target_message_id),
            "resolved": {"messages": {str(target_message_id): target}},
        }
        ix = self.new_interaction(P.APPLICATION_COMMAND, channel_id, user_id, data)
        await self.dispatch("INTERACTION_CREATE", ix.payload)
        return ix

    async def user_command(
        self: FakeDiscord, name: str, target_user_id: int, *, user_id: int, channel_id: int
    ) -> FakeInteraction:
        """Invoke a user context-menu command on a member."""
        guild_id = self.guild_of(channel_id)
        definition = self.command_definition(name, channel_id, P.USER_COMMAND)
        resolved = {
            "users": {str(target_user_id): self._users[target_user_id]},
            "members": {
                str(target_user_id): {
                    **self.member_payload(guild_id, target_user_id, with_user=False),
                    "permissions": P.ALL_PERMISSIONS,
                }
            },
        }
        data = {
            "id": definition["id"],
            "name": name,
            "type": P.USER_COMMAND,
            "target_id": str(target_user_id),
            "resolved": resolved,
        }
        ix = self.new_interaction(P.APPLICATION_COMMAND, channel_id, user_id, data)
        await self.dispatch("INTERACTION_CREATE", ix.payload)
        return ix

    # --- components and modals ---------------------------------------------------------------

    async def click(
        self: FakeDiscord, message_id: int, custom_id: str, *, user_id: int, values: list[str] | None = None
    ) -> FakeInteraction:
        """Press a button (or pick select `values`) on a message the bot sent."""
        message = self.messages[message_id]
        component = _find_component(message.get("components") or [], custom_id)
        if component is None:
            raise KeyError(f"message {message_id} has no component {custom_id!r}")
        data: dict[str, Any] = {"custom_id": custom_id, "component_type": component["type"]}
        if values is not None:
            data["values"] = values
        ix = self.new_interaction(P.COMPONENT, int(message["channel_id"]), user_id, data, message_payload=message)
        await self.dispatch("INTERACTION_CREATE", ix.payload)
        return ix

    async def submit_modal(
        self: FakeDiscord, opened_by: FakeInteraction, values: dict[str, str], *, user_id: int | None = None
    ) -> FakeInteraction:
        """Submit the modal the bot opened (type-9 callback); values keyed by input custom_id or label."""
        assert opened_by.callback_type == P.MODAL, "the bot did not answer with a modal"
        modal = opened_by.callback_data
        submitted = _fill_modal(modal["components"], values)
        if user_id is None:
            user_id = int(opened_by.payload["member"]["user"]["id"])
        channel_id = int(opened_by.payload["channel_id"])
        data = {"custom_id": modal["custom_id"], "components": submitted}
        message = opened_by.payload.get("message")
        ix = self.new_interaction(P.MODAL_SUBMIT, channel_id, user_id, data, message_payload=message)
        await self.dispatch("INTERACTION_CREATE", ix.payload)
        return ix


def _find_component(components: list[dict[str, Any]], custom_id: str) -> dict[str, Any] | None:
    for comp in components:
        if comp.get("custom_id") == custom_id:
            return comp
        inner = comp.get("components") or ([comp["component"]] if "component" in comp else [])
        found = _find_component(inner, custom_id)
        if found is not None:
            return found
    return None


def _fill_modal(components: list[dict[str, Any]], values: dict[str, str]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for comp in components:
        if comp["type"] == 1:
            out.append({"type": 1, "components": _fill_modal(comp["components"], values)})
        elif comp["type"] == 18:  # a Label wrapping one input
            inner = dict(comp["component"])
            inner.setdefault("label", comp.get("label"))
            out.append({"type": 18, "component": _fill_modal([inner], values)[0]})
        elif "custom_id" in comp:
            key = comp["custom_id"] if comp["custom_id"] in values else comp.get("label")
            value = values.get(key or "", comp.get("value") or "")
            if comp["type"] == 4:
                out.append({"type": 4, "custom_id": comp["custom_id"], "value": value})
            else:
                out.append(
                    {
                        "type": comp["type"],
                        "custom_id": comp["custom_id"],
                        "values": value if isinstance(value, list) else [value],
                    }
                )
    return out
