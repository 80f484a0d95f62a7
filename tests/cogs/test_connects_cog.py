"""Cheap cog-level cases for /connects: who counts as a manager, the private-explanation button, embed limits."""

from __future__ import annotations

import dataclasses
import re
from unittest.mock import MagicMock

import discord

from bot.core.ledger.access import Viewer
from bot.core.ledger.charges import MAX_OFFER_REF_CHARS, ChargeQuestion
from bot.core.ledger.store import LedgerStore
from bot.services import Services
from bot.ui.connects_embeds import EMBED_TOTAL_LIMIT, history_embeds
from bot.ui.connects_views import ExplainPrivatelyButton, explain_privately_view, is_manager


def member_with_roles(*role_ids: int) -> MagicMock:
    member = MagicMock(spec=discord.Member)
    member.roles = [MagicMock(spec=discord.Role, id=r) for r in role_ids]
    return member


def test_a_manager_is_a_member_with_a_configured_manager_role(services: Services) -> None:
    configured = services.settings.discord.manager_role_ids
    assert configured == ()  # the test config names none: nobody is a manager
    assert not is_manager(member_with_roles(1, 2), services)
    managers = dataclasses.replace(services.settings.discord, manager_role_ids=(2,))
    services.settings = dataclasses.replace(services.settings, discord=managers)
    assert is_manager(member_with_roles(1, 2), services)
    assert not is_manager(member_with_roles(3), services)
    assert not is_manager(MagicMock(spec=discord.User, roles=()), services)  # outside a server: no roles


def test_the_explain_button_carries_the_asker_and_the_reference_and_parses_back() -> None:
    view = explain_privately_view(1234, "job", "~01ab7c9d2e4f6a8b0c")
    assert view is not None and view.timeout is None  # persistent: it outlives the process
    (item,) = view.children
    custom_id = item.custom_id
    assert custom_id == "cx:why:1234:job:~01ab7c9d2e4f6a8b0c"
    match = re.fullmatch(ExplainPrivatelyButton.__discord_ui_compiled_template__, custom_id)
    assert match is not None and (match["asker"], match["kind"], match["ref"]) == ("1234", "job", "~01ab7c9d2e4f6a8b0c")
    assert len(custom_id) <= 100
    # The desk offers only references a button can carry: the longest one, from the longest snowflake, fits.
    longest = explain_privately_view(2**64 - 1, "entry", "x" * MAX_OFFER_REF_CHARS)
    assert len(longest.children[0].custom_id) <= 100
    assert ChargeQuestion("entry", "x" * MAX_OFFER_REF_CHARS).offerable
    for unusable in ("x" * (MAX_OFFER_REF_CHARS + 1), "a:b", "two words"):
        assert not ChargeQuestion("entry", unusable).offerable


async def test_a_full_history_page_fits_discords_embed_limits(services: Services) -> None:
    assert services.ledger is not None and services.ledger_worker is not None
    # The busiest demo member, seen by a manager: the largest pages the demo ledger can produce.
    history = await services.ledger.history(Viewer("test", manager=True), "fl-yuki")
    store_rows = await services.ledger_worker.run(LedgerStore.entries, "fl-yuki", limit=50)
    assert len(history.sections[0].entries) == len(store_rows)
    embeds = history_embeds(history, 0, with_chart=True)
    total = sum(len(e.title or "") + len(e.description or "") + sum(len(f.value) for f in e.fields) for e in embeds)
    assert total < EMBED_TOTAL_LIMIT and len(embeds) <= 10
    assert embeds[-1].image.url == "attachment://connects-balances.png"
