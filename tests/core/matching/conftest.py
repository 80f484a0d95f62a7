"""Fixtures for the answer engine: the real knowledge base, and writable copies of it."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest

from bot.config import load_settings
from bot.core.knowledge.loader import load_knowledge
from bot.core.knowledge.model import KnowledgeBase
from bot.core.matching.answers import AnswerEngine
from bot.core.matching.embeddings.meaning import load_meaning
from tests.shared_cache import EMBEDDING_CACHE

ROOT = Path(__file__).resolve().parents[3]
KNOWLEDGE = ROOT / "knowledge"


@pytest.fixture(scope="session")
def real_kb() -> KnowledgeBase:
    return load_knowledge(KNOWLEDGE)


@pytest.fixture(scope="session")
def engine(real_kb: KnowledgeBase) -> AnswerEngine:
    return AnswerEngine(real_kb, load_settings(ROOT / "config.yaml").matcher)


@pytest.fixture(scope="session")
def meaning_engine(real_kb: KnowledgeBase) -> AnswerEngine:
    """The engine as shipped: lexical matcher plus the meaning model, on the shared embedding cache."""
    settings = load_settings(ROOT / "config.yaml")
    embedding = dataclasses.replace(settings.embedding, cache_path=EMBEDDING_CACHE)
    return AnswerEngine(real_kb, settings.matcher, load_meaning(embedding))


@pytest.fixture
def kb_copy(tmp_path: Path) -> Path:
    """A writable copy of the real knowledge directory."""
    target = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, target)
    return target
