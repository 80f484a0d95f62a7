"""The live answer engine: the knowledge base in service plus its index, swapped as one.

Front ends (console, Discord) hold one AnswerEngine. Moderator edits and reloads build a complete
new Matcher first and then swap a single reference, so a question being answered while the knowledge
base changes sees either the old or the new one whole, never a mix; a knowledge base that fails to
load never replaces the one in use.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from rapidfuzz import fuzz, process, utils

from bot.config import MatcherSettings, Settings
from bot.core.knowledge import Entry, KnowledgeBase, load_knowledge
from bot.core.matcher import Candidate, Decision, Matcher

log = logging.getLogger(__name__)


class AnswerEngine:
    """Answer questions from the knowledge base in service; replace it atomically."""

    def __init__(self, kb: KnowledgeBase, settings: MatcherSettings) -> None:
        self._settings = settings
        self._matcher = Matcher(kb, settings)
        self._kb = kb
        self._swap_lock = threading.Lock()
        self._search_keys = _search_keys(kb)

    @classmethod
    def from_settings(cls, settings: Settings) -> AnswerEngine:
        """Load the configured knowledge directory and index it (raises KnowledgeError)."""
        return cls(load_knowledge(settings.knowledge.path), settings.matcher)

    @property
    def kb(self) -> KnowledgeBase:
        return self._kb

    @property
    def settings(self) -> MatcherSettings:
        return self._settings

    def decide(self, text: str) -> Decision:
        """Decide answer / suggest / silent for a message."""
        return self._matcher.decide(text)

    def rank(self, text: str, limit: int = 5) -> list[Candidate]:
        """Return the closest entries with no thresholds (for "closest entries" lists)."""
        return self._matcher.rank(text, limit)

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
        """Index a new knowledge base, then put it in service in one step."""
        matcher = Matcher(kb, self._settings)
        keys = _search_keys(kb)
        with self._swap_lock:
            self._matcher, self._kb, self._search_keys = matcher, kb, keys
        log.info("knowledge base in service: %d entries, %d rules", len(kb.entries), len(kb.rules))

    def reload(self, path: str | Path) -> KnowledgeBase:
        """Load path and put it in service; on KnowledgeError the current one stays."""
        kb = load_knowledge(path)
        self.replace(kb)
        return kb


def _search_keys(kb: KnowledgeBase) -> dict[str, str]:
    return {entry_id: f"{entry_id} {entry.question}" for entry_id, entry in kb.entries.items()}
