"""Knowledge files on disk: render an entry as pleasant YAML, write it atomically, fingerprint the folder.

Rendering is our own ~40 lines over PyYAML rather than ruamel.yaml's round-trip mode: entry files are
flat mappings with a fixed schema, so all we need is the existing field order, block lists, the answer
as a `|` block and the file's leading comment header, and PyYAML (already a dependency) quotes scalars
correctly. A rendered file always parses back to the same data (tested).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import tempfile
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from bot.core import safe_yaml
from bot.core.errors import KnowledgeError, KnowledgeIssue
from bot.core.knowledge.loader import MAX_ENTRY_FILE_BYTES
from bot.core.knowledge.model import ENTRIES_DIR, ENTRY_FIELDS, ID_PATTERN, MAX_ID_CHARS, RULES_FILE

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: the thread lock still serialises one process
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

# (mtime_ns, size, inode) per file name: cheap to take, and a git checkout changes at least one of them.
Signature = dict[str, tuple[int, int, int]]

LIST_FIELDS = ("alternates", "not_this", "related", "sources")
_TEMP_PREFIX = "."
_TEMP_SUFFIX = ".tmp"


class _Block(str):
    """A string rendered as a literal `|` block."""


class _Flow(list):
    """A list rendered inline (`related: [a, b]`): short id lists read best on one line."""


class _EntryDumper(yaml.SafeDumper):
    """Indent list items under their key (`- item` below `alternates:`), easier to read than the default."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        return super().increase_indent(flow, False)


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if isinstance(value, _Block) or "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", str(value), style=style)


def _represent_flow(dumper: yaml.SafeDumper, value: list) -> yaml.SequenceNode:
    return dumper.represent_sequence("tag:yaml.org,2002:seq", list(value), flow_style=True)


_EntryDumper.add_representer(_Block, _represent_str)
_EntryDumper.add_representer(_Flow, _represent_flow)
_EntryDumper.add_representer(str, _represent_str)


def render_entry(doc: Mapping[str, Any], *, key_order: Iterable[str] = (), header: str = "") -> str:
    """Render an entry mapping as YAML: known field order, block lists, the answer as a `|` block."""
    order = [k for k in key_order if k in doc]
    order += [k for k in ENTRY_FIELDS if k in doc and k not in order]
    order += [k for k in doc if k not in order]
    data: dict[str, Any] = {}
    for key in order:
        value = doc[key]
        if key == "answer" and isinstance(value, str):
            # A final newline makes PyYAML write `|` rather than `|-`, as hand-written files do.
            value = _Block(value if value.endswith("\n") else value + "\n")
        elif key == "related" and isinstance(value, list):
            value = _Flow(value)
        data[key] = value
    body = yaml.dump(
        data,
        Dumper=_EntryDumper,
        sort_keys=False,
        default_flow_style=False,
        allow_unicode=True,
        width=10_000,
        indent=2,
    )
    return header + body


def comment_header(text: str) -> str:
    """Return the leading comment/blank lines of a YAML file, so a rewrite can keep them."""
    lines = []
    for line in text.splitlines(keepends=True):
        if line.strip() and not line.lstrip().startswith("#"):
            break
        lines.append(line)
    # Blank lines at the very end of the header belong to the layout of the body; keep one at most.
    while len(lines) >= 2 and not lines[-1].strip() and not lines[-2].strip():
        lines.pop()
    header = "".join(lines)
    return header if header.strip() else ""


def key_order(raw: Any) -> list[str]:
    """Return the field order of a parsed entry mapping (empty if it is not a mapping)."""
    return [str(k) for k in raw] if isinstance(raw, dict) else []


def parse_text(text: str, display: str, entry_id: str | None, issues: list[KnowledgeIssue]) -> Any:
    """Parse entry YAML with the loader's own bounded safe loader; a refusal becomes an issue and None."""
    try:
        return safe_yaml.load_text(text)
    except safe_yaml.YamlRefused as exc:
        issues.append(KnowledgeIssue(display, entry_id, None, str(exc)))
        return None


def read_text(path: Path) -> str | None:
    """Return an entry file's text (None when it does not exist); raise KnowledgeError when it is too
    big for an entry file or not UTF-8, so a broken file on disk never costs more than the cap."""
    try:
        return safe_yaml.read_text(path, MAX_ENTRY_FILE_BYTES)
    except FileNotFoundError:
        return None
    except safe_yaml.YamlRefused as exc:
        raise KnowledgeError([KnowledgeIssue(f"{ENTRIES_DIR}/{path.name}", path.stem, None, str(exc))]) from None


def valid_id(entry_id: Any) -> bool:
    """Tell whether entry_id is a well-formed id (so it is safe to use as a file name)."""
    return isinstance(entry_id, str) and len(entry_id) <= MAX_ID_CHARS and bool(ID_PATTERN.match(entry_id))


def clean_fields(fields: Mapping[str, Any]) -> dict[str, Any]:
    """Normalise form input: one-line fields trimmed, lists from text one item per line, answer tidied."""
    doc: dict[str, Any] = {}
    for key, value in fields.items():
        if key in LIST_FIELDS:
            items = value.splitlines() if isinstance(value, str) else value
            if isinstance(items, list | tuple):
                value = [clean_line(x) if isinstance(x, str) else x for x in items]
                value = [x for x in value if x != ""]
        elif key == "answer" and isinstance(value, str):
            value = clean_text(value)
        elif key in ("id", "question", "audience") and isinstance(value, str):
            value = clean_line(value)
        doc[key] = value
    return doc


def clean_text(value: str) -> str:
    """Normalise multi-line text typed into a form: unix newlines, no trailing spaces, trimmed."""
    lines = value.replace("\r\n", "\n").replace("\r", "\n").replace("\t", "    ").split("\n")
    return "\n".join(line.rstrip() for line in lines).strip()


def clean_line(value: str) -> str:
    """Collapse a one-line phrasing: trimmed, inner whitespace folded to single spaces."""
    return " ".join(value.split())


def today() -> dt.date:
    """Return today's date in UTC (the `reviewed` stamp of a moderator's change)."""
    return dt.datetime.now(dt.UTC).date()


class WriterLock:
    """Serialise writers: a thread lock within the process, an flock on a lock file across processes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._thread_lock = threading.Lock()

    def __enter__(self) -> None:
        self._thread_lock.acquire()
        self._handle = None
        if fcntl is None:
            return
        handle = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            handle = open(self.path, "a")
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        except BaseException:
            if handle is not None:
                handle.close()
            self._thread_lock.release()
            raise
        self._handle = handle

    def __exit__(self, *exc_info: object) -> None:
        handle, self._handle = self._handle, None
        try:
            if handle is not None:
                # Closing the file releases the flock.
                handle.close()
        finally:
            self._thread_lock.release()


# --- atomic writes ---------------------------------------------------------------------------------------


def atomic_write(path: Path, text: str) -> None:
    """Replace path with text so that a crash at any moment leaves the old file or the new one."""
    directory = path.parent
    mode = _mode_for(path)
    # The temp name starts with a dot: the loader skips dotfiles, so a leftover from a crash is harmless.
    fd, tmp_name = tempfile.mkstemp(dir=directory, prefix=f"{_TEMP_PREFIX}{path.name}.", suffix=_TEMP_SUFFIX)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(directory)


def atomic_remove(path: Path) -> None:
    """Delete path and make the deletion durable."""
    path.unlink()
    fsync_dir(path.parent)


def fsync_dir(directory: Path) -> None:
    """Flush a directory entry change (a rename or unlink) to disk."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def remove_stale_temp_files(directory: Path) -> int:
    """Delete temp files a crashed writer left behind; return how many."""
    count = 0
    for path in directory.glob(f"{_TEMP_PREFIX}*{_TEMP_SUFFIX}"):
        try:
            path.unlink()
            count += 1
        except OSError:
            log.warning("cannot remove leftover temp file %s", path, exc_info=True)
    return count


def _mode_for(path: Path) -> int:
    try:
        return path.stat().st_mode & 0o777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


# --- change detection ------------------------------------------------------------------------------------


def disk_signature(root: Path) -> Signature:
    """Fingerprint every file the loader reads, by name, from stat alone (no reading)."""
    signature: Signature = {}
    entries_dir = root / ENTRIES_DIR
    try:
        names = sorted(os.scandir(entries_dir), key=lambda d: d.name)
    except FileNotFoundError:
        names = []
    for item in names:
        if item.name.startswith(".") or not item.is_file():
            continue
        stat = item.stat()
        signature[f"{ENTRIES_DIR}/{item.name}"] = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
    rules = root / RULES_FILE
    try:
        stat = rules.stat()
        signature[RULES_FILE] = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
    except FileNotFoundError:
        pass
    return signature


def file_signature(root: Path, path: Path) -> tuple[str, tuple[int, int, int] | None]:
    """Return the signature key of one file under root and its stat triple (None when it is gone)."""
    key = path.relative_to(root).as_posix()
    try:
        stat = path.stat()
    except FileNotFoundError:
        return key, None
    return key, (stat.st_mtime_ns, stat.st_size, stat.st_ino)
