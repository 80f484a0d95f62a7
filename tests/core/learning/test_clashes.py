"""The clash guard on the real knowledge base, real examples files and a real learning database."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from bot.core.knowledge.loader import load_knowledge
from bot.core.learning import candidates as cs
from bot.core.learning.candidates import CandidateStore
from bot.core.learning.clashes import (
    CLASH,
    DUPLICATE,
    EXAMPLE,
    LEARNED,
    NEAR_MISS,
    PHRASING,
    WAITING,
    CandidateClashes,
    Clashes,
    LabelledTexts,
)
from bot.core.matching.answers import learned_key
from bot.core.matching.examples import load_examples, read_examples

ROOT = Path(__file__).resolve().parents[3]
KB = load_knowledge(ROOT / "knowledge")
ALICE, BOB = 101, 202
# A real member question (tests/data/holdout.yaml): in no entry and no examples file.
NEW = "is 15c a connect still the rate? feels like it went up"


PHRASINGS = {learned_key(p) for e in KB.entries.values() for p in (*e.phrasings, *e.not_this)}


def first_example(folder: Path, name: str, *, topic: bool) -> tuple[str, str | None]:
    """The first item of an examples file that is not also a phrasing or near miss of an entry."""
    (found, *_) = [
        e
        for e in read_examples(folder / name)
        if (e.entry_id is not None) == topic and not e.lenient and learned_key(e.text) not in PHRASINGS
    ]
    return found.text, found.entry_id


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    target = tmp_path / "examples"
    shutil.copytree(ROOT / "knowledge" / "examples", target)
    learned = {"questions": [{"topic": "taxes-vat", "text": "Is there VAT on the connects I buy from Ireland?"}]}
    (target / "learned.yaml").write_text(yaml.safe_dump(learned), encoding="utf-8")
    return target


@pytest.fixture
def texts(folder: Path) -> LabelledTexts:
    return LabelledTexts.of(KB, load_examples(folder), learned_file="learned.yaml")


def test_a_phrasing_asked_as_another_entry_clashes_naming_the_entry_and_its_file(texts: LabelledTexts) -> None:
    entry = KB.entries["buying-connects"]
    shouted = "  " + entry.alternates[0].upper().rstrip("?") + " ?!"  # case, spacing, punctuation don't count
    found = texts.check(shouted, "proposal-cost")
    assert found is not None and (found.kind, found.known.source) == (CLASH, PHRASING)
    assert (found.known.label, found.known.where) == ("buying-connects", "entries/buying-connects.yaml")
    assert found.text().startswith("not accepted as proposal-cost: the same question is already a phrasing of entry")
    assert "Move it to buying-connects or reject it" in found.text()
    assert texts.check(shouted, "off-topic").kind == CLASH  # silence is another label too


def test_the_same_label_is_a_duplicate_and_a_new_question_is_neither(texts: LabelledTexts) -> None:
    entry = KB.entries["buying-connects"]
    found = texts.check(entry.question, "buying-connects")
    assert found is not None and found.kind == DUPLICATE
    assert found.text().startswith("already known: the same question is a phrasing of entry buying-connects")
    assert texts.check(NEW, "connects-price") is None
    assert texts.check("", "connects-price") is None and texts.check("?!", "connects-price") is None


def test_a_near_miss_must_get_silence(texts: LabelledTexts) -> None:
    near = KB.entries["agency-buying-billing"].not_this[0]
    clash = texts.check(near, "agency-buying-billing")
    assert clash is not None and (clash.kind, clash.known.source, clash.known.label) == (CLASH, NEAR_MISS, "off-topic")
    assert "near miss of entry agency-buying-billing (not_this in entries/agency-buying-billing.yaml)" in clash.text()
    assert "Move it to off-topic" in clash.text()
    assert texts.check(near, "off-topic").kind == DUPLICATE


def test_labelled_examples_off_topic_ones_and_learned_ones_are_named_by_file(folder: Path, texts) -> None:
    question, entry_id = first_example(folder, "member-questions.yaml", topic=True)
    clash = texts.check(question, "taxes-vat" if entry_id != "taxes-vat" else "proposal-cost")
    assert clash is not None and (clash.kind, clash.known.source) == (CLASH, EXAMPLE)
    assert f"labelled {entry_id} in examples/member-questions.yaml" in clash.text()

    chatter, _ = first_example(folder, "off-topic.yaml", topic=False)
    clash = texts.check(chatter, "what-are-connects")
    assert clash is not None and "labelled off-topic in examples/off-topic.yaml" in clash.text()
    assert texts.check(chatter, "off-topic").kind == DUPLICATE

    learned = texts.check("is there vat on the connects i buy from ireland", "buying-connects")
    assert learned is not None and (learned.kind, learned.known.source) == (CLASH, LEARNED)
    assert "learned as taxes-vat in examples/learned.yaml" in learned.text()


def test_lenient_examples_and_examples_of_removed_entries_label_nothing(folder: Path) -> None:
    (folder / "extra.yaml").write_text(
        yaml.safe_dump(
            {
                "questions": [{"topic": "no-such-entry", "text": NEW}],
                "off_topic": [{"text": "connects are a scam honestly", "why": "lenient"}],
            }
        ),
        encoding="utf-8",
    )
    texts = LabelledTexts.of(KB, load_examples(folder), learned_file="learned.yaml")
    assert texts.check(NEW, "connects-price") is None
    assert texts.check("connects are a scam honestly", "what-are-connects") is None


def test_a_candidate_waiting_for_the_guard_clashes_but_is_no_duplicate(tmp_path: Path, texts) -> None:
    store = CandidateStore(tmp_path / "learning.sqlite3")
    try:
        waiting = store.record(NEW, "connects-price", signal=cs.PICK, who=ALICE, by_asker=True)
        waiting = store.decide(waiting.id, cs.ACCEPTED, by="cli:mod", result="connects-price")
        texts.wait(waiting)
        clash = texts.check(NEW.upper(), "buying-connects")
        assert clash is not None and (clash.known.source, clash.known.where) == (WAITING, f"candidate #{waiting.id}")
        assert "accepted as connects-price and waiting for the guard" in clash.text()
        assert texts.check(NEW, "connects-price") is None  # the guard may still hold the other one back
    finally:
        store.close()


def test_settling_marks_a_clash_pending_tells_once_and_serves_a_duplicate_silently(tmp_path: Path, texts) -> None:
    store = CandidateStore(tmp_path / "learning.sqlite3")
    told: list[str] = []
    clashes = Clashes(store, told.append)
    question = KB.entries["buying-connects"].question
    try:
        c = store.record(question, "proposal-cost", signal=cs.PICK, who=ALICE, by_asker=True)
        finding = texts.check(question, "proposal-cost")
        assert finding is not None
        held = clashes.settle(c, finding, by="cli:mod")
        assert (held.status, held.note, held.decided_by) == (cs.PENDING, finding.text(), None)
        assert held.to_json()["clash"] == {
            "kind": "clash",
            "asked": "proposal-cost",
            "label": "buying-connects",
            "source": "phrasing",
            "where": "entries/buying-connects.yaml",
            "of": "buying-connects",
        }
        assert held.to_json()["duplicate_of"] is None
        assert len(told) == 1 and told[0].startswith(f"Learning: candidate #{c.id} “{question}” is held (cli:mod):")
        clashes.settle(held, finding, by="cli:mod")
        assert len(told) == 1  # the same clash again: the moderators were told already

        same = store.record(question, "buying-connects", signal=cs.PICK, who=BOB, by_asker=True)
        duplicate = texts.check(question, "buying-connects")
        served = clashes.settle(same, duplicate, by="cli:mod")
        assert (served.status, served.result, served.decided_by) == (cs.SERVED, "buying-connects", "cli:mod")
        assert served.to_json()["duplicate_of"]["where"] == "entries/buying-connects.yaml"
        assert served.to_json()["clash"] is None and len(told) == 1
    finally:
        store.close()


def test_sort_out_keeps_the_clean_and_the_first_of_two_accepted_candidates_that_disagree(tmp_path: Path, texts):
    store = CandidateStore(tmp_path / "learning.sqlite3")
    told: list[str] = []
    question = KB.entries["buying-connects"].question
    try:
        ids = [
            store.record(NEW, "connects-price", signal=cs.PICK, who=ALICE, by_asker=True).id,
            store.record(NEW + "!", "buying-connects", signal=cs.PICK, who=BOB, by_asker=True).id,
            store.record(question, "buying-connects", signal=cs.PICK, who=BOB, by_asker=True).id,
        ]
        accepted = [store.decide(i, cs.ACCEPTED, by="cli:mod") for i in ids]
        clean = Clashes(store, told.append).sort_out(accepted, texts)
        assert [c.id for c in clean] == [ids[0]]
        assert store.get(ids[1]).status == cs.PENDING and f"candidate #{ids[0]}" in store.get(ids[1]).note
        assert store.get(ids[2]).status == cs.SERVED
        assert len(told) == 1 and f"#{ids[1]}" in told[0]
    finally:
        store.close()


def test_the_error_names_the_candidate_and_the_clash(texts: LabelledTexts) -> None:
    finding = texts.check(KB.entries["buying-connects"].question, "proposal-cost")
    error = CandidateClashes(7, finding)
    assert str(error).startswith("candidate #7 not accepted as proposal-cost: the same question is already a phrasing")
