"""The guard: a model retrained on learned examples serves only if it does no harm on the labelled sets.

The labelled sets are the curated files of knowledge/examples/ (member questions, real forum posts,
off-topic posts; not the learned file). They are split into folds once, so both runs below use the same
split; for each fold a head (and the chatter gate) is trained on the other folds plus the learned examples
and decides the fold, so each labelled item is decided by a model that never saw it. This is done twice,
with the examples that serve now and with those plus the newly accepted ones, and the two runs are compared
item by item (paired.py: net new wrong answers and off-topic posts within a one-item allowance, and no
significant excess of items that got worse over items that got better, by a sign test).

The confidence model is retrained too: on the candidate heads' out-of-fold features of the labelled
items, fitted per fold without that fold (so it is measured honestly as well). The refit model serves only
if it passes and does at least as well as the one in service; else the one in service stays.

When the candidate fails, the examples that hurt are named: for each labelled item that got worse, the
new example closest in meaning to it among those teaching the entry it now went to.

Decisions reuse the embedding cache (the labelled texts are training examples, embedded already), so a
check costs a few head trainings and a few thousand lexical rankings: seconds, on a worker thread.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from bot.core.knowledge.model import KnowledgeBase
from bot.core.learning.paired import Paired, compare, got_worse
from bot.core.matching.answers import learned_key
from bot.core.matching.cross_validation import Labelled, Outcomes, fold_of
from bot.core.matching.embeddings.chatter_gate import cached_gate
from bot.core.matching.embeddings.confidence import ConfidenceModel, fit_confidence
from bot.core.matching.embeddings.meaning import MeaningModel
from bot.core.matching.embeddings.ranker import MeaningRanker
from bot.core.matching.embeddings.semantic import FEATURE_NAMES, SemanticIndex
from bot.core.matching.examples import Example
from bot.core.matching.matcher import Decision, Matcher

log = logging.getLogger(__name__)

MAX_NAMED = 5
WRONG_COST, OFF_TOPIC_COST, HELPED_VALUE = 4.0, 2.0, 0.3  # as scripts/train_confidence.py weighs outcomes


@dataclass(frozen=True)
class Figures:
    """What members would see on the labelled sets, cross-validated."""

    answerable: int
    right: int
    wrong: int
    helped: int
    off_topic: int
    off_topic_posted: int

    @classmethod
    def of(cls, outcomes: Outcomes) -> Figures:
        posted = outcomes.off_topic - outcomes.off_topic_silent
        return cls(outcomes.answerable, outcomes.right, outcomes.wrong, outcomes.helped, outcomes.off_topic, posted)

    @property
    def value(self) -> float:
        return (
            self.right - WRONG_COST * self.wrong - OFF_TOPIC_COST * self.off_topic_posted + HELPED_VALUE * self.helped
        )

    def line(self) -> str:
        n, m = max(self.answerable, 1), max(self.off_topic, 1)
        return (
            f"right {self.right / n:.1%}, wrong {self.wrong / n:.1%} ({self.wrong}), helped {self.helped / n:.1%} "
            f"of {self.answerable}; posted on {self.off_topic_posted / m:.1%} of {self.off_topic} off-topic"
        )


@dataclass(frozen=True)
class Verdict:
    """The guard's answer for one set of new examples."""

    passed: bool
    before: Figures
    after: Figures
    confidence: ConfidenceModel | None  # a refit confidence model to serve; None keeps the one in service
    paired: Paired
    hurt: tuple[Example, ...] = ()
    refusal: str | None = None  # why it failed (paired.Paired.refusal)

    def line(self) -> str:
        """The figures after, beside the ones in service, and the item-by-item changes (for the moderators)."""
        because = f"; refused: {self.refusal}" if self.refusal else ""
        return f"{self.after.line()} (in service: {self.before.line()}); {self.paired.line()}{because}"


class CachedEncoder:
    """The sentence encoder behind the embedding cache: a labelled text is embedded once, ever."""

    def __init__(self, meaning: MeaningModel) -> None:
        self._encoder = meaning.encoder
        self._cache = meaning.cache

    def encode(self, texts: list[str]) -> np.ndarray:
        return self._cache.embed(texts, self._encoder.encode)

    def __getattr__(self, name: str) -> object:
        return getattr(self._encoder, name)


class Guard:
    """Compare cross-validated figures with and without new examples, for one knowledge base."""

    def __init__(
        self,
        meaning: MeaningModel,
        kb: KnowledgeBase,
        matcher: Matcher,
        labelled: Sequence[Example],
        *,
        folds: int = 5,
        tolerance: float = 0.002,
        retrain_confidence: bool = True,
        lexical_memo: dict[str, dict[str, float]] | None = None,
    ) -> None:
        self.meaning, self.kb, self.matcher = meaning, kb, matcher
        self.labelled = [e for e in labelled if not e.lenient]
        self.folds, self.tolerance, self.retrain_confidence = folds, tolerance, retrain_confidence
        # One split for both runs (the comparison is item by item); a thread's posts share a fold.
        self._fold = fold_of(self.labelled, folds, groups=[e.thread for e in self.labelled])
        self._encoder = CachedEncoder(meaning)
        self._before: dict[tuple[Example, ...], list[Decision]] = {}
        # The lexical scores depend on the knowledge base alone: computed once per text, not per fold and model.
        self.lexical_memo = {} if lexical_memo is None else lexical_memo

    def check(self, served: Sequence[Example], new: Sequence[Example]) -> Verdict:
        """Would serving `new` beside `served` make the labelled figures worse? (blocks: seconds)"""
        key = tuple(served)
        if key not in self._before:
            self._before = {key: self._decide(self._heads(served), self.meaning.confidence, served)}
        before = self._before[key]
        learned = [*served, *new]
        heads = self._heads(learned)
        options = [(self._decide(heads, self.meaning.confidence, learned), None)]
        if self.retrain_confidence:
            per_fold, whole = self._refit(heads)
            options.append((self._decide(heads, per_fold, learned), whole))
        before_figures = self._figures(before)
        scored = [(self._figures(d), compare(self.labelled, before, d), d, model) for d, model in options]
        passing = [s for s in scored if s[1].refusal(self.tolerance) is None]
        if passing:
            figures, paired, _, model = max(passing, key=lambda s: (s[0].value, s[3] is None))
            return Verdict(True, before_figures, figures, model, paired)
        figures, paired, decisions, _ = max(scored, key=lambda s: s[0].value)
        hurt = self._blame(before, decisions, new)
        return Verdict(False, before_figures, figures, None, paired, hurt, paired.refusal(self.tolerance))

    # --- the folds -------------------------------------------------------------------------------

    def _heads(self, extra: Sequence[Example]) -> list[tuple[SemanticIndex, object]]:
        """Per fold: the semantic index (head) and chatter gate trained without the fold, with extra."""
        m = self.meaning
        out = []
        for fold in range(self.folds):
            training = [e for e, f in zip(self.labelled, self._fold, strict=True) if f != fold] + list(extra)
            index = SemanticIndex.build(self.kb, training, m.encoder, m.cache, m.settings.head_weight)
            out.append((index, cached_gate(training, m.settings.chatter_threshold, m.cache)))
        return out

    def _ranker(self, head: tuple[SemanticIndex, object], confidence: ConfidenceModel) -> MeaningRanker:
        index, gate = head
        m = self.meaning
        ranker = _MemoRanker(self.matcher, index, self._encoder, confidence, m.settings, gate)  # type: ignore[arg-type]
        ranker.memo = self.lexical_memo
        return ranker

    def _decide(
        self,
        heads: list[tuple[SemanticIndex, object]],
        confidence: ConfidenceModel | list[ConfidenceModel],
        learned: Sequence[Example],
    ) -> list[Decision]:
        """Decide every labelled item out of fold; a learned question asked word for word gets its label."""
        models = confidence if isinstance(confidence, list) else [confidence] * self.folds
        rankers = [self._ranker(head, model) for head, model in zip(heads, models, strict=True)]
        known = learned_answers(learned)
        out = []
        for example, fold in zip(self.labelled, self._fold, strict=True):
            key = learned_key(example.text)
            if key in known:
                entry_id = known[key]
                action = "silent" if entry_id is None else "answer"
                out.append(Decision(action, entry_id, 1.0, (), "learned"))
            else:
                out.append(rankers[fold].decide(example.text))
        return out

    def _refit(self, heads: list[tuple[SemanticIndex, object]]) -> tuple[list[ConfidenceModel], ConfidenceModel]:
        """The confidence model refit on out-of-fold features: one per fold (without it) and one on all."""
        rankers = [self._ranker(head, self.meaning.confidence) for head in heads]
        rows, right, fold_of_row = [], [], []
        for example, fold in zip(self.labelled, self._fold, strict=True):
            early, query = rankers[fold].before_model(example.text)
            if early is not None:
                continue
            analysis = rankers[fold].score(query).analysis
            rows.append(analysis.features)
            right.append(float(rankers[fold].index.entry_ids[analysis.order[0]] == example.entry_id))
            fold_of_row.append(fold)
        x, y, part = np.array(rows), np.array(right), np.array(fold_of_row)
        per_fold = [fit_confidence(x[part != k], y[part != k]) for k in range(self.folds)]
        return per_fold, fit_confidence(x, y)

    def _figures(self, decisions: Sequence[Decision]) -> Figures:
        outcomes = Outcomes()
        for example, decision in zip(self.labelled, decisions, strict=True):
            outcomes.add(Labelled(example.text, example.entry_id), decision)
        return Figures.of(outcomes)

    # --- naming what hurt ------------------------------------------------------------------------

    def _blame(
        self, before: Sequence[Decision], after: Sequence[Decision], new: Sequence[Example]
    ) -> tuple[Example, ...]:
        """The new examples closest to the labelled items that got worse, among those teaching where they went."""
        if not new:
            return ()
        vectors = self._encoder.encode([e.text for e in new])
        blamed: dict[Example, float] = {}
        for example, old, now in zip(self.labelled, before, after, strict=True):
            if not got_worse(example, old, now):
                continue
            went = now.entry_id or (now.candidates[0].entry_id if now.candidates else None)
            pool = [i for i, e in enumerate(new) if e.entry_id == went] or list(range(len(new)))
            similarity = vectors[pool] @ self._encoder.encode([example.text])[0]
            best = pool[int(np.argmax(similarity))]
            blamed[new[best]] = max(blamed.get(new[best], -1.0), float(similarity.max()))
        ranked = sorted(blamed, key=lambda e: -blamed[e])
        return tuple(ranked[:MAX_NAMED])


class _MemoRanker(MeaningRanker):
    memo: dict[str, dict[str, float]]

    def lexical(self, text: str) -> dict[str, float]:
        found = self.memo.get(text)
        if found is None:
            found = self.memo[text] = super().lexical(text)
        return found


def learned_answers(learned: Sequence[Example]) -> dict[str, str | None]:
    """What AnswerEngine.use_learned gets: each learned question (folded) and its entry (None: silence)."""
    return {learned_key(e.text): e.entry_id for e in learned}


def retrained(meaning: MeaningModel, examples: Sequence[Example], confidence: ConfidenceModel | None) -> MeaningModel:
    """The meaning model to serve: trained on examples, with a refit confidence model if one was chosen."""
    gate = cached_gate(examples, meaning.settings.chatter_threshold, meaning.cache)
    return replace(meaning, examples=list(examples), confidence=confidence or meaning.confidence, gate=gate)


def confidence_from_json(raw: object) -> ConfidenceModel | None:
    """A confidence model stored by the loop (ConfidenceModel.to_json), or None if it reads other features."""
    if not isinstance(raw, dict) or tuple(raw.get("features", ())) != FEATURE_NAMES:
        return None
    arrays = [np.array(raw[k], dtype=np.float64) for k in ("mean", "scale", "weights")]
    if any(a.shape != (len(FEATURE_NAMES),) for a in arrays):
        return None
    return ConfidenceModel(*arrays, float(raw["bias"]))
