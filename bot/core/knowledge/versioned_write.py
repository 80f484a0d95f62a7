"""A moderator's write, all or nothing: the entry file and its version change together, or neither does.

The file and the history are two stores, so the order is what makes it safe:

  1. commit a *pending write* in the history (what the file becomes, what it was, who, why): a full or
     read-only history fails here, before the file is touched;
  2. replace the file atomically (temp file, fsync, rename) or delete it: a full disk fails here and
     the old file stays (the pending row is dropped);
  3. in one transaction, turn the pending write into the next version: if that fails, the old file is
     put back and the pending row dropped, so nothing changed.

A crash between 2 and 3 (the process killed, the machine down) leaves a pending row and a file that
matches it. `settle_pending` (run before every read of the disk state by the store, the watcher's poll
included) finishes it as the moderator's version, or drops it when the file was left as it was, so the
change is never published as an anonymous edit on disk.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from pathlib import Path

from bot.core.errors import BotError, KnowledgeError
from bot.core.knowledge import files as kb_files
from bot.core.knowledge.history import HISTORY_WHAT, EntryVersion, KnowledgeHistory, PendingWrite
from bot.core.sqlite_files import DatabaseUnavailable, unavailable

log = logging.getLogger(__name__)

# What a failing history looks like: its one-line error, or SQLite's and the OS's own (full, read-only).
HISTORY_FAILURES = (DatabaseUnavailable, sqlite3.Error, OSError)


class KnowledgeWriteFailed(BotError):
    """A moderator's change could not be written and recorded; the message says whether anything changed."""

    def __init__(self, entry_id: str, reason: str, *, changed: bool = False) -> None:
        tail = "nothing was changed"
        if changed:
            tail = "the file changed; its version is recorded as this change once the history can be written"
        super().__init__(f"could not save entry {entry_id!r}: {reason}; {tail}")
        self.entry_id = entry_id
        self.changed = changed


def write_versioned(
    history: KnowledgeHistory,
    path: Path,
    display: str,
    *,
    entry_id: str,
    old_text: str | None,
    new_text: str | None,
    action: str,
    actor: str,
    summary: str,
) -> EntryVersion:
    """Make path hold new_text (None: delete it) and record it as the entry's next version, or neither."""
    removed = new_text is None
    try:
        content = (old_text or "") if removed else new_text
        history.begin_pending(PendingWrite(entry_id, action, actor, summary, content, removed, old_text))
    except HISTORY_FAILURES as exc:
        raise KnowledgeWriteFailed(entry_id, str(unavailable(HISTORY_WHAT, history.path, exc))) from None
    try:
        _put(path, new_text)
    except OSError as exc:
        if _state(path) != new_text:
            _forget(history, entry_id)
            raise KnowledgeWriteFailed(entry_id, f"cannot write {display} ({reason(exc)})") from None
        # The rename happened and only the directory fsync after it failed: the new file is in place.
        log.warning("%s: written, but flushing its folder failed (%s)", display, reason(exc))
    try:
        return history.complete_pending(entry_id)
    except HISTORY_FAILURES as exc:
        why = str(unavailable(HISTORY_WHAT, history.path, exc))
    try:
        _put(path, old_text)
    except OSError as exc:
        # The pending row stays: settle_pending records this change as the moderator's once it can.
        log.error("%s: cannot put the old file back (%s) after the history failed", display, reason(exc))
        raise KnowledgeWriteFailed(entry_id, why, changed=True) from None
    _forget(history, entry_id)
    raise KnowledgeWriteFailed(entry_id, why)


def settle_pending(history: KnowledgeHistory, path_of: Callable[[str], Path]) -> list[EntryVersion]:
    """Finish writes a crash left between file and version; return the versions recorded.

    The file as the write left it -> the moderator's version is recorded. The file as it was before ->
    the write never reached it, the pending row is dropped. Anything else (changed again since): the
    moderator's version is recorded first, and the store records what is on disk after it as usual.
    """
    recorded: list[EntryVersion] = []
    for pending in history.pending():
        try:
            on_disk = kb_files.read_text(path_of(pending.entry_id))
        except (KnowledgeError, OSError):
            on_disk = pending.new_text  # unreadable now: keep the moderator's version, not lose it
        if on_disk == pending.old_content and on_disk != pending.new_text:
            history.drop_pending(pending.entry_id)
            log.warning("entry %s: a write by %s stopped before its file changed", pending.entry_id, pending.actor)
            continue
        version = history.complete_pending(pending.entry_id)
        log.warning(
            "entry %s: recorded v%d by %s, a write interrupted after its file changed",
            pending.entry_id,
            version.version,
            pending.actor,
        )
        recorded.append(version)
    return recorded


def reason(exc: BaseException) -> str:
    """An OS or SQLite error in a few words: 'No space left on device', 'database or disk is full'."""
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__


def _put(path: Path, text: str | None) -> None:
    if text is None:
        if path.exists():
            kb_files.atomic_remove(path)
    else:
        kb_files.atomic_write(path, text)


def _state(path: Path) -> str | None:
    try:
        return kb_files.read_text(path)
    except (KnowledgeError, OSError):
        return ""  # neither the old nor the new text


def _forget(history: KnowledgeHistory, entry_id: str) -> None:
    try:
        history.drop_pending(entry_id)
    except HISTORY_FAILURES as exc:
        # Harmless left behind: settle_pending drops it, seeing the file as it was.
        log.warning("entry %s: cannot drop the pending write (%s)", entry_id, reason(exc))
