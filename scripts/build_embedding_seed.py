"""Write the shipped embedding seed (bot/models/embedding-seed.npz) for the bundled knowledge base and examples.

    python scripts/build_embedding_seed.py [--config config.yaml] [--fresh]

Builds the meaning model's index for the knowledge base and examples the config names (the repository's
own: what the package ships) through a cache that records every text it is asked to embed, then writes
exactly those texts' vectors, float32 as the encoder computed them, keyed as the cache keys them. A
vector already in the old seed or in the configured cache (data/embeddings.sqlite3) is reused as it is
there, so texts that did not change keep the very same vectors (and decisions); --fresh embeds
everything again. Run it after changing knowledge/ or knowledge/examples/:
tests/core/matching/test_embedding_seed.py fails while the seed lacks a text.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.config import load_settings  # noqa: E402
from bot.core.knowledge.loader import load_knowledge  # noqa: E402
from bot.core.matching.embeddings.cache import Embed, EmbeddingCache  # noqa: E402
from bot.core.matching.embeddings.encoder import load_encoder  # noqa: E402
from bot.core.matching.embeddings.seed import SEED_PATH, write_seed  # noqa: E402
from bot.core.matching.embeddings.semantic import SemanticIndex  # noqa: E402
from bot.core.matching.examples import load_examples  # noqa: E402


class RecordingCache(EmbeddingCache):
    """An embedding cache that remembers every text it was asked for."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.asked: dict[bytes, str] = {}

    def embed(self, texts: Sequence[str], compute: Embed):
        self.asked.update((self.key(t), t) for t in texts)
        return super().embed(texts, compute)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=str(ROOT / "config.yaml"), help="the config naming the bundled files")
    parser.add_argument("--fresh", action="store_true", help="embed every text again (ignore the old seed and cache)")
    parser.add_argument("--out", default=str(SEED_PATH), help="where to write the seed")
    args = parser.parse_args()
    settings = load_settings(Path(args.config))
    encoder = load_encoder(settings.embedding.model_path)
    kb = load_knowledge(settings.knowledge.path)
    examples = load_examples(settings.embedding.examples_path) if settings.embedding.examples_path else []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "embeddings.sqlite3"
        warm = settings.embedding.cache_path
        if not args.fresh and warm is not None and warm.is_file():
            source, copy = sqlite3.connect(warm), sqlite3.connect(path)
            source.backup(copy)
            source.close()
            copy.close()
        seed = None if args.fresh else Path(args.out)
        cache = RecordingCache(path, encoder.sha256, encoder.dim, seed=seed)
        SemanticIndex.build(kb, examples, encoder, cache, settings.embedding.head_weight)
        texts = list(cache.asked.values())
        vectors = cache.embed(texts, encoder.encode)
        cache.close()
    out = Path(args.out)
    write_seed(out, encoder.sha256, {cache.key(t): v for t, v in zip(texts, vectors, strict=True)})
    took = time.perf_counter() - started
    print(f"{out}: {len(texts)} texts ({len(kb.entries)} entries' phrasings and {len(examples)} examples), "
          f"{out.stat().st_size / 1e6:.1f} MB, in {took:.1f} s")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
