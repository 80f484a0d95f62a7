"""Sentence embeddings computed once and kept on disk, keyed by the model and the text.

A start with a warm cache embeds nothing; a moderator's edit embeds only the phrasings it added. The
key is sha256(model weights digest, text), so changing the model (or a single character of a phrasing)
can never serve a stale vector. The cache is an optimisation: if its file cannot be opened or written,
the bot logs one warning and embeds in memory.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from bot.core.sqlite_wal import use_wal

log = logging.getLogger(__name__)

Embed = Callable[[list[str]], np.ndarray]


class EmbeddingCache:
    """Look up or compute embeddings for texts with one model; thread-safe."""

    def __init__(self, path: Path | None, model_key: str, dim: int) -> None:
        self._model_key = model_key
        self._dim = dim
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        if path is not None:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                conn = sqlite3.connect(path, check_same_thread=False, timeout=10)
                use_wal(conn)
                conn.execute("CREATE TABLE IF NOT EXISTS embedding (key BLOB PRIMARY KEY, vector BLOB NOT NULL)")
                conn.execute("CREATE TABLE IF NOT EXISTS artefact (key TEXT PRIMARY KEY, data BLOB NOT NULL)")
                self._conn = conn
            except (OSError, sqlite3.Error) as exc:
                log.warning("embedding cache %s unavailable (%s): embeddings are kept in memory only", path, exc)

    def embed(self, texts: Sequence[str], compute: Embed) -> np.ndarray:
        """Return one row per text, computing (and storing) only the ones the cache lacks."""
        out = np.zeros((len(texts), self._dim), dtype=np.float32)
        keys = [self._key(t) for t in texts]
        found = self._fetch(set(keys))
        missing = sorted({t for t, k in zip(texts, keys, strict=True) if k not in found})
        if missing:
            vectors = compute(missing)
            fresh = {self._key(t): v for t, v in zip(missing, vectors, strict=True)}
            self._store(fresh)
            found.update(fresh)
        for row, key in enumerate(keys):
            out[row] = found[key]
        return out

    def artefact(self, key: str) -> bytes | None:
        """Return a stored blob (a trained head, say) for key, or None."""
        if self._conn is None:
            return None
        with self._lock:
            row = self._conn.execute("SELECT data FROM artefact WHERE key = ?", (key,)).fetchone()
        return None if row is None else bytes(row[0])

    def store_artefact(self, key: str, data: bytes) -> None:
        """Keep a blob under key (replacing any older one of the same key)."""
        if self._conn is None:
            return
        try:
            with self._lock, self._conn:
                self._conn.execute("INSERT OR REPLACE INTO artefact (key, data) VALUES (?, ?)", (key, data))
        except sqlite3.Error as exc:
            log.warning("could not store %s in the cache: %s", key, exc)

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def _key(self, text: str) -> bytes:
        return hashlib.sha256(f"{self._model_key}\0{text}".encode()).digest()

    def _fetch(self, keys: set[bytes]) -> dict[bytes, np.ndarray]:
        if self._conn is None or not keys:
            return {}
        found: dict[bytes, np.ndarray] = {}
        wanted = list(keys)
        with self._lock:
            for start in range(0, len(wanted), 500):  # SQLite's bound-parameter limit
                chunk = wanted[start : start + 500]
                marks = ",".join("?" * len(chunk))
                rows = self._conn.execute(f"SELECT key, vector FROM embedding WHERE key IN ({marks})", chunk)
                for key, blob in rows:
                    vector = np.frombuffer(blob, dtype=np.float32)
                    if vector.size == self._dim:
                        found[key] = vector
        return found

    def _store(self, vectors: dict[bytes, np.ndarray]) -> None:
        if self._conn is None:
            return
        rows = [(k, np.asarray(v, dtype=np.float32).tobytes()) for k, v in vectors.items()]
        try:
            with self._lock, self._conn:
                self._conn.executemany("INSERT OR REPLACE INTO embedding (key, vector) VALUES (?, ?)", rows)
        except sqlite3.Error as exc:
            log.warning("could not store %d embeddings in the cache: %s", len(rows), exc)
