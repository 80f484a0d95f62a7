"""knowledge/examples/learned.yaml: the examples the community taught the bot, as reviewable YAML.

The file is an ordinary examples file (bot.core.matching.examples reads it like the others); each item
also names the candidate it came from and the signal, so a reviewer reading the git diff can find it in
`kb learned`. Member ids are not written (the file is meant to be committed): they stay in the learning
database. New items are appended (the file rewritten whole, atomically, under
the knowledge writers' lock).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import yaml

from bot.core import safe_yaml
from bot.core.knowledge.files import WriterLock, atomic_write
from bot.core.learning.candidates import OFF_TOPIC, Candidate
from bot.core.matching.examples import MAX_EXAMPLES_FILE_BYTES, Example, read_examples

HEADER = (
    "# Examples learned from the community: members' picks and votes, accepted by a moderator or\n"
    "# automatically, and let in by the guard (a model trained on them did no worse, cross-validated).\n"
    "# Written by the bot (`kb learned`, /faq learned); edit or remove items like any examples file.\n"
)


def example_of(candidate: Candidate) -> tuple[str, str | None]:
    """The (text, entry id or None for off-topic) a served candidate teaches."""
    result = candidate.result or candidate.entry_id
    return candidate.question, None if result in (None, OFF_TOPIC) else result


def render(existing: dict, candidates: Sequence[Candidate]) -> str:
    """The file's text: what it holds now plus these candidates (questions, then off-topic ones)."""
    questions = list(existing.get("questions") or [])
    off_topic = list(existing.get("off_topic") or [])
    for candidate in sorted(candidates, key=lambda c: c.id):
        text, entry_id = example_of(candidate)
        item = {"text": text, "candidate": candidate.id, "signal": candidate.signal, "when": candidate.created_at}
        if entry_id is None:
            off_topic.append({**item, "why": "learned"})
        else:
            questions.append({"topic": entry_id, **item})
    doc: dict[str, object] = {"questions": questions}
    if off_topic:
        doc["off_topic"] = off_topic
    return HEADER + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=120)


def served_examples(path: Path) -> list[Example]:
    """The examples the file holds now (what serves); a missing file holds none."""
    return read_examples(path) if path.is_file() else []


def append_learned(path: Path, candidates: Sequence[Candidate], lock: WriterLock) -> None:
    """Add the newly served candidates to path, atomically (a crash leaves the old file or the new one).

    The file is read again under the lock: an item a moderator removed by hand stays removed.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with lock:
        existing = safe_yaml.read_yaml(path, MAX_EXAMPLES_FILE_BYTES) if path.is_file() else None
        atomic_write(path, render(existing if isinstance(existing, dict) else {}, candidates))
