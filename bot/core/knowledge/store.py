"""The write side of the knowledge base: add, edit, teach (one phrasing or many), remove, restore, revert, reload.

Every change follows the same path, under one lock that serialises writers (a thread lock for the
bot's worker threads plus an flock so the bot and the `kb` CLI never interleave):

  1. make sure the base is what is on disk now (reload if someone else changed knowledge/);
  2. check the version the caller opened (optimistic concurrency -> EditConflict);
  3. build the new file text and validate the whole would-be knowledge base with the loader's own
     rules (parse_entry + cross_check); any mistake raises KnowledgeError and nothing is written;
  4. record what is on disk in the history if the history hasn't seen it yet (so nothing is lost);
  5. write knowledge/entries/<id>.yaml and record the new version all or nothing (versioned_write: a
     pending write first, the file, then the version; a failure anywhere leaves both as they were),
     then swap the live knowledge base.

Methods block (file I/O, fsync, SQLite): call them from a worker thread in async code
(`await asyncio.to_thread(store.add, ...)`). The lock is a threading lock, so the event loop never waits
on it.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from bot.core.errors import (
    DuplicateEntry,
    EditConflict,
    EntryNotFound,
    KnowledgeError,
    KnowledgeIssue,
    VersionNotFound,
)
from bot.core.knowledge import files as kb_files
from bot.core.knowledge.changes import Change, DiskReload, KnowledgeConsumer, OpenedEntry
from bot.core.knowledge.diff import change_summary
from bot.core.knowledge.files import WriterLock, clean_fields, parse_text, read_text, valid_id
from bot.core.knowledge.history import EntryVersion, KnowledgeHistory, current_version, pending_version
from bot.core.knowledge.loader import load_knowledge, parse_entry
from bot.core.knowledge.model import ENTRIES_DIR, KnowledgeBase, normalise_phrasing
from bot.core.knowledge.validate import display_path, existing_mapping, would_be
from bot.core.knowledge.versioned_write import KnowledgeWriteFailed, settle_pending, write_versioned

log = logging.getLogger(__name__)


class KnowledgeStore:
    """Serialised, validated, versioned writes to knowledge/, published to the live answer engine."""

    def __init__(
        self,
        root: str | Path,
        history: KnowledgeHistory,
        *,
        consumers: Iterable[KnowledgeConsumer] = (),
        kb: KnowledgeBase | None = None,
        clock: Callable[[], dt.date] = kb_files.today,
    ) -> None:
        self.root = Path(root)
        self.history = history
        self._entries_dir = self.root / ENTRIES_DIR
        self._consumers = list(consumers)
        self._clock = clock
        self._lock = WriterLock(history.path.with_name(history.path.name + ".lock"))
        self._last_error: KnowledgeError | None = None
        with self._lock:
            removed = kb_files.remove_stale_temp_files(self._entries_dir) if self._entries_dir.is_dir() else 0
            if removed:
                log.warning("removed %d temp file(s) left by an interrupted write in %s", removed, self._entries_dir)
            self._signature = kb_files.disk_signature(self.root)
            self._kb = kb if kb is not None else load_knowledge(self.root)

    @classmethod
    def from_settings(
        cls, settings: Any, *, engine: KnowledgeConsumer | None = None, kb: KnowledgeBase | None = None
    ) -> KnowledgeStore:
        """Build the store for settings.knowledge, publishing to engine when given."""
        history = KnowledgeHistory(settings.knowledge.history_path)
        return cls(settings.knowledge.path, history, consumers=[engine] if engine else (), kb=kb)

    @property
    def kb(self) -> KnowledgeBase:
        """The knowledge base in service (the last one that validated)."""
        return self._kb

    @property
    def last_error(self) -> KnowledgeError | None:
        """Why the files on disk are not in service, or None when they are."""
        return self._last_error

    # --- reads ----------------------------------------------------------------------------------------

    def open(self, entry_id: str) -> OpenedEntry:
        """Return the entry as on disk now and its version, for an editor to hand back on save."""
        path = self._path(entry_id)
        with self._lock:
            text = read_text(path)
            if text is None:
                raise EntryNotFound(entry_id)
            display = display_path(self.root, path)
            issues: list[KnowledgeIssue] = []
            entry = parse_entry(parse_text(text, display, entry_id, issues), display, issues)
            if entry is None:
                raise KnowledgeError(issues)
            # Pin what the editor sees as a recorded version, so any later change to the file (even a
            # hand edit before the entry's first recorded change) gets a new number and is detected.
            self._settle()
            latest = self.history.latest(entry_id)
            self.history.record_disk_state(entry_id, latest, text)
            return OpenedEntry(entry, current_version(self.history.latest(entry_id), text))

    def version(self, entry_id: str) -> int:
        """Return the entry's current version number (0 when it never existed)."""
        with self._lock:
            self._settle()
            return current_version(self.history.latest(entry_id), read_text(self._path(entry_id)))

    def history_of(self, entry_id: str) -> list[EntryVersion]:
        """Return every version of an entry, newest first, including what is on disk but not yet recorded."""
        path = self._path(entry_id)
        with self._lock:
            self._settle()
            text = read_text(path)
            versions = self.history.versions(entry_id)
        pending = pending_version(entry_id, versions[0] if versions else None, text, path)
        if pending is not None:
            versions.insert(0, pending)
        if not versions:
            raise EntryNotFound(entry_id)
        return versions

    def recycle_bin(self) -> list[EntryVersion]:
        """Return removed entries that can be restored, most recently removed first."""
        return [v for v in self.history.removed() if not self._path(v.entry_id).exists()]

    # --- writes ---------------------------------------------------------------------------------------

    def add(self, fields: Mapping[str, Any], *, actor: str) -> Change:
        """Create a new entry from fields (id, question, alternates, answer, sources, ...)."""
        doc = clean_fields(fields)
        doc.setdefault("related", [])
        doc.setdefault("reviewed", self._clock())
        entry_id = doc.get("id")
        if not valid_id(entry_id):
            issues: list[KnowledgeIssue] = []
            parse_entry(doc, f"{self.root.name}/{ENTRIES_DIR}/(new entry)", issues)
            raise KnowledgeError(issues or [KnowledgeIssue("(new entry)", None, "id", "missing")])

        def build(old_text: str | None, latest: EntryVersion | None) -> str:
            if old_text is not None or entry_id in self._kb.entries:
                raise DuplicateEntry(entry_id)
            return kb_files.render_entry(doc)

        return self._mutate(entry_id, "add", actor, build)

    def edit(
        self,
        entry_id: str,
        fields: Mapping[str, Any],
        *,
        expected_version: int,
        actor: str,
        mark_reviewed: bool = True,
    ) -> Change:
        """Change some fields of an entry opened at expected_version; a newer version raises EditConflict."""
        changes = clean_fields(fields)
        if mark_reviewed and "reviewed" not in changes:
            changes["reviewed"] = self._clock()

        def build(old_text: str | None, latest: EntryVersion | None) -> str:
            raw = self._existing(entry_id, old_text)
            return self._rerender(old_text, raw, {**raw, **changes})

        return self._mutate(entry_id, "edit", actor, build, expected_version=expected_version)

    def teach(self, entry_id: str, phrasing: str, *, actor: str, expected_version: int | None = None) -> Change:
        """Add phrasing (trimmed) to an entry's alternates; it must not belong to any other entry."""
        return self.teach_many(entry_id, [phrasing], actor=actor, expected_version=expected_version)

    def teach_many(
        self, entry_id: str, phrasings: Iterable[str], *, actor: str, expected_version: int | None = None
    ) -> Change:
        """Add phrasings (trimmed) to an entry's alternates in one validated write and one version.

        Repeats among them and phrasings the entry already has are skipped; an empty one, or one that
        belongs to another entry, refuses the whole change and nothing is written.
        """
        texts = [kb_files.clean_line(p) for p in phrasings]

        def build(old_text: str | None, latest: EntryVersion | None) -> str:
            raw = self._existing(entry_id, old_text)
            if not texts or not all(texts):
                where = display_path(self.root, self._path(entry_id))
                raise KnowledgeError([KnowledgeIssue(where, entry_id, "alternates", "a new phrasing is empty")])
            alternates = raw.get("alternates")
            alternates = list(alternates) if isinstance(alternates, list) else []
            known = {normalise_phrasing(str(p)) for p in [raw.get("question", ""), *alternates]}
            for text in texts:
                if normalise_phrasing(text) not in known:
                    known.add(normalise_phrasing(text))
                    alternates.append(text)
            return self._rerender(old_text, raw, {**raw, "alternates": alternates})

        return self._mutate(entry_id, "teach", actor, build, expected_version=expected_version)

    def remove(self, entry_id: str, *, actor: str, expected_version: int | None = None) -> Change:
        """Move an entry to the recycle bin (its file is deleted; its content stays in the history)."""

        def build(old_text: str | None, latest: EntryVersion | None) -> None:
            self._existing(entry_id, old_text)
            return None

        return self._mutate(entry_id, "remove", actor, build, expected_version=expected_version)

    def restore(self, entry_id: str, *, actor: str) -> Change:
        """Bring a removed entry back from the recycle bin."""

        def build(old_text: str | None, latest: EntryVersion | None) -> str:
            if old_text is not None or entry_id in self._kb.entries:
                raise DuplicateEntry(entry_id)
            if latest is None or not latest.removed:
                bin_ids = tuple(v.entry_id for v in self.history.removed())
                raise EntryNotFound(entry_id, suggestions=bin_ids[:5])
            return latest.content

        return self._mutate(entry_id, "restore", actor, build)

    def revert(self, entry_id: str, version: int, *, actor: str, expected_version: int | None = None) -> Change:
        """Make an entry what it was at version (a removed entry comes back); recorded as a new version."""

        def build(old_text: str | None, latest: EntryVersion | None) -> str:
            if latest is None and old_text is None:
                raise EntryNotFound(entry_id)
            current = current_version(latest, old_text)
            if not 1 <= version <= current:
                raise VersionNotFound(entry_id, version, current)
            if version == current and old_text is not None:
                return old_text
            target = self.history.get(entry_id, version)
            return target.content

        return self._mutate(entry_id, "revert", actor, build, expected_version=expected_version, target=version)

    # --- reload from disk -----------------------------------------------------------------------------

    def reload(self) -> KnowledgeBase:
        """Re-read knowledge/ (after a git pull); on a broken file keep the base in service and raise."""
        with self._lock:
            self._reload_locked(kb_files.disk_signature(self.root))
            return self._kb

    def poll(self) -> DiskReload | None:
        """Reload if any file under knowledge/ changed since it was last read; None when nothing did."""
        if kb_files.disk_signature(self.root) == self._signature:
            return None
        with self._lock:
            signature = kb_files.disk_signature(self.root)
            if signature == self._signature:
                return None
            try:
                changed = self._reload_locked(signature)
            except KnowledgeError as exc:
                return DiskReload(None, exc)
            return DiskReload(self._kb, None, changed)

    # --- internals ------------------------------------------------------------------------------------

    def _mutate(
        self,
        entry_id: str,
        action: str,
        actor: str,
        build: Callable[[str | None, EntryVersion | None], str | None],
        *,
        expected_version: int | None = None,
        target: int | None = None,
    ) -> Change:
        if not valid_id(entry_id):
            raise EntryNotFound(entry_id)
        with self._lock:
            base = self._fresh_base()
            path = self._path(entry_id, base)
            old_text = read_text(path)
            latest = self.history.latest(entry_id)
            current = current_version(latest, old_text)
            if expected_version is not None and expected_version != current:
                raise EditConflict(entry_id, expected_version, current)
            new_text = build(old_text, latest)
            if new_text == old_text:
                entry = base.entries.get(entry_id)
                now = dt.datetime.now(dt.UTC).replace(microsecond=0)
                return Change(entry_id, action, current, actor, now, "no change", entry, changed=False)
            new_kb = would_be(base, self.root, entry_id, path, new_text)
            self.history.record_disk_state(entry_id, latest, old_text)
            summary = change_summary(action, old_text, new_text, target)
            try:
                record = write_versioned(
                    self.history,
                    path,
                    display_path(self.root, path),
                    entry_id=entry_id,
                    old_text=old_text,
                    new_text=new_text,
                    action=action,
                    actor=actor,
                    summary=summary,
                )
            except KnowledgeWriteFailed:
                # The old file may have been put back (a new inode): that is no change to reload.
                self._signature = self._with_file(self._signature, path)
                raise
            self._publish(new_kb, self._with_file(self._signature, path))
            log.info("knowledge %s %s v%d by %s: %s", action, entry_id, record.version, actor, summary)
            return Change(entry_id, action, record.version, actor, record.at, summary, new_kb.entries.get(entry_id))

    def _with_file(self, signature: kb_files.Signature, path: Path) -> kb_files.Signature:
        """Return signature with path's entry as on disk now."""
        updated = dict(signature)
        key, stat = kb_files.file_signature(self.root, path)
        if stat is None:
            updated.pop(key, None)
        else:
            updated[key] = stat
        return updated

    def _settle(self) -> None:
        """Finish (or drop) writes a crash left between the file and its version; call under the lock."""
        settle_pending(self.history, self._path)

    def _fresh_base(self) -> KnowledgeBase:
        self._settle()
        signature = kb_files.disk_signature(self.root)
        if signature != self._signature or self._last_error is not None:
            self._reload_locked(signature)
        return self._kb

    def _reload_locked(self, signature: kb_files.Signature) -> tuple[str, ...]:
        old = self._kb
        try:
            kb = load_knowledge(self.root)
        except KnowledgeError as exc:
            self._last_error = exc
            self._signature = signature
            log.warning("knowledge on disk is broken; keeping the last good knowledge base: %s", exc)
            raise
        self._settle()
        for entry_id, latest in self.history.latest_per_entry().items():
            self.history.record_disk_state(entry_id, latest, read_text(self._path(entry_id, kb)))
        changed = tuple(
            sorted(k for k in set(old.entries) | set(kb.entries) if old.entries.get(k) != kb.entries.get(k))
        )
        self._publish(kb, signature)
        log.info("knowledge reloaded from disk: %d entries, %d changed", len(kb), len(changed))
        return changed

    def _publish(self, kb: KnowledgeBase, signature: kb_files.Signature) -> None:
        self._kb = kb
        self._signature = signature
        self._last_error = None
        for consumer in self._consumers:
            try:
                consumer.replace(kb)
            except Exception:
                # The file is written and recorded; a consumer failing must not turn that into an error.
                log.error("a knowledge consumer failed to take the new knowledge base", exc_info=True)

    def _existing(self, entry_id: str, old_text: str | None) -> dict[str, Any]:
        if old_text is None:
            raise EntryNotFound(entry_id)
        return existing_mapping(old_text, display_path(self.root, self._path(entry_id)), entry_id)

    def _rerender(self, old_text: str | None, old_raw: Mapping[str, Any], doc: Mapping[str, Any]) -> str:
        header = kb_files.comment_header(old_text or "")
        return kb_files.render_entry(doc, key_order=kb_files.key_order(old_raw), header=header)

    def _path(self, entry_id: str, kb: KnowledgeBase | None = None) -> Path:
        if not valid_id(entry_id):
            raise EntryNotFound(entry_id)
        known = (kb or self._kb).files.get(entry_id)
        return known if known is not None else self._entries_dir / f"{entry_id}.yaml"
