"""Progress of long work (embedding a knowledge base the first time), reported as log records.

The core does not know whether a terminal is watching: it logs one INFO record a step, each carrying
`progress=(what, done, total)`. Under `run` they are ordinary log lines; the CLI draws them as a bar on
a terminal, or prints them as plain lines when stderr is a file or a pipe (bot/cli/progress.py).
"""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)


class Progress:
    """Count the steps of one piece of work and log each (and the start) with what is done of the total."""

    def __init__(self, what: str, total: int, unit: str) -> None:
        self.what, self.total, self.unit, self.done = what, total, unit, 0
        self._report()

    def advance(self, steps: int) -> None:
        """Record that `steps` more units are done."""
        self.done = min(self.total, self.done + steps)
        self._report()

    def _report(self) -> None:
        share = 100 * self.done // max(self.total, 1)
        log.info(
            "%s: %d of %d %s (%d%%)",
            self.what,
            self.done,
            self.total,
            self.unit,
            share,
            extra={"progress": (self.what, self.done, self.total)},
        )
