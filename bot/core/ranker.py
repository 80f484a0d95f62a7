"""Decide answer / suggest / silent with the meaning model, and know when not to answer.

The order of a decision:
1. chatter (greetings, thanks, one word, nothing meaningful) is silent before anything is embedded,
   so most of a busy channel never reaches the model;
2. a message that is exactly a known phrasing gets that entry (what a moderator taught is obeyed);
3. the message (with the thread's opening question, for a short follow-up) is embedded once and every
   entry ranked (semantic.py); the confidence model turns the features into p(best entry is right);
4. answer when p >= answer_confidence; suggest the best few when p >= suggest_confidence; else silent.
   An answered post that also asks about a second entry the head rates highly gets that entry offered
   beside the answer (a post asking two things).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bot.config import EmbeddingSettings, MatcherSettings
from bot.core import text as textmod
from bot.core.confidence import ConfidenceModel
from bot.core.encoder import SentenceEncoder
from bot.core.matcher import MIN_WORDS, Candidate, Decision, Matcher
from bot.core.semantic import Analysis, SemanticIndex


@dataclass(frozen=True)
class Scored:
    """A message's embedding analysis plus the confidence in its best entry."""

    analysis: Analysis
    confidence: float


class MeaningRanker:
    """One knowledge base's lexical matcher, semantic index and confidence model, used together."""

    def __init__(
        self,
        matcher: Matcher,
        index: SemanticIndex,
        encoder: SentenceEncoder,
        confidence: ConfidenceModel,
        settings: EmbeddingSettings,
    ) -> None:
        self.matcher = matcher
        self.index = index
        self._encoder = encoder
        self._confidence = confidence
        self._settings = settings

    @property
    def matcher_settings(self) -> MatcherSettings:
        return self.matcher.settings

    def decide(self, message: str, context: str | None = None) -> Decision:
        """Decide what to do with a message; context is the thread's opening question, if any."""
        early, query = self.before_model(message, context)
        if early is not None:
            return early
        return self._plan(self.score(query), query != message[: self.matcher_settings.max_input_chars])

    def before_model(self, message: str, context: str | None = None) -> tuple[Decision | None, str]:
        """Settle what needs no model (chatter, an exact phrasing); else return the text to score."""
        s, m = self._settings, self.matcher_settings
        message = message[: m.max_input_chars]
        if not message.strip():
            return Decision("silent", None, 0.0, (), "empty message"), message
        words = textmod.words(message)
        content = textmod.content_of(words)
        if context and len(content) <= s.followup_max_words and context.strip() != message.strip():
            # "and for the agency?" means nothing alone: read it with the question that opened the thread.
            return None, f"{context[: m.max_input_chars]}\n{message}"
        if len(content) < m.min_content_tokens or len(words) < MIN_WORDS:
            chatter = "chatter: greeting, thanks, a single word or no meaningful words"
            return Decision("silent", None, 0.0, (), chatter), message
        exact = self.matcher.index.exact.get(" ".join(words))
        if exact is not None:
            entry_id = self.matcher.index.entries[exact].id
            return Decision(
                "answer", entry_id, 1.0, (Candidate(entry_id, 1.0, message),), "exact known phrasing"
            ), message
        return None, message

    def score(self, text: str) -> Scored:
        """Embed text and rank every entry, with the confidence that the best one is right."""
        lexical = {c.entry_id: c.score for c in self.matcher.rank(text, limit=len(self.index.entry_ids))}
        vector = self._encoder.encode([text])[0]
        analysis = self.index.analyse(vector, lexical, len(textmod.words(text)))
        return Scored(analysis, self._confidence.probability(analysis.features))

    def _plan(self, scored: Scored, with_context: bool) -> Decision:
        s = self._settings
        a, p = scored.analysis, scored.confidence
        ids = self.index.entry_ids
        shown = tuple(
            Candidate(ids[i], float(np.clip(a.rank_scores[i], 0.0, 1.0)), "") for i in a.order[: s.suggest_limit]
        )
        best = ids[a.order[0]]
        summary = (
            f"best {best} (confidence {p:.2f}, head {a.head_probability[a.order[0]]:.2f}, "
            f"off-topic {a.off_topic_probability:.2f}){' with the thread opener' if with_context else ''}"
        )
        if p >= s.answer_confidence:
            second = a.order[1] if len(a.order) > 1 else None
            see_also: tuple[str, ...] = ()
            if second is not None and a.head_probability[second] >= s.second_topic_probability:
                see_also = (ids[second],)
            return Decision("answer", best, p, shown, f"answer: {summary}", see_also=see_also)
        if p >= s.suggest_confidence:
            return Decision("suggest", None, p, shown, f"suggest (not sure enough to answer): {summary}")
        return Decision("silent", None, p, shown, f"silent (confidence below {s.suggest_confidence:.2f}): {summary}")
