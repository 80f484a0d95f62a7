"""Charge questions: recognised, the reference pulled out, answered only from the asker's own ledger."""

from __future__ import annotations

import pytest

from bot.core.ledger.access import Viewer
from bot.core.ledger.charges import ChargeQuestion, recognise_charge_question

BEN = Viewer("discord:2", "fl-ben")
YUKI = Viewer("discord:5", "fl-yuki")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "why did I lose 6 connects on job ~01ab7c9d2e4f6a8b0c?",
            ChargeQuestion("job", "~01ab7c9d2e4f6a8b0c", 6),
        ),
        ("what is entry e-1042?", ChargeQuestion("entry", "e-1042")),
        ("Why was I charged for e-1037", ChargeQuestion("entry", "e-1037")),
        ("what's entry #tx-77 about?", ChargeQuestion("entry", "tx-77")),
        (
            "https://www.upwork.com/jobs/~01ab7c9d2e4f6a8b0c took 6 Connects from me, why",
            ChargeQuestion("job", "~01ab7c9d2e4f6a8b0c", 6),
        ),
        ("connects taken for job 01ab7c9d2e4f6a8b0c??", ChargeQuestion("job", "~01ab7c9d2e4f6a8b0c")),
        # Traps: FAQ questions and chatter with no reference are not charge questions.
        ("how many connects does a proposal cost?", None),
        ("what is an entry in my connects history?", None),
        ("why did I lose 6 connects?", None),
        ("hello there", None),
        ("I applied to ~01ab7c9d2e4f6a8b0c yesterday", None),
        ("", None),
    ],
)
def test_recognise_charge_question(text, expected):
    assert recognise_charge_question(text) == expected


def test_member_gets_the_explanation_of_their_own_agency_charge(service):
    answer = service.answer_charge_question(BEN, "why did I lose 6 connects on job ~01ab7c9d2e4f6a8b0c?")
    assert [x.entry.id for x in answer.explanations] == ["e-1042"]
    assert "collective agency balance" in answer.text.plain


def test_someone_elses_charge_reads_like_a_missing_one(service):
    theirs = service.answer_charge_question(YUKI, "what is entry e-1042?")
    missing = service.answer_charge_question(YUKI, "what is entry e-9999?")
    assert theirs.explanations == () and missing.explanations == ()
    assert theirs.text.plain == "I can't find entry e-1042 in your Connects ledger."
    assert missing.text.plain == "I can't find entry e-9999 in your Connects ledger."
    # Both look-ups are in the access log, refused: probing for references leaves a trace too.
    _this_reading, missing_record, theirs_record = service.audit(Viewer.operator("t"), limit=3)
    assert (theirs_record.viewer, theirs_record.subject, theirs_record.what, theirs_record.allowed) == (
        "discord:5", "ag-brightpath", "explain e-1042", False,
    )  # fmt: skip
    assert (missing_record.viewer, missing_record.subject, missing_record.what, missing_record.allowed) == (
        "discord:5", "unknown", "explain e-9999", False,
    )  # fmt: skip


def test_unlinked_member_is_told_to_link(service):
    answer = service.answer_charge_question(Viewer("discord:9", None), "what is entry e-1042?")
    assert answer.explanations == () and "linked" in answer.text.plain


def test_not_a_charge_question(service):
    assert service.answer_charge_question(BEN, "how much is a Connect?") is None
