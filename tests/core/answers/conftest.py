"""Fixtures for the answer engine: the real knowledge base, and writable copies of it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.config import load_settings
from bot.core.answers import AnswerEngine
from bot.core.knowledge import KnowledgeBase, load_knowledge

ROOT = Path(__file__).resolve().parents[3]
KNOWLEDGE = ROOT / "knowledge"


@pytest.fixture(scope="session")
def real_kb() -> KnowledgeBase:
    return load_knowledge(KNOWLEDGE)


@pytest.fixture(scope="session")
def engine(real_kb: KnowledgeBase) -> AnswerEngine:
    return AnswerEngine(real_kb, load_settings(ROOT / "config.yaml").matcher)


@pytest.fixture
def kb_copy(tmp_path: Path) -> Path:
    """A writable copy of the real knowledge directory."""
    target = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, target)
    return target
