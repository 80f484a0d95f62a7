"""Pick up edits made to knowledge/ outside the bot (a `git pull`) by polling file stats.

Polling a few dozen stat() calls every couple of seconds costs microseconds and needs no dependency
(inotify libraries are platform-specific and miss changes on network and bind mounts anyway).
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
from collections.abc import Awaitable, Callable

from bot.core.knowledge.changes import DiskReload
from bot.core.knowledge.store import KnowledgeStore

log = logging.getLogger(__name__)

ReloadListener = Callable[[DiskReload], Awaitable[None] | None]


class KnowledgeWatcher:
    """Poll the store's folder every interval seconds; reload on change and tell listeners the outcome."""

    def __init__(self, store: KnowledgeStore, interval: float, listeners: tuple[ReloadListener, ...] = ()) -> None:
        self._store = store
        self._interval = interval
        self._listeners = list(listeners)
        self._polls: list[Callable[[], object]] = []
        self._task: asyncio.Task[None] | None = None

    def add_listener(self, listener: ReloadListener) -> None:
        """Call listener (sync or async) with every reload outcome: new knowledge base or error."""
        self._listeners.append(listener)

    def add_poll(self, poll: Callable[[], object]) -> None:
        """Also call poll (blocking, on a worker thread) at every check: another file to pick up (learned.yaml)."""
        self._polls.append(poll)

    def start(self) -> None:
        """Start polling in the running event loop (no-op when the interval is 0)."""
        if self._interval <= 0 or self._task is not None:
            return
        self._task = asyncio.get_running_loop().create_task(self._run(), name="knowledge-watcher")

    async def stop(self) -> None:
        """Stop polling and wait for the poller to finish."""
        task, self._task = self._task, None
        if task is None:
            return
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    async def check(self) -> DiskReload | None:
        """Poll once now; return the outcome when something changed on disk."""
        for poll in self._polls:
            try:
                await asyncio.to_thread(poll)
            except Exception:
                log.error("polling %s for changes failed", getattr(poll, "__qualname__", poll), exc_info=True)
        outcome = await asyncio.to_thread(self._store.poll)
        if outcome is None:
            return None
        if outcome.error is not None:
            log.warning("knowledge files changed on disk but do not load; still serving the last good ones")
        else:
            log.info("knowledge reloaded after a change on disk: %s", ", ".join(outcome.changed) or "no entry")
        for listener in self._listeners:
            try:
                result = listener(outcome)
                if inspect.isawaitable(result):
                    await result
            except Exception:
                log.error("a knowledge reload listener failed", exc_info=True)
        return outcome

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            try:
                await self.check()
            except Exception:
                log.error("checking knowledge/ for changes failed", exc_info=True)
