"""Helpers shared by the CLI commands: loading config and the answer engine once per command."""

from __future__ import annotations

import argparse

from bot.config import Settings, load_settings
from bot.core.answers import AnswerEngine


def settings_from(args: argparse.Namespace) -> Settings:
    """Load the config named by --config (or the default one)."""
    return load_settings(getattr(args, "config", None))


def engine_from(settings: Settings) -> AnswerEngine:
    """Load and index the configured knowledge base."""
    return AnswerEngine.from_settings(settings)
