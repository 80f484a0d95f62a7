"""The insights embed: member text is escaped (no mentions, no markdown), fields fit Discord's limits."""

from __future__ import annotations

import datetime as dt

from bot.core.insights.figures import DayFigures, EntryFigures, GroupFigures, Insights
from bot.ui.embeds import FIELD_LIMIT
from bot.ui.insights_embed import insights_embed

HOSTILE = "@everyone **free connects** <@&123456789012345678> [click](http://evil.example) `code`"


def insights(groups: tuple[GroupFigures, ...], entries: int = 1) -> Insights:
    day = DayFigures(dt.date(2026, 12, 1), {"answer": 3, "silent": 1}, chatter=2, answered=3, helpful=1)
    listed = tuple(
        EntryFigures(f"entry-{n:03d}", "A question?", 0, 0, 0, dt.date(2020, 1, 1), None, True) for n in range(entries)
    )
    return Insights(day.date, day.date, (day,), listed, groups)


def test_member_text_cannot_ping_or_format() -> None:
    group = GroupFigures(3, "silence", HOSTILE, (HOSTILE,), None)
    embed = insights_embed(insights((group,)), title="t")
    value = next(f.value for f in embed.fields if f.name.startswith("Largest unanswered"))
    assert "@everyone" not in value and "<@&123456789012345678>" not in value
    assert "\\*\\*free connects\\*\\*" in value and "\\[click](http" in value
    assert embed.description.startswith("**4** questions · answered **75%** · helpful **100%**")


def test_long_lists_are_cut_to_the_field_limit() -> None:
    embed = insights_embed(insights((), entries=400), title="t")
    assert all(len(f.value) <= FIELD_LIMIT for f in embed.fields)
    stale = next(f for f in embed.fields if f.name.startswith("Not reviewed"))
    assert stale.name == "Not reviewed for 180 days (400)" and stale.value.endswith("…")
