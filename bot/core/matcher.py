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
import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

import numpy as np
from rapidfuzz import fuzz, process

from bot.config import MatcherSettings
from bot.core import text as textmod
from bot.core.knowledge import Entry, KnowledgeBase

Action = Literal["answer", "suggest", "silent"]

# How many phrasings must use a word before it weighs fully (1 - exp(-n / scale)): 1 -> 0.49, 3 -> 0.86.
ATTESTATION_SCALE = 1.5
# Units scored for a long post: the whole text plus at most this many sentences.
MAX_SENTENCES = 12
MIN_CORRECTABLE_LENGTH = 5
# One-word messages ("connects?", "help") are never answered: there is no question to answer yet.
MIN_WORDS = 2
_CORRECTION_CACHE_LIMIT = 20_000


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

    def to_json(self) -> dict[str, object]:
        """Return the contract shape printed by `ask --json`."""
        return {
            "decision": self.action,
            "entry": self.entry_id,
            "score": round(self.score, 4),
            "candidates": [c.to_json() for c in self.candidates],
        }


@dataclass(frozen=True)
class _Query:
    tokens: dict[str, float]  # known token -> weight
    unknown_mass: float  # sum of squared weights of words the knowledge base doesn't know
    norm: float
    in_domain: bool
    content: str  # content words joined, for rapidfuzz


class MatchIndex:
    """An immutable index over a knowledge base's phrasings; cheap to query, rebuilt on change."""

    def __init__(self, entries: Iterable[Entry], settings: MatcherSettings) -> None:
        self.settings = settings
        self.entries: list[Entry] = sorted(entries, key=lambda e: e.id)
        self.phrasings: list[str] = []
        # A message that is, after folding, exactly a known phrasing is that entry: certainty, not a score.
        self.exact: dict[str, int] = {}
        self.phrasing_content: list[str] = []
        phrasing_tokens: list[set[str]] = []
        entry_of_phrasing: list[int] = []
        starts: list[int] = []
        entry_counts: list[Counter[str]] = []
        vocabulary: set[str] = set()
        for e_index, entry in enumerate(self.entries):
            starts.append(len(self.phrasings))
            counts: Counter[str] = Counter()
            for phrasing in entry.phrasings:
                word_list = textmod.words(phrasing)
                vocabulary.update(w for w in word_list if w not in textmod.STOPWORDS)
                tokens = textmod.concept_tokens(word_list)
                counts.update(tokens)
                self.exact.setdefault(" ".join(word_list), e_index)
                self.phrasings.append(phrasing)
                self.phrasing_content.append(_content_string(word_list))
                phrasing_tokens.append(tokens)
                entry_of_phrasing.append(e_index)
            entry_counts.append(counts)

        n_entries = max(len(self.entries), 1)
        document_frequency: Counter[str] = Counter()
        phrasing_frequency: Counter[str] = Counter()
        for counts in entry_counts:
            document_frequency.update(counts.keys())
            phrasing_frequency.update(counts)
        # BM25's IDF: near zero for a word in every entry, highest for a word in one entry. A word
        # only one phrasing uses ("last week") is as rare as a word a whole entry is about ("refund"),
        # but far less telling: scale by how many phrasings attest it.
        self.idf = {
            t: max(math.log(1 + (n_entries - df + 0.5) / (df + 0.5)), 0.05)
            * (1 - math.exp(-phrasing_frequency[t] / ATTESTATION_SCALE))
            for t, df in document_frequency.items()
        }
        self.max_idf = math.log(1 + (n_entries - 0.5) / 1.5) if n_entries > 1 else 1.0
        self.domain_words = frozenset(textmod.concept_tokens(list(settings.domain_words)))
        self.vocabulary = sorted(vocabulary)
        self._vocabulary_set = frozenset(vocabulary)
        self._corrections: dict[str, str | None] = {}

        gram_counts = [Counter() for _ in self.entries]
        for p_index, content in enumerate(self.phrasing_content):
            gram_counts[entry_of_phrasing[p_index]].update(char_grams(content))
        gram_df: Counter[str] = Counter()
        for counts in gram_counts:
            gram_df.update(counts.keys())
        self.gram_idf = {g: math.log(1 + (n_entries - df + 0.5) / (df + 0.5)) for g, df in gram_df.items()}
        self._gram_postings = _postings(
            [{g: (1 + math.log(c)) * self.gram_idf[g] for g, c in counts.items()} for counts in gram_counts]
        )
        self.entry_of_phrasing = np.asarray(entry_of_phrasing, dtype=np.int32)
        self.entry_starts = np.asarray(starts, dtype=np.int64)
        self._phrasing_postings = _postings([{t: self.idf[t] for t in toks} for toks in phrasing_tokens])
        # Pooled entry vectors: sublinear term frequency over the entry's phrasings, times IDF.
        self._entry_postings = _postings(
            [{t: (1 + math.log(c)) * self.idf[t] for t, c in counts.items()} for counts in entry_counts]
        )

    def __len__(self) -> int:
        return len(self.entries)

    # --- query side ---------------------------------------------------------------------------------

    def correct(self, word: str) -> str | None:
        """Return the knowledge-base word a misspelt word most likely meant, or None."""
        if word in self._vocabulary_set or len(word) < MIN_CORRECTABLE_LENGTH or word.isdigit():
            return word if word in self._vocabulary_set else None
        if word in self._corrections:
            return self._corrections[word]
        cutoff = 80.0 if len(word) <= 6 else 85.0
        match = process.extractOne(word, self.vocabulary, scorer=fuzz.ratio, processor=None, score_cutoff=cutoff)
        fixed = match[0] if match else None
        if len(self._corrections) < _CORRECTION_CACHE_LIMIT:
            self._corrections[word] = fixed
        return fixed

    def query(self, raw_words: list[str]) -> _Query:
        """Build the weighted token set of one unit of text."""
        corrected: list[str] = []
        unknown: set[str] = set()
        for word in raw_words:
            if word in textmod.STOPWORDS or word in textmod.CHATTER_WORDS:
                continue
            fixed = self.correct(word)
            if fixed is not None:
                corrected.append(fixed)
            elif textmod.concept_tokens([word]) & self.idf.keys():
                corrected.append(word)  # unknown as written, but a synonym of a known concept ("credits")
            else:
                unknown.add(textmod.stem(word))
        tokens = {t: self.idf[t] for t in textmod.concept_tokens(corrected) if t in self.idf}
        unknown -= tokens.keys()
        unknown_weight = self.settings.unknown_word_weight * self.max_idf
        unknown_mass = len(unknown) * unknown_weight**2
        norm = math.sqrt(sum(w * w for w in tokens.values()) + unknown_mass)
        in_domain = not self.domain_words or bool(self.domain_words & tokens.keys())
        return _Query(tokens, unknown_mass, norm, in_domain, _content_string(corrected))

    def entry_scores(self, query: _Query) -> tuple[np.ndarray, np.ndarray]:
        """Score every entry for one unit; return (scores, best phrasing index per entry)."""
        settings = self.settings
        n_phr = len(self.phrasings)
        if not query.tokens or query.norm == 0 or n_phr == 0:
            return np.zeros(len(self.entries)), self.entry_starts.copy()
        phr = np.zeros(n_phr, dtype=np.float64)
        ent = np.zeros(len(self.entries), dtype=np.float64)
        for token, weight in query.tokens.items():
            ids, vals = self._phrasing_postings[token]
            phr[ids] += vals * weight
            ids, vals = self._entry_postings[token]
            ent[ids] += vals * weight
        phr /= query.norm
        ent /= query.norm
        grams = np.zeros(len(self.entries), dtype=np.float64)
        if settings.ngram_weight > 0:
            q_grams = {g: self.gram_idf[g] for g in char_grams(query.content) if g in self.gram_idf}
            g_norm = math.sqrt(sum(v * v for v in q_grams.values())) or 1.0
            for g, weight in q_grams.items():
                ids, vals = self._gram_postings[g]
                grams[ids] += vals * weight
            grams /= g_norm
        best_phr = np.maximum.reduceat(phr, self.entry_starts)
        lexical = settings.phrasing_weight * best_phr + (1 - settings.phrasing_weight) * ent
        lexical = (1 - settings.ngram_weight) * lexical + settings.ngram_weight * grams
        # Index of the best phrasing per entry: argmax within each contiguous slice.
        order = np.lexsort((-phr, self.entry_of_phrasing))
        best_index = order[self.entry_starts]

        total = lexical * settings.lexical_weight / max(settings.lexical_weight + settings.fuzzy_weight, 1e-9)
        limit = min(settings.candidate_limit, len(self.entries))
        top = np.argpartition(-lexical, limit - 1)[:limit] if limit < len(self.entries) else np.arange(limit)
        if settings.fuzzy_weight > 0 and query.content:
            share = settings.fuzzy_weight / (settings.lexical_weight + settings.fuzzy_weight)
            for e_index in top:
                if lexical[e_index] <= 0:
                    continue
                start = int(self.entry_starts[e_index])
                end = int(self.entry_starts[e_index + 1]) if e_index + 1 < len(self.entries) else n_phr
                fuzzy = process.extractOne(
                    query.content,
                    self.phrasing_content[start:end],
                    scorer=fuzz.token_sort_ratio,
                    processor=None,
                )
                if fuzzy is not None:
                    total[e_index] += share * fuzzy[1] / 100.0
        if not query.in_domain:
            total *= settings.off_domain_factor
        # Entries that share no word with the message keep only what lexical gave them (zero).
        total[lexical <= 0] = 0.0
        return total, best_index


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
        # Stable ordering: by score descending, then by entry id (entries are sorted by id).
        order = np.lexsort((np.arange(scores.size), -np.round(scores, 9)))[:limit]
        return [
            Candidate(self.index.entries[i].id, float(scores[i]), self.index.phrasings[int(phrasing_of[i])])
            for i in order
            if scores[i] > 0
        ]

    def decide(self, message: str) -> Decision:
        """Decide what the bot should do with a message; never raises on odd input."""
        s = self.settings
        message = message[: s.max_input_chars]
        content = textmod.content_words(message)
        if not message.strip():
            return Decision("silent", None, 0.0, (), "empty message")
        if len(content) < s.min_content_tokens or len(textmod.words(message)) < MIN_WORDS:
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

    def _score(self, message: str) -> tuple[np.ndarray, np.ndarray]:
        message = message[: self.settings.max_input_chars]
        units = [message]
        parts = textmod.sentences(message)
        if len(parts) > 1:
            # Each sentence alone, and each pair of neighbours (a question often spans two lines).
            units.extend(parts[:MAX_SENTENCES])
            head = parts[:MAX_SENTENCES]
            units.extend(f"{a} {b}" for a, b in itertools.pairwise(head))
        best: np.ndarray | None = None
        best_phrasing: np.ndarray | None = None
        for unit in dict.fromkeys(units):  # a repeated sentence scores the same: once is enough
            words = textmod.words(unit)
            if unit is not message and len(textmod.content_words(unit)) < self.settings.min_content_tokens:
                continue
            scores, phrasing_of = self.index.entry_scores(self.index.query(words))
            if best is None or best_phrasing is None:
                best, best_phrasing = scores, phrasing_of
                continue
            better = scores > best
            best = np.where(better, scores, best)
            best_phrasing = np.where(better, phrasing_of, best_phrasing)
        if best is None or best_phrasing is None:
            return np.zeros(0), np.zeros(0, dtype=np.int64)
        exact = self.index.exact.get(" ".join(textmod.words(message)))
        if exact is not None:
            best[exact] = 1.0
        return best, best_phrasing


def char_grams(content: str, n: int = 4) -> set[str]:
    """Character n-grams of each word, padded at the edges ("agency" -> " age", "agen", ..., "ncy ")."""
    grams: set[str] = set()
    for word in content.split():
        padded = f" {word} "
        grams.update(padded[i : i + n] for i in range(max(1, len(padded) - n + 1)))
    return grams


def _content_string(word_list: list[str]) -> str:
    return " ".join(w for w in word_list if w not in textmod.STOPWORDS and w not in textmod.CHATTER_WORDS)


def _postings(vectors: list[dict[str, float]]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Invert row vectors (normalised to unit length) into token -> (row ids, weights)."""
    token_ids: dict[str, int] = {}
    rows: list[int] = []
    tokens: list[int] = []
    values: list[float] = []
    for row, vector in enumerate(vectors):
        norm = math.sqrt(sum(v * v for v in vector.values())) or 1.0
        for token, value in vector.items():
            rows.append(row)
            tokens.append(token_ids.setdefault(token, len(token_ids)))
            values.append(value / norm)
    # One stable sort by token groups every token's postings; split them into per-token slices.
    token_array = np.asarray(tokens, dtype=np.int64)
    order = np.argsort(token_array, kind="stable")
    row_array = np.asarray(rows, dtype=np.int64)[order]
    value_array = np.asarray(values, dtype=np.float64)[order]
    bounds = np.searchsorted(token_array[order], np.arange(len(token_ids) + 1))
    return {
        token: (row_array[bounds[i] : bounds[i + 1]], value_array[bounds[i] : bounds[i + 1]])
        for token, i in token_ids.items()
    }
