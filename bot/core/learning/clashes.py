"""The clash guard: a question the knowledge already labels is never learned silently, nor learned twice.

The same question means the same text folded the way the matcher folds an exact phrasing
(`answers.learned_key`: case, punctuation, contractions and spacing don't count). It may already be
labelled: a phrasing of an entry, a near miss in an entry's `not_this` (it must get silence), a labelled
example in knowledge/examples/ (an entry, or off-topic), an example learned before (learned.yaml), or
another candidate accepted and waiting for the guard.

* Another label: accepting the candidate (a moderator on /faq learned, `kb learned accept`, the
  auto-accept rule) is *held*. The candidate stays pending, marked with the clash (which file or
  candidate, which label: `Candidate.known`, its note), and the moderators' log channel is told once. A
  moderator resolves it deliberately: move it to the label it clashes with (it is then a duplicate, below)
  or reject it. A learned example never overrules a curated label: to change that label, edit the entry or
  the examples file (reviewed like any knowledge change), then accept again.
* The same label: nothing to learn. The candidate is marked served as a duplicate, with a note naming
  where the question already is; learned.yaml is not written and no retrain runs.

The retrain sorts its accepted candidates out again (the knowledge may have changed since they were
accepted, and two accepted candidates may disagree), so no road writes a clashing or duplicate line.
What is recorded names files, entries and candidate ids, never the labelled text (a member's words, which
`kb forget-member` must be able to remove from the candidate alone).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from bot.core.knowledge.model import ENTRIES_DIR, KnowledgeBase
from bot.core.learning.candidates import OFF_TOPIC, PENDING, SERVED, Candidate, CandidateNotAcceptable, CandidateStore
from bot.core.learning.learned_file import example_of
from bot.core.matching.answers import learned_key
from bot.core.matching.examples import Example

log = logging.getLogger(__name__)

CLASH, DUPLICATE = "clash", "duplicate"
PHRASING, NEAR_MISS, EXAMPLE, LEARNED, WAITING = "phrasing", "not_this", "example", "learned", "candidate"
QUOTE_CHARS = 80


@dataclass(frozen=True)
class Known:
    """Where one labelled text is and what it says (files and ids: never the text itself)."""

    entry_id: str | None  # None: it must get silence
    source: str  # PHRASING, NEAR_MISS, EXAMPLE, LEARNED or WAITING
    where: str  # a file ("entries/x.yaml", "examples/off-topic.yaml") or "candidate #12"
    of: str | None = None  # the entry a phrasing or near miss belongs to

    @property
    def label(self) -> str:
        return self.entry_id or OFF_TOPIC

    def text(self) -> str:
        """Where it is, as words: "a phrasing of entry x (entries/x.yaml)"."""
        if self.source == PHRASING:
            return f"a phrasing of entry {self.of} ({self.where})"
        if self.source == NEAR_MISS:
            return f"a near miss of entry {self.of} (not_this in {self.where}), which must get silence"
        if self.source == WAITING:
            return f"{self.where}, accepted as {self.label} and waiting for the guard"
        verb = "learned as" if self.source == LEARNED else "labelled"
        return f"{verb} {self.label} in {self.where}"


@dataclass(frozen=True)
class Finding:
    """What accepting a candidate as `asked` (an entry id or off-topic) meets: a clash or a duplicate."""

    kind: str  # CLASH or DUPLICATE
    asked: str
    known: Known

    def text(self) -> str:
        """The reason, for the candidate's note, the error and the log channel (each front end escapes it)."""
        if self.kind == DUPLICATE:
            return f"already known: the same question is {self.known.text()}; nothing to learn, nothing written"
        return (
            f"not accepted as {self.asked}: the same question is already {self.known.text()}. "
            f"Move it to {self.known.label} or reject it (to overrule that label, change the knowledge first)"
        )

    def to_json(self) -> dict[str, str | None]:
        """What `Candidate.known` stores and `kb learned --json` shows as `clash` or `duplicate_of`."""
        k = self.known
        return {
            "kind": self.kind,
            "asked": self.asked,
            "label": k.label,
            "source": k.source,
            "where": k.where,
            "of": k.of,
        }


class CandidateClashes(CandidateNotAcceptable):
    """Accepting a candidate would give a labelled question another label: held, the candidate stays pending."""

    def __init__(self, candidate_id: int, finding: Finding) -> None:
        super().__init__(f"candidate #{candidate_id} {finding.text()}")
        self.candidate_id, self.finding = candidate_id, finding


def accepted_as(candidate: Candidate) -> str:
    """The label an accepted candidate teaches, as learned.yaml would get it: an entry id or off-topic."""
    return example_of(candidate)[1] or OFF_TOPIC


class LabelledTexts:
    """Every labelled text, by its exact-phrasing key. Build with `LabelledTexts.of`."""

    def __init__(self) -> None:
        self._by_key: dict[str, list[Known]] = {}

    def add(self, text: str, known: Known) -> None:
        key = learned_key(text)
        if key:  # a text of no words (emoji, punctuation) is nobody's exact phrasing
            self._by_key.setdefault(key, []).append(known)

    @classmethod
    def of(
        cls,
        kb: KnowledgeBase,
        examples: Iterable[Example],
        *,
        learned_file: str,
        waiting: Iterable[Candidate] = (),
    ) -> LabelledTexts:
        """The entries' phrasings and near misses, the examples files' items (learned_file's as learned) and
        the candidates waiting for the guard. Lenient examples (silence and an answer both fine) and examples
        of an entry no longer in kb label nothing."""
        texts = cls()
        for entry_id, entry in kb.entries.items():
            where = f"{ENTRIES_DIR}/{kb.files[entry_id].name if entry_id in kb.files else entry_id + '.yaml'}"
            for phrasing in entry.phrasings:
                texts.add(phrasing, Known(entry_id, PHRASING, where, entry_id))
            for near_miss in entry.not_this:
                texts.add(near_miss, Known(None, NEAR_MISS, where, entry_id))
        for example in examples:
            if example.lenient or (example.entry_id is not None and example.entry_id not in kb.entries):
                continue
            source = LEARNED if example.origin == learned_file else EXAMPLE
            texts.add(example.text, Known(example.entry_id, source, f"examples/{example.origin}"))
        for candidate in waiting:
            texts.wait(candidate)
        return texts

    def wait(self, candidate: Candidate) -> None:
        """Count an accepted candidate as labelled (what it was accepted as), for the ones checked after it."""
        self.add(candidate.question, Known(example_of(candidate)[1], WAITING, f"candidate #{candidate.id}"))

    def check(self, question: str, asked: str) -> Finding | None:
        """A clash when any labelled text of the same question says otherwise; else a duplicate when one says
        the same (a waiting candidate's same word is no duplicate: the guard may still hold it); else None."""
        entry_id = None if asked == OFF_TOPIC else asked
        found = self._by_key.get(learned_key(question), [])
        for known in found:
            if known.entry_id != entry_id:
                return Finding(CLASH, asked, known)
        for known in found:
            if known.source != WAITING:
                return Finding(DUPLICATE, asked, known)
        return None


class Clashes:
    """Hold clashing accepts and settle duplicates in the learning database; tell the moderators of a hold."""

    def __init__(self, store: CandidateStore, tell: Callable[[str], None]) -> None:
        self.store, self._tell = store, tell

    def settle(self, candidate: Candidate, finding: Finding, *, by: str) -> Candidate:
        """A duplicate: served, nothing written. A clash: pending, marked, the log told (once per clash)."""
        known = finding.to_json()
        if finding.kind == DUPLICATE:
            log.info("learning: candidate #%d is a duplicate (%s)", candidate.id, finding.known.where)
            return self.store.decide(
                candidate.id, SERVED, by=by, result=finding.asked, note=finding.text(), known=known
            )
        held = self.store.decide(candidate.id, PENDING, note=finding.text(), known=known)
        if candidate.known != known:
            self._tell(
                f"Learning: candidate #{candidate.id} {quote(candidate.question)} is held ({by}): {finding.text()}."
            )
        return held

    def sort_out(self, accepted: Sequence[Candidate], texts: LabelledTexts) -> list[Candidate]:
        """The accepted candidates that neither clash nor duplicate (the others settled), oldest first."""
        clean = []
        for candidate in sorted(accepted, key=lambda c: c.id):
            finding = texts.check(candidate.question, accepted_as(candidate))
            if finding is None:
                clean.append(candidate)
                texts.wait(candidate)
            else:
                self.settle(candidate, finding, by=candidate.decided_by or "accepted")
        return clean


def quote(text: str) -> str:
    """A member's question in brief, for a line to the moderators (their front end escapes it)."""
    text = " ".join(text.split())
    return f"“{text[:QUOTE_CHARS]}{'…' if len(text) > QUOTE_CHARS else ''}”"
