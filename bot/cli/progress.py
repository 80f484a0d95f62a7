"""Show the core's progress records (bot/core/progress.py) to whoever runs a command.

On a terminal (stderr is a TTY) they are one bar redrawn in place; otherwise (a file, a pipe, CI) one
plain line each, so a log shows the work moving. `run` does not use this: there the records are
ordinary log lines, like everything else the bot logs.
"""

from __future__ import annotations

import logging
import sys
from typing import TextIO

from bot.core import progress

BAR_WIDTH = 30


class ProgressDisplay(logging.Handler):
    """Draw progress records on stderr (the one current when the record arrives, which tests replace)."""

    def __init__(self, stream: TextIO | None = None) -> None:
        super().__init__(logging.INFO)
        self._stream = stream

    def emit(self, record: logging.LogRecord) -> None:
        stream = self._stream or sys.stderr
        try:
            step = getattr(record, "progress", None)
            if step is not None and _is_terminal(stream):
                what, done, total = step
                filled = BAR_WIDTH * done // max(total, 1)
                bar = "#" * filled + "." * (BAR_WIDTH - filled)
                stream.write(f"\r{what} [{bar}] {done}/{total}" + ("\n" if done >= total else ""))
            else:
                stream.write(record.getMessage() + "\n")
            stream.flush()
        except Exception:  # a display must never break the command
            self.handleError(record)


def show_progress(stream: TextIO | None = None) -> None:
    """Send the core's progress records to a ProgressDisplay (and only there); calling again replaces it."""
    logger = logging.getLogger(progress.__name__)
    for handler in [h for h in logger.handlers if isinstance(h, ProgressDisplay)]:
        logger.removeHandler(handler)
    logger.addHandler(ProgressDisplay(stream))
    logger.setLevel(logging.INFO)
    logger.propagate = False


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
