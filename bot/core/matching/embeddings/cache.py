"""Sentence embeddings computed once and kept on disk, keyed by the model and the text.

A start with a warm cache embeds nothing; a moderator's edit embeds only the phrasings it added. The
key is sha256(model weights digest, text), so changing the model (or a single character of a phrasing)
can never serve a stale vector. A text the cache lacks is looked up in the shipped seed (seed.py: the
bundled knowledge base, embedded once by the project) before it is embedded, so a new folder starts
warm. Embedding many texts logs its progress (bot/core/progress.py). The cache is an optimisation: a
damaged file (not a database, malformed, another schema, vectors of another size) is moved aside with
one warning and rebuilt; if the file cannot be opened or written at all, the bot logs one warning and
embeds in memory.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from bot.core.matching.embeddings.cache_health import CREATE, move_aside, problem_with
from bot.core.matching.embeddings.seed import EmbeddingSeed
from bot.core.progress import Progress
from bot.core.sqlite_wal import use_wal

log = logging.getLogger(__name__)

Embed = Callable[[list[str]], np.ndarray]

PROGRESS_FROM = 64  # texts: fewer embed in well under a second, not worth reporting
PROGRESS_STEPS = 20  # at most this many progress reports for one embedding job
MIN_CHUNK = 64  # texts embedded per call at least (the encoder batches 32 of similar length)


def is_damage(exc: sqlite3.Error) -> bool:
    """A damaged file ("file is not a database", "malformed"), not a lock, a permission or a full disk."""
    return isinstance(exc, sqlite3.DatabaseError) and not isinstance(exc, sqlite3.OperationalError)


class EmbeddingCache:
    """Look up or compute embeddings for texts with one model; thread-safe."""

    def __init__(self, path: Path | None, model_key: str, dim: int, seed: Path | None = None) -> None:
        self._path = path
        self._model_key = model_key
        self._dim = dim
        self._seed = EmbeddingSeed(seed, model_key, dim)
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        if path is not None:
            self._conn = self._open(path)

    def embed(self, texts: Sequence[str], compute: Embed) -> np.ndarray:
        """Return one row per text, computing (and storing) only the ones neither the cache nor the seed has."""
        out = np.zeros((len(texts), self._dim), dtype=np.float32)
        keys = [self.key(t) for t in texts]
        found = self._fetch(set(keys))
        missing = {k: t for t, k in zip(texts, keys, strict=True) if k not in found}
        if missing:
            seeded = self._seed.lookup(list(missing))
            if seeded:
                self._store(seeded)
                found.update(seeded)
            # A set has no order: sorted, so a cold cache is embedded (and reports progress) the same way each run.
            todo = sorted({t for k, t in missing.items() if k not in seeded}, key=lambda t: (len(t), t))
            if todo:
                found.update(self._compute(todo, compute))
        for row, key in enumerate(keys):
            out[row] = found[key]
        return out

    def _compute(self, texts: list[str], compute: Embed) -> dict[bytes, np.ndarray]:
        """Embed texts in chunks, storing each chunk as it is done and reporting progress on long jobs."""
        what = f"embedding (once: kept in {self._path})" if self._conn is not None else "embedding (no cache on disk)"
        progress = Progress(what, len(texts), "texts") if len(texts) >= PROGRESS_FROM else None
        chunk = max(MIN_CHUNK, -(-len(texts) // PROGRESS_STEPS))
        fresh: dict[bytes, np.ndarray] = {}
        for start in range(0, len(texts), chunk):
            part = texts[start : start + chunk]
            vectors = compute(part)
            done = {self.key(t): v for t, v in zip(part, vectors, strict=True)}
            self._store(done)  # an interrupted first start keeps what it had embedded
            fresh.update(done)
            if progress is not None:
                progress.advance(len(part))
        return fresh

    def fill_from_seed(self) -> int:
        """Store every vector of the seed (what `init` gives a new folder); return how many."""
        vectors = self._seed.everything()
        self._store(vectors)
        return len(vectors)

    def artefact(self, key: str) -> bytes | None:
        """Return a stored blob (a trained head, say) for key, or None."""
        if self._conn is None:
            return None
        with self._lock:
            try:
                row = self._conn.execute("SELECT data FROM artefact WHERE key = ?", (key,)).fetchone()
            except sqlite3.Error as exc:
                if not is_damage(exc):
                    raise
                self._rebuild(str(exc))
                return None
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

    def key(self, text: str) -> bytes:
        """The cache key of text for this model (what the seed is keyed by too)."""
        return hashlib.sha256(f"{self._model_key}\0{text}".encode()).digest()

    def _fetch(self, keys: set[bytes]) -> dict[bytes, np.ndarray]:
        if self._conn is None or not keys:
            return {}
        found: dict[bytes, np.ndarray] = {}
        wanted = list(keys)
        with self._lock:
            try:
                for start in range(0, len(wanted), 500):  # SQLite's bound-parameter limit
                    chunk = wanted[start : start + 500]
                    marks = ",".join("?" * len(chunk))
                    rows = self._conn.execute(f"SELECT key, vector FROM embedding WHERE key IN ({marks})", chunk)
                    for key, blob in rows:
                        vector = np.frombuffer(blob, dtype=np.float32)
                        if vector.size == self._dim:
                            found[key] = vector
            except sqlite3.Error as exc:
                if not is_damage(exc):
                    raise
                self._rebuild(str(exc))
                return {}
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

    def _open(self, path: Path) -> sqlite3.Connection | None:
        """Open the cache at path; a damaged one is moved aside (one warning) and a new one opened."""
        for _attempt in range(2):
            problem = None
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                conn = sqlite3.connect(path, check_same_thread=False, timeout=10)
            except (OSError, sqlite3.Error) as exc:
                log.warning("embedding cache %s unavailable (%s): embeddings are kept in memory only", path, exc)
                return None
            try:
                problem = problem_with(conn, self._dim)
                if problem is None:
                    use_wal(conn)
                    for statement in CREATE:
                        conn.execute(statement)
                    return conn
            except sqlite3.Error as exc:
                if not is_damage(exc):
                    conn.close()
                    log.warning("embedding cache %s unavailable (%s): embeddings are kept in memory only", path, exc)
                    return None
                problem = str(exc)
            conn.close()
            if not self._set_aside(path, problem):
                return None
        return None

    def _rebuild(self, problem: str) -> None:
        """A read found the open cache damaged: move it aside and start a new one (caller holds the lock)."""
        assert self._path is not None and self._conn is not None
        self._conn.close()
        self._conn = None
        if self._set_aside(self._path, problem):
            self._conn = self._open(self._path)

    def _set_aside(self, path: Path, problem: str) -> bool:
        try:
            aside = move_aside(path)
        except OSError as exc:
            log.warning(
                "embedding cache %s is damaged (%s) and cannot be moved aside (%s): embeddings are kept in memory only",
                path,
                problem,
                exc.strerror or exc,
            )
            return False
        log.warning("embedding cache %s is damaged (%s): moved to %s; rebuilding it", path, problem, aside.name)
        return True
