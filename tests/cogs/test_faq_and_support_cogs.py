"""Cheap cog-level cases: /faq autocomplete and lookups, and the support listener's fact extraction."""

from __future__ import annotations

import itertools
from unittest.mock import AsyncMock, MagicMock

import discord
import pytest

from bot.cogs.faq import FaqCog
from bot.cogs.support import SupportCog, message_facts
from bot.core.errors import EntryNotFound
from tests.cogs.helpers import make_interaction


async def test_autocomplete_returns_at_most_25_choices_with_short_names(bot) -> None:
    cog = FaqCog(bot)
    choices = await cog.show_id_autocomplete(make_interaction(), "")
    assert len(choices) == min(25, len(bot.services.engine.kb.entries))
    assert all(len(c.name) <= 100 and c.name.startswith(c.value) for c in choices)
    typed = await cog.show_id_autocomplete(make_interaction(), "vat tax")
    assert typed[0].value == "taxes-vat"


async def test_faq_show_unknown_id_raises_with_suggestions(bot) -> None:
    cog = FaqCog(bot)
    with pytest.raises(EntryNotFound) as caught:
        await cog.show.callback(cog, make_interaction(), "taxes-vta")
    assert "taxes-vat" in caught.value.suggestions


async def test_faq_show_sends_the_entry(bot) -> None:
    cog = FaqCog(bot)
    interaction = make_interaction()
    await cog.show.callback(cog, interaction, " taxes-vat ")
    kwargs = interaction.response.send_message.await_args.kwargs
    assert kwargs["embed"].footer.text.startswith("taxes-vat · reviewed ")
    assert [item.custom_id for item in kwargs["view"].children] == ["fb:helpful:taxes-vat", "fb:unhelpful:taxes-vat"]


MESSAGE_IDS = itertools.count(42)


def make_message(*, channel: MagicMock, author_bot: bool = False, content: str = "how do I buy connects?") -> MagicMock:
    message = MagicMock(spec=discord.Message)
    message.id = next(MESSAGE_IDS)  # Discord never reuses an id, and the listener takes each one on once
    message.author = MagicMock(spec=discord.Member, id=5, bot=author_bot)
    message.channel = channel
    message.guild = MagicMock(spec=discord.Guild)
    message.content = content
    message.webhook_id = None
    message.type = discord.MessageType.default
    message.reference = None
    message.is_system.return_value = False
    message.reply = AsyncMock()
    return message


def test_message_facts_reads_a_thread_parent_and_a_reply_target() -> None:
    thread = MagicMock(spec=discord.Thread, id=300, parent_id=100)
    message = make_message(channel=thread)
    message.type = discord.MessageType.reply
    target = MagicMock(spec=discord.Message)
    target.author = MagicMock(spec=discord.Member, id=6)
    message.reference = MagicMock(spec=discord.MessageReference, resolved=target, cached_message=None)
    facts = message_facts(message)
    assert (facts.channel_id, facts.parent_id, facts.is_reply, facts.replied_to_author_id) == (300, 100, True, 6)


def test_message_facts_for_a_deleted_reply_target_has_no_author() -> None:
    message = make_message(channel=MagicMock(spec=discord.TextChannel, id=100))
    message.type = discord.MessageType.reply
    deleted = MagicMock(spec=discord.DeletedReferencedMessage)
    message.reference = MagicMock(spec=discord.MessageReference, resolved=deleted, cached_message=None)
    facts = message_facts(message)
    assert facts.is_reply and facts.replied_to_author_id is None and facts.parent_id is None


async def test_listener_ignores_other_channels_and_bots_without_asking_the_engine(bot) -> None:
    cog = SupportCog(bot)
    bot.services.engine = MagicMock(wraps=bot.services.engine)
    for message in (
        make_message(channel=MagicMock(spec=discord.TextChannel, id=555)),
        make_message(channel=MagicMock(spec=discord.TextChannel, id=100), author_bot=True),
    ):
        await cog.on_message(message)
        message.reply.assert_not_awaited()
    bot.services.engine.decide.assert_not_called()
    outcomes = [c.args[1].reason for c in bot.dispatch.call_args_list]
    assert outcomes == ["not a support channel", "sent by a bot"]
