"""Fixtures for the knowledge-store tests: a small knowledge base on disk, a history, a store, an engine."""

from __future__ import annotations

from pathlib import Path

import pytest
from kb_sample import write_sample

from bot.config import MatcherSettings
from bot.core.knowledge.history import KnowledgeHistory
from bot.core.knowledge.loader import load_knowledge
from bot.core.knowledge.store import KnowledgeStore
from bot.core.matching.answers import AnswerEngine


@pytest.fixture
def knowledge_dir(tmp_path: Path) -> Path:
    return write_sample(tmp_path)


@pytest.fixture
def history_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "knowledge-history.sqlite3"


@pytest.fixture
def engine(knowledge_dir: Path) -> AnswerEngine:
    return AnswerEngine(load_knowledge(knowledge_dir), MatcherSettings())


@pytest.fixture
def store(knowledge_dir: Path, history_path: Path, engine: AnswerEngine) -> KnowledgeStore:
    return KnowledgeStore(knowledge_dir, KnowledgeHistory(history_path), consumers=[engine], kb=engine.kb)
