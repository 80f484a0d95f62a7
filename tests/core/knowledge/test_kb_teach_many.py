"""teach_many on real files: a group's phrasings in one validated write and one version, or nothing at all."""

from __future__ import annotations

from pathlib import Path

import pytest
from kb_sample import snapshot

from bot.core.errors import EntryNotFound, KnowledgeError
from bot.core.knowledge.loader import load_knowledge

GROUP = [
    "  my visa keeps getting   declined for connects ",
    "the card gets rejected at checkout for connects",
    "bank rejects the connects payment",
]


def entry_text(knowledge: Path, entry_id: str) -> str:
    return (knowledge / "entries" / f"{entry_id}.yaml").read_text(encoding="utf-8")


def test_a_group_is_one_write_one_version_and_answers_at_once(store, knowledge_dir, engine):
    assert [engine.decide(p).action for p in GROUP] == ["silent"] * 3
    before = store.history_of("buying-connects")[0].version

    change = store.teach_many("buying-connects", GROUP, actor="discord:1 (mod)")

    text = entry_text(knowledge_dir, "buying-connects")
    trimmed = ("my visa keeps getting declined for connects", GROUP[1], GROUP[2])
    for phrasing in trimmed:
        assert f"  - {phrasing}\n" in text
    assert load_knowledge(knowledge_dir).entry("buying-connects").alternates[-3:] == trimmed
    assert (change.action, change.version, change.summary) == ("teach", before + 1, "+3 phrasings")
    versions = store.history_of("buying-connects")
    assert [(v.version, v.action, v.actor) for v in versions[:2]] == [
        (before + 1, "teach", "discord:1 (mod)"),
        (before, "original", "disk"),
    ]
    for phrasing in GROUP:
        decision = engine.decide(phrasing)
        assert (decision.action, decision.entry_id) == ("answer", "buying-connects")


def test_repeats_and_phrasings_the_entry_has_are_skipped(store, knowledge_dir):
    change = store.teach_many(
        "buying-connects",
        ["Where can I purchase Connects?", "connects purchase fails", "CONNECTS PURCHASE FAILS!"],
        actor="mod",
    )
    assert change.summary == "+phrasing “connects purchase fails”"
    assert entry_text(knowledge_dir, "buying-connects").count("purchase fails") == 1
    again = store.teach_many("buying-connects", ["connects purchase fails"], actor="mod")
    assert not again.changed and again.version == change.version


def test_a_phrasing_of_another_entry_refuses_the_whole_group(store, knowledge_dir, engine):
    before = snapshot(knowledge_dir)
    versions = store.history_of("buying-connects")
    taken = "  Connects refund when client CANCELS the job? "  # an alternate of refunds-returned-connects

    with pytest.raises(KnowledgeError) as caught:
        store.teach_many("buying-connects", [GROUP[0], taken, GROUP[1]], actor="mod")

    (issue,) = caught.value.issues
    assert (issue.file, issue.entry, issue.field) == (
        "knowledge/entries/buying-connects.yaml",
        "buying-connects",
        "alternates[7]",
    )
    assert issue.problem == (
        "phrasing 'Connects refund when client CANCELS the job?' is also alternates[0] of entry "
        "'refunds-returned-connects'"
    )
    assert snapshot(knowledge_dir) == before  # nothing written, not even the good phrasings
    assert store.history_of("buying-connects") == versions  # no version recorded
    assert GROUP[1] not in engine.kb.entry("buying-connects").alternates


@pytest.mark.parametrize("phrasings", [[], ["fine phrasing about connects", "  \n "], ["x" * 401]])
def test_empty_or_too_long_phrasings_are_refused(store, knowledge_dir, phrasings):
    before = snapshot(knowledge_dir)
    with pytest.raises(KnowledgeError) as caught:
        store.teach_many("buying-connects", phrasings, actor="mod")
    assert caught.value.issues[0].entry == "buying-connects"
    assert caught.value.issues[0].field.startswith("alternates")
    assert snapshot(knowledge_dir) == before


def test_an_unknown_entry_is_refused(store, knowledge_dir):
    before = snapshot(knowledge_dir)
    with pytest.raises(EntryNotFound):
        store.teach_many("no-such-entry", GROUP, actor="mod")
    assert snapshot(knowledge_dir) == before
