"""The knowledge base's data: typed entries and rules, what each may hold, and how the folder is laid out.

Layout on disk (chosen so that a moderator's edit touches one small file and git diffs stay small):

    knowledge/
      entries/<entry-id>.yaml   one FAQ entry per file; the file name is the entry id
      rules.yaml                the machine-readable rules that charge explanations cite

Loading and validation: loader.py.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bot.core.errors import EntryNotFound

ENTRIES_DIR = "entries"
RULES_FILE = "rules.yaml"
MAX_ANSWER_CHARS = 1500
MAX_QUESTION_CHARS = 200
MAX_PHRASING_CHARS = 400
MIN_ALTERNATES = 6
MAX_ALTERNATES = 100
MAX_LIST_ITEMS = 20  # related entries, sources
MAX_SOURCE_CHARS = 500
AUDIENCES = ("all", "agency", "freelancer")
ID_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_ID_CHARS = 64

ENTRY_FIELDS = ("id", "question", "audience", "alternates", "not_this", "answer", "related", "sources", "reviewed")
REQUIRED_ENTRY_FIELDS = ("id", "question", "alternates", "answer", "related", "sources", "reviewed")
RULE_FIELDS = ("id", "text", "entries")


@dataclass(frozen=True)
class Entry:
    """One FAQ entry: a canonical question, the ways members ask it, and the answer."""

    id: str
    question: str
    alternates: tuple[str, ...]
    answer: str
    related: tuple[str, ...]
    sources: tuple[str, ...]
    reviewed: dt.date
    audience: str = "all"
    # Near misses: what members ask that sounds like this entry but is not answered by it (must get silence).
    not_this: tuple[str, ...] = ()

    @property
    def phrasings(self) -> tuple[str, ...]:
        """The canonical question followed by every alternate phrasing."""
        return (self.question, *self.alternates)


@dataclass(frozen=True)
class Rule:
    """A machine-readable rule that ledger explanations cite, with the FAQ entries that explain it."""

    id: str
    text: str
    entries: tuple[str, ...]


@dataclass(frozen=True)
class KnowledgeBase:
    """A validated, immutable knowledge base. Replace it whole; never mutate it."""

    entries: Mapping[str, Entry]
    rules: Mapping[str, Rule]
    files: Mapping[str, Path] = field(default_factory=dict)

    def entry(self, entry_id: str) -> Entry:
        """Return the entry with this id or raise EntryNotFound."""
        try:
            return self.entries[entry_id]
        except KeyError:
            raise EntryNotFound(entry_id) from None

    def rule(self, rule_id: str) -> Rule:
        """Return the rule with this id or raise EntryNotFound."""
        try:
            return self.rules[rule_id]
        except KeyError:
            raise EntryNotFound(rule_id) from None

    def __len__(self) -> int:
        return len(self.entries)


def normalise_phrasing(text: str) -> str:
    """Fold a phrasing for duplicate detection: case, spacing and trailing punctuation don't count."""
    return " ".join(text.casefold().split()).rstrip("?.! ")
