"""Catching up after an outage: claims, the newest handled message per channel (on disk), what is handed on."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.core.channel.catch_up import CandidateMessage, HandledMessages, late_note, to_hand_on
from bot.core.channel.handled_store import ANYWHERE, HandledStore

BOT = 999


def test_a_message_is_claimed_once() -> None:
    handled = HandledMessages()
    assert handled.claim(10) and not handled.claim(10) and handled.claim(11)


def test_a_new_install_has_nothing_to_catch_up_then_starts_from_its_last_catch_up() -> None:
    handled = HandledMessages()
    assert handled.start_after(1, oldest=100) is None
    handled.caught_up(500)
    assert handled.start_after(1, oldest=100) == 500  # a channel with no message of its own
    handled.handled(1, 700)
    assert handled.start_after(1, oldest=100) == 700
    assert handled.start_after(2, oldest=100) == 700  # a thread opened meanwhile: after the newest anywhere
    assert handled.start_after(1, oldest=900) == 900  # never older than the age bound


def test_handled_messages_survive_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "catch-up.sqlite3"
    first = HandledMessages(HandledStore(path))
    first.handled(1, 700)
    first.handled(1, 650)  # handled out of order: the newest stays
    first.handled(2, 600)
    first.caught_up(800)
    first.close()
    again = HandledMessages(HandledStore(path))
    assert again.start_after(1, oldest=0) == 700 and again.start_after(2, oldest=0) == 600
    assert again.start_after(3, oldest=0) == 800
    store = HandledStore(path)
    assert store.load() == {1: 700, 2: 600, ANYWHERE: 800}
    store.close()


def test_handled_messages_are_saved_at_most_every_second_and_at_close(tmp_path: Path) -> None:
    path = tmp_path / "catch-up.sqlite3"
    now = [0.0]
    handled = HandledMessages(HandledStore(path), clock=lambda: now[0])

    def on_disk() -> dict[int, int]:
        store = HandledStore(path)
        try:
            return store.load()
        finally:
            store.close()

    handled.handled(1, 700)
    now[0] = 0.5
    handled.handled(1, 710)
    assert on_disk() == {}  # within the second: not written yet (a crash now loses these two)
    now[0] = 1.0
    handled.handled(2, 720)
    assert on_disk() == {1: 710, 2: 720, ANYWHERE: 720}  # one transaction for everything unsaved
    handled.handled(2, 730)
    handled.close()
    assert on_disk() == {1: 710, 2: 730, ANYWHERE: 730}


def test_a_damaged_file_costs_persistence_not_the_bot(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "catch-up.sqlite3"
    path.write_bytes(b"not a database" * 100)
    handled = HandledMessages.open(path)
    assert handled.store is None and handled.claim(1)
    handled.handled(1, 5)
    assert handled.start_after(1, oldest=0) == 5
    (line,) = [r.getMessage() for r in caplog.records]
    assert str(path) in line and "\n" not in line


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "catch-up.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 7")
    conn.close()
    with pytest.raises(sqlite3.DatabaseError, match="schema version 7"):
        HandledStore(path)


def test_what_is_handed_on_skips_the_bot_and_what_it_replied_to_oldest_first() -> None:
    read = [
        CandidateMessage(30, BOT, True, replied_to_message_id=20),  # the bot's reply to 20
        CandidateMessage(40, 2, False),
        CandidateMessage(20, 1, False),
        CandidateMessage(35, 3, True),  # another bot: the desk's policy ignores it, as live
        CandidateMessage(50, 2, False, replied_to_message_id=40),
    ]
    assert [m.message_id for m in to_hand_on(read, bot_user_id=BOT)] == [35, 40, 50]


@pytest.mark.parametrize(
    ("waited", "note"),
    [
        (30.0, None),
        (119.0, None),
        (120.0, "Sorry for the wait: I was offline when you asked (2 minutes ago)."),
        (14 * 60 + 10, "Sorry for the wait: I was offline when you asked (14 minutes ago)."),
    ],
)
def test_a_late_reply_says_why_only_past_the_threshold(waited: float, note: str | None) -> None:
    assert late_note(waited, threshold_seconds=120) == note


def test_a_late_note_under_two_minutes_gives_no_count() -> None:
    assert late_note(61, threshold_seconds=0) == "Sorry for the wait: I was offline when you asked."
