"""Whether the bot may speak up on a message it was not asked about: a pure decision on plain values.

The Discord listener pulls these values out of a message; nothing here knows about discord.py, so the
rules are tested with plain data and read in one place. What the bot then does: desk.py.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from enum import Enum


@dataclass(frozen=True)
class MessageFacts:
    """What the policy needs to know about one message."""

    author_id: int
    author_is_bot: bool
    is_webhook: bool
    channel_id: int
    # The parent of a thread or forum post; None for a plain channel.
    parent_id: int | None
    in_guild: bool
    content: str
    # A reply: the author of the message replied to, or None when it is not a reply.
    is_reply: bool = False
    replied_to_author_id: int | None = None
    is_system: bool = False
    # Where the message is: the answer's cooldown points a repeat of the question here until the reply exists.
    message_id: int | None = None  # None: a slash command's question, which is no message
    jump_url: str = ""

    @property
    def in_thread(self) -> bool:
        """A message inside a thread or forum post (not the post that opened it)."""
        return self.parent_id is not None and self.message_id != self.channel_id


class Verdict(Enum):
    """Why the bot may or may not act; only CONSIDER lets the message reach the answer engine."""

    CONSIDER = "consider"
    NOT_IN_GUILD = "not in a server"
    NOT_SUPPORT_CHANNEL = "not a support channel"
    FROM_BOT = "sent by a bot"
    FROM_WEBHOOK = "sent by a webhook"
    SYSTEM_MESSAGE = "a system message"
    EMPTY = "no text (is the message-content intent on?)"
    REPLY_TO_HUMAN = "a reply to another person, who is already helping"

    @property
    def acts(self) -> bool:
        return self is Verdict.CONSIDER


def is_support_channel(channel_id: int, parent_id: int | None, support_channel_ids: Collection[int]) -> bool:
    """Return whether a channel, or the channel a thread or forum post lives in, is a support channel."""
    return channel_id in support_channel_ids or (parent_id is not None and parent_id in support_channel_ids)


def judge_message(facts: MessageFacts, *, bot_user_id: int, support_channel_ids: Collection[int]) -> Verdict:
    """Decide whether the bot should consider answering this message unprompted."""
    if not facts.in_guild:
        return Verdict.NOT_IN_GUILD
    if facts.is_webhook:
        return Verdict.FROM_WEBHOOK
    if facts.author_is_bot:
        return Verdict.FROM_BOT
    if facts.is_system:
        return Verdict.SYSTEM_MESSAGE
    if not is_support_channel(facts.channel_id, facts.parent_id, support_channel_ids):
        return Verdict.NOT_SUPPORT_CHANNEL
    if not facts.content.strip():
        return Verdict.EMPTY
    if facts.is_reply and facts.replied_to_author_id not in (facts.author_id, bot_user_id):
        # Includes replies whose target is unknown (deleted or not cached): someone may be helping.
        return Verdict.REPLY_TO_HUMAN
    return Verdict.CONSIDER
