"""Say in one line why a SQLite file cannot be used (damaged, read-only, full), as the ledger does.

The history and the feedback database turn every SQLite or OS error into `DatabaseUnavailable`, a
BotError: the CLI prints it as one line, the Discord front end as one message, and the bot, which can
answer without either, runs on with that part switched off (`Unavailable` stands in for the store).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

from bot.core.errors import BotError

# SQLite's words for what went wrong, and ours for the reader who has to fix it.
_PROBLEMS = (
    ("file is not a database", "is not a SQLite database (damaged, or another kind of file)"),
    ("malformed", "is damaged"),
    ("readonly", "is read-only"),
    ("read-only", "is read-only"),
    ("disk is full", "cannot be written"),
    ("disk i/o error", "cannot be read or written (disk I/O error)"),
    ("unable to open", "cannot be opened"),
)


class DatabaseUnavailable(BotError):
    """A SQLite file cannot be used; str() is one line naming the file and why."""

    def __init__(self, what: str, path: Path, problem: str) -> None:
        super().__init__(f"the {what} {path} {problem}")
        self.what = what
        self.path = path
        self.problem = problem


def problem_of(exc: BaseException) -> str:
    """Word an SQLite or OS error as what is wrong with the file, keeping SQLite's own words after it."""
    if isinstance(exc, OSError) and not isinstance(exc, sqlite3.Error):
        return f"cannot be used ({exc.strerror or exc})"
    text = str(exc) or type(exc).__name__
    for needle, problem in _PROBLEMS:
        if needle in text.lower():
            return problem if text.lower() == needle else f"{problem} ({text})"
    return f"cannot be used ({text})"


def unavailable(what: str, path: Path, exc: BaseException) -> DatabaseUnavailable:
    """Return the one-line error for exc on the file at path (exc itself when it already is one)."""
    if isinstance(exc, DatabaseUnavailable):
        return exc
    problem = problem_of(exc).replace(f"({path}: ", "(", 1)  # the message names the file once
    return DatabaseUnavailable(what, path, problem)


@contextmanager
def explained(what: str, path: Path) -> Iterator[None]:
    """Turn SQLite and OS errors raised in the body into DatabaseUnavailable, one line, no traceback."""
    try:
        yield
    except (sqlite3.Error, OSError) as exc:
        raise unavailable(what, path, exc) from None


def check_integrity(conn: sqlite3.Connection, what: str, path: Path) -> None:
    """Refuse a damaged file when it is opened, not at the first query that reaches a bad page.

    A truncated or overwritten file often opens (its header is intact) and fails later, in the middle of
    a vote or a revert. `quick_check` reads every page once: milliseconds for these small files.
    """
    first = conn.execute("PRAGMA quick_check(1)").fetchone()
    if first is None or first[0] != "ok":
        raise DatabaseUnavailable(what, path, f"is damaged ({first[0] if first else 'no answer from quick_check'})")


class ExplainingLock:
    """A thread lock whose `with` body turns SQLite and OS errors into DatabaseUnavailable.

    A store that serialises its connection with one lock gets the one-line errors everywhere by
    using this lock instead of threading.Lock.
    """

    def __init__(self, what: str, path: Path) -> None:
        self.what = what
        self.path = path
        self._lock = threading.Lock()

    def __enter__(self) -> None:
        self._lock.acquire()

    def __exit__(self, exc_type: object, exc: BaseException | None, tb: object) -> None:
        self._lock.release()
        if isinstance(exc, sqlite3.Error | OSError):
            raise unavailable(self.what, self.path, exc) from None


class Unavailable:
    """Stands in for a store whose file cannot be used, so the rest of the bot runs on without it.

    Every method call raises the one-line reason (a moderator's command gets it as its reply);
    background writes are dropped, and close() does nothing.
    """

    def __init__(self, error: DatabaseUnavailable) -> None:
        self.error = error

    def submit_background(self, *_args: Any) -> None:
        """Drop a background write: the part it belongs to is switched off."""

    def close(self) -> None:
        """Nothing to close."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)

        def refuse(*_args: Any, **_kwargs: Any) -> NoReturn:
            raise self.error

        return refuse
