"""One embedding cache for the whole test run (and the CLI's own, so a warm checkout embeds nothing).

The bundled knowledge base and examples come from the shipped seed, but a trained head, the chatter gate
and every text tests add are computed once; every test config points here so that cost is paid once,
not per test. Keys include the model and the text, so tests that
edit the knowledge base simply add rows. Tests of a fresh install or a new folder, whose bot keeps its
cache elsewhere, start from a copy (`seed_embedding_cache`): their subject is where files go, not
how long a first embedding takes (tests/core/matching/test_meaning.py covers a cold cache).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
EMBEDDING_CACHE = REPO / "data" / "embeddings.sqlite3"
_warm: list[bool] = []


def seed_embedding_cache(data_dir: Path) -> Path:
    """Copy the (warmed) shared cache to data_dir/embeddings.sqlite3 with SQLite's backup API."""
    if not _warm:
        from bot.config import load_settings
        from bot.core.matching.answers import AnswerEngine

        settings = load_settings(REPO / "config.yaml")
        assert settings.embedding.cache_path == EMBEDDING_CACHE
        AnswerEngine.from_settings(settings)  # embeds whatever the shared cache lacks, trains the head once
        _warm.append(True)
    data_dir.mkdir(parents=True, exist_ok=True)
    target = data_dir / "embeddings.sqlite3"
    source = sqlite3.connect(EMBEDDING_CACHE)
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)
    finally:
        copy.close()
        source.close()
    return target
