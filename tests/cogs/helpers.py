"""Spec'd discord.py doubles for cog tests."""

from __future__ import annotations

from unittest.mock import AsyncMock, MagicMock

import discord


def make_interaction(*, done: bool = False, user_id: int = 5) -> MagicMock:
    """A spec'd Interaction whose response reports `done` and whose sends are AsyncMocks."""
    interaction = MagicMock(spec=discord.Interaction)
    interaction.user = MagicMock(spec=discord.Member, id=user_id)
    interaction.channel_id = 100
    interaction.command = None
    response = MagicMock(spec=discord.InteractionResponse)
    response.is_done.return_value = done
    response.send_message = AsyncMock()
    response.autocomplete = AsyncMock()
    interaction.response = response
    followup = MagicMock(spec=discord.Webhook)
    followup.send = AsyncMock()
    interaction.followup = followup
    return interaction
