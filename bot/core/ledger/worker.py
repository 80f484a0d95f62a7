"""Run a ledger source's calls on one dedicated thread, so the Discord event loop never waits on it.

sqlite3 on one worker thread rather than aiosqlite: aiosqlite is the same design (a thread per
connection) around the same module, and the importer's bulk path needs the plain sqlite3 connection
anyway. Any LedgerSource runs here, so a real data source gets the same guarantee: its calls never
overlap and never block the loop.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from bot.core.ledger.source import LedgerSource

T = TypeVar("T")


class LedgerWorker:
    """One ledger source, opened and used only on its own thread."""

    def __init__(self, opener: Callable[[], LedgerSource]) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ledger")
        # Opened on the worker thread: a SQLite connection is only ever used on the thread that made it.
        self._source: LedgerSource = self._executor.submit(opener).result()

    @property
    def executor(self) -> ThreadPoolExecutor:
        """The single ledger thread (the async service runs its calls here)."""
        return self._executor

    @property
    def source(self) -> LedgerSource:
        """The source itself; only touch it from the ledger thread (via `run`)."""
        return self._source

    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run fn(source, *args, **kwargs) on the ledger thread and await its result."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, functools.partial(fn, self._source, *args, **kwargs))

    def close(self) -> None:
        """Close the source on its thread, then stop the thread (blocking: call it at shutdown)."""
        self._executor.submit(self._source.close).result()
        self._executor.shutdown(wait=True)
