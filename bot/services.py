"""The services the Discord front end runs on, built once from settings and injected into the bot.

To add a service (the ledger, the moderators' knowledge store...): add a field with a default of None
to `Services`, open it in `build_services`, and register its `close` with `services.on_close(...)` so
shutdown finishes its pending work. Cogs reach it as `bot.services.<name>`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.config import Settings
from bot.core.channel.catch_up import HandledMessages
from bot.core.channel.cooldowns import Clock
from bot.core.channel.desk import SupportDesk
from bot.core.channel.feedback import FeedbackStore
from bot.core.insights.decision_log import DecisionLog
from bot.core.insights.digest import SystemClock, WallClock
from bot.core.knowledge.store import KnowledgeStore
from bot.core.knowledge.watch import KnowledgeWatcher
from bot.core.learning.loop import LearningLoop
from bot.core.ledger import open_ledger_worker
from bot.core.ledger.service import AsyncLedgerService
from bot.core.ledger.worker import LedgerWorker
from bot.core.matching.answers import AnswerEngine
from bot.core.sqlite_files import DatabaseUnavailable, Unavailable

log = logging.getLogger(__name__)


@dataclass
class Services:
    """Everything the bot's cogs call into; nothing here imports discord."""

    settings: Settings
    engine: AnswerEngine
    feedback: FeedbackStore
    desk: SupportDesk  # the support channel's replies: one plan per message, cooldowns and member limits
    clock: Clock = time.monotonic
    knowledge: KnowledgeStore | None = None  # moderators' writes to knowledge/, published to the engine
    knowledge_watcher: KnowledgeWatcher | None = None  # picks up edits made on disk (None: watching off)
    ledger: AsyncLedgerService | None = None  # the Connects ledger: access-checked, logged reads
    learning: LearningLoop | None = None  # picks, votes and teaching become candidate examples (None: off)
    # The ledger's own thread and source: opened and closed here; cogs go through `ledger` only.
    ledger_worker: LedgerWorker | None = None
    # What is switched off and why (a damaged or read-only database): posted once to the log channel.
    notices: list[str] = field(default_factory=list)
    # Support messages taken on (claimed once) and the newest handled per channel, for catching up.
    handled: HandledMessages | None = None
    decisions: DecisionLog | None = None  # the decision log (bot.core.insights): /faq insights, the weekly digest
    wall_clock: WallClock = field(default_factory=SystemClock)  # the digest's and the purge's time (tests inject one)
    _closers: list[Callable[[], None]] = field(default_factory=list, repr=False)

    def on_close(self, closer: Callable[[], None]) -> None:
        """Run closer at shutdown (closers run last-registered first)."""
        self._closers.append(closer)

    def close(self) -> None:
        """Close every service, finishing pending writes; safe to call twice."""
        while self._closers:
            closer = self._closers.pop()
            try:
                closer()
            except Exception:
                log.exception("error while closing a service")


def build_services(
    settings: Settings,
    *,
    engine: AnswerEngine | None = None,
    clock: Clock = time.monotonic,
    wall_clock: WallClock | None = None,
) -> Services:
    """Open what the bot needs: the answer engine (unless given), feedback, cooldowns, knowledge, the ledger."""
    engine = engine if engine is not None else AnswerEngine.from_settings(settings)
    notices: list[str] = []
    feedback: FeedbackStore | Unavailable
    try:
        feedback = FeedbackStore(settings.feedback.path)
    except DatabaseUnavailable as exc:
        feedback = Unavailable(exc)
        notices.append(f"Votes and the unanswered queue are off: {exc}. The bot keeps answering.")
    knowledge: KnowledgeStore | Unavailable
    try:
        knowledge = KnowledgeStore.from_settings(settings, engine=engine, kb=engine.kb)
    except DatabaseUnavailable as exc:
        knowledge = Unavailable(exc)
        notices.append(f"Changes to the FAQ (from Discord or on disk) are off: {exc}. The bot keeps answering.")
    for notice in notices:
        log.warning("%s", notice)
    recording = feedback if isinstance(feedback, FeedbackStore) else None
    wall_clock = wall_clock if wall_clock is not None else SystemClock()
    decisions = DecisionLog(settings.insights.path, now=wall_clock.now)
    desk = SupportDesk.from_settings(
        settings, engine, explains_charges=True, feedback=recording, clock=clock, decisions=decisions
    )
    interval = settings.knowledge.watch_interval_seconds
    watching = isinstance(knowledge, KnowledgeStore) and interval > 0
    watcher = KnowledgeWatcher(knowledge, interval) if watching else None  # type: ignore[arg-type]
    services = Services(
        settings=settings,
        engine=engine,
        feedback=feedback,  # type: ignore[arg-type]
        desk=desk,
        clock=clock,
        knowledge=knowledge,  # type: ignore[arg-type]
        knowledge_watcher=watcher,
        notices=notices,
        decisions=decisions,
        wall_clock=wall_clock,
    )
    services.on_close(feedback.close)
    services.on_close(decisions.close)
    services.handled = HandledMessages.open(settings.catch_up.path)
    services.on_close(services.handled.close)
    services.learning = LearningLoop.from_settings(settings, engine)
    if services.learning is not None:
        services.on_close(services.learning.close)
    # The ledger file is created from the bundled demo ledger when missing (see bot.core.ledger).
    worker = open_ledger_worker(settings.ledger.path)
    services.ledger_worker = worker
    services.ledger = AsyncLedgerService(worker, lambda: engine.kb)
    services.on_close(worker.close)
    return services
