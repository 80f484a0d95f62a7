"""What the knowledge store hands back: a write's outcome, an entry opened for editing, a reload from disk."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol

from bot.core.errors import KnowledgeError
from bot.core.knowledge.model import Entry, KnowledgeBase


class KnowledgeConsumer(Protocol):
    """Anything that serves a knowledge base and can swap it (the AnswerEngine)."""

    def replace(self, kb: KnowledgeBase) -> None: ...


@dataclass(frozen=True)
class Change:
    """What a write did: the entry's new version, who, when, a one-line summary, the entry after it."""

    entry_id: str
    action: str
    version: int
    actor: str
    at: dt.datetime
    summary: str
    entry: Entry | None
    changed: bool = True


@dataclass(frozen=True)
class OpenedEntry:
    """An entry as it is on disk now, with the version an editor must hand back when saving."""

    entry: Entry
    version: int


@dataclass(frozen=True)
class DiskReload:
    """The outcome of noticing a change under knowledge/: the new base, or the error that kept the old one."""

    kb: KnowledgeBase | None
    error: KnowledgeError | None
    changed: tuple[str, ...] = ()
