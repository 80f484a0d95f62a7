"""A damaged embedding cache is moved aside with one warning and rebuilt (from the seed), never kept broken."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from bot.core.matching.embeddings.cache import EmbeddingCache
from bot.core.matching.embeddings.seed import write_seed

DIM = 4
TEXTS = [f"question number {i}" for i in range(300)]


def vectors_of(texts: list[str]) -> np.ndarray:
    return np.array([[len(t), i % 7, 1.0, 0.5] for i, t in enumerate(texts)], dtype=np.float32)


@pytest.fixture
def seed(tmp_path: Path) -> Path:
    path = tmp_path / "seed.npz"
    keys = EmbeddingCache(None, "model", DIM)
    write_seed(path, "model", {keys.key(t): v for t, v in zip(TEXTS, vectors_of(TEXTS), strict=True)})
    return path


def full_cache(path: Path) -> None:
    cache = EmbeddingCache(path, "model", DIM)
    cache.embed(TEXTS, vectors_of)
    cache.store_artefact("head", b"x" * 50_000)
    cache.close()


def not_a_database(path: Path) -> None:
    path.write_bytes(b"this is a text file, not SQLite\n" * 200)


def malformed(path: Path) -> None:
    full_cache(path)
    data = bytearray(path.read_bytes())
    page = 4096
    data[2 * page : 6 * page] = b"\xa5" * (4 * page)  # b-tree pages overwritten, the header intact
    path.write_bytes(bytes(data))


def wrong_schema(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE embedding (key TEXT PRIMARY KEY, vec BLOB, model TEXT)")
    conn.commit()
    conn.close()


def wrong_vector_size(path: Path) -> None:
    full_cache(path)
    conn = sqlite3.connect(path)
    conn.execute("UPDATE embedding SET vector = X'00010203' WHERE rowid % 2 = 0")
    conn.commit()
    conn.close()


@pytest.mark.parametrize("damage", [not_a_database, malformed, wrong_schema, wrong_vector_size])
def test_a_damaged_cache_is_moved_aside_once_and_rebuilt_from_the_seed(damage, seed, tmp_path, caplog):
    path = tmp_path / "data" / "embeddings.sqlite3"
    path.parent.mkdir()
    damage(path)
    computed: list[str] = []

    def compute(texts: list[str]) -> np.ndarray:
        computed.extend(texts)
        return vectors_of(texts)

    with caplog.at_level(logging.WARNING):
        cache = EmbeddingCache(path, "model", DIM, seed=seed)
        got = cache.embed([*TEXTS, "not in the seed"], compute)
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1, warnings
    assert warnings[0].startswith(f"embedding cache {path} is damaged (") and "; rebuilding it" in warnings[0]
    (aside,) = [p for p in path.parent.iterdir() if ".damaged-" in p.name and not p.name.endswith(("-wal", "-shm"))]
    assert aside.name in warnings[0]
    assert computed == ["not in the seed"]  # the rest came from the seed
    assert np.array_equal(got[: len(TEXTS)], vectors_of(TEXTS))
    cache.close()

    caplog.clear()
    again = EmbeddingCache(path, "model", DIM, seed=None)  # the rebuilt file holds everything now
    again.embed([*TEXTS, "not in the seed"], compute)
    assert computed == ["not in the seed"] and caplog.records == []
    again.close()


def test_a_cache_that_cannot_be_opened_is_not_taken_for_damaged(tmp_path, caplog):
    blocker = tmp_path / "data"
    blocker.write_text("a file where the folder should be")
    with caplog.at_level(logging.WARNING):
        cache = EmbeddingCache(blocker / "embeddings.sqlite3", "model", DIM)
    assert cache.embed(["hello"], vectors_of).shape == (1, DIM)  # embeds in memory
    assert [r.getMessage().split(" (")[0] for r in caplog.records] == [
        f"embedding cache {blocker / 'embeddings.sqlite3'} unavailable"
    ]
    assert blocker.read_text() == "a file where the folder should be"
