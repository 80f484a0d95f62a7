"""Put one period's Insights together: the decision log, the knowledge base in service, the queue's groups."""

from __future__ import annotations

from collections.abc import Sequence

from bot.config import Settings
from bot.core.channel.feedback import UnansweredItem
from bot.core.channel.question_groups import group_queue
from bot.core.insights.decision_log import DAY_SECONDS, DecisionLog
from bot.core.insights.figures import Insights, build_insights, groups_from_queue, period
from bot.core.insights.quality import load_quality, quality_path
from bot.core.matching.answers import AnswerEngine

DEFAULT_DAYS = 30
WEEK = 7


def gather(
    settings: Settings,
    engine: AnswerEngine,
    log: DecisionLog,
    queue: Sequence[UnansweredItem],
    *,
    days: int = DEFAULT_DAYS,
    now: float,
    with_quality: bool = False,
) -> Insights:
    """The figures of the `days` days ending at now (blocking: grouping runs the encoder)."""
    groups = group_queue(
        queue,
        engine,
        threshold=settings.feedback.group_similarity,
        meaning_threshold=settings.embedding.group_similarity,
    )
    first, last = period(days, now)
    return build_insights(
        log,
        engine.kb,
        first_day=first,
        last_day=last,
        stale_after_days=settings.knowledge.stale_after_days,
        groups=groups_from_queue(groups),
        quality=load_quality(quality_path(settings.insights.path)) if with_quality else None,
    )


def two_weeks(
    settings: Settings, engine: AnswerEngine, log: DecisionLog, queue: Sequence[UnansweredItem], *, now: float
) -> tuple[Insights, Insights]:
    """The seven whole days before now's day, and the seven before those (the weekly digest compares them)."""
    end = now - DAY_SECONDS
    this = gather(settings, engine, log, queue, days=WEEK, now=end)
    first, last = period(WEEK, end - WEEK * DAY_SECONDS)
    before = build_insights(
        log, engine.kb, first_day=first, last_day=last, stale_after_days=settings.knowledge.stale_after_days
    )
    return this, before
