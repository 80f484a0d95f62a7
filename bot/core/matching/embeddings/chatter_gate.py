"""A cheap filter that keeps small talk away from the sentence encoder.

Most of a busy channel is chatter ("hello everyone, new member here", "anyone from Kenya? let's
connect", "thanks, it worked"), and much of it has content words, so the word-level chatter check lets
it through to the encoder (milliseconds each). This gate is a logistic regression over hashed word,
word-pair and character 4-gram counts of the folded text, trained in a fraction of a second on the
labelled examples: the off-topic ones marked greeting / thanks / chatter / help-no-content against
every labelled question. It only ever *silences*, and only above a high probability; below it, the
message goes on to the meaning model as before. A message shaped like a question that names something
of the domain (Connects, a proposal, an agency, VAT...) is never small talk, whatever the gate thinks:
a short "why is VAT charged? i'm not in the EU?" must reach the model. Everything is plain numpy on
sparse rows.

The chatter lines bench/bench_discord.py replays (tests/data/channel-chatter.yaml) are not examples:
the gate and the head never train on what a benchmark measures.
"""

from __future__ import annotations

import hashlib
import io
import itertools
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from bot.core.matching import text as textmod
from bot.core.matching.embeddings.cache import EmbeddingCache
from bot.core.matching.examples import Example

CHATTER_KINDS = frozenset({"greeting", "thanks", "chatter", "help-no-content"})
# Stems (and synonym concepts, text.concept_tokens) that make a question-shaped message a domain question.
DOMAIN_CONCEPTS = frozenset(
    """propos agenc vat tax membership subscript plan plus refund charg bill balanc boost badg invit
    rollov expir buy price cost fee""".split()
)
DIMENSIONS = 2**14
STEPS = 1500
L2 = 1e-3
LEARNING_RATE = 1.0


def _features(text: str) -> tuple[np.ndarray, np.ndarray]:
    """Hashed feature ids and L2-normalised counts for one text."""
    words = textmod.words(text)
    padded = f" {' '.join(words)} "
    keys = [*words, *(f"{a}_{b}" for a, b in itertools.pairwise(words))]
    keys += [f"#{padded[i : i + 4]}" for i in range(len(padded) - 3)]
    ids, counts = np.unique([zlib.crc32(k.encode()) % DIMENSIONS for k in keys], return_counts=True)
    values = counts.astype(np.float64)
    norm = np.linalg.norm(values)
    return ids.astype(np.int64), (values / norm if norm else values)


@dataclass(frozen=True)
class ChatterGate:
    """p(chatter) = sigmoid(w . features + b); silence above `threshold`."""

    weights: np.ndarray
    bias: float
    threshold: float

    def probability(self, text: str) -> float:
        ids, values = _features(text)
        z = float(self.weights[ids] @ values + self.bias) if ids.size else self.bias
        return float(1.0 / (1.0 + np.exp(-np.clip(z, -30.0, 30.0))))

    def is_chatter(self, text: str) -> bool:
        if textmod.looks_like_question(text) and mentions_domain(text):
            return False
        return self.probability(text) >= self.threshold


_CONNECTS = frozenset({"connects", "conects", "conect", "credits"})


def mentions_domain(text: str) -> bool:
    """Whether text names something the knowledge base is about (Connects, proposals, agencies, VAT...)."""
    words = textmod.words(text)
    if not DOMAIN_CONCEPTS.isdisjoint(textmod.concept_tokens(words)):
        return True
    # "connects", "10 connect": the currency; "let's connect" is small talk.
    return any(w in _CONNECTS for w in words) or any(
        a.isdigit() and b == "connect" for a, b in itertools.pairwise(words)
    )


def train_gate(examples: Sequence[Example], threshold: float) -> ChatterGate | None:
    """Fit the gate on the examples (None when they hold no chatter or no question to learn from)."""
    chatter = [e.text for e in examples if e.entry_id is None and e.why in CHATTER_KINDS]
    questions = [e.text for e in examples if e.entry_id is not None]
    if not chatter or not questions:
        return None
    rows = [_features(t) for t in chatter + questions]
    target = np.array([1.0] * len(chatter) + [0.0] * len(questions))
    lengths = np.array([ids.size for ids, _ in rows])
    ids = np.concatenate([r[0] for r in rows])
    values = np.concatenate([r[1] for r in rows])
    row_of = np.repeat(np.arange(len(rows)), lengths)
    starts = np.r_[0, np.cumsum(lengths)[:-1]]
    # Both classes weigh the same however many examples each has.
    balance = np.where(target == 1.0, 0.5 / len(chatter), 0.5 / len(questions))
    weights, bias = np.zeros(DIMENSIONS), 0.0
    for _ in range(STEPS):
        z = np.add.reduceat(weights[ids] * values, starts) + bias
        error = (1.0 / (1.0 + np.exp(-z)) - target) * balance
        gradient = np.bincount(ids, weights=values * error[row_of], minlength=DIMENSIONS) + L2 * weights
        weights -= LEARNING_RATE * gradient
        bias -= LEARNING_RATE * float(error.sum())
    return ChatterGate(weights, bias, threshold)


def cached_gate(examples: Sequence[Example], threshold: float, cache: EmbeddingCache) -> ChatterGate | None:
    """The gate for these examples: loaded from the cache, or trained (under a second) and stored."""
    digest = hashlib.sha256(f"{DIMENSIONS}\0{STEPS}\0{L2}\0{LEARNING_RATE}".encode())
    for e in examples:
        digest.update(f"{e.entry_id}\0{e.why}\0{e.text}\0".encode())
    key = f"chatter-gate-v1:{digest.hexdigest()}"
    stored = cache.artefact(key)
    if stored is not None:
        with np.load(io.BytesIO(stored), allow_pickle=False) as npz:
            return ChatterGate(npz["weights"], float(npz["bias"]), threshold)
    gate = train_gate(examples, threshold)
    if gate is not None:
        buffer = io.BytesIO()
        np.savez(buffer, weights=gate.weights, bias=np.array(gate.bias))
        cache.store_artefact(key, buffer.getvalue())
    return gate
