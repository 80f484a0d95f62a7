"""Everything the meaning model needs, loaded once: encoder, confidence model, cache, examples, chatter gate.

`load_meaning` never raises for a missing or corrupt model: it logs one warning naming what is wrong
and returns None, and the answer engine carries on with the lexical matcher alone.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from bot.config import EmbeddingSettings
from bot.core.knowledge.model import KnowledgeBase
from bot.core.matching.embeddings.cache import EmbeddingCache
from bot.core.matching.embeddings.chatter_gate import ChatterGate, cached_gate
from bot.core.matching.embeddings.confidence import ConfidenceModel, ConfidenceUnavailable, load_confidence
from bot.core.matching.embeddings.encoder import EncoderUnavailable, SentenceEncoder, load_encoder
from bot.core.matching.embeddings.ranker import MeaningRanker
from bot.core.matching.embeddings.seed import SEED_PATH
from bot.core.matching.embeddings.semantic import SemanticIndex
from bot.core.matching.examples import Example, ExamplesError, load_examples
from bot.core.matching.matcher import Matcher

log = logging.getLogger(__name__)


@dataclass
class MeaningModel:
    """The loaded parts; builds a MeaningRanker for each knowledge base put in service."""

    settings: EmbeddingSettings
    encoder: SentenceEncoder
    confidence: ConfidenceModel
    cache: EmbeddingCache
    examples: list[Example]
    gate: ChatterGate | None = None
    _training: threading.Lock = field(default_factory=threading.Lock)
    _trainers: list[threading.Thread] = field(default_factory=list)

    def ranker(self, kb: KnowledgeBase, matcher: Matcher) -> MeaningRanker:
        """Build the ranker for kb now, training its head if no cached one fits (about a second)."""
        index = SemanticIndex.build(kb, self.examples, self.encoder, self.cache, self.settings.head_weight)
        return MeaningRanker(matcher, index, self.encoder, self.confidence, self.settings, self.gate)

    def ranker_soon(
        self, kb: KnowledgeBase, matcher: Matcher, previous: MeaningRanker, install: Callable[[MeaningRanker], None]
    ) -> MeaningRanker:
        """Return a ranker for kb at once, on the previous head; train the real head in the background.

        The new phrasings are embedded before this returns (milliseconds for an edit), so an edit or a
        taught phrasing is matched by meaning immediately; the head catches up a second later and
        `install` puts the retrained ranker in service.
        """
        interim = SemanticIndex.build(
            kb, self.examples, self.encoder, self.cache, self.settings.head_weight, head=previous.index.head_for
        )
        ranker = MeaningRanker(matcher, interim, self.encoder, self.confidence, self.settings, self.gate)
        if interim.head_is_final:
            return ranker

        def train() -> None:
            with self._training:
                try:
                    install(self.ranker(kb, matcher))
                except Exception:  # a failed retrain must not take the bot down: the interim head stays
                    log.exception("retraining the meaning head failed; the previous head stays in service")

        trainer = threading.Thread(target=train, name="meaning-head", daemon=True)
        self._trainers = [t for t in self._trainers if t.is_alive()] + [trainer]
        trainer.start()
        return ranker

    def wait_for_training(self, timeout: float | None = 60.0) -> None:
        """Block until background head training has finished (shutdown, tests, the CLI)."""
        for trainer in list(self._trainers):
            trainer.join(timeout)

    def embed(self, texts: list[str]) -> np.ndarray:
        """Embed texts (L2-normalised rows) without the cache: for grouping questions and the like."""
        return self.encoder.encode(texts)


def load_meaning(settings: EmbeddingSettings) -> MeaningModel | None:
    """Load the meaning model as configured, or return None after one warning saying why."""
    if not settings.enabled:
        return None
    try:
        encoder = load_encoder(settings.model_path)
        confidence = load_confidence(settings.confidence_path)
        examples = load_examples(settings.examples_path) if settings.examples_path else []
    except (EncoderUnavailable, ConfidenceUnavailable, ExamplesError) as exc:
        log.warning("meaning model unavailable, answering with the lexical matcher alone: %s", exc)
        return None
    cache = EmbeddingCache(settings.cache_path, encoder.sha256, encoder.dim, seed=SEED_PATH)
    gate = cached_gate(examples, settings.chatter_threshold, cache)
    return MeaningModel(settings, encoder, confidence, cache, examples, gate)
