"""Helpers shared by the CLI commands: finding and loading the config, and the answer engine, once per command.

Which config a command uses, first match wins:
  1. --config PATH
  2. $CONNECTS_BOT_CONFIG
  3. config.yaml in the current folder
  4. the packaged default (the repository's config.yaml and knowledge/, installed with the package),
     whose ledger, history and votes go to $XDG_DATA_HOME/connects-bot (~/.local/share/connects-bot)
A path named by 1 or 2 must exist: a typo is an error, not a silent fall back to the default.
"""

from __future__ import annotations

import argparse
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING

from bot.config import PACKAGED_CONFIG_PATH, Settings, load_settings
from bot.core.errors import ConfigError

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from bot.core.matching.answers import AnswerEngine

CONFIG_VARIABLE = "CONNECTS_BOT_CONFIG"
LOCAL_CONFIG = Path("config.yaml")


def find_config(explicit: str | None) -> Path | None:
    """Return the config file to load (see the module docstring); None means the packaged default."""
    if explicit:
        return Path(explicit)
    named = os.environ.get(CONFIG_VARIABLE, "").strip()
    if named:
        return Path(named)
    if LOCAL_CONFIG.is_file():
        return LOCAL_CONFIG
    return None


def settings_from(args: argparse.Namespace) -> Settings:
    """Load the config the command should use (--config, $CONNECTS_BOT_CONFIG, ./config.yaml, packaged)."""
    return load_settings(find_config(getattr(args, "config", None)))


def settings_to_change_knowledge(args: argparse.Namespace, command: str) -> Settings:
    """Load the config for a command that writes to knowledge/; refuse the packaged default's, which is
    installed with the package (writing there would be lost on upgrade, or fail)."""
    settings = settings_from(args)
    if settings.source.absolute() == PACKAGED_CONFIG_PATH:
        raise ConfigError(
            "no config.yaml here",
            f"`{command}` changes the knowledge base, and the packaged one is read-only: run `connects-bot init` "
            "to get a config.yaml and knowledge/ of your own, then run from that folder or pass --config",
        )
    return settings


def engine_from(settings: Settings) -> AnswerEngine:
    """Load and index the configured knowledge base (the engine's imports, numpy among them, only now)."""
    from bot.core.matching.answers import AnswerEngine

    engine = AnswerEngine.from_settings(settings)
    _serve_learned(settings, engine)
    return engine


def _serve_learned(settings: Settings, engine: AnswerEngine) -> None:
    """Answer the community's accepted questions word for word, as the running bot does (LearningLoop.restore)."""
    folder = settings.embedding.examples_path
    if not settings.learning.enabled or folder is None:
        return
    path = folder / settings.learning.examples_file
    if not path.exists():
        return
    from bot.core.learning.guard import learned_answers
    from bot.core.learning.learned_file import served_examples
    from bot.core.matching.examples import ExamplesError

    try:
        engine.use_learned(learned_answers(served_examples(path)))
    except ExamplesError as exc:  # the meaning model's loading reports the file too
        log.warning("learning: %s", exc)
