"""Cog-level fixtures: real services (tmp knowledge copy, tmp SQLite) and spec'd discord.py doubles.

Doubles are built with `spec`/`spec_set` from the real discord.py classes, so a misspelt attribute
fails. Calling a command's callback directly skips checks and transformers: those are covered e2e.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from unittest.mock import MagicMock

import discord
import pytest
import yaml

from bot.config import load_settings
from bot.discord_bot import SupportBot
from bot.services import Services, build_services
from tests.shared_cache import EMBEDDING_CACHE

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def services(tmp_path: Path) -> Iterator[Services]:
    shutil.copytree(REPO / "knowledge", tmp_path / "knowledge")
    config = tmp_path / "config.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "knowledge": {"path": "knowledge", "watch_interval_seconds": 0},
                "feedback": {"path": "feedback.sqlite3"},
                "embedding": {"cache_path": str(EMBEDDING_CACHE)},
                "discord": {"support_channel_ids": [100, 200], "guild_ids": [1]},
            }
        ),
        encoding="utf-8",
    )
    s = build_services(load_settings(config))
    yield s
    s.close()


@pytest.fixture
def bot(services: Services) -> MagicMock:
    double = MagicMock(spec=SupportBot)
    double.services = services
    double.user = MagicMock(spec=discord.ClientUser, id=999)
    return double
