"""Rendering entry files, the history's schema, the watcher, and describing changes."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import yaml
from kb_sample import PROPOSAL_COST

from bot.core.knowledge import files as kb_files
from bot.core.knowledge.diff import describe_text_change
from bot.core.knowledge.history import SCHEMA_VERSION, KnowledgeHistory
from bot.core.knowledge.loader import parse_entry
from bot.core.knowledge.watch import KnowledgeWatcher

REAL_ENTRIES = sorted((Path(__file__).resolve().parents[3] / "knowledge" / "entries").glob("*.yaml"))


def rerender(text: str) -> str:
    raw = yaml.safe_load(text)
    return kb_files.render_entry(raw, key_order=kb_files.key_order(raw), header=kb_files.comment_header(text))


def test_rendering_a_hand_written_file_reproduces_it_byte_for_byte():
    assert rerender(PROPOSAL_COST) == PROPOSAL_COST


def test_every_bundled_entry_file_survives_a_rewrite_unchanged():
    # A moderator's edit then changes only the lines it must: git diffs stay small and reviewable.
    assert REAL_ENTRIES, "knowledge/entries/ is empty"
    changed = [p.name for p in REAL_ENTRIES if rerender(p.read_text(encoding="utf-8")) != p.read_text(encoding="utf-8")]
    assert changed == []


@pytest.mark.parametrize(
    "answer",
    [
        "plain",
        "line one\n\n- a list: with colon\n- # not a comment\n  indented",
        "quotes ' and \" and: colons, {braces} [brackets] & *stars* @at `tick` %pct",
        "ünïcödé — “curly” 😀",
        "  leading spaces kept inside\nyes",
        "tab\there",
    ],
)
def test_rendered_entry_parses_back_to_the_same_entry(answer):
    doc = yaml.safe_load(PROPOSAL_COST)
    doc["answer"] = kb_files.clean_text(answer)
    doc["question"] = "What: is 'this' — a #question?"
    doc["alternates"] = [*doc["alternates"], "yes: no", "- dash start", "null", "2026-01-01", "@here ping"]
    text = kb_files.render_entry(doc, key_order=list(doc))
    issues: list = []
    entry = parse_entry(yaml.safe_load(text), "x", issues)
    assert issues == [] and entry is not None
    assert entry.answer == doc["answer"] and entry.question == doc["question"]
    assert entry.alternates == tuple(doc["alternates"])


def test_comment_header_keeps_leading_comments_only():
    assert kb_files.comment_header("# a\n#b\n\nid: x\n# inner\n") == "# a\n#b\n\n"
    assert kb_files.comment_header("id: x\n") == ""
    assert kb_files.comment_header("\n\nid: x\n") == ""


def test_clean_fields_splits_lines_and_trims():
    doc = kb_files.clean_fields(
        {
            "id": " a-b ",
            "alternates": " one \n\n two  words \r\n",
            "answer": " x  \r\n y \t",
            "question": " q\nq ",
        }
    )
    assert doc == {"id": "a-b", "alternates": ["one", "two words"], "answer": "x\n y", "question": "q q"}


def test_history_schema_is_versioned_and_uses_wal(tmp_path):
    path = tmp_path / "h.sqlite3"
    KnowledgeHistory(path)
    KnowledgeHistory(path)  # opening again migrates nothing and fails nothing
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_history_numbers_versions_per_entry(tmp_path):
    history = KnowledgeHistory(tmp_path / "h.sqlite3")
    assert history.record("a", action="add", actor="m", summary="s", content="1").version == 1
    assert history.record("a", action="edit", actor="m", summary="s", content="2").version == 2
    assert history.record("b", action="add", actor="m", summary="s", content="x").version == 1
    assert history.record("a", action="remove", actor="m", summary="s", content="2", removed=True).version == 3
    assert [v.version for v in history.versions("a")] == [3, 2, 1]
    assert [v.entry_id for v in history.removed()] == ["a"]
    with pytest.raises(ValueError):
        history.record("a", action="delete-everything", actor="m", summary="s", content="")


def test_describe_change_says_what_moved():
    new = PROPOSAL_COST.replace("Some jobs need none.", "Some jobs need none at all.").replace(
        "  - how much connects per application\n", "  - connects per application\n  - connects per bid\n"
    )
    summary = describe_text_change(PROPOSAL_COST, new)
    old_len, new_len = (len(yaml.safe_load(text)["answer"]) for text in (PROPOSAL_COST, new))
    assert new_len == old_len + len(" at all")
    assert summary == (
        f"+2 phrasings; −phrasing “how much connects per application”; answer rewritten ({old_len} → {new_len} chars)"
    )
    assert describe_text_change(PROPOSAL_COST, "# only a comment\n" + PROPOSAL_COST) == "comments or layout only"


async def test_watcher_reloads_a_changed_file_and_tells_listeners(store, knowledge_dir, engine):
    seen = []

    async def listener(outcome):
        seen.append(outcome)

    watcher = KnowledgeWatcher(store, interval=3600, listeners=(listener,))
    assert await watcher.check() is None
    path = knowledge_dir / "entries" / "proposal-cost.yaml"
    path.write_text(PROPOSAL_COST.replace("Some jobs need none.", "Some jobs are free."))
    outcome = await watcher.check()
    assert outcome is not None and outcome.changed == ("proposal-cost",)
    assert seen == [outcome]
    assert engine.kb.entry("proposal-cost").answer.endswith("Some jobs are free.")
    watcher.start()
    await watcher.stop()
