"""Text normalisation for matching: one place that decides what a word is.

A member's message and every knowledge-base phrasing go through the same steps, so that "Conects",
"connects" and "credits" meet on one token, and "agency's" meets "agency":

1. fold case and unicode, expand contractions ("didn't" -> "did not"), drop possessive 's;
2. split into words;
3. (query side only) correct misspellings against the knowledge base's own vocabulary (matcher.py);
4. drop stopwords and chat filler, stem what is left (Snowball English);
5. map domain synonyms onto one concept token ("bid" -> also "proposal", "credits" -> "connect").
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import snowballstemmer

_STEMMER = snowballstemmer.stemmer("english")
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")
_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'", "\u00b4": "'"})

_CONTRACTIONS = {
    "can't": "can not",
    "cant": "can not",
    "won't": "will not",
    "wont": "will not",
    "shan't": "shall not",
    "n't": " not",
    "'re": " are",
    "'ve": " have",
    "'ll": " will",
    "'d": " would",
    "'m": " am",
    "im": "i am",
    "ive": "i have",
    "dont": "do not",
    "didnt": "did not",
    "doesnt": "does not",
    "isnt": "is not",
    "wasnt": "was not",
    "havent": "have not",
    "hasnt": "has not",
    "arent": "are not",
    "couldnt": "could not",
    "shouldnt": "should not",
    "wouldnt": "would not",
    "whats": "what is",
    "u": "you",
    "ur": "your",
    "pls": "please",
    "plz": "please",
    "thx": "thanks",
    "ty": "thanks",
}

# Words dropped before matching. Deliberately short: IDF (computed over the knowledge base's
# entries) already discounts common words, and a longer list measurably threw away signal
# ("how much" asks a price, "how many" a proposal's cost; "not returned" matters).
STOPWORDS = frozenset(
    """a an the and or but of to in on at for with is are was were be been am do does did i me my you
    your it its this that these those we our they them he she his her""".split()
)

# Words that carry no content of their own. A message made only of these (plus greetings and thanks)
# is chatter: "can someone help me please?" has no question to answer yet.
FILLER_WORDS = STOPWORDS | frozenset(
    """about above after again all also any as be being below between both by could doing done down
    during each few from further had has have having here hers herself him himself how if into itself
    just let more most myself no nor off once only other ours ourselves out over own same she should so
    some such than then there theirs themselves through too under until up very what when where which
    while who whom why will would yours yourself yourselves can may might must shall get got getting
    gets go going know want wanted wants need needed needs please thanks thank thankyou hi hello hey
    dear guys guy everyone anyone someone somebody folks team morning evening afternoon good great ok
    okay yes yeah yep lol haha hmm sir madam bro question questions help helps helped ask asking asked
    regarding pm idk tbh btw really even still already now today yesterday one two us via per kindly
    actually basically maybe something thing things way ways like lot lots use used using make made
    see seen tell said say says anybody anything everything nothing sure hope hoping wondering
    wonder""".split()
)

# Words that make a message a greeting or thanks rather than a question when nothing else is said.
CHATTER_WORDS = frozenset(
    """hi hello hey hiya howdy yo gm gn good morning evening afternoon night day everyone all guys folks
    team friends thanks thank thankyou thx ty cheers appreciate appreciated great awesome nice cool ok
    okay lol haha bye welcome congrats congratulations happy same agreed true yes no yeah yep nope wow""".split()
)

# Domain synonyms, keyed by stem. The value's stems are ADDED to the token set (the original stays),
# so a phrasing that says "bid" still matches a question that says "bid", and now also "proposal".
SYNONYMS: dict[str, tuple[str, ...]] = {
    "credit": ("connect",),
    "token": ("connect",),
    "coin": ("connect",),
    "conect": ("connect",),
    "bid": ("propos",),
    "applic": ("propos",),
    "appli": ("propos",),
    "pitch": ("propos",),
    "return": ("refund",),
    "reimburs": ("refund",),
    "move": ("transfer",),
    "migrat": ("transfer",),
    "purchas": ("buy",),
    "bought": ("buy",),
    "expiri": ("expir",),
    "expiring": ("expir",),
    "compani": ("agenc",),
    "firm": ("agenc",),
    "membership": ("plan",),
    "subscript": ("plan",),
    "vat": ("tax",),
    "gst": ("tax",),
    "ticket": ("support",),
    "transact": ("histori",),
    "statement": ("histori",),
    "individu": ("freelanc",),
    "person": ("freelanc",),
}


_MENTION_OR_LINK = re.compile(r"<[@#]&?\d+>|https?://\S+")
_POSSESSIVE = re.compile(r"(\w)'s\b")
_NOT = re.compile(r"n't\b")
_SHORT_VERB = re.compile(r"'(re|ve|ll|d|m)\b")


def fold(text: str) -> str:
    """Lower-case, normalise unicode and quotes, expand contractions and drop possessives."""
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES).casefold()
    text = _MENTION_OR_LINK.sub(" ", text)  # Discord mentions and links carry no topic
    text = _POSSESSIVE.sub(r"\1", text)
    if "'" in text:
        for short, long in (("can't", "can not"), ("won't", "will not"), ("shan't", "shall not")):
            text = text.replace(short, long)
        text = _NOT.sub(" not", text)
        text = _SHORT_VERB.sub(lambda m: " " + _CONTRACTIONS["'" + m.group(1)].strip(), text)
    return text


def words(text: str) -> list[str]:
    """Split folded text into words, expanding chat shorthand ("dont", "u", "pls")."""
    out: list[str] = []
    for raw in _WORD.findall(fold(text)):
        raw = raw.replace("'", "")
        expanded = _CONTRACTIONS.get(raw)
        out.extend(expanded.split() if expanded else (raw,))
    return out


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """Return the Snowball stem of one lower-case word (cached: the vocabulary is small)."""
    return _STEMMER.stemWord(word)


def concept_tokens(word_list: list[str]) -> set[str]:
    """Turn words into the set of stems and synonym concepts that matching compares."""
    tokens: set[str] = set()
    for word in word_list:
        # Bare numbers ("3 proposals", "15 cents") are incidental: they would count as rare words.
        if word in STOPWORDS or len(word) < 2 or word.isdigit():
            continue
        s = stem(word)
        tokens.add(s)
        tokens.update(SYNONYMS.get(s, ()))
    return tokens


def content_words(text: str) -> list[str]:
    """Return the words of a message that are neither stopwords nor greeting/thanks filler."""
    return content_of(words(text))


def content_of(word_list: list[str]) -> list[str]:
    """Keep the words of an already split message that are neither stopwords nor filler."""
    return [w for w in word_list if w not in FILLER_WORDS and w not in CHATTER_WORDS]


def sentences(text: str) -> list[str]:
    """Split a post into sentences (and lines), dropping empty pieces."""
    return [s.strip() for s in _SENTENCE_END.split(text) if s and s.strip()]


_QUESTION_OPENERS = frozenset(
    """how why what when where which who whom whose can could do does did is are was were will would
    should shall may might have has any anyone""".split()
)


def looks_like_question(text: str) -> bool:
    """Say whether a message is shaped like a question (for the unanswered queue), not small talk."""
    if len(content_words(text)) < 2:
        return False
    if "?" in text:
        return True
    first = words(text)[:1]
    return bool(first) and first[0] in _QUESTION_OPENERS
