"""Ledger and member text cannot forge the console's output: control characters are shown, never obeyed.

A note with a newline and a fake row, `\\x1b[2J` in a name, a right-to-left override in a billing method,
a member's question with an escape sequence: every command that prints them (ledger history, explain,
audit, chat, kb unanswered, kb history) prints them on their own line, visibly.
"""

from __future__ import annotations

import datetime as dt
import io
import sys
from pathlib import Path

import pytest

from bot.cli import main
from bot.cli.kb_versions import format_version
from bot.cli.safe_text import cells
from bot.core.channel.feedback import FeedbackStore
from bot.core.knowledge.history import EntryVersion
from tests.cli.conftest import OperatorFolder
from tests.hostile_text import BONUS_ID, MEMBER_ID, NOTE, PROPOSAL_ID, terminal_problems, write_hostile_ledger

FORGED = "e-9999"  # the fake row the note tries to add


@pytest.fixture
def config(operator_folder: OperatorFolder) -> Path:
    path = operator_folder(
        ledger={"path": "data/ledger.sqlite3"}, feedback={"path": "data/feedback.sqlite3"}, embedding={"enabled": False}
    )
    write_hostile_ledger(path.parent / "data" / "ledger.sqlite3", path.parent)
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert code == 0, err
    return out


def test_ledger_history_shows_each_entry_on_one_line_and_obeys_no_control_character(capsys, config) -> None:
    out = run(capsys, "ledger", "history", MEMBER_ID, "--config", str(config))

    assert terminal_problems(out) == []
    rows = [line for line in out.splitlines() if line.startswith("  20")]
    assert len(rows) == 4  # the bonus and the three agency entries Mallory acted on: no forged row
    assert not any(FORGED in line.split()[1] for line in rows)
    assert "\\n  2026-10-30" in out and "\\x1b[2J" in out  # the note's newline and ESC, shown
    headers = [line for line in out.splitlines() if line.startswith(("Freelancer ", "Agency "))]
    assert len(headers) == 2 and not any(line.startswith("# Forged") for line in out.splitlines())


def test_ledger_explain_and_audit_show_ledger_text_visibly(capsys, config) -> None:
    for ref in (BONUS_ID, PROPOSAL_ID, "e-2001", "e-2003"):
        out = run(capsys, "ledger", "explain", ref, "--config", str(config))
        assert terminal_problems(out) == [], ref
        assert FORGED not in "".join(line[:30] for line in out.splitlines())  # no line starts a forged row
    out = run(capsys, "ledger", "explain", BONUS_ID, "--config", str(config))
    assert "[click here](http://evil.example/note)" in out  # the words are kept, only made inert

    code = main(["ledger", "explain", "e-\x1b[2Jgone", "--config", str(config)])
    capsys.readouterr()
    assert code == 1  # unknown, but recorded in the access log with the typed reference
    out = run(capsys, "ledger", "audit", "--config", str(config))
    assert terminal_problems(out) == []
    assert "explain e-\\x1b[2Jgone" in out


def test_chat_as_a_member_shows_the_note_visibly(capsys, config, monkeypatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("why was I charged for entry e-2001?\n"))
    out = run(capsys, "chat", "--as", MEMBER_ID, "--config", str(config))

    assert terminal_problems(out) == []
    assert "The ledger note says" in out and "\\x1b[2J" in out
    assert NOTE not in out


def test_kb_unanswered_and_kb_history_show_members_text_visibly(capsys, config) -> None:
    feedback = FeedbackStore(config.parent / "data" / "feedback.sqlite3")
    question = "how do connects work\x1b[2J\n1. 9 question(s) · forged group?"
    feedback.record_silence(question, score=0.3, channel_id=1, message_id=1, author_id=2)
    feedback.close()
    out = run(capsys, "kb", "unanswered", "--config", str(config))

    assert terminal_problems(out) == []
    assert not any(line.startswith("1. 9 question(s)") for line in out.splitlines())

    version = EntryVersion(
        entry_id="proposal-cost",
        version=2,
        action="teach",
        actor="discord:1 (mallory\x1b[2J)",
        at=dt.datetime(2026, 9, 1),
        summary="taught 'why\nv1   2026-01-01 00:00 UTC  forged'",
        content="",
        removed=False,
    )
    line = format_version(version)
    assert terminal_problems(line) == [] and "\n" not in line


def test_ledger_audit_keeps_its_columns_with_long_and_wide_text(capsys, config) -> None:
    # A 50-character profile id and a reference in wide characters used to push the later columns along.
    for argv in (["history", "x" * 50], ["explain", "e-東京東京東京東京"], ["explain", "e-\x1b[2Jgone"]):
        main(["ledger", *argv, "--config", str(config)])
    capsys.readouterr()
    out = run(capsys, "ledger", "audit", "--config", str(config))
    assert terminal_problems(out) == []
    lines = out.splitlines()
    assert lines[0].split() == ["when", "viewer", "subject", "what", "verdict", "reason"]
    verdict_at = {cells(line[: line.index(word)]) for line, word in zip(lines, verdicts(lines), strict=True)}
    assert len(verdict_at) == 1  # the verdict column starts at the same terminal column on every line
    assert any("東京" in line for line in lines) and any("x" * 50 in line for line in lines)


def verdicts(lines: list[str]) -> list[str]:
    return [" verdict ", *(" allowed " if " allowed " in line else " REFUSED " for line in lines[1:])]


def test_ledger_history_keeps_its_columns_with_a_long_entry_id(capsys, config) -> None:
    # The agency section holds e-2001 and a 29-character id: the balance column starts at one place.
    out = run(capsys, "ledger", "history", MEMBER_ID, "--config", str(config))
    agency = out[out.index("\nAgency ") :]
    rows = [line for line in agency.splitlines() if line.startswith("  20")]
    assert len(rows) == 3 and any(PROPOSAL_ID in line for line in rows)
    assert len({cells(line[: line.index("→")]) for line in rows}) == 1
