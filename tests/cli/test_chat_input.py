"""What a member may type into `chat`, above all right after a "Did you mean…" list: never a traceback.

The console picks a suggestion by its number. Only ASCII 1..N is a pick; anything else ("²" and "٣" are
digits to str.isdigit, a number of 5,000 digits is past int()'s limit, "0", "-1", a number past the list)
is an ordinary line: a new question, or nothing at all for an empty one.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest

from bot.cli.chat import ChatSession, console_desk
from bot.cli.common import engine_from
from bot.config import Settings, load_settings
from bot.core.channel.desk import Reply
from bot.core.matching.answers import AnswerEngine
from tests.shared_cache import REPO

# Vague enough to be no knowledge-base phrasing word for word; the settings below make it a suggestion.
VAGUE = "why do I have fewer connects"


@pytest.fixture(scope="module")
def suggesting() -> tuple[Settings, AnswerEngine]:
    """The shipped knowledge base with confidence bounds that make every real question a suggestion."""
    settings = load_settings(REPO / "config.yaml")
    always_suggest = dataclasses.replace(settings.embedding, answer_confidence=1.0, suggest_confidence=0.0)
    settings = dataclasses.replace(settings, embedding=always_suggest)
    return settings, engine_from(settings)


@pytest.fixture
def session(suggesting: tuple[Settings, AnswerEngine]) -> Iterator[ChatSession]:
    settings, engine = suggesting
    chat = ChatSession(console_desk(settings, engine, explains_charges=False))
    yield chat
    chat.close()


def suggested(session: ChatSession) -> tuple[str, ...]:
    """Ask the vague question; return the entry ids of the numbered suggestions."""
    reply = session.respond(VAGUE)
    assert session.last is not None and session.last.reply is Reply.SUGGEST, reply
    assert session.last.decision is not None and len(session.last.decision.candidates) >= 2
    return tuple(c.entry_id for c in session.last.decision.candidates)


NOT_A_PICK = {
    "superscript two": "²",  # isdigit() is true, int() refuses it
    "arabic-indic three": "٣",  # int() reads 3, yet it is not one of the numbers shown
    "fullwidth three": "３",
    "zero": "0",
    "minus one": "-1",
    "plus one": "+1",
    "decimal": "1.0",
    "past the list": "99",
    "5,000 nines": "9" * 5000,  # past int()'s 4,300-digit limit
    "100k ones": "1" * 100_000,
    "100k letters": "x" * 100_000,
    "100k zeros": "0" * 100_000,
    "clear screen then 1": "\x1b[2J1",
    "1 then NUL": "1\x00",
    "NUL": "\x00",
    "right-to-left override then 1": "\u202e1",
    "bell backspace delete": "\x07\x08\x7f",
}


@pytest.mark.parametrize("typed", NOT_A_PICK.values(), ids=NOT_A_PICK.keys())
def test_a_line_that_is_not_a_listed_number_is_a_new_message(session: ChatSession, typed: str) -> None:
    offered = suggested(session)
    listed = session.last
    reply = session.respond(typed)
    assert reply is not None
    assert session.last is not None and session.last is not listed, "the line went to the desk as a new message"
    assert not any(f"— {entry} · reviewed" in reply for entry in offered), reply


@pytest.mark.parametrize("typed", [*NOT_A_PICK.values(), "1", "/why"], ids=[*NOT_A_PICK.keys(), "1", "/why"])
def test_the_same_lines_with_no_list_shown_are_ordinary_messages(session: ChatSession, typed: str) -> None:
    reply = session.respond(typed)
    assert reply is not None and "Traceback" not in reply


@pytest.mark.parametrize("typed", ["", "   ", "\t"], ids=["empty", "spaces", "tab"])
def test_an_empty_line_after_a_suggestion_prints_nothing_and_keeps_the_list(session: ChatSession, typed: str) -> None:
    offered = suggested(session)
    assert session.respond(typed) == ""
    assert f"— {offered[1]} · reviewed" in (session.respond("2") or "")


@pytest.mark.parametrize(
    "typed", ["1", " 2 ", "02", "0" * 100_000 + "3"], ids=["1", "spaced 2", "02", "100k zeros then 3"]
)
def test_an_ascii_number_from_the_list_answers_with_that_entry(session: ChatSession, typed: str) -> None:
    offered = suggested(session)
    reply = session.respond(typed) or ""
    assert f"— {offered[int(typed.strip()[-1]) - 1]} · reviewed" in reply
    assert session.last is None, "a pick is not a new question: the list is used up"
