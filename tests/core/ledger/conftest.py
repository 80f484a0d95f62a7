"""Fixtures for the ledger tests: real SQLite files in tmp_path, the real demo ledger and knowledge base."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from ledger_sample import PROFILES, REPO

from bot.core.knowledge.loader import load_knowledge
from bot.core.knowledge.model import KnowledgeBase
from bot.core.ledger import open_ledger
from bot.core.ledger.service import LedgerService
from bot.core.ledger.store import LedgerStore


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    return load_knowledge(REPO / "knowledge")


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[LedgerStore]:
    store = open_ledger(tmp_path / "ledger.sqlite3")
    yield store
    store.close()


@pytest.fixture
def service(demo: LedgerStore, kb: KnowledgeBase) -> LedgerService:
    return LedgerService(demo, kb)


@pytest.fixture
def empty(tmp_path: Path) -> Iterator[LedgerStore]:
    store = LedgerStore(tmp_path / "empty.sqlite3")
    yield store
    store.close()


@pytest.fixture
def profiles_file(tmp_path: Path) -> Path:
    path = tmp_path / "profiles.yaml"
    path.write_text(PROFILES, encoding="utf-8")
    return path
