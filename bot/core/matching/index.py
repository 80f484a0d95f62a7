"""The matcher's index: a knowledge base's phrasings as weighted token and character-gram vectors.

Built once per knowledge base (and rebuilt whole when it changes). Words are interned to integer ids
and every vector lives in one compressed-sparse block per kind (phrasings, pooled entries, entry
character grams), so a 100,000-entry knowledge base is a handful of numpy arrays rather than millions
of small objects. Scoring one unit of text touches only the postings of the words it contains.
"""

from __future__ import annotations

import math
from array import array
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz, process

from bot.config import MatcherSettings
from bot.core.knowledge.model import Entry
from bot.core.matching import text as textmod

# How many phrasings must use a word before it weighs fully (1 - exp(-n / scale)): 1 -> 0.49, 3 -> 0.86.
ATTESTATION_SCALE = 1.5
GRAM_SIZE = 4
MIN_CORRECTABLE_LENGTH = 5
_CORRECTION_CACHE_LIMIT = 20_000


@dataclass(frozen=True)
class Query:
    """One unit of a message, ready to score."""

    tokens: dict[str, float]  # known token -> weight
    unknown_mass: float  # sum of squared weights of words the knowledge base doesn't know
    norm: float
    in_domain: bool
    content: str  # content words joined, for rapidfuzz and character grams


class Postings:
    """Column-major sparse vectors: for each token id, the rows that contain it and their weights."""

    def __init__(self, rows: np.ndarray, cols: np.ndarray, values: np.ndarray, n_rows: int, n_cols: int) -> None:
        # Normalise each row to unit length, so a dot product with a unit query is a cosine.
        norms = np.sqrt(np.bincount(rows, weights=values * values, minlength=n_rows))
        norms[norms == 0] = 1.0
        values = values / norms[rows]
        order = np.argsort(cols, kind="stable")
        self.rows = rows[order].astype(np.int32)
        self.values = values[order].astype(np.float32)
        self.offsets = np.concatenate(([0], np.cumsum(np.bincount(cols, minlength=n_cols)))).astype(np.int64)

    def add_into(self, target: np.ndarray, col: int, weight: float) -> None:
        """Add weight times column col into target (one row per element)."""
        start, end = self.offsets[col], self.offsets[col + 1]
        target[self.rows[start:end]] += self.values[start:end] * weight


def char_grams(content: str, n: int = GRAM_SIZE) -> set[str]:
    """Character n-grams of each word, padded at the edges ("agency" -> " age", "agen", ..., "ncy ")."""
    grams: set[str] = set()
    for word in content.split():
        padded = f" {word} "
        grams.update(padded[i : i + n] for i in range(max(1, len(padded) - n + 1)))
    return grams


def content_string(word_list: list[str]) -> str:
    """Join the words that carry content (no stopwords, no greetings) for character-level scoring."""
    return " ".join(w for w in word_list if w not in textmod.STOPWORDS and w not in textmod.CHATTER_WORDS)


class MatchIndex:
    """An immutable index over a knowledge base's phrasings; cheap to query, rebuilt on change."""

    def __init__(self, entries: Iterable[Entry], settings: MatcherSettings) -> None:
        self.settings = settings
        self.entries: list[Entry] = sorted(entries, key=lambda e: e.id)
        self.phrasings: list[str] = []
        self.phrasing_content: list[str] = []
        # A message that is, after folding, exactly a known phrasing is that entry: certainty, not a score.
        self.exact: dict[str, int] = {}
        token_ids: dict[str, int] = {}
        gram_ids: dict[str, int] = {}
        features: dict[str, tuple[tuple[int, ...], tuple[int, ...]]] = {}
        vocabulary: set[str] = set()
        starts: list[int] = []
        ph_rows, ph_cols = array("i"), array("i")
        en_rows, en_cols, en_counts = array("i"), array("i"), array("i")
        gr_rows, gr_cols, gr_counts = array("i"), array("i"), array("i")

        for e_index, entry in enumerate(self.entries):
            starts.append(len(self.phrasings))
            entry_tokens: Counter[int] = Counter()
            entry_grams: Counter[int] = Counter()
            for phrasing in entry.phrasings:
                word_list = textmod.words(phrasing)
                tokens: set[int] = set()
                grams: set[int] = set()
                for word in word_list:
                    feature = features.get(word)
                    if feature is None:
                        feature = features[word] = _word_features(word, token_ids, gram_ids)
                    tokens.update(feature[0])
                    grams.update(feature[1])
                vocabulary.update(w for w in word_list if w not in textmod.STOPWORDS)
                self.exact.setdefault(" ".join(word_list), e_index)
                ph_rows.extend([len(self.phrasings)] * len(tokens))
                ph_cols.extend(tokens)
                self.phrasings.append(phrasing)
                self.phrasing_content.append(content_string(word_list))
                entry_tokens.update(tokens)
                entry_grams.update(grams)
            en_rows.extend([e_index] * len(entry_tokens))
            en_cols.extend(entry_tokens.keys())
            en_counts.extend(entry_tokens.values())
            gr_rows.extend([e_index] * len(entry_grams))
            gr_cols.extend(entry_grams.keys())
            gr_counts.extend(entry_grams.values())

        n_entries, n_tokens = max(len(self.entries), 1), len(token_ids)
        en_c = np.frombuffer(en_cols, dtype=np.int32).astype(np.int64)
        counts = np.frombuffer(en_counts, dtype=np.int32).astype(np.float64)
        df = np.bincount(en_c, minlength=n_tokens)
        attested = np.bincount(en_c, weights=counts, minlength=n_tokens)
        # BM25's IDF: near zero for a word in every entry, highest for a word in one entry. A word only
        # one phrasing uses ("last week") is as rare as a word a whole entry is about ("refund"), but
        # far less telling: scale by how many phrasings attest it.
        idf = np.maximum(np.log1p((n_entries - df + 0.5) / (df + 0.5)), 0.05)
        idf *= 1 - np.exp(-attested / ATTESTATION_SCALE)
        self.token_ids = token_ids
        self.idf = dict(zip(token_ids, idf.tolist(), strict=True))
        self.max_idf = math.log1p((n_entries - 0.5) / 1.5) if n_entries > 1 else 1.0

        ph_c = np.frombuffer(ph_cols, dtype=np.int32).astype(np.int64)
        self._phrasings = Postings(
            np.frombuffer(ph_rows, dtype=np.int32).astype(np.int64), ph_c, idf[ph_c], len(self.phrasings), n_tokens
        )
        # Pooled entry vectors: sublinear term frequency over the entry's phrasings, times IDF.
        self._pooled = Postings(
            np.frombuffer(en_rows, dtype=np.int32).astype(np.int64), en_c, (1 + np.log(counts)) * idf[en_c],
            len(self.entries), n_tokens,
        )  # fmt: skip
        gr_c = np.frombuffer(gr_cols, dtype=np.int32).astype(np.int64)
        gram_df = np.bincount(gr_c, minlength=len(gram_ids))
        gram_idf = np.log1p((n_entries - gram_df + 0.5) / (gram_df + 0.5))
        gram_counts = np.frombuffer(gr_counts, dtype=np.int32).astype(np.float64)
        self.gram_ids = gram_ids
        self.gram_idf = gram_idf
        self._grams = Postings(
            np.frombuffer(gr_rows, dtype=np.int32).astype(np.int64), gr_c, (1 + np.log(gram_counts)) * gram_idf[gr_c],
            len(self.entries), len(gram_ids),
        )  # fmt: skip

        self.domain_words = frozenset(textmod.concept_tokens(list(settings.domain_words)))
        self.vocabulary = sorted(vocabulary)
        self._vocabulary_set = frozenset(vocabulary)
        self._corrections: dict[str, str | None] = {}
        self.entry_starts = np.asarray(starts, dtype=np.int64)
        self.entry_ends = np.append(self.entry_starts[1:], len(self.phrasings)).astype(np.int64)

    def __len__(self) -> int:
        return len(self.entries)

    def correct(self, word: str) -> str | None:
        """Return the knowledge-base word a misspelt word most likely meant, or None."""
        if word in self._vocabulary_set:
            return word
        if len(word) < MIN_CORRECTABLE_LENGTH or word.isdigit():
            return None
        if word in self._corrections:
            return self._corrections[word]
        cutoff = 80.0 if len(word) <= 6 else 85.0
        match = process.extractOne(word, self.vocabulary, scorer=fuzz.ratio, processor=None, score_cutoff=cutoff)
        fixed = match[0] if match else None
        if len(self._corrections) < _CORRECTION_CACHE_LIMIT:
            self._corrections[word] = fixed
        return fixed

    def query(self, raw_words: list[str]) -> Query:
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
        return Query(tokens, unknown_mass, norm, in_domain, content_string(corrected))

    def entry_scores(self, query: Query) -> tuple[np.ndarray, dict[int, int]]:
        """Score every entry for one unit; return (scores, best phrasing of the leading entries)."""
        settings = self.settings
        n_entries = len(self.entries)
        if not query.tokens or query.norm == 0 or not self.phrasings:
            return np.zeros(n_entries), {}
        phr = np.zeros(len(self.phrasings), dtype=np.float64)
        pooled = np.zeros(n_entries, dtype=np.float64)
        for token, weight in query.tokens.items():
            col = self.token_ids[token]
            self._phrasings.add_into(phr, col, weight / query.norm)
            self._pooled.add_into(pooled, col, weight / query.norm)
        grams = np.zeros(n_entries, dtype=np.float64)
        if settings.ngram_weight > 0:
            cols = [self.gram_ids[g] for g in char_grams(query.content) if g in self.gram_ids]
            weights = self.gram_idf[cols] if cols else np.zeros(0)
            g_norm = math.sqrt(float(np.dot(weights, weights))) or 1.0
            for col, weight in zip(cols, weights.tolist(), strict=True):
                self._grams.add_into(grams, col, weight / g_norm)
        best_phr = np.maximum.reduceat(phr, self.entry_starts)
        lexical = settings.phrasing_weight * best_phr + (1 - settings.phrasing_weight) * pooled
        lexical = (1 - settings.ngram_weight) * lexical + settings.ngram_weight * grams

        total = lexical * settings.lexical_weight / max(settings.lexical_weight + settings.fuzzy_weight, 1e-9)
        limit = min(settings.candidate_limit, n_entries)
        top = np.argpartition(-lexical, limit - 1)[:limit] if limit < n_entries else np.arange(n_entries)
        share = settings.fuzzy_weight / max(settings.lexical_weight + settings.fuzzy_weight, 1e-9)
        best_phrasing: dict[int, int] = {}
        for e_index in top.tolist():
            if lexical[e_index] <= 0:
                continue
            start, end = int(self.entry_starts[e_index]), int(self.entry_ends[e_index])
            best_phrasing[e_index] = start + int(np.argmax(phr[start:end]))
            if share > 0 and query.content:
                fuzzy = process.extractOne(
                    query.content, self.phrasing_content[start:end], scorer=fuzz.token_sort_ratio, processor=None
                )
                if fuzzy is not None:
                    total[e_index] += share * fuzzy[1] / 100.0
        if not query.in_domain:
            total *= settings.off_domain_factor
        # Entries that share no word with the message keep only what lexical gave them (zero).
        total[lexical <= 0] = 0.0
        return total, best_phrasing


def _word_features(word: str, token_ids: dict[str, int], gram_ids: dict[str, int]) -> tuple[tuple[int, ...], ...]:
    """Intern one word's concept tokens and character grams (cached per word by the caller)."""
    tokens = tuple(token_ids.setdefault(t, len(token_ids)) for t in textmod.concept_tokens([word]))
    if word in textmod.STOPWORDS or word in textmod.CHATTER_WORDS:
        return tokens, ()
    grams = tuple(gram_ids.setdefault(g, len(gram_ids)) for g in char_grams(word))
    return tokens, grams
