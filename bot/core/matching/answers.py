"""The live answer engine: the knowledge base in service plus its index, swapped as one.

Front ends (console, Discord) hold one AnswerEngine. Moderator edits and reloads build a complete
new Matcher first and then swap a single reference, so a question being answered while the knowledge
base changes sees either the old or the new one whole, never a mix; a knowledge base that fails to
load never replaces the one in use.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from pathlib import Path

from rapidfuzz import fuzz, process, utils

from bot.config import MatcherSettings, Settings
from bot.core.knowledge.loader import load_knowledge
from bot.core.knowledge.model import Entry, KnowledgeBase
from bot.core.matching import text as textmod
from bot.core.matching.embeddings.meaning import MeaningModel, load_meaning
from bot.core.matching.embeddings.ranker import MeaningRanker
from bot.core.matching.matcher import Candidate, Decision, Matcher

log = logging.getLogger(__name__)


class AnswerEngine:
    """Answer questions from the knowledge base in service; replace it atomically."""

    def __init__(self, kb: KnowledgeBase, settings: MatcherSettings, meaning: MeaningModel | None = None) -> None:
        self._settings = settings
        self._meaning = meaning
        self._matcher = Matcher(kb, settings)
        self._ranker: MeaningRanker | None = meaning.ranker(kb, self._matcher) if meaning else None
        self._kb = kb
        self._swap_lock = threading.Lock()
        self._search_keys = _search_keys(kb)
        self._learned: dict[str, str | None] = {}  # learned_key(question) -> entry id, None: stay silent

    @classmethod
    def from_settings(cls, settings: Settings) -> AnswerEngine:
        """Load the configured knowledge directory and the meaning model, and index (raises KnowledgeError)."""
        kb = load_knowledge(settings.knowledge.path)
        return cls(kb, settings.matcher, load_meaning(settings.embedding))

    @property
    def meaning(self) -> MeaningModel | None:
        """The meaning model in use, or None when answering with the lexical matcher alone."""
        return self._meaning

    @property
    def kb(self) -> KnowledgeBase:
        return self._kb

    @property
    def matcher(self) -> Matcher:
        """The lexical matcher in service (the meaning ranker builds on it)."""
        return self._matcher

    @property
    def settings(self) -> MatcherSettings:
        return self._settings

    def decide(self, text: str, context: str | None = None) -> Decision:
        """Decide answer / suggest / silent for a message; context is its thread's opening question."""
        learned = self._learned_decision(text)
        if learned is not None:
            return learned
        ranker = self._ranker
        if ranker is not None:
            return ranker.decide(text, context)
        return self._matcher.decide(text)

    def decide_quickly(self, text: str) -> Decision | None:
        """The decision for text when it needs no sentence encoder (chatter, a known phrasing, no model), else None."""
        learned = self._learned_decision(text)
        if learned is not None:
            return learned
        ranker = self._ranker
        return self._matcher.decide(text) if ranker is None else ranker.decide_without_model(text)

    def settles_quickly(self, text: str) -> bool:
        """Whether deciding text needs no model run (chatter, a known phrasing, or no meaning model)."""
        return self.decide_quickly(text) is not None

    def needs_context(self, text: str) -> bool:
        """Whether text is a short follow-up to be read with its thread's opening question."""
        ranker = self._ranker
        return ranker is not None and ranker.is_follow_up(text)

    def rank(self, text: str, limit: int = 5) -> list[Candidate]:
        """Return the closest entries with no thresholds (for "closest entries" lists), scored 0-1.

        Ordered by the meaning model's ranking, but scored by similarity (a cosine, clipped to 0-1): the
        ranking adds head_weight x the head's probability and so runs past 1, which reads as nonsense.
        """
        ranker = self._ranker
        if ranker is None:
            return self._matcher.rank(text, limit)
        analysis = ranker.score(text).analysis
        ids = ranker.index.entry_ids
        similarity = analysis.similarity if analysis.similarity is not None else analysis.rank_scores
        return [Candidate(ids[i], min(max(float(similarity[i]), 0.0), 1.0), "") for i in analysis.order[:limit]]

    def search_entries(self, text: str, limit: int = 25) -> list[Entry]:
        """Return entries whose id or question fuzzily matches text (for autocomplete)."""
        kb, keys = self._kb, self._search_keys
        if not text.strip():
            return [kb.entries[k] for k in sorted(kb.entries)[:limit]]
        matches = process.extract(
            text, keys, scorer=fuzz.WRatio, processor=utils.default_process, limit=limit, score_cutoff=50
        )
        return [kb.entries[entry_id] for _, _, entry_id in matches]

    def replace(self, kb: KnowledgeBase) -> None:
        """Index a new knowledge base, then put it in service in one step.

        The meaning model's new phrasings are embedded before the swap; if its head needs retraining,
        the previous head serves until the retrained one is installed (in the background, a second).
        """
        matcher = Matcher(kb, self._settings)
        keys = _search_keys(kb)
        ranker = self._ranker
        if self._meaning is not None and ranker is not None:
            ranker = self._meaning.ranker_soon(kb, matcher, ranker, lambda r: self._install(kb, r))
        with self._swap_lock:
            self._matcher, self._ranker, self._kb, self._search_keys = matcher, ranker, kb, keys
        log.info("knowledge base in service: %d entries, %d rules", len(kb.entries), len(kb.rules))

    def use_meaning(self, meaning: MeaningModel) -> None:
        """Serve with another meaning model (the learning loop's retrained one); blocks while its head is built."""
        while True:
            kb, matcher = self._kb, self._matcher
            ranker = meaning.ranker(kb, matcher)
            with self._swap_lock:
                if self._kb is kb:  # else a moderator's edit came in meanwhile: build for the new base
                    self._meaning, self._ranker = meaning, ranker
                    log.info("meaning model retrained on %d examples in service", len(meaning.examples))
                    return

    def use_learned(self, answers: Mapping[str, str | None]) -> None:
        """Give these questions (by learned_key) the entry the community taught, or silence (None).

        An accepted example asked again word for word is answered like a taught phrasing: the learning
        loop puts its examples here once the guard has let them in.
        """
        self._learned = dict(answers)

    def _learned_decision(self, text: str) -> Decision | None:
        learned = self._learned
        key = learned_key(text) if learned else ""
        if key not in learned:
            return None
        entry_id = learned[key]
        if entry_id is None:
            return Decision("silent", None, 0.0, (), "silent: learned from the community as off-topic")
        if entry_id not in self._kb.entries:
            return None
        reason = f"answer: {entry_id} (a question learned from the community)"
        return Decision("answer", entry_id, 1.0, (Candidate(entry_id, 1.0, text),), reason)

    def _install(self, kb: KnowledgeBase, ranker: MeaningRanker) -> None:
        """Put a retrained ranker in service, unless a newer knowledge base replaced kb meanwhile."""
        with self._swap_lock:
            if self._kb is kb:
                self._ranker = ranker
                log.info("meaning head retrained for %d entries", len(kb.entries))

    def reload(self, path: str | Path) -> KnowledgeBase:
        """Load path and put it in service; on KnowledgeError the current one stays."""
        kb = load_knowledge(path)
        self.replace(kb)
        return kb


def learned_key(text: str) -> str:
    """A question folded the way known phrasings are: case, punctuation and spacing don't count."""
    return " ".join(textmod.words(text))


def _search_keys(kb: KnowledgeBase) -> dict[str, str]:
    return {entry_id: f"{entry_id} {entry.question}" for entry_id, entry in kb.entries.items()}
