"""Meaning-level scores for a message: sentence embeddings of every phrasing plus a trained head.

Three views of how close a message is to each entry, all from one embedding of the message:
* nearest phrasing: the best cosine over the entry's question and alternates;
* centroid: the cosine to the mean of the entry's phrasings (rewards an entry's whole vocabulary);
* head: a softmax classifier over the embeddings, trained on the phrasings, the labelled member
  questions and an explicit *off-topic* class (chatter and near misses), so that "not about any entry"
  is something learned, not only a low score. Without that class the head has to pick an entry for
  everything, and its probabilities say nothing about being right.

The entry ranking is `0.5 * nearest + 0.5 * centroid + head_weight * p(entry)`. The features the
confidence model reads (confidence.py) are computed here too. Training the head takes about a second;
a trained head is cached on disk under a digest of everything it was trained on.
"""

from __future__ import annotations

import hashlib
import io
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from bot.core.knowledge.model import KnowledgeBase
from bot.core.matching.embeddings.cache import EmbeddingCache
from bot.core.matching.embeddings.encoder import SentenceEncoder
from bot.core.matching.examples import Example

log = logging.getLogger(__name__)

HEAD_VERSION = "head-v2"
# Softmax regression on cosine-scale inputs: the scale lets a few hundred steps reach sharp classes.
HEAD_INPUT_SCALE = 10.0
HEAD_STEPS = 300
HEAD_L2 = 1e-3
HEAD_LEARNING_RATE = 0.05
NEIGHBOURS = 10


@dataclass(frozen=True)
class Head:
    """A trained softmax classifier: entries (in index order) plus the off-topic class last."""

    weights: np.ndarray  # (dim, entries + 1)
    bias: np.ndarray

    def probabilities(self, vectors: np.ndarray) -> np.ndarray:
        return _softmax(vectors @ self.weights + self.bias)

    def to_bytes(self) -> bytes:
        buffer = io.BytesIO()
        np.savez(buffer, weights=self.weights, bias=self.bias)
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> Head:
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            return cls(npz["weights"], npz["bias"])


@dataclass(frozen=True)
class Analysis:
    """What the embeddings say about one message: entries best first, and the confidence features."""

    order: tuple[int, ...]  # entry indexes, best first (all of them)
    rank_scores: np.ndarray  # per entry: the blended ranking score
    features: np.ndarray
    head_probability: np.ndarray  # per entry
    off_topic_probability: float
    similarity: np.ndarray | None = None  # per entry: 0.5 nearest + 0.5 centroid, a cosine (shown as 0-1)


FEATURE_NAMES = (
    "score",
    "margin",
    "nearest",
    "centroid",
    "head",
    "head_off_topic",
    "head_agrees",
    "neighbour_share",
    "lexical",
    "lexical_agrees",
    "log_words",
    "head_runner_up",
    "rank_margin",
    # The post's sentences one by one: a long post's question is often one sentence among its back-story,
    # and the whole post's embedding is diluted by the rest (a single-sentence post repeats its own values).
    "sentence_head",
    "sentence_score",
    "sentence_off_topic",
    "sentence_agrees",
    # How much closer the post is to a known "not this" text (an off-topic example, or one of the best
    # entry's own near misses) than to the entry's nearest phrasing.
    "near_miss_gap",
)


class SemanticIndex:
    """Embeddings of one knowledge base's phrasings, its centroids and its trained head."""

    def __init__(
        self,
        entry_ids: Sequence[str],
        phrasing_vectors: np.ndarray,
        phrasing_entry: np.ndarray,
        head: Head,
        head_weight: float,
        head_is_final: bool = True,
        near_misses: NearMisses | None = None,
    ) -> None:
        self.entry_ids = tuple(entry_ids)
        self._near = near_misses or NearMisses.empty(phrasing_vectors.shape[1])
        self._vectors = phrasing_vectors
        self._entry_of = phrasing_entry
        # phrasings are grouped by entry, so each entry's best phrasing is one reduceat over the row
        self._starts = np.flatnonzero(np.r_[True, phrasing_entry[1:] != phrasing_entry[:-1]])
        centroids = np.add.reduceat(phrasing_vectors, self._starts, axis=0)
        self._centroids = centroids / np.linalg.norm(centroids, axis=1, keepdims=True)
        self._head = head
        self._head_weight = head_weight
        # False while a provisional head (the previous one, remapped) serves and the real one trains.
        self.head_is_final = head_is_final

    @classmethod
    def build(
        cls,
        kb: KnowledgeBase,
        examples: Sequence[Example],
        encoder: SentenceEncoder,
        cache: EmbeddingCache,
        head_weight: float,
        head: Callable[[Sequence[str]], Head] | None = None,
    ) -> SemanticIndex:
        """Embed the phrasings (cached), then load or train the head for exactly this training data.

        With `head` given and no cached head fitting, that provisional head is used untrained instead
        (head_is_final False): the caller trains the real one in the background.
        """
        entry_ids = sorted(kb.entries)
        phrasings = [(i, p) for i, entry_id in enumerate(entry_ids) for p in kb.entries[entry_id].phrasings]
        vectors = cache.embed([p for _, p in phrasings], encoder.encode)
        entry_of = np.array([i for i, _ in phrasings], dtype=np.int64)
        position = {entry_id: i for i, entry_id in enumerate(entry_ids)}
        # An entry's near misses are off-topic examples too: the head learns them as "not about any entry".
        own_misses = [(position[entry_id], t) for entry_id in entry_ids for t in kb.entries[entry_id].not_this]
        usable = [e for e in examples if not e.lenient and (e.entry_id is None or e.entry_id in position)]
        usable += [Example(t, None, why="near-miss") for _, t in own_misses]
        example_vectors = cache.embed([e.text for e in usable], encoder.encode)
        off_topic = np.array([e.entry_id is None for e in usable], dtype=bool)
        near = NearMisses(
            example_vectors[off_topic] if usable else np.zeros((0, vectors.shape[1]), np.float32),
            np.array([-1] * int(off_topic.sum() - len(own_misses)) + [i for i, _ in own_misses], dtype=np.int64),
        )
        labels = np.array([len(entry_ids) if e.entry_id is None else position[e.entry_id] for e in usable], np.int64)
        x = np.vstack([vectors, example_vectors]) if usable else vectors
        y = np.concatenate([entry_of, labels]) if usable else entry_of
        key = _head_key(encoder.sha256, entry_ids, phrasings, usable)
        stored = cache.artefact(key)
        if stored is not None:
            return cls(entry_ids, vectors, entry_of, Head.from_bytes(stored), head_weight, near_misses=near)
        if head is not None:
            return cls(entry_ids, vectors, entry_of, head(entry_ids), head_weight, False, near)
        trained = train_head(x, y, len(entry_ids) + 1)
        cache.store_artefact(key, trained.to_bytes())
        return cls(entry_ids, vectors, entry_of, trained, head_weight, near_misses=near)

    def head_for(self, entry_ids: Sequence[str]) -> Head:
        """This head remapped to other entries: known ones keep their column, new ones start unlikely."""
        weights = np.zeros((self._head.weights.shape[0], len(entry_ids) + 1), dtype=self._head.weights.dtype)
        bias = np.full(len(entry_ids) + 1, float(self._head.bias.min()), dtype=self._head.bias.dtype)
        position = {entry_id: i for i, entry_id in enumerate(self.entry_ids)}
        for column, entry_id in enumerate(entry_ids):
            if entry_id in position:
                weights[:, column] = self._head.weights[:, position[entry_id]]
                bias[column] = self._head.bias[position[entry_id]]
        weights[:, -1], bias[-1] = self._head.weights[:, -1], self._head.bias[-1]
        return Head(weights, bias)

    def similarities(self, vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per text (rows of vectors) and entry: nearest-phrasing cosine, centroid cosine, head probabilities."""
        cosines = vectors @ self._vectors.T
        nearest = np.maximum.reduceat(cosines, self._starts, axis=1)
        return nearest, vectors @ self._centroids.T, self._head.probabilities(vectors)

    def analyse(
        self, vector: np.ndarray, lexical: dict[str, float], words: int, sentences: np.ndarray | None = None
    ) -> Analysis:
        """Rank every entry for one message embedding and compute the confidence features.

        sentences: the embeddings of the post's sentences one by one (a post of one sentence: None).
        """
        cosines = self._vectors @ vector
        nearest = np.maximum.reduceat(cosines, self._starts)
        centroid = self._centroids @ vector
        similarity = 0.5 * nearest + 0.5 * centroid
        probabilities = self._head.probabilities(vector[None, :])[0]
        head, off_topic = probabilities[:-1], float(probabilities[-1])
        rank = similarity + self._head_weight * head
        order = np.argsort(-rank, kind="stable")
        first, second = int(order[0]), int(order[1]) if len(order) > 1 else int(order[0])
        top_neighbours = np.argpartition(-cosines, min(NEIGHBOURS, cosines.size - 1))[:NEIGHBOURS]
        lexical_best = max(lexical, key=lexical.__getitem__) if lexical else None
        by_sentence = self._sentence_features(sentences, first, head[first], similarity[first], off_topic)
        features = np.array(
            [
                similarity[first],
                similarity[first] - similarity[second],
                nearest[first],
                centroid[first],
                head[first],
                off_topic,
                float(int(np.argmax(probabilities)) == first),
                float(np.mean(self._entry_of[top_neighbours] == first)),
                lexical.get(self.entry_ids[first], 0.0),
                float(lexical_best == self.entry_ids[first]),
                float(np.log1p(words)),
                head[second],
                rank[first] - rank[second],
                *by_sentence,
                self._near.closest(vector, first) - nearest[first],
            ],
            dtype=np.float64,
        )
        return Analysis(tuple(int(i) for i in order), rank, features, head, off_topic, similarity)

    def is_near_miss(self, vector: np.ndarray, entry: int) -> bool:
        """Whether the message is closer to one of the entry's own near misses than to all its phrasings."""
        own = self._near.closest_own(vector, entry)
        if own is None:
            return False
        nearest = float(np.max(self._vectors[self._entry_of == entry] @ vector))
        return own > nearest

    def _sentence_features(
        self, sentences: np.ndarray | None, first: int, head: float, similarity: float, off_topic: float
    ) -> tuple[float, float, float, float]:
        """Best sentence's head probability and similarity for the entry, least off-topic sentence, agreement."""
        if sentences is None or len(sentences) == 0:
            return head, similarity, off_topic, 1.0
        nearest, centroid, probabilities = self.similarities(sentences)
        sentence_similarity = 0.5 * nearest + 0.5 * centroid
        sentence_rank = sentence_similarity + self._head_weight * probabilities[:, :-1]
        return (
            max(float(probabilities[:, first].max()), head),
            max(float(sentence_similarity[:, first].max()), similarity),
            min(float(probabilities[:, -1].min()), off_topic),
            float(np.mean(np.argmax(sentence_rank, axis=1) == first)),
        )


@dataclass(frozen=True)
class NearMisses:
    """Embeddings of texts that must get silence: off-topic examples (entry -1) and entries' own near misses."""

    vectors: np.ndarray
    entry: np.ndarray

    @classmethod
    def empty(cls, dim: int) -> NearMisses:
        return cls(np.zeros((0, dim), np.float32), np.zeros(0, np.int64))

    def closest(self, vector: np.ndarray, entry: int) -> float:
        """The best cosine to an off-topic example or one of this entry's near misses (0 with none)."""
        mask = (self.entry == -1) | (self.entry == entry)
        return float(np.max(self.vectors[mask] @ vector)) if mask.any() else 0.0

    def closest_own(self, vector: np.ndarray, entry: int) -> float | None:
        """The best cosine to this entry's own near misses (None when it lists none)."""
        mask = self.entry == entry
        return float(np.max(self.vectors[mask] @ vector)) if mask.any() else None


def train_head(x: np.ndarray, y: np.ndarray, classes: int) -> Head:
    """Fit a class-balanced softmax regression with Adam (deterministic: zeros start, full batch)."""
    x = np.asarray(x, dtype=np.float32) * HEAD_INPUT_SCALE
    n, dim = x.shape
    counts = np.bincount(y, minlength=classes).astype(np.float32)
    sample_weight = (n / (classes * np.maximum(counts, 1.0)))[y]
    sample_weight /= sample_weight.sum()
    target = np.eye(classes, dtype=np.float32)[y]
    weights = np.zeros((dim, classes), dtype=np.float32)
    bias = np.zeros(classes, dtype=np.float32)
    moments = [np.zeros_like(weights), np.zeros_like(weights), np.zeros_like(bias), np.zeros_like(bias)]
    for step in range(1, HEAD_STEPS + 1):
        gradient = (_softmax(x @ weights + bias) - target) * sample_weight[:, None]
        for param, grad, m, v in (
            (weights, x.T @ gradient + HEAD_L2 * weights, moments[0], moments[1]),
            (bias, gradient.sum(axis=0), moments[2], moments[3]),
        ):
            m *= 0.9
            m += 0.1 * grad
            v *= 0.999
            v += 0.001 * grad * grad
            param -= HEAD_LEARNING_RATE * (m / (1 - 0.9**step)) / (np.sqrt(v / (1 - 0.999**step)) + 1e-8)
    return Head(weights * HEAD_INPUT_SCALE, bias)


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def _head_key(
    model: str, entry_ids: Sequence[str], phrasings: Sequence[tuple[int, str]], examples: Sequence[Example]
) -> str:
    """Digest everything the head depends on: the model, the training data and the training knobs."""
    digest = hashlib.sha256(f"{HEAD_VERSION}\0{model}\0{HEAD_STEPS}\0{HEAD_L2}\0{HEAD_LEARNING_RATE}".encode())
    for entry_id in entry_ids:
        digest.update(entry_id.encode() + b"\0")
    for entry_index, phrasing in phrasings:
        digest.update(f"{entry_index}\0{phrasing}\0".encode())
    for example in examples:
        digest.update(f"{example.entry_id}\0{example.text}\0".encode())
    return f"{HEAD_VERSION}:{digest.hexdigest()}"
