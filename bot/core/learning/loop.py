"""The learning loop: signals in, candidates reviewed, accepted examples checked by the guard, then served.

Front ends call `note_pick` / `note_vote` / `note_teach` (the asker picked a suggestion, a member voted,
a moderator taught), and `accept` / `reject` from the review page or `kb learned`. Everything here
blocks (SQLite, training), so async code goes through `submit` / `submit_background`, which run it on the
loop's one thread, in order. Accepting starts a retrain in the background (`retrain_soon`): the guard
compares the model with and without the accepted examples, and either the new model serves (the examples
are appended to knowledge/examples/<examples_file>) or the old one stays and the examples that hurt are
held back. Either way the listeners (the moderators' log channel) get one line saying so. Before any of
that, the clash guard (clashes.py) holds an accept that would give a labelled question another label, and
settles one that says what the knowledge already says as a duplicate (nothing written, no retrain).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeVar

from bot.config import LearningSettings, Settings
from bot.core.knowledge.files import WriterLock
from bot.core.learning import candidates as cs
from bot.core.learning.candidates import Candidate, CandidateNotAcceptable, CandidateStore
from bot.core.learning.clashes import CandidateClashes, Clashes, LabelledTexts, quote
from bot.core.learning.guard import Guard, Verdict, confidence_from_json, learned_answers, retrained
from bot.core.learning.learned_file import append_learned, example_of, served_examples
from bot.core.learning.rules import auto_accept_reason
from bot.core.matching.answers import AnswerEngine
from bot.core.matching.examples import Example, ExamplesError, read_examples

log = logging.getLogger(__name__)

T = TypeVar("T")
Listener = Callable[[str], None]  # called on the loop's thread with one line for the moderators


@dataclass(frozen=True)
class Retrained:
    """What one guarded retrain did."""

    verdict: Verdict
    served: tuple[Candidate, ...]
    held: tuple[Candidate, ...]
    text: str


class LearningLoop:
    """Candidates from the community's signals, reviewed, guarded and served. Close with `close()`."""

    def __init__(
        self,
        store: CandidateStore,
        engine: AnswerEngine,
        settings: LearningSettings,
        *,
        examples_path: Path | None,
        lock: WriterLock,
    ) -> None:
        self.store, self.engine, self.settings = store, engine, settings
        self.examples_path = examples_path
        self._lock = lock
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="learning")
        self._listeners: list[Listener] = []
        self._state = threading.Lock()
        self._retraining = self._again = False
        self._trainer: threading.Thread | None = None
        self._guard_lock = threading.Lock()
        self._learned_seen: tuple[int, int, int] | None = None  # the learned file's stat when last read
        self.clashes = Clashes(store, self._tell)

    @classmethod
    def from_settings(cls, settings: Settings, engine: AnswerEngine) -> LearningLoop | None:
        """The configured loop (None when `learning.enabled` is false); restores a refit confidence model."""
        if not settings.learning.enabled:
            return None
        history = settings.knowledge.history_path
        loop = cls(
            CandidateStore(settings.learning.path),
            engine,
            settings.learning,
            examples_path=settings.embedding.examples_path,
            lock=WriterLock(history.with_name(history.name + ".lock")),  # the knowledge writers' lock
        )
        loop.restore()
        return loop

    @property
    def learned_path(self) -> Path | None:
        return self.examples_path / self.settings.examples_file if self.examples_path else None

    def add_listener(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def remove_listener(self, listener: Listener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    # --- async bridge ----------------------------------------------------------------------------

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> asyncio.Future[T]:
        """Run a blocking method on the loop's thread; await its result."""
        return asyncio.wrap_future(self._executor.submit(fn, *args, **kwargs))

    def submit_background(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> None:
        """Queue a blocking method on the loop's thread without waiting; a failure is logged."""

        def run() -> None:
            try:
                fn(*args, **kwargs)
            except Exception:
                log.exception("learning: %s failed", getattr(fn, "__name__", fn))

        self._executor.submit(run)

    def close(self) -> None:
        """Finish queued signals and any retrain, then close the database."""
        self._executor.shutdown(wait=True)
        self.wait_for_retraining()
        self.store.close()

    # --- signals ---------------------------------------------------------------------------------

    def note_pick(self, question: str, entry_id: str, who: int, message_id: int | None = None) -> Candidate | None:
        """The asker picked a suggestion: the question gets that entry, says the asker."""
        return self._note(question, entry_id, cs.PICK, who, by_asker=True, message_id=message_id)

    def note_vote(
        self, question: str, entry_id: str, voter: int, helpful: bool, *, asker: int | None, message_id: int | None
    ) -> Candidate | None:
        """A member voted on an answer: Helpful confirms the entry; Not helpful says "not this entry"."""
        signal = cs.HELPFUL if helpful else cs.NOT_HELPFUL
        return self._note(
            question, entry_id, signal, voter, by_asker=voter == asker, not_this=not helpful, message_id=message_id
        )

    def note_vote_on_message(
        self, find_post: Callable[[int], Any], message_id: int, voter: int, entry_id: str, helpful: bool
    ) -> Candidate | None:
        """A vote on the bot's message: the question and asker come from the recorded post (find_post)."""
        post = find_post(message_id)
        if post is None:
            return None
        return self.note_vote(post.question, entry_id, voter, helpful, asker=post.asker_id, message_id=message_id)

    def note_teach(self, question: str, entry_id: str, who: int) -> Candidate | None:
        """A moderator taught the question as a phrasing of the entry: recorded, already in the knowledge base."""
        candidate = self._note(question, entry_id, cs.TEACH, who, by_asker=False)
        if candidate is not None and candidate.status in (cs.PENDING, cs.HELD):
            candidate = self.store.decide(candidate.id, cs.TAUGHT, by=f"discord:{who}", result=entry_id)
        return candidate

    def _note(
        self,
        question: str,
        entry_id: str,
        signal: str,
        who: int,
        *,
        by_asker: bool,
        not_this: bool = False,
        message_id: int | None = None,
    ) -> Candidate | None:
        if not question.strip() or not entry_id:
            return None
        candidate = self.store.record(
            question, entry_id, signal=signal, who=who, by_asker=by_asker, not_this=not_this, message_id=message_id
        )
        if self.settings.auto_accept and signal != cs.TEACH:
            candidate = self._maybe_auto_accept(candidate)
        return candidate

    def _maybe_auto_accept(self, candidate: Candidate) -> Candidate:
        others = [c for c in self.store.same_question(candidate.question_key) if c.id != candidate.id]
        askers = {s.who for s in candidate.signals if s.by_asker}
        reason = auto_accept_reason(
            candidate,
            others,
            accepted_for={who: self.store.auto_accepted_by(who) for who in askers},
            per_member=self.settings.auto_accept_per_member,
            ranked_first=next((c.entry_id for c in self.engine.rank(candidate.question, limit=1)), None),
        )
        if reason is None:
            return candidate
        finding = self._known(excluding=candidate.id).check(candidate.question, candidate.entry_id or "")
        if finding is not None:  # held (it stays pending) or a duplicate (served, nothing written)
            return self.clashes.settle(candidate, finding, by=reason)
        accepted = self.store.decide(candidate.id, cs.ACCEPTED, by=reason, result=candidate.entry_id)
        log.info("learning: candidate #%d accepted automatically (%s)", candidate.id, reason)
        self.retrain_soon()
        return accepted

    # --- review ----------------------------------------------------------------------------------

    def to_review(self, limit: int = 200) -> list[Candidate]:
        """What moderators review: pending candidates, and the ones the guard held back."""
        return self.store.with_status(cs.PENDING, cs.HELD, limit=limit)

    def accept(self, candidate_id: int, *, by: str, entry_id: str | None = None, off_topic: bool = False) -> Candidate:
        """Accept a candidate as its entry, as another entry (a move), or as off-topic; the guard runs next."""
        candidate = self.store.get(candidate_id)
        if candidate.status in (cs.SERVED, cs.TAUGHT):
            raise CandidateNotAcceptable(f"candidate #{candidate_id} is already {candidate.status}")
        result = cs.OFF_TOPIC if off_topic else (entry_id or candidate.entry_id)
        if result is None:
            raise CandidateNotAcceptable(
                f"candidate #{candidate_id} says only that it is not `{candidate.not_entry}`: "
                "name the entry that answers it, or accept it as off-topic"
            )
        if result != cs.OFF_TOPIC and result not in self.engine.kb.entries:
            raise CandidateNotAcceptable(f"no entry `{result}` in the knowledge base")
        finding = self._known(excluding=candidate_id).check(candidate.question, result)
        if finding is not None:
            settled = self.clashes.settle(candidate, finding, by=by)
            if settled.status == cs.PENDING:
                raise CandidateClashes(candidate_id, finding)
            return settled  # a duplicate: nothing to retrain
        accepted = self.store.decide(candidate_id, cs.ACCEPTED, by=by, result=result)
        self.retrain_soon()
        return accepted

    def reject(self, candidate_id: int, *, by: str) -> Candidate:
        """Reject a candidate: it is never learned (a served one stays in the file until removed there)."""
        return self.store.decide(candidate_id, cs.REJECTED, by=by)

    # --- the guard -------------------------------------------------------------------------------

    def retrain_soon(self) -> None:
        """Run the guarded retrain on a background thread; a request during a run makes one more run."""
        with self._state:
            if self._retraining:
                self._again = True
                return
            self._retraining = True
        self._trainer = threading.Thread(target=self._retrain_until_done, name="learning-guard", daemon=True)
        self._trainer.start()

    def wait_for_retraining(self, timeout: float | None = 300.0) -> None:
        """Block until a background retrain has finished (tests, the CLI, shutdown)."""
        trainer = self._trainer
        if trainer is not None:
            trainer.join(timeout)

    def _retrain_until_done(self) -> None:
        while True:
            try:
                self.retrain()
            except Exception:  # a failed retrain must not take the bot down: the model in service stays
                log.exception("learning: the guarded retrain failed; the model in service stays")
            with self._state:
                if not self._again:
                    self._retraining = False
                    return
                self._again = False

    def retrain(self) -> Retrained | None:
        """Check the accepted candidates with the guard; serve them or hold back the ones that hurt (blocks)."""
        meaning, path = self.engine.meaning, self.learned_path
        if meaning is None or path is None or self.examples_path is None:
            log.info("learning: no meaning model or examples folder; accepted candidates wait")
            return None
        with self._guard_lock:
            labelled, served = self._labelled(), served_examples(path)
            texts = LabelledTexts.of(self.engine.kb, labelled + served, learned_file=path.name)
            accepted = self.clashes.sort_out(self.store.with_status(cs.ACCEPTED), texts)
            if not accepted:
                return None
            new = {Example(*example_of(c)): c for c in accepted}
            guard = Guard(
                meaning,
                self.engine.kb,
                self.engine.matcher,
                labelled,
                folds=self.settings.guard_folds,
                tolerance=self.settings.guard_tolerance,
                retrain_confidence=self.settings.retrain_confidence,
            )
            verdict = guard.check(served, list(new))
            if verdict.passed:
                return self._serve(verdict, labelled + served + list(new), served + list(new), accepted)
            held = tuple(new[e] for e in verdict.hurt) or tuple(accepted)
            note = f"the guard held it back: {verdict.refusal}"
            held = tuple(self.store.decide(c.id, cs.HELD, note=note) for c in held)
            ids = ", ".join(f"#{c.id} {quote(c.question)} → {c.result}" for c in held)
            text = (
                f"Learning: the model in service stays. Trained with {len(accepted)} accepted example(s) it did "
                f"harm, cross-validated: {verdict.line()}. "
                f"Held back as hurting: {ids}."
            )
            if len(held) < len(accepted):
                self.retrain_soon()  # the rest are tried again without the ones that hurt
            self._tell(text)
            return Retrained(verdict, (), held, text)

    def _serve(
        self, verdict: Verdict, examples: list[Example], learned: list[Example], accepted: list[Candidate]
    ) -> Retrained:
        meaning = self.engine.meaning
        assert meaning is not None and self.learned_path is not None
        append_learned(self.learned_path, accepted, self._lock)
        in_file = [(e.text, e.entry_id) for e in served_examples(self.learned_path)]
        if in_file == [(e.text, e.entry_id) for e in learned]:  # our write alone: nothing for the watcher to reload
            self._learned_seen = file_state(self.learned_path)
        served = tuple(self.store.decide(c.id, cs.SERVED) for c in accepted)
        if verdict.confidence is not None:
            self.store.store_model(_examples_key(examples), json.dumps(verdict.confidence.to_json()))
        self.engine.use_meaning(retrained(meaning, examples, verdict.confidence))
        self.engine.use_learned(learned_answers(learned))
        refit = "; the confidence model was refit" if verdict.confidence is not None else ""
        text = (
            f"Learning: {len(served)} example(s) now serve ({', '.join(f'#{c.id}' for c in served)}), written to "
            f"{self.learned_path.name}{refit}. Cross-validated: {verdict.line()}."
        )
        self._tell(text)
        return Retrained(verdict, served, (), text)

    def _labelled(self) -> list[Example]:
        """The curated labelled sets: every examples file but the learned one."""
        assert self.examples_path is not None
        files = sorted(self.examples_path.glob("*.yaml"))
        return [e for p in files if p.name != self.settings.examples_file for e in read_examples(p)]

    def _known(self, *, excluding: int) -> LabelledTexts:
        """Every labelled text a candidate's question may clash with: the knowledge's, and accepted candidates'."""
        try:
            examples = self._labelled() + served_examples(self.learned_path) if self.learned_path else []
        except ExamplesError as exc:  # the retrain reads them again and checks again before writing
            log.warning("learning: %s; checked for clashes with the entries alone", exc)
            examples = []
        waiting = [c for c in self.store.with_status(cs.ACCEPTED) if c.id != excluding]
        return LabelledTexts.of(self.engine.kb, examples, learned_file=self.settings.examples_file, waiting=waiting)

    def poll_learned(self) -> bool:
        """Serve the learned file again if another process changed it (`kb learned accept`, a git pull; blocks).

        The file is trusted as it is, like an entry edited on disk: `kb learned accept` writes only what its
        own guard let in, and a hand edit is a reviewed change. A file that does not read keeps the examples
        serving now, with one warning naming the file and line (once per change, not at every poll).
        """
        path = self.learned_path
        meaning = self.engine.meaning
        if path is None or meaning is None:
            return False
        with self._guard_lock:  # not while a retrain is deciding or appending
            state = file_state(path)
            if state == self._learned_seen:
                return False
            self._learned_seen = state
            try:
                learned, labelled = served_examples(path), self._labelled()
            except ExamplesError as exc:
                log.warning("learning: %s; still serving the learned examples read before", exc)
                return False
            examples = labelled + learned
            stored = self.store.model(_examples_key(examples))
            confidence = confidence_from_json(json.loads(stored)) if stored else None
            self.engine.use_meaning(retrained(meaning, examples, confidence))
            self.engine.use_learned(learned_answers(learned))
        log.info("learning: %s changed on disk; %d learned example(s) now serve", path.name, len(learned))
        return True

    def restore(self) -> None:
        """Answer the learned questions again; serve the confidence model the guard last refit for these examples."""
        path = self.learned_path
        self._learned_seen = file_state(path) if path else None
        try:
            self.engine.use_learned(learned_answers(served_examples(path) if path else []))
        except ExamplesError as exc:  # load_meaning has said so too; the learned questions are not answered
            log.warning("learning: %s", exc)
        meaning = self.engine.meaning
        if meaning is None:
            return
        stored = self.store.model(_examples_key(meaning.examples))
        if stored is None:
            return
        confidence = confidence_from_json(json.loads(stored))
        if confidence is not None:  # None: fit for other features (the shipped model changed since)
            self.engine.use_meaning(replace(meaning, confidence=confidence))

    def _tell(self, text: str) -> None:
        log.info("%s", text)
        for listener in self._listeners:
            try:
                listener(text)
            except Exception:
                log.exception("learning: a listener failed")


def file_state(path: Path) -> tuple[int, int, int] | None:
    """What tells a changed file from the one read before (an atomic replace changes the inode); None: missing."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return (stat.st_mtime_ns, stat.st_size, stat.st_ino)


def _examples_key(examples: list[Example]) -> str:
    digest = hashlib.sha256()
    for e in sorted(examples, key=lambda e: (e.text, e.entry_id or "")):
        digest.update(f"{e.entry_id}\0{e.text}\0".encode())
    return digest.hexdigest()
