"""The shipped seed: it covers the bundled knowledge base and examples, and a new folder starts warm from it."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from bot.config import load_settings
from bot.core.knowledge.loader import load_knowledge
from bot.core.matching.embeddings.cache import EmbeddingCache
from bot.core.matching.embeddings.encoder import SentenceEncoder, load_encoder
from bot.core.matching.embeddings.meaning import load_meaning
from bot.core.matching.embeddings.seed import SEED_PATH, write_seed
from bot.core.matching.embeddings.semantic import SemanticIndex
from bot.core.matching.examples import load_examples
from bot.core.matching.matcher import Matcher

ROOT = Path(__file__).resolve().parents[3]
REGENERATE = "python scripts/build_embedding_seed.py"
MAX_SEED_BYTES = 5_000_000


class AskedNothing:
    """Stands in for the encoder and records what it is asked to embed (nothing, when the seed covers all)."""

    def __init__(self, encoder: SentenceEncoder) -> None:
        self.sha256, self.dim = encoder.sha256, encoder.dim
        self.asked: list[str] = []

    def encode(self, texts: list[str]) -> np.ndarray:
        self.asked.extend(texts)
        return np.zeros((len(texts), self.dim), dtype=np.float32)


def test_the_seed_covers_the_bundled_knowledge_base_and_examples():
    settings = load_settings(ROOT / "config.yaml")
    encoder = AskedNothing(load_encoder(settings.embedding.model_path))
    cache = EmbeddingCache(None, encoder.sha256, encoder.dim, seed=SEED_PATH)  # no file: the seed alone
    examples = load_examples(settings.embedding.examples_path)
    SemanticIndex.build(load_knowledge(settings.knowledge.path), examples, encoder, cache, 0.5)
    shown = "; ".join(repr(t[:60]) for t in encoder.asked[:3])
    assert encoder.asked == [], f"the seed lacks {len(encoder.asked)} text(s) ({shown}): run `{REGENERATE}`"
    assert SEED_PATH.stat().st_size <= MAX_SEED_BYTES


def test_a_new_folder_embeds_nothing_for_the_bundled_knowledge_base(tmp_path, monkeypatch):
    asked: list[str] = []
    encode = SentenceEncoder.encode

    def counting(self: SentenceEncoder, texts: list[str]) -> np.ndarray:
        asked.extend(texts)
        return encode(self, texts)

    monkeypatch.setattr(SentenceEncoder, "encode", counting)
    settings = load_settings(ROOT / "config.yaml")
    path = tmp_path / "data" / "embeddings.sqlite3"  # a new folder: no cache yet
    meaning = load_meaning(dataclasses.replace(settings.embedding, cache_path=path))
    assert meaning is not None
    kb = load_knowledge(settings.knowledge.path)
    ranker = meaning.ranker(kb, Matcher(kb, settings.matcher))
    assert asked == []  # before the seed: every phrasing and example, 20-80 s on 2 cores
    assert ranker.decide("how do I buy connects for my agency").entry_id == "agency-buying-billing"
    meaning.cache.close()


def test_texts_missing_from_the_seed_are_embedded_and_the_rest_read_from_it(tmp_path):
    seed = tmp_path / "seed.npz"
    helper = EmbeddingCache(None, "model", 4)
    write_seed(seed, "model", {helper.key("known"): np.array([1, 0, 0, 0], np.float32)})
    computed: list[str] = []

    def compute(texts: list[str]) -> np.ndarray:
        computed.extend(texts)
        return np.full((len(texts), 4), 0.5, dtype=np.float32)

    cache = EmbeddingCache(tmp_path / "cache.sqlite3", "model", 4, seed=seed)
    vectors = cache.embed(["known", "new"], compute)
    assert computed == ["new"]
    assert vectors.tolist() == [[1, 0, 0, 0], [0.5, 0.5, 0.5, 0.5]]
    other_model = EmbeddingCache(None, "another-model", 4, seed=seed)  # a seed is used only for its model
    other_model.embed(["known"], compute)
    assert computed == ["new", "known"]


def test_a_damaged_seed_is_one_warning_and_the_texts_are_embedded(tmp_path, caplog):
    seed = tmp_path / "seed.npz"
    helper = EmbeddingCache(None, "model", 4)
    write_seed(seed, "model", {helper.key("known"): np.ones(4, np.float32)})
    seed.write_bytes(seed.read_bytes()[:200])  # cut short: a zip with no directory
    cache = EmbeddingCache(None, "model", 4, seed=seed)
    assert cache.embed(["known"], lambda texts: np.zeros((len(texts), 4), np.float32)).tolist() == [[0, 0, 0, 0]]
    assert [r.getMessage().split(" (")[0] for r in caplog.records] == [f"embedding seed {seed} unreadable"]
