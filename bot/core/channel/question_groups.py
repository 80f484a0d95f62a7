"""Group the unanswered queue by meaning, so moderators see the biggest gaps first.

Input: open queue items (silences and "Not helpful" votes, bot.core.channel.feedback). Output: groups of
questions that mean the same thing, largest first (by queue items, ties by the most recent), each with
a representative question, the knowledge-base entry closest to the group, and the item ids that clear
it from the queue.

How:
* The same question asked twice (case, spacing and trailing punctuation aside, the knowledge base's own
  duplicate rule) is one question with several items; only distinct questions are compared.
* Questions become vectors through a pluggable `embed(texts) -> array` whose dot products are cosine
  similarities (a sentence encoder, when one is configured). The fallback here is lexical: TF-IDF over
  the matcher's own normalisation (bot.core.matching.text: content-word stems and domain synonyms, plus character
  4-grams of the content words for typos and word forms).
* Average-linkage agglomerative clustering with a similarity threshold (`feedback.group_similarity`):
  two groups merge while the average cosine between their questions is at least the threshold. Silences
  and "Not helpful" votes are grouped apart (a silence is a missing phrasing; a vote may be a wrong answer).
  With unit vectors the average cosine between two groups is (sum_a . sum_b) / (n_a n_b), so one matrix of
  sum-dot-products, updated by adding rows on a merge, gives every average; the nearest-neighbour chain
  visits merges in O(n^2) and the result is deterministic for a given queue.
* Closest entry: the answer engine's own ranking (`rank(text, limit)`), averaged over the group's
  questions nearest its centre.
"""

from __future__ import annotations

import logging
import math
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from bot.core.channel.feedback import UnansweredItem
from bot.core.knowledge.files import clean_line
from bot.core.knowledge.model import MAX_PHRASING_CHARS, KnowledgeBase, normalise_phrasing
from bot.core.matching import text as textmod

log = logging.getLogger(__name__)

Embed = Callable[[list[str]], np.ndarray]

NGRAM = 4
NGRAM_WEIGHT = 0.35  # share of the character 4-gram block, as the matcher's ngram_weight
RANKED_PER_GROUP = 8  # questions of a group (nearest its centre first) whose ranking picks its closest entry
RANK_LIMIT = 3
QUEUE_LIMIT = 2000  # open items grouped at most (the newest); clustering is O(n^2) in time and memory
KINDS = ("silence", "not_helpful")


class RankedEntry(Protocol):
    entry_id: str
    score: float


Ranker = Callable[[str, int], Sequence[RankedEntry]]


@dataclass(frozen=True)
class Question:
    """One distinct question in the queue: its text (as first asked) and every item that asked it."""

    text: str
    item_ids: tuple[int, ...]
    latest: str  # created_at of the most recent item
    voted_entries: tuple[str, ...] = ()  # for "Not helpful": the entries those answers came from

    @property
    def count(self) -> int:
        return len(self.item_ids)


@dataclass(frozen=True)
class ClosestEntry:
    entry_id: str
    score: float  # the mean over the group's central questions of the engine's 0-1 score (see figure)

    @property
    def figure(self) -> str:
        """The score as shown to moderators (CLI and Discord alike): what it is, on a 0-1 scale."""
        return f"similarity {self.score:.2f}"


@dataclass(frozen=True)
class QuestionGroup:
    """Questions that mean the same thing, nearest the group's centre first."""

    kind: str  # silence | not_helpful
    questions: tuple[Question, ...]
    closest: ClosestEntry | None

    @property
    def representative(self) -> str:
        return self.questions[0].text

    @property
    def size(self) -> int:
        """Queue items in the group (a question asked three times counts three)."""
        return sum(q.count for q in self.questions)

    @property
    def latest(self) -> str:
        return max(q.latest for q in self.questions)

    @property
    def item_ids(self) -> tuple[int, ...]:
        return tuple(sorted(i for q in self.questions for i in q.item_ids))

    def teachable(self) -> tuple[Question, ...]:
        """The questions short enough to become phrasings (a longer post stays in the queue)."""
        return tuple(q for q in self.questions if len(q.text) <= MAX_PHRASING_CHARS)

    def voted_entries(self) -> list[tuple[str, int]]:
        """For "Not helpful" groups: the entries voted down, most votes first."""
        counts = Counter(e for q in self.questions for e in q.voted_entries)
        return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))

    def to_json(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "size": self.size,
            "representative": self.representative,
            "closest": None
            if self.closest is None
            else {"entry": self.closest.entry_id, "score": round(self.closest.score, 4)},
            "voted_entries": dict(self.voted_entries()),
            "latest": self.latest,
            "questions": [{"text": q.text, "count": q.count, "items": list(q.item_ids)} for q in self.questions],
            "items": list(self.item_ids),
        }


# --- the public entry points ------------------------------------------------------------------------


class Engine(Protocol):
    """What grouping needs from the answer engine: the knowledge base and its ranking."""

    @property
    def kb(self) -> KnowledgeBase: ...

    def rank(self, text: str, limit: int = 5) -> Sequence[RankedEntry]: ...


def group_queue(
    items: Iterable[UnansweredItem],
    engine: Engine,
    *,
    threshold: float,
    meaning_threshold: float | None = None,
    embed: Embed | None = None,
) -> list[QuestionGroup]:
    """Group queue items with the engine in service: its ranking, and its phrasings as IDF background.

    When the engine has the meaning model (and meaning_threshold is given), questions are grouped by
    their sentence embeddings at that similarity; otherwise by the lexical vectors at `threshold`.
    """
    if embed is None:
        threshold, embed = grouping_in_use(engine, threshold=threshold, meaning_threshold=meaning_threshold)
    background = [p for entry in engine.kb.entries.values() for p in entry.phrasings]
    return group_unanswered(items, rank=engine.rank, threshold=threshold, embed=embed, background=background)


def grouping_in_use(
    engine: Engine, *, threshold: float, meaning_threshold: float | None = None
) -> tuple[float, Embed | None]:
    """The similarity threshold and embedder `group_queue` uses with this engine (None: lexical vectors)."""
    meaning = getattr(engine, "meaning", None)
    if meaning is not None and meaning_threshold is not None:
        return meaning_threshold, meaning.embed
    return threshold, None


def group_unanswered(
    items: Iterable[UnansweredItem],
    *,
    rank: Ranker,
    threshold: float,
    embed: Embed | None = None,
    background: Sequence[str] = (),
) -> list[QuestionGroup]:
    """Group open queue items by meaning, largest first; `background` (the KB's phrasings) steadies lexical IDF."""
    vectorise = embed if embed is not None else LexicalVectoriser(background)
    items = list(items)
    groups: list[QuestionGroup] = []
    for kind in KINDS:
        questions = distinct_questions(i for i in items if i.kind == kind)
        if not questions:
            continue
        vectors = np.asarray(vectorise([q.text for q in questions]), dtype=np.float32)
        for members in cluster(vectors, threshold):
            ordered = _nearest_centre_first(members, vectors, questions)
            group_questions = tuple(questions[i] for i in ordered)
            groups.append(QuestionGroup(kind, group_questions, closest_entry(group_questions, rank)))
    # Stable sorts, last key first: size, then the most recent, then kind and text (deterministic).
    groups.sort(key=lambda g: (g.kind, g.representative))
    groups.sort(key=lambda g: g.latest, reverse=True)
    groups.sort(key=lambda g: g.size, reverse=True)
    return groups


def distinct_questions(items: Iterable[UnansweredItem]) -> list[Question]:
    """Fold repeats of one question (the KB's duplicate rule) into one Question, oldest first."""
    by_key: dict[str, list[UnansweredItem]] = {}
    for item in sorted(items, key=lambda i: i.id):
        text = clean_line(item.question)
        key = normalise_phrasing(text)
        if key:
            by_key.setdefault(key, []).append(item)
    return [
        Question(
            text=clean_line(same[0].question),
            item_ids=tuple(i.id for i in same),
            latest=max(i.created_at for i in same),
            voted_entries=tuple(i.entry_id for i in same if i.entry_id),
        )
        for same in by_key.values()
    ]


def closest_entry(questions: Sequence[Question], rank: Ranker) -> ClosestEntry | None:
    """The entry the engine ranks best on average over the group's most central questions."""
    sample = questions[:RANKED_PER_GROUP]
    totals: dict[str, float] = {}
    for question in sample:
        for candidate in rank(question.text, RANK_LIMIT):
            totals[candidate.entry_id] = totals.get(candidate.entry_id, 0.0) + candidate.score
    if not totals:
        return None
    entry_id, total = min(totals.items(), key=lambda kv: (-kv[1], kv[0]))
    return ClosestEntry(entry_id, total / len(sample))


# --- clustering ---------------------------------------------------------------------------------------


def cluster(vectors: np.ndarray, threshold: float) -> list[list[int]]:
    """Average-linkage clusters of rows whose dot products are cosines; each cluster's rows in input order.

    Nearest-neighbour chain: follow each group's most similar group until two point at each other, merge
    them. A group whose most similar group is below the threshold never merges again (an average of
    similarities below the threshold stays below it), so it is set aside.
    """
    n = len(vectors)
    if n == 0:
        return []
    sums = (vectors @ vectors.T).astype(np.float64)  # dot products of the groups' vector sums
    np.fill_diagonal(sums, -np.inf)
    sizes = np.ones(n)
    active = np.ones(n, dtype=bool)
    members: dict[int, list[int]] = {i: [i] for i in range(n)}
    done: list[list[int]] = []
    chain: list[int] = []
    while active.any():
        if not chain:
            chain.append(int(np.flatnonzero(active)[0]))
        a = chain[-1]
        averages = np.where(active, sums[a] / (sizes[a] * sizes), -np.inf)
        averages[a] = -np.inf
        b = int(np.argmax(averages))  # ties: the lowest index
        if len(chain) > 1 and averages[chain[-2]] >= averages[b]:
            b = chain[-2]  # prefer the previous link on a tie, or the chain can cycle
        if not math.isfinite(averages[b]) or averages[b] < threshold:
            active[a] = False
            done.append(members.pop(a))
            chain.pop()
            continue
        if len(chain) > 1 and b == chain[-2]:
            chain.pop()
            chain.pop()
            keep, drop = min(a, b), max(a, b)
            sums[keep] += sums[drop]
            sums[:, keep] += sums[:, drop]
            sums[keep, keep] = -np.inf
            sizes[keep] += sizes[drop]
            active[drop] = False
            members[keep].extend(members.pop(drop))
            continue
        chain.append(b)
    return [sorted(m) for m in sorted(done, key=min)]


def _nearest_centre_first(members: list[int], vectors: np.ndarray, questions: Sequence[Question]) -> list[int]:
    block = vectors[members]
    centrality = block @ block.sum(axis=0)

    def key(k: int) -> tuple[float, int, int]:
        return (-round(float(centrality[k]), 6), -questions[members[k]].count, members[k])

    return [members[k] for k in sorted(range(len(members)), key=key)]


# --- the lexical fallback vectoriser --------------------------------------------------------------------


class LexicalVectoriser:
    """TF-IDF over content-word stems (+ domain synonyms) and character 4-grams; an `Embed`.

    IDF comes from the texts being vectorised plus a fixed background (the knowledge base's phrasings),
    so "connects", in nearly every question, weighs little. Each block is L2-normalised, then they are
    mixed (NGRAM_WEIGHT to the 4-grams). Only features two or more of the texts share are kept as
    columns: the rest cannot change a dot product, and dropping them keeps the matrix small. Dot
    products are therefore exact cosines although stored rows are shorter than 1.
    """

    def __init__(self, background: Iterable[str] = (), ngram_weight: float = NGRAM_WEIGHT) -> None:
        self._background = [_features(t) for t in background]
        self._weights = (math.sqrt(1.0 - ngram_weight), math.sqrt(ngram_weight))

    def __call__(self, texts: list[str]) -> np.ndarray:
        features = [_features(t) for t in texts]
        df: Counter[str] = Counter()
        for words, grams in [*features, *self._background]:
            df.update(words)
            df.update(grams)
        shared: Counter[str] = Counter()
        for words, grams in features:
            shared.update(words)
            shared.update(grams)
        total = len(features) + len(self._background)
        columns = {f: i for i, f in enumerate(sorted(f for f, n in shared.items() if n >= 2))}
        matrix = np.zeros((len(texts), len(columns)), dtype=np.float32)
        for row, (words, grams) in enumerate(features):
            for block, weight in zip((words, grams), self._weights, strict=True):
                values = {f: count * _idf(df[f], total) for f, count in block.items()}
                norm = math.sqrt(sum(v * v for v in values.values()))
                if norm == 0:
                    continue
                for f, v in values.items():
                    col = columns.get(f)
                    if col is not None:
                        matrix[row, col] += weight * v / norm
        return matrix


def _idf(df: int, total: int) -> float:
    return math.log((1 + total) / (1 + df)) + 1.0


def _features(text: str) -> tuple[Counter[str], Counter[str]]:
    content = textmod.content_of(textmod.words(text))
    words = Counter({"w:" + t: 1 for t in textmod.concept_tokens(content)})
    grams: Counter[str] = Counter()
    for word in content:
        padded = f" {word} "
        grams.update("g:" + padded[i : i + NGRAM] for i in range(max(1, len(padded) - NGRAM + 1)))
    return words, grams
