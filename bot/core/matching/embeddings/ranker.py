"""Decide answer / suggest / silent with the meaning model, and know when not to answer.

The order of a decision:
1. chatter (greetings, thanks, one word, nothing meaningful, and what the chatter gate, a tiny hashed
   n-gram classifier, is sure is small talk) is silent before anything is embedded, so most of a busy
   channel never reaches the encoder;
2. a message that is exactly a known phrasing gets that entry (what a moderator taught is obeyed);
   one whose best lexical score is under min_lexical_score shares almost no words with the knowledge
   base ("anyone here from Lagos?") and is silent, also without the encoder;
3. the message is embedded once and every entry ranked (semantic.py); the confidence model turns the
   features into p(best entry is right);
4. silent when the post is closer to one of the best entry's own near misses (`not_this`) than to all
   its phrasings; else answer when p >= answer_confidence; suggest the best few when the second model's p(the right
   entry is among them) >= suggest_confidence, the entry that fits the asker's situation (agency or
   freelancer) first when two rank close; else silent. An answered post whose other sentence
   confidently asks about a second entry gets that entry offered beside the answer (a post asking two
   things).
In a thread, a short follow-up that is not confident alone is read with the thread's opening question.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bot.config import EmbeddingSettings, MatcherSettings
from bot.core.matching import text as textmod
from bot.core.matching.embeddings.chatter_gate import ChatterGate
from bot.core.matching.embeddings.confidence import ConfidenceModel
from bot.core.matching.embeddings.encoder import SentenceEncoder
from bot.core.matching.embeddings.semantic import Analysis, SemanticIndex
from bot.core.matching.matcher import MAX_SENTENCES, MIN_WORDS, Candidate, Decision, Matcher
from bot.core.matching.situation import asker_situation, fitting_first

UNGROUNDED = "silent: shares almost no words with the knowledge base (not embedded)"
GATED = "chatter (the chatter gate): small talk, not a question"
# A post asking more than this many questions is rare; embedding each costs a few milliseconds.
MAX_QUESTIONS_PER_POST = 4
# Sentences of a long post embedded one by one for the confidence features (the first ones: the question
# usually comes early, and each costs about a millisecond).
MAX_SENTENCE_VECTORS = 6
# Suggestions within this ranking score of the best are close enough to reorder by the asker's situation.
SITUATION_MARGIN = 0.08


@dataclass(frozen=True)
class Scored:
    """A message's embedding analysis plus the confidence in its best entry."""

    analysis: Analysis
    confidence: float
    suggest_confidence: float
    vector: np.ndarray
    # The post's sentences already embedded, by text: the second-topic check reuses them.
    sentence_vectors: dict[str, np.ndarray]


class MeaningRanker:
    """One knowledge base's lexical matcher, semantic index and confidence model, used together."""

    def __init__(
        self,
        matcher: Matcher,
        index: SemanticIndex,
        encoder: SentenceEncoder,
        confidence: ConfidenceModel,
        settings: EmbeddingSettings,
        gate: ChatterGate | None = None,
    ) -> None:
        self.matcher = matcher
        self.index = index
        self._encoder = encoder
        self._confidence = confidence
        self._settings = settings
        self._gate = gate
        self._audience = {entry.id: entry.audience for entry in matcher.index.entries}

    @property
    def matcher_settings(self) -> MatcherSettings:
        return self.matcher.settings

    def decide(self, message: str, context: str | None = None) -> Decision:
        """Decide what to do with a message; context is the thread's opening question, if any."""
        early, query = self.before_model(message)
        if early is not None:
            return early
        lexical = self.lexical(query)
        grounded = max(lexical.values(), default=0.0) >= self._settings.min_lexical_score
        alone = self.score(query, lexical) if grounded else None
        unsure = alone is None or alone.confidence < self._settings.answer_confidence
        if context and unsure and context.strip() != query.strip() and self.is_follow_up(query):
            # "and for the agency?" means little alone: read it with the question that opened the thread.
            combined = f"{context[: self.matcher_settings.max_input_chars]}\n{query}"
            return self._plan(self.score(combined), combined, with_context=True)
        if alone is None:
            return Decision("silent", None, 0.0, (), UNGROUNDED)
        return self._plan(alone, query, with_context=False)

    def decide_without_model(self, message: str) -> Decision | None:
        """The decision for a message (outside a thread) that needs no embedding, else None."""
        early, query = self.before_model(message)
        if early is not None:
            return early
        if max(self.lexical(query).values(), default=0.0) < self._settings.min_lexical_score:
            return Decision("silent", None, 0.0, (), UNGROUNDED)
        return None

    def lexical(self, text: str) -> dict[str, float]:
        """The lexical matcher's score for every entry it finds any overlap with."""
        return {c.entry_id: c.score for c in self.matcher.rank(text, limit=len(self.index.entry_ids))}

    def is_follow_up(self, message: str) -> bool:
        """A message short enough to mean little without the question that opened its thread."""
        return len(textmod.content_of(textmod.words(message))) <= self._settings.followup_max_words

    def _is_chatter(self, words: list[str]) -> bool:
        """Greetings, thanks, one word, nothing meaningful: silent before any model runs."""
        return len(textmod.content_of(words)) < self.matcher_settings.min_content_tokens or len(words) < MIN_WORDS

    def before_model(self, message: str) -> tuple[Decision | None, str]:
        """Settle what needs no model (chatter, an exact known phrasing); else return the text to score."""
        m = self.matcher_settings
        message = message[: m.max_input_chars]
        if not message.strip():
            return Decision("silent", None, 0.0, (), "empty message"), message
        words = textmod.words(message)
        if self._is_chatter(words):
            chatter = "chatter: greeting, thanks, a single word or no meaningful words"
            return Decision("silent", None, 0.0, (), chatter), message
        exact = self.matcher.index.exact.get(" ".join(words))
        if exact is not None:
            entry_id = self.matcher.index.entries[exact].id
            reason = f"answer: best {entry_id} (exact known phrasing)"
            return Decision("answer", entry_id, 1.0, (Candidate(entry_id, 1.0, message),), reason), message
        if self._gate is not None and self._gate.is_chatter(message):
            return Decision("silent", None, 0.0, (), GATED), message
        return None, message

    def score(self, text: str, lexical: dict[str, float] | None = None) -> Scored:
        """Embed text and rank every entry, with the confidence that the best one is right."""
        lexical = self.lexical(text) if lexical is None else lexical
        parts = [p for p in textmod.sentences(text)[:MAX_SENTENCES] if len(textmod.content_words(p)) >= 2]
        embedded = parts[:MAX_SENTENCE_VECTORS] if len(parts) >= 2 else []
        # The post and its sentences in one pass: the encoder lays them end to end without padding, so a short
        # sentence beside the long post costs its own length, not the post's.
        vectors = self._encoder.encode([text, *embedded])
        vector, sentences = vectors[0], (vectors[1:] if embedded else None)
        analysis = self.index.analyse(vector, lexical, len(textmod.words(text)), sentences)
        features = analysis.features
        return Scored(
            analysis,
            self._confidence.probability(features),
            self._confidence.suggest_probability(features),
            vector,
            dict(zip(embedded, vectors[1:], strict=True)),
        )

    def _plan(self, scored: Scored, text: str, *, with_context: bool) -> Decision:
        s = self._settings
        a, p = scored.analysis, scored.confidence
        ids = self.index.entry_ids
        shown = tuple(
            Candidate(ids[i], float(np.clip(a.rank_scores[i], 0.0, 1.0)), "") for i in a.order[: s.suggest_limit]
        )
        best = ids[a.order[0]]
        near_miss = self.index.is_near_miss(scored.vector, a.order[0])
        summary = (
            f"best {best} (confidence {p:.2f}, in the suggestions {scored.suggest_confidence:.2f}, "
            f"head {a.head_probability[a.order[0]]:.2f}, off-topic {a.off_topic_probability:.2f})"
            f"{' with the thread opener' if with_context else ''}{'; closer to a near miss of it' if near_miss else ''}"
        )
        if near_miss:
            # Closer to something the entry must not answer than to anything it does: a suggestion of it
            # would be a message on an off-topic post too (cross-validated, no question lost this way).
            return Decision("silent", None, p, shown, f"silent (a near miss): {summary}")
        if p >= s.answer_confidence:
            # With a thread's opener, its question was the thread's own topic: not a second one.
            see_also = () if with_context else self._second_topic(text, best, scored.sentence_vectors)
            also = f"; also asks about {see_also[0]}" if see_also else ""
            return Decision("answer", best, p, shown, f"answer: {summary}{also}", see_also=see_also)
        if scored.suggest_confidence >= s.suggest_confidence:
            ordered = fitting_first(
                [c.entry_id for c in shown],
                [c.score for c in shown],
                self._audience,
                asker_situation(text),
                SITUATION_MARGIN,
            )
            by_id = {c.entry_id: c for c in shown}
            shown = tuple(by_id[e] for e in ordered)
            return Decision("suggest", None, p, shown, f"suggest (not sure enough to answer): {summary}")
        return Decision("silent", None, p, shown, f"silent (confidence below {s.suggest_confidence:.2f}): {summary}")

    def _second_topic(self, text: str, main: str, embedded: dict[str, np.ndarray]) -> tuple[str, ...]:
        """An entry that another sentence of the post asks about, confidently enough to offer it.

        embedded: the sentences score() already embedded (a long post's questions are mostly among them).
        """
        # Only sentences shaped like questions can ask a second thing; back-story is not embedded again.
        questions = [p for p in textmod.sentences(text)[:MAX_SENTENCES] if textmod.looks_like_question(p)]
        parts = [p for p in questions if not self._is_chatter(textmod.words(p))][:MAX_QUESTIONS_PER_POST]
        if len(parts) < 2:
            return ()
        vectors = dict(embedded)
        missing = list(dict.fromkeys(p for p in parts if p not in vectors))
        if missing:
            vectors.update(zip(missing, self._encoder.encode(missing), strict=True))
        best: tuple[float, str] | None = None
        for part in parts:
            vector = vectors[part]
            analysis = self.index.analyse(vector, self.lexical(part), len(textmod.words(part)))
            entry_id = self.index.entry_ids[analysis.order[0]]
            confidence = self._confidence.probability(analysis.features)
            if entry_id != main and confidence >= self._settings.second_topic_confidence:
                best = max(best or (confidence, entry_id), (confidence, entry_id))
        return (best[1],) if best else ()
