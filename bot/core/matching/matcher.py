"""Turn a member's message into a decision: answer, suggest, or stay silent.

How a message is scored against an entry (every step is deterministic):

* Words become concept tokens (text.py), with misspellings corrected against the knowledge base's
  own vocabulary using rapidfuzz (`fuzz.ratio`, no processor, a length-dependent cutoff).
* Lexical score: cosine similarity of IDF-weighted token sets, where IDF is computed over *entries*,
  so a word every entry uses ("connects") weighs nothing and the words that tell entries apart
  ("refund", "transfer", "agency") decide. Taken both against each phrasing (best one wins) and
  against the entry as a whole (all its phrasings pooled), which rewards vocabulary spread across
  several alternates. Words the knowledge base has never seen count against the match.
* Fuzzy score: rapidfuzz `fuzz.token_sort_ratio` between the message's and the phrasing's content
  words, for the best lexical candidates only: it rewards close wording and typos the token step missed.
* Long posts: the whole post and each of its sentences are scored; each entry keeps its best unit,
  so a greeting and a back-story don't drown the actual question.
* Domain gate: if the message contains none of the words most of the knowledge base is about
  ("connects", "proposal", ...), it is most likely about something else and its score is damped.

The answer/suggest thresholds and weights come from config.yaml (MatcherSettings).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Literal

import numpy as np

from bot.config import MatcherSettings
from bot.core.knowledge.model import KnowledgeBase
from bot.core.matching import text as textmod
from bot.core.matching.index import MatchIndex

Action = Literal["answer", "suggest", "silent"]

# Units scored for a long post: the whole text plus at most this many sentences.
MAX_SENTENCES = 12
# One-word messages ("connects?", "help") are never answered: there is no question to answer yet.
MIN_WORDS = 2


@dataclass(frozen=True)
class Candidate:
    """One entry considered for a message, with its score (0..1) and best-matching phrasing."""

    entry_id: str
    score: float
    phrasing: str

    def to_json(self) -> dict[str, object]:
        return {"entry": self.entry_id, "score": round(self.score, 4)}


@dataclass(frozen=True)
class Decision:
    """What to do with a message, and why (so a moderator can see the reasoning)."""

    action: Action
    entry_id: str | None
    score: float
    candidates: tuple[Candidate, ...]
    reason: str
    # Entries worth offering beside an answer: a post that asks two things gets both.
    see_also: tuple[str, ...] = ()

    def to_json(self) -> dict[str, object]:
        """Return the contract shape printed by `ask --json`."""
        return {
            "decision": self.action,
            "entry": self.entry_id,
            "score": round(self.score, 4),
            "candidates": [c.to_json() for c in self.candidates],
        }


class Matcher:
    """Decide answer / suggest / silent for messages against one knowledge base."""

    def __init__(self, kb: KnowledgeBase, settings: MatcherSettings) -> None:
        self.settings = settings
        self.index = MatchIndex(kb.entries.values(), settings)

    def rank(self, message: str, limit: int = 5) -> list[Candidate]:
        """Return the closest entries for a message, best first, with no thresholds applied."""
        scores, phrasing_of = self._score(message)
        if scores.size == 0:
            return []
        limit = min(limit, scores.size)
        top = np.argpartition(-scores, limit - 1)[:limit] if limit < scores.size else np.arange(scores.size)
        # Stable ordering: by score descending, then by entry id (entries are sorted by id).
        order = sorted(top.tolist(), key=lambda i: (-round(float(scores[i]), 9), i))
        return [
            Candidate(
                self.index.entries[i].id,
                float(scores[i]),
                self.index.phrasings[phrasing_of.get(i, int(self.index.entry_starts[i]))],
            )
            for i in order
            if scores[i] > 0
        ]

    def decide(self, message: str) -> Decision:
        """Decide what the bot should do with a message; never raises on odd input."""
        s = self.settings
        message = message[: s.max_input_chars]
        if not message.strip():
            return Decision("silent", None, 0.0, (), "empty message")
        message_words = textmod.words(message)
        if len(textmod.content_of(message_words)) < s.min_content_tokens or len(message_words) < MIN_WORDS:
            return Decision("silent", None, 0.0, (), "chatter: greeting, thanks, a single word or no meaningful words")
        ranked = self.rank(message, limit=max(s.suggest_limit, 2))
        if not ranked:
            return Decision("silent", None, 0.0, (), "no entry shares a meaningful word with the message")
        best = ranked[0]
        runner_up = ranked[1].score if len(ranked) > 1 else 0.0
        margin = best.score - runner_up
        shown = tuple(ranked[: s.suggest_limit])
        summary = f"best {best.entry_id} {best.score:.2f} via {best.phrasing!r}; runner-up {runner_up:.2f}"
        if best.score >= s.answer_threshold and margin >= s.answer_margin:
            return Decision("answer", best.entry_id, best.score, shown, f"answer: {summary}")
        if best.score >= s.suggest_threshold:
            suggestions = tuple(c for c in shown if c.score >= s.suggest_threshold)
            why = "close call" if best.score >= s.answer_threshold else "below the answer threshold"
            return Decision("suggest", None, best.score, suggestions, f"suggest ({why}): {summary}")
        return Decision("silent", None, best.score, shown, f"silent (below the suggest threshold): {summary}")

    def _score(self, message: str) -> tuple[np.ndarray, dict[int, int]]:
        """Score every entry: the best of the whole message, its sentences and neighbouring pairs."""
        message = message[: self.settings.max_input_chars]
        units = [message]
        parts = textmod.sentences(message)
        if len(parts) > 1:
            # Each sentence alone, and each pair of neighbours (a question often spans two lines).
            head = parts[:MAX_SENTENCES]
            units.extend(head)
            units.extend(f"{a} {b}" for a, b in itertools.pairwise(head))
        best: np.ndarray | None = None
        best_phrasing: dict[int, int] = {}
        message_words = textmod.words(message)
        for unit in dict.fromkeys(units):  # a repeated sentence scores the same: once is enough
            unit_words = message_words if unit is message else textmod.words(unit)
            if unit is not message and len(textmod.content_of(unit_words)) < self.settings.min_content_tokens:
                continue
            scores, phrasing_of = self.index.entry_scores(self.index.query(unit_words))
            if best is None:
                best, best_phrasing = scores, dict(phrasing_of)
                continue
            for e_index, p_index in phrasing_of.items():
                if scores[e_index] > best[e_index]:
                    best_phrasing[e_index] = p_index
            np.maximum(best, scores, out=best)
        if best is None:
            return np.zeros(0), {}
        exact = self.index.exact.get(" ".join(message_words))
        if exact is not None:
            best[exact] = 1.0
        return best, best_phrasing
