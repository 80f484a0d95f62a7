"""Fixtures for the learning loop: an engine whose examples folder is a writable copy, a loop over it."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest

from bot.config import LearningSettings, load_settings
from bot.core.knowledge.files import WriterLock
from bot.core.knowledge.loader import load_knowledge
from bot.core.learning.candidates import CandidateStore
from bot.core.learning.loop import LearningLoop
from bot.core.matching.answers import AnswerEngine
from bot.core.matching.embeddings.meaning import load_meaning
from tests.shared_cache import EMBEDDING_CACHE

ROOT = Path(__file__).resolve().parents[3]


def engine_over(examples: Path) -> AnswerEngine:
    """The shipped engine, reading its examples from `examples` (a copy the test may write to)."""
    settings = load_settings(ROOT / "config.yaml")
    embedding = dataclasses.replace(settings.embedding, cache_path=EMBEDDING_CACHE, examples_path=examples)
    return AnswerEngine(load_knowledge(ROOT / "knowledge"), settings.matcher, load_meaning(embedding))


@pytest.fixture
def examples_copy(tmp_path: Path) -> Path:
    target = tmp_path / "examples"
    shutil.copytree(ROOT / "knowledge" / "examples", target)
    return target


@pytest.fixture
def make_loop(tmp_path: Path, examples_copy: Path):
    made: list[LearningLoop] = []

    def make(**settings: object) -> LearningLoop:
        loop = LearningLoop(
            CandidateStore(tmp_path / "learning.sqlite3"),
            engine_over(examples_copy),
            LearningSettings(**settings),
            examples_path=examples_copy,
            lock=WriterLock(tmp_path / "kb.lock"),
        )
        made.append(loop)
        return loop

    yield make
    for loop in made:
        loop.close()
