"""The closest entry of an unanswered group is given on a 0-1 scale, the same in `kb unanswered` and on Discord."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from bot.cli.kb_queue import format_group
from bot.config import load_settings
from bot.core.channel.feedback import UnansweredItem
from bot.core.channel.question_groups import group_queue
from bot.core.knowledge.loader import load_knowledge
from bot.core.matching.answers import AnswerEngine
from bot.core.matching.embeddings.meaning import load_meaning
from bot.ui.faq_text import groups_embed
from tests.shared_cache import EMBEDDING_CACHE

ROOT = Path(__file__).resolve().parents[2]
QUESTIONS = ["how do I buy connects for my agency", "how can the agency purchase more connects"]


def test_the_closest_entry_scores_between_0_and_1_where_the_ranking_runs_past_1():
    settings = load_settings(ROOT / "config.yaml")
    meaning = load_meaning(dataclasses.replace(settings.embedding, cache_path=EMBEDDING_CACHE))
    engine = AnswerEngine(load_knowledge(ROOT / "knowledge"), settings.matcher, meaning)
    ranking = engine._ranker.score(QUESTIONS[0]).analysis.rank_scores  # the blended ranking: past 1 here
    assert ranking.max() > 1.0

    items = [UnansweredItem(i, "silence", q, None, 0.1, 1, i, 2, f"2026-12-01T10:00:0{i}+00:00")
             for i, q in enumerate(QUESTIONS, 1)]  # fmt: skip
    (group,) = group_queue(items, engine, threshold=0.3, meaning_threshold=settings.embedding.group_similarity)
    closest = group.closest
    assert closest is not None and closest.entry_id == "agency-buying-billing"
    assert 0.5 < closest.score <= 1.0
    assert all(0.0 <= c.score <= 1.0 for q in QUESTIONS for c in engine.rank(q, 5))

    figure = f"similarity {closest.score:.2f}"
    assert f"closest: agency-buying-billing ({figure})" in format_group(1, group)
    assert f"({figure})" in groups_embed([group], 0, engine.kb).description
