"""The feedback database on real SQLite files: votes, posts, the unanswered queue, schema version."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from bot.core.channel.feedback import SCHEMA_VERSION, FeedbackStore, Post, VoteOutcome
from bot.core.errors import FeedbackItemNotFound
from bot.core.sqlite_files import DatabaseUnavailable


@pytest.fixture
def store(tmp_path: Path) -> FeedbackStore:
    s = FeedbackStore(tmp_path / "sub" / "feedback.sqlite3")
    yield s
    s.close()


def test_schema_is_versioned_and_wal(store: FeedbackStore) -> None:
    assert store.schema_version == SCHEMA_VERSION
    conn = sqlite3.connect(store.path)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    finally:
        conn.close()
    assert {"posts", "votes", "unanswered"} <= tables


def test_reopening_keeps_data_and_does_not_migrate_twice(tmp_path: Path) -> None:
    path = tmp_path / "f.sqlite3"
    first = FeedbackStore(path)
    first.record_post(Post(10, "proposal-cost", 1, "how much is a proposal"))
    first.close()
    again = FeedbackStore(path)
    try:
        assert again.post_for_message(10) == Post(10, "proposal-cost", 1, "how much is a proposal")
    finally:
        again.close()


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "f.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(DatabaseUnavailable) as info:
        FeedbackStore(path)
    assert str(info.value) == (
        f"the feedback database {path} cannot be used "
        f"(schema version {SCHEMA_VERSION + 1} is newer than this bot understands ({SCHEMA_VERSION}))"
    )


def test_votes_count_once_per_member_per_answer(store: FeedbackStore) -> None:
    store.record_post(Post(10, "proposal-cost", 1, "why 16 connects for this job?", asker_id=5))
    assert store.record_vote(10, 5, "proposal-cost", True) is VoteOutcome.NEW
    assert store.record_vote(10, 5, "proposal-cost", True) is VoteOutcome.UNCHANGED
    assert store.record_vote(10, 6, "proposal-cost", True) is VoteOutcome.NEW
    assert store.record_vote(10, 6, "proposal-cost", False) is VoteOutcome.CHANGED
    (stats,) = store.entry_stats()
    assert (stats.entry_id, stats.posted, stats.helpful, stats.not_helpful) == ("proposal-cost", 1, 1, 1)
    (q,) = store.question_stats()
    assert (q.question, q.entry_id, q.helpful, q.not_helpful) == (
        "why 16 connects for this job?",
        "proposal-cost",
        1,
        1,
    )


def test_entry_stats_count_posts_and_votes_per_entry(store: FeedbackStore) -> None:
    for mid, entry in [(1, "a"), (2, "a"), (3, "b"), (4, "c")]:
        store.record_post(Post(mid, entry, 9, f"q{mid}"))
    store.record_vote(3, 7, "b", False)
    store.record_vote(99, 7, "d", True)  # a vote on an answer never recorded as a post still counts
    stats = {s.entry_id: (s.posted, s.helpful, s.not_helpful) for s in store.entry_stats()}
    assert stats == {"a": (2, 0, 0), "b": (1, 0, 1), "c": (1, 0, 0), "d": (0, 1, 0)}
    assert [s.entry_id for s in store.entry_stats()] == ["a", "b", "c", "d"]  # most posted first


def test_unanswered_queue_holds_not_helpful_and_silences_newest_first(store: FeedbackStore) -> None:
    store.record_post(Post(10, "expiry-rollover", 1, "do connects expire?"))
    silence_id = store.record_silence(
        "is it 15 cents per connect?", score=0.37, channel_id=1, message_id=20, author_id=5
    )
    store.record_vote(10, 6, "expiry-rollover", False)
    store.record_vote(10, 6, "expiry-rollover", False)  # unchanged: not queued twice
    items = store.list_unanswered(10)
    assert [(i.kind, i.question, i.entry_id) for i in items] == [
        ("not_helpful", "do connects expire?", "expiry-rollover"),
        ("silence", "is it 15 cents per connect?", None),
    ]
    assert items[1].id == silence_id and items[1].score == pytest.approx(0.37)
    assert len(store.list_unanswered(1)) == 1

    store.dismiss(silence_id)
    assert [i.kind for i in store.list_unanswered(10)] == ["not_helpful"]
    with pytest.raises(FeedbackItemNotFound):
        store.dismiss(silence_id)
    with pytest.raises(FeedbackItemNotFound):
        store.dismiss(12345)


def test_dismiss_many_clears_a_group_and_skips_items_already_handled(store: FeedbackStore) -> None:
    ids = [
        store.record_silence(f"question {n} about connects", score=0.1, channel_id=1, message_id=n, author_id=2)
        for n in range(4)
    ]
    store.dismiss(ids[1])  # another moderator got there first
    assert store.dismiss_many([ids[0], ids[1], ids[2], ids[2]]) == 2
    assert [i.id for i in store.list_unanswered(10)] == [ids[3]]
    assert store.dismiss_many([ids[0], 999]) == 0


def test_long_questions_are_truncated_not_refused(store: FeedbackStore) -> None:
    store.record_silence("x" * 5000, score=0.1, channel_id=None, message_id=None, author_id=None)
    (item,) = store.list_unanswered(1)
    assert len(item.question) == 2000


async def test_submit_runs_off_the_loop_in_order_and_close_waits_for_pending_writes(tmp_path: Path) -> None:
    path = tmp_path / "f.sqlite3"
    store = FeedbackStore(path)
    for i in range(200):
        store.submit_background(store.record_post, Post(i, "a", 1, f"q{i}"))
    stats = await store.submit(store.entry_stats)  # queued after the posts: sees all of them
    assert stats[0].posted == 200
    for i in range(200, 300):
        store.submit_background(store.record_post, Post(i, "a", 1, f"q{i}"))
    store.close()
    reopened = FeedbackStore(path)
    try:
        assert reopened.entry_stats()[0].posted == 300
    finally:
        reopened.close()


async def test_a_failed_background_write_is_logged(store: FeedbackStore, caplog: pytest.LogCaptureFixture) -> None:
    def explode() -> None:
        raise sqlite3.OperationalError("disk I/O error")

    store.submit_background(explode)
    await store.submit(store.entry_stats)  # the writer thread is in order: the failure happened
    await asyncio.sleep(0)  # let the done-callback run on the loop
    assert any("feedback write failed" in r.getMessage() for r in caplog.records)


async def test_a_write_arriving_after_close_is_dropped_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = FeedbackStore(tmp_path / "f.sqlite3")
    store.close()
    store.submit_background(store.record_post, Post(1, "a", 1, "late"))
    await asyncio.sleep(0)  # the batch is flushed on the next loop iteration
    assert "1 late write(s) dropped" in caplog.text


def test_background_writes_work_without_an_event_loop(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "f.sqlite3")
    store.submit_background(store.record_post, Post(1, "a", 1, "from the CLI"))
    store.close()
    reopened = FeedbackStore(tmp_path / "f.sqlite3")
    try:
        assert reopened.post_for_message(1) is not None
    finally:
        reopened.close()
