"""The seed: embeddings of the bundled knowledge base and examples, shipped inside the package.

Embedding the bundled knowledge base takes tens of seconds on 2 cores, and each new folder (a new
`data/`, an `init`) used to pay it again. The seed holds those vectors exactly as the encoder computed
them (float32), under the cache's own keys (sha256 of model digest and text), for one model digest. A
cache asked for a text it lacks looks in the seed before embedding, so a knowledge base that differs a
little from the bundled one embeds only its own new texts.

`scripts/build_embedding_seed.py` writes it; `tests/core/matching/test_embedding_seed.py` fails when it
no longer covers the bundled knowledge base and examples.
"""

from __future__ import annotations

import logging
import os
import tempfile
import threading
import zipfile
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

SEED_PATH = Path(__file__).resolve().parents[3] / "models" / "embedding-seed.npz"


class EmbeddingSeed:
    """Vectors by cache key for one model, read from the seed file on first use (never raises)."""

    def __init__(self, path: Path | None, model_key: str, dim: int) -> None:
        self.path = path
        self._model_key = model_key
        self._dim = dim
        self._lock = threading.Lock()
        self._rows: dict[bytes, int] | None = None
        self._vectors = np.zeros((0, dim), dtype=np.float32)

    def lookup(self, keys: list[bytes]) -> dict[bytes, np.ndarray]:
        """Return the vectors the seed holds for keys (none when it is missing, damaged or another model's)."""
        rows = self._load()
        return {k: self._vectors[rows[k]] for k in keys if k in rows}

    def everything(self) -> dict[bytes, np.ndarray]:
        """Every vector of the seed, by key (none when it is missing, damaged or another model's)."""
        return {k: self._vectors[i] for k, i in self._load().items()}

    def _load(self) -> dict[bytes, int]:
        with self._lock:
            if self._rows is None:
                self._rows = {}
                if self.path is not None and self.path.is_file():
                    self._read(self.path)
            return self._rows

    def _read(self, path: Path) -> None:
        try:
            with np.load(path, allow_pickle=False) as npz:
                model, keys, vectors = str(npz["model"]), npz["keys"], npz["vectors"]
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
            log.warning("embedding seed %s unreadable (%s): texts are embedded instead", path, exc)
            return
        if model != self._model_key or vectors.shape[1:] != (self._dim,) or len(keys) != len(vectors):
            return  # another model's seed: of no use, and not an error
        self._vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        self._rows = {bytes(k): i for i, k in enumerate(keys)}


def write_seed(path: Path, model_key: str, vectors: dict[bytes, np.ndarray]) -> None:
    """Write a seed (rows in key order) atomically: a temporary file, then os.replace."""
    keys = sorted(vectors)
    key_matrix = np.frombuffer(b"".join(keys), dtype=np.uint8).reshape(len(keys), 32)
    matrix = np.stack([np.asarray(vectors[k], dtype=np.float32) for k in keys])
    handle, temporary = tempfile.mkstemp(prefix=".seed-", suffix=".npz", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            np.savez_compressed(out, model=np.array(model_key), keys=key_matrix, vectors=matrix)
        os.chmod(temporary, 0o644)  # mkstemp makes it private; the package's files are world-readable
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
