"""`kb forget-member` and the retention purge: members' words gone from the SQLite files themselves.

Each test stores a member's questions, votes and ids in every file the bot writes (through the stores'
own code), then searches the files' bytes (the database, its -wal and -shm) for the texts, for
`discord:<id>` and for the id as SQLite stores an integer (8 bytes, big-endian).
"""

from __future__ import annotations

import datetime as dt
import struct
import time
from pathlib import Path

import pytest

from bot.core.channel.feedback import FeedbackStore, Post
from bot.core.insights.decision_log import DecisionLog, Noted
from bot.core.insights.retention import purge
from bot.core.knowledge.history import KnowledgeHistory
from bot.core.ledger import open_ledger
from tests.cli.conftest import OperatorFolder
from tests.cli.test_kb_versions import bot

MEMBER, OTHER = 801234567890123456, 809876543210987654
ASKED = "quokka-zanzibar question: why did my connects vanish on tuesday 7731"
SILENCE = "quokka-zanzibar silence: is there a connects lottery 4242"
OTHERS = "platypus question from someone else about connects 5150"


def stored_bytes(data: Path) -> bytes:
    """Every byte of every SQLite file (and its -wal, -shm) under data."""
    return b"".join(p.read_bytes() for p in sorted(data.iterdir()) if ".sqlite3" in p.name)


def fill(data: Path) -> None:
    """The member asks, is answered, votes, is queued, is linked to a ledger profile, edits an entry."""
    feedback = FeedbackStore(data / "feedback.sqlite3")
    log = DecisionLog(data / "decisions.sqlite3")
    feedback.record_post(Post(900, "expiry-rollover", 100, ASKED, asker_id=MEMBER, question_message_id=5555))
    feedback.record_post(Post(901, "taxes-vat", 100, OTHERS, asker_id=OTHER, question_message_id=5556))
    feedback.record_vote(900, OTHER, "expiry-rollover", False)  # copies ASKED into a vote and the queue
    feedback.record_vote(901, MEMBER, "taxes-vat", True)
    feedback.record_silence(SILENCE, score=0.2, channel_id=100, message_id=5557, author_id=MEMBER)
    feedback.record_silence(OTHERS, score=0.2, channel_id=100, message_id=5558, author_id=OTHER)
    for reply in (900, 901):
        log.note(Noted(time.time(), 100, "channel", "answer", "expiry-rollover", 0.9, False, "posted", reply))
    log.close()
    feedback.close()
    KnowledgeHistory(data / "history.sqlite3").record(
        "expiry-rollover", action="edit", actor=f"discord:{MEMBER} (alice)", summary="edit", content="x"
    )
    ledger = open_ledger(data / "ledger.sqlite3")
    ledger.link_discord("fl-ben", MEMBER)
    ledger.log_access(f"discord:{MEMBER}", "fl-ben", "history", True, "own")
    ledger.close()


@pytest.fixture
def config(operator_folder: OperatorFolder) -> Path:
    path = operator_folder(
        feedback={"path": "data/feedback.sqlite3"},
        ledger={"path": "data/ledger.sqlite3"},
        insights={"path": "data/decisions.sqlite3"},
        embedding={"enabled": False},
    )
    fill(path.parent / "data")
    return path


def test_forget_member_removes_their_texts_and_ids_from_every_file(config: Path) -> None:
    data = config.parent / "data"
    before = stored_bytes(data)
    for needle in (ASKED.encode(), SILENCE.encode(), f"discord:{MEMBER}".encode(), struct.pack(">q", MEMBER)):
        assert needle in before  # the test would prove nothing otherwise
    forgotten = bot("kb", "forget-member", str(MEMBER), "--config", str(config))
    assert forgotten.returncode == 0, forgotten.stderr
    after = stored_bytes(data)
    for needle in (ASKED.encode(), SILENCE.encode(), f"discord:{MEMBER}".encode(), struct.pack(">q", MEMBER)):
        assert needle not in after, needle
    assert OTHERS.encode() in after and struct.pack(">q", OTHER) in after  # nobody else is forgotten
    lines = forgotten.stdout.splitlines()
    assert lines[0].startswith("feedback (") and "2 queued questions" in lines[0]
    assert "1 votes (kept as counts)" in lines[0] and "1 answered questions (kept as counts)" in lines[0]
    assert "1 links to replies" in lines[1]
    assert "1 versions' actor" in lines[2] and "1 profile links" in lines[3]
    assert "1 access-log rows (kept, id replaced)" in lines[4]
    feedback = FeedbackStore(data / "feedback.sqlite3")
    stats = {s.entry_id: (s.posted, s.helpful, s.not_helpful) for s in feedback.entry_stats()}
    feedback.close()
    assert stats == {"expiry-rollover": (1, 0, 1), "taxes-vat": (1, 1, 0)}  # the counts stay
    assert not any(p.name.endswith("-wal") and p.stat().st_size for p in data.iterdir())


def test_the_purge_removes_texts_older_than_the_retention_period(config: Path) -> None:
    data = config.parent / "data"
    now = dt.datetime.now(dt.UTC)
    kept = purge(data / "feedback.sqlite3", data / "decisions.sqlite3", retention_days=180, now=now)
    assert (kept.posts, kept.votes, kept.queue_items, kept.decisions) == (0, 0, 0, 0)
    assert ASKED.encode() in stored_bytes(data)
    gone = purge(data / "feedback.sqlite3", data / "decisions.sqlite3", retention_days=1, now=now + dt.timedelta(2))
    assert (gone.posts, gone.votes, gone.queue_items, gone.decisions) == (2, 2, 3, 2)
    after = stored_bytes(data)
    for needle in (ASKED.encode(), SILENCE.encode(), OTHERS.encode()):
        assert needle not in after
    feedback = FeedbackStore(data / "feedback.sqlite3")
    assert {s.entry_id: s.posted for s in feedback.entry_stats()} == {"expiry-rollover": 1, "taxes-vat": 1}
    feedback.close()
