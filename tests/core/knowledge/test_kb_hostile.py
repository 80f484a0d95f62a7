"""Hostile or broken knowledge files: refused with file and line, bounded, and the live bot keeps its last good base.

The alias bombs here are small (531,441 items once expanded) so that a regression fails on its message
rather than taking the test run's memory; tests/cli/test_hostile_files.py runs the full-size ones.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import bot.core.knowledge.loader as knowledge_module
from bot.core.errors import KnowledgeError
from bot.core.knowledge.loader import MAX_ENTRY_FILE_BYTES, load_knowledge
from bot.core.knowledge.model import MAX_ALTERNATES, MAX_LIST_ITEMS
from bot.core.knowledge.watch import KnowledgeWatcher
from tests.hostile import alias_bomb, entry_with, merge_bomb

SMALL_BOMB = alias_bomb(depth=6)


def problems(knowledge: Path) -> list[str]:
    with pytest.raises(KnowledgeError) as info:
        load_knowledge(knowledge)
    return [str(issue) for issue in info.value.issues]


@pytest.mark.parametrize(("bomb", "column"), [(SMALL_BOMB, 12), (merge_bomb(depth=6), 16)], ids=["aliases", "merge"])
def test_an_alias_bomb_in_an_entry_is_one_problem_naming_file_and_line(knowledge_dir, bomb, column):
    entry_with(knowledge_dir, "proposal-cost", "reviewed", bomb)
    found = problems(knowledge_dir)
    assert len(found) == 1
    where = f"line 19, column {column}"
    assert found[0].startswith(f"knowledge/entries/proposal-cost.yaml: YAML anchor or alias at {where}: not allowed")
    assert len(found[0]) < 200  # nothing expanded into the message


def test_an_alias_in_the_rules_file_is_refused(knowledge_dir):
    rules = knowledge_dir / "rules.yaml"
    rules.write_text("rules:\n  - &r {id: a, text: b, entries: []}\n  - *r\n", encoding="utf-8")
    assert problems(knowledge_dir) == [
        "knowledge/rules.yaml: YAML anchor or alias at line 2, column 5: not allowed in this file; write the value out"
    ]


def test_an_oversized_entry_file_is_refused_by_its_size_before_it_is_parsed(knowledge_dir):
    path = knowledge_dir / "entries" / "proposal-cost.yaml"
    path.write_text(path.read_text() + "#" * MAX_ENTRY_FILE_BYTES + "\n[broken", encoding="utf-8")
    assert problems(knowledge_dir) == ["knowledge/entries/proposal-cost.yaml: is 64.6 KB; the limit is 64 KB"]


def test_a_file_that_is_not_utf8_is_named_with_its_line(knowledge_dir):
    path = knowledge_dir / "entries" / "proposal-cost.yaml"
    path.write_bytes(path.read_bytes().replace(b"Some jobs need none.", "Some jobs need n\u00f6ne.".encode("cp1252")))
    assert problems(knowledge_dir) == ["knowledge/entries/proposal-cost.yaml: is not UTF-8 text (byte 0xf6 on line 15)"]


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("2026-13-45", "bad value at line 19, column 11: month must be in 1..12"),
        ("9" * 5000, "bad value at line 19, column 11: Exceeds the limit (4300 digits) for integer string"),
    ],
)
def test_a_value_yaml_cannot_build_is_a_problem_not_a_crash(knowledge_dir, value, problem):
    entry_with(knowledge_dir, "proposal-cost", "reviewed", value)
    [found] = problems(knowledge_dir)
    assert found.startswith(f"knowledge/entries/proposal-cost.yaml: {problem}")


def test_lists_and_their_items_have_limits(knowledge_dir):
    many = [f"- connects question number {i}" for i in range(MAX_ALTERNATES + 1)]
    entry_with(knowledge_dir, "proposal-cost", "alternates", "\n  " + "\n  ".join(many))
    entry_with(knowledge_dir, "buying-connects", "sources", "[https://example.org/" + "x" * 600 + "]")
    entry_with(knowledge_dir, "refunds-returned-connects", "related", str(["proposal-cost"] * (MAX_LIST_ITEMS + 1)))
    assert problems(knowledge_dir) == [
        "knowledge/entries/buying-connects.yaml: entry buying-connects: field sources[0]: is 620 characters; "
        "the limit is 500",
        f"knowledge/entries/proposal-cost.yaml: entry proposal-cost: field alternates: has {MAX_ALTERNATES + 1} "
        f"items; the limit is {MAX_ALTERNATES}",
        "knowledge/entries/refunds-returned-connects.yaml: entry refunds-returned-connects: field related: "
        f"has {MAX_LIST_ITEMS + 1} items; the limit is {MAX_LIST_ITEMS}",
    ]


def test_too_many_entry_files_is_one_problem_and_no_file_is_read(knowledge_dir, monkeypatch):
    monkeypatch.setattr(knowledge_module, "MAX_ENTRY_FILES", 2)
    entry_with(knowledge_dir, "proposal-cost", "reviewed", SMALL_BOMB)  # would be a problem if it were read
    assert problems(knowledge_dir) == ["knowledge/entries: holds more than 2 entry files"]


def test_too_many_bytes_of_entries_is_one_problem(knowledge_dir, monkeypatch):
    monkeypatch.setattr(knowledge_module, "MAX_KNOWLEDGE_BYTES", 1 << 20)
    for i in range(20):
        (knowledge_dir / "entries" / f"pad-{i}.yaml").write_text("#" * 60_000 + "\n", encoding="utf-8")
    assert problems(knowledge_dir) == ["knowledge/entries: holds 1 MB of entry files; the limit is 1 MB"]


async def test_the_watcher_refuses_a_bomb_and_the_bot_keeps_answering(store, knowledge_dir, engine):
    question = "how many connects to apply for a job"
    assert engine.decide(question).entry_id == "proposal-cost"
    entry_with(knowledge_dir, "proposal-cost", "reviewed", SMALL_BOMB)
    outcome = await KnowledgeWatcher(store, interval=0).check()
    assert outcome is not None and outcome.kb is None
    assert "proposal-cost.yaml: YAML anchor or alias at line 19" in str(outcome.error)
    assert store.kb.entry("proposal-cost").reviewed.year == 2026  # the last good base stays in service
    assert engine.decide(question).entry_id == "proposal-cost"


def test_opening_an_entry_whose_file_is_not_utf8_is_a_knowledge_error(store, knowledge_dir):
    (knowledge_dir / "entries" / "proposal-cost.yaml").write_bytes(b"id: proposal-cost\nquestion: caf\xe9\n")
    with pytest.raises(KnowledgeError, match=r"entries/proposal-cost.yaml: entry proposal-cost: is not UTF-8"):
        store.open("proposal-cost")
