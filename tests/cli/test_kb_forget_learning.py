"""`kb forget-member` in the learning store: accepted, served and held candidates lose the member too.

Like tests/cli/test_kb_forget.py, the member's signals and questions are stored through the store's own
code, and the SQLite file's bytes (with its -wal and -shm) are searched afterwards for the texts, for
`discord:<id>`, for the id in text and for the id as SQLite stores an integer (8 bytes, big-endian).
"""

from __future__ import annotations

import struct
from pathlib import Path

import yaml

from bot.core.knowledge.files import WriterLock
from bot.core.learning import candidates as cs
from bot.core.learning.candidates import CandidateStore
from bot.core.learning.learned_file import append_learned
from bot.core.matching.examples import read_examples
from tests.cli.test_kb_forget import MEMBER, OTHER, stored_bytes
from tests.cli.test_kb_versions import bot

SERVED_Q = "wombat-served question: where did my bonus connects go 6021"
ACCEPTED_Q = "wombat-accepted question: can connects roll over to next month 6022"
HELD_Q = "wombat-held question: do boosted proposals refund connects 6023"
PENDING_Q = "wombat-pending question: why is vat on my connects 6024"
OTHERS_Q = "numbat question asked by someone else about connects 6025"


def fill(store: CandidateStore) -> tuple[int, int, int, int]:
    """The member's own questions in every status, and a vote and a moderator's decision on another's."""
    served = store.record(SERVED_Q, "bonus-connects", signal=cs.PICK, who=MEMBER, by_asker=True, message_id=71)
    store.decide(served.id, cs.SERVED, by="cli:mod", result="bonus-connects")
    accepted = store.record(ACCEPTED_Q, "expiry-rollover", signal=cs.PICK, who=MEMBER, by_asker=True)
    store.decide(accepted.id, cs.ACCEPTED, by=f"auto: asker {MEMBER}", result="expiry-rollover")
    held = store.record(HELD_Q, "boosted-proposals", signal=cs.PICK, who=MEMBER, by_asker=True)
    store.decide(held.id, cs.HELD, by="cli:mod", result="boosted-proposals", note="the guard held it back")
    store.record(PENDING_Q, "taxes-vat", signal=cs.PICK, who=MEMBER, by_asker=True)
    others = store.record(OTHERS_Q, "taxes-vat", signal=cs.PICK, who=OTHER, by_asker=True)
    store.record(OTHERS_Q, "taxes-vat", signal=cs.HELPFUL, who=MEMBER, by_asker=False, message_id=72)
    store.decide(others.id, cs.SERVED, by=f"discord:{MEMBER}", result="taxes-vat")  # the member, as moderator
    return served.id, accepted.id, held.id, others.id


def test_forget_member_scrubs_decided_candidates_and_keeps_the_reviewed_example(tmp_path: Path) -> None:
    data = tmp_path / "data"
    examples = tmp_path / "examples"
    config = tmp_path / "config.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "knowledge": {"path": str(Path(__file__).resolve().parents[2] / "knowledge")},
                "learning": {"path": "data/learning.sqlite3"},
                "embedding": {"enabled": False},
                "feedback": {"path": "data/feedback.sqlite3"},
                "ledger": {"path": "data/ledger.sqlite3"},
                "insights": {"path": "data/decisions.sqlite3"},
            }
        )
    )
    store = CandidateStore(data / "learning.sqlite3")
    served_id, accepted_id, held_id, others_id = fill(store)
    append_learned(examples / "learned.yaml", [store.get(served_id), store.get(others_id)], WriterLock(tmp_path / "l"))
    store.close()
    member_texts = (SERVED_Q, ACCEPTED_Q, HELD_Q, PENDING_Q)
    needles = [*(t.encode() for t in member_texts), f"discord:{MEMBER}".encode(), str(MEMBER).encode()]
    before = stored_bytes(data)
    for needle in [*needles, struct.pack(">q", MEMBER)]:
        assert needle in before, needle  # the test would prove nothing otherwise

    forgotten = bot("kb", "forget-member", str(MEMBER), "--config", str(config))
    assert forgotten.returncode == 0, forgotten.stderr
    after = stored_bytes(data)
    for needle in [*needles, struct.pack(">q", MEMBER)]:
        assert needle not in after, needle
    assert OTHERS_Q.encode() in after and struct.pack(">q", OTHER) in after  # nobody else is forgotten
    (line,) = [x for x in forgotten.stdout.splitlines() if x.startswith("learning candidates")]
    assert "1 pending candidate questions" in line and "3 decided candidates' questions (kept, blanked)" in line
    assert "2 accepted or held candidates withdrawn" in line and "2 decisions' actor" in line

    store = CandidateStore(data / "learning.sqlite3")
    try:
        served, accepted, held, others = (store.get(i) for i in (served_id, accepted_id, held_id, others_id))
        assert (served.status, served.question, served.signals) == (cs.SERVED, "", ())
        assert (accepted.status, accepted.question, accepted.note) == (cs.REJECTED, "", cs.FORGOTTEN_NOTE)
        assert (held.status, held.question) == (cs.REJECTED, "")
        assert (others.question, others.members, others.decided_by) == (OTHERS_Q, {OTHER}, "discord:forgotten")
        assert store.with_status(cs.ACCEPTED) == []  # the guard never learns an empty text
    finally:
        store.close()
    # What stays: the reviewed examples in learned.yaml, which carry no member id.
    learned = (examples / "learned.yaml").read_text(encoding="utf-8")
    assert [e.text for e in read_examples(examples / "learned.yaml")] == [SERVED_Q, OTHERS_Q]
    assert str(MEMBER) not in learned and str(OTHER) not in learned
