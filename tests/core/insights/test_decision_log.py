"""The decision log: every decision recorded once through the desk, chatter only counted, picks and votes joined."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.config import load_settings
from bot.core.channel.cooldowns import Cooldowns
from bot.core.channel.desk import Posted, Reply, SupportDesk
from bot.core.channel.policy import MessageFacts
from bot.core.insights.decision_log import SCHEMA_VERSION, DecisionLog, Noted, day_of
from bot.core.insights.figures import build_insights, period
from bot.core.knowledge.loader import load_knowledge
from bot.core.matching.answers import AnswerEngine

ROOT = Path(__file__).resolve().parents[3]
BOT, ALICE, BOB = 1, 2, 3
SUPPORT = 100
QUESTION = "How many connects does it cost to send a proposal?"
NOW = 1_700_000_000.0


@pytest.fixture(scope="module")
def engine() -> AnswerEngine:
    return AnswerEngine(load_knowledge(ROOT / "knowledge"), load_settings(ROOT / "config.yaml").matcher)


def facts(content: str, author: int = ALICE, message_id: int = 7) -> MessageFacts:
    return MessageFacts(
        author_id=author,
        author_is_bot=False,
        is_webhook=False,
        channel_id=SUPPORT,
        parent_id=None,
        in_guild=True,
        content=content,
        message_id=message_id,
        jump_url=f"https://discord.com/channels/1/{SUPPORT}/{message_id}",
    )


def make(engine: AnswerEngine, tmp_path: Path, *, count: int = 5) -> tuple[SupportDesk, DecisionLog]:
    log = DecisionLog(tmp_path / "decisions.sqlite3", now=lambda: NOW)
    cooldowns = Cooldowns(entry_cooldown_seconds=0, member_rate_limit_count=count, member_rate_limit_seconds=30)
    desk = SupportDesk(engine, cooldowns, support_channel_ids={SUPPORT}, explains_charges=False, decisions=log)
    return desk, log


def rows(log: DecisionLog) -> list[tuple]:
    log.flush()
    with sqlite3.connect(log.path) as conn:
        return conn.execute(
            "SELECT decision, entry_id, outcome, reply_message_id, picked_entry, helpful, not_helpful, via"
            " FROM decisions ORDER BY id"
        ).fetchall()


async def test_each_decision_is_recorded_once_with_what_happened_next(engine: AnswerEngine, tmp_path: Path) -> None:
    desk, log = make(engine, tmp_path, count=2)
    hello = facts("hello everyone")
    assert (await desk.plan(hello, bot_user_id=BOT)).reply is Reply.SILENT  # chatter: counted, not stored
    answer = await desk.plan(facts(QUESTION), bot_user_id=BOT)
    assert answer.reply is Reply.ANSWER
    assert rows(log) == []  # a reply about to be sent is recorded when it is settled, not before
    desk.settle(facts(QUESTION), answer, Posted(900, ""))
    refused = await desk.plan(facts(QUESTION, message_id=8), bot_user_id=BOT)
    desk.settle(facts(QUESTION, message_id=8), refused, None)  # Discord refused the reply
    silent = await desk.plan(facts("what is the capital city of peru?", author=BOB), bot_user_id=BOT)
    assert silent.reply is Reply.SILENT
    await desk.plan(facts(QUESTION, message_id=9), bot_user_id=BOT)  # alice's slot was given back: 2nd of 2
    limited = await desk.plan(facts(QUESTION, message_id=10), bot_user_id=BOT)
    assert limited.reply is Reply.RATE_LIMITED
    log.note_vote(900, True, changed=False)
    log.note_vote(900, False, changed=False)
    log.note_vote(900, False, changed=True)  # the first voter changed their mind
    entry = answer.entry_id
    assert rows(log) == [
        ("answer", entry, "posted", 900, None, 0, 2, "channel"),
        ("answer", entry, "refused", None, None, 0, 0, "channel"),
        ("silent", None, "none", None, None, 0, 0, "channel"),
        ("rate_limited", entry, "none", None, None, 0, 0, "channel"),
    ]
    assert log.chatter(day_of(NOW), day_of(NOW)) == {day_of(NOW): 1}
    log.close()


async def test_a_picked_suggestion_counts_as_answered(engine: AnswerEngine, tmp_path: Path) -> None:
    log = DecisionLog(tmp_path / "decisions.sqlite3", now=lambda: NOW)
    kb = engine.kb
    first, last = period(30, NOW)
    for reply_id, decision, outcome in ((1, "suggest", "posted"), (2, "suggest", "posted"), (3, "answer", "posted")):
        log.note(Noted(NOW, SUPPORT, "channel", decision, "proposal-cost", 0.5, False, outcome, reply_id))
    log.note_pick(1, "boosted-proposals")
    log.note_vote(3, True, changed=False)
    log.flush()
    insights = build_insights(log, kb, first_day=first, last_day=last, stale_after_days=180)
    assert insights.total("questions") == 3 and insights.total("answered") == 2
    assert insights.answer_rate == pytest.approx(2 / 3) and insights.helpful_ratio == 1.0
    assert len(insights.days) == 30 and insights.days[-1].counts == {"suggest": 2, "answer": 1}
    used = {e.entry_id: e.uses for e in insights.busiest()}
    assert sum(used.values()) == 2
    assert len(insights.unused()) == len(kb.entries) - len(used)
    log.close()


def test_the_schema_is_versioned_and_reopens(tmp_path: Path) -> None:
    log = DecisionLog(tmp_path / "d.sqlite3")
    log.close()
    with sqlite3.connect(tmp_path / "d.sqlite3") as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(sqlite3.DatabaseError, match="newer"):
        DecisionLog(tmp_path / "d.sqlite3")
