"""Validate a change to one entry against the whole knowledge base, with the loader's own rules."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.core.errors import KnowledgeError, KnowledgeIssue
from bot.core.knowledge.files import parse_text
from bot.core.knowledge.loader import cross_check, parse_entry
from bot.core.knowledge.model import KnowledgeBase


def would_be(base: KnowledgeBase, root: Path, entry_id: str, path: Path, new_text: str | None) -> KnowledgeBase:
    """Return the knowledge base as it would be with this file text (None: removed); raise KnowledgeError."""
    issues: list[KnowledgeIssue] = []
    entries = {k: v for k, v in base.entries.items() if k != entry_id}
    files = {k: p for k, p in base.files.items() if k != entry_id}
    if new_text is not None:
        display = display_path(root, path)
        entry = parse_entry(parse_text(new_text, display, entry_id, issues), display, issues)
        if entry is not None and entry.id != entry_id:
            issues.append(KnowledgeIssue(display, entry.id, "id", f"must match the file name {path.stem!r}"))
        elif entry is not None:
            # Checked last, so a clash is reported on this entry rather than on the one it clashes with.
            entries[entry_id] = entry
            files[entry_id] = path
    if not issues:
        issues = cross_check(entries, base.rules, {k: display_path(root, p) for k, p in files.items()})
    if issues:
        raise KnowledgeError(issues)
    # The loader's order (by file name), so a knowledge base built here equals one loaded from disk.
    order = sorted(entries, key=lambda k: files[k].name)
    return KnowledgeBase(entries={k: entries[k] for k in order}, rules=base.rules, files={k: files[k] for k in order})


def existing_mapping(text: str, display: str, entry_id: str) -> dict[str, Any]:
    """Parse an entry file that is about to be changed; raise KnowledgeError if it is not a mapping."""
    issues: list[KnowledgeIssue] = []
    raw = parse_text(text, display, entry_id, issues)
    if not issues and not isinstance(raw, dict):
        issues.append(KnowledgeIssue(display, entry_id, None, "an entry file must hold one mapping"))
    if issues:
        raise KnowledgeError(issues)
    return raw


def display_path(root: Path, path: Path) -> str:
    """Name a file the way the loader's errors do (relative to the folder holding knowledge/)."""
    try:
        return path.relative_to(root.parent).as_posix()
    except ValueError:
        return str(path)
