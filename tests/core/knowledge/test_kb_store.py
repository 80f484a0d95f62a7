"""The knowledge store on real files: add, edit, teach, remove, restore, history, revert, reload."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml
from kb_sample import BUYING, EXPIRY, PROPOSAL_COST, REFUNDS, snapshot

from bot.core.errors import DuplicateEntry, EditConflict, EntryNotFound, KnowledgeError, VersionNotFound
from bot.core.knowledge.history import KnowledgeHistory
from bot.core.knowledge.loader import load_knowledge
from bot.core.knowledge.store import KnowledgeStore
from bot.core.matching.answers import AnswerEngine

EXPIRY_QUESTION = "do my connects expire after a year?"


def entry_file(knowledge: Path, entry_id: str) -> Path:
    return knowledge / "entries" / f"{entry_id}.yaml"


# --- add --------------------------------------------------------------------------------------------------


def test_add_writes_a_tidy_file_and_answers_at_once(store, knowledge_dir, engine):
    assert engine.decide(EXPIRY_QUESTION).entry_id != "expiry-rollover"
    before = snapshot(knowledge_dir)

    change = store.add(EXPIRY, actor="discord:1 (mod)")

    text = entry_file(knowledge_dir, "expiry-rollover").read_text()
    assert text.startswith("id: expiry-rollover\nquestion: Do my Connects expire?\nalternates:\n  - when do")
    assert "answer: |\n  Connects expire one year after they are issued.\n  The oldest ones" in text
    assert "  - connects expiry date\n" in text  # the phrasing was trimmed
    assert "issued.   " not in text  # trailing spaces and \r\n tidied
    assert load_knowledge(knowledge_dir).entry("expiry-rollover").alternates[1] == "connects expiry date"
    assert snapshot(knowledge_dir) == {
        **before,
        "entries/expiry-rollover.yaml": snapshot(knowledge_dir)["entries/expiry-rollover.yaml"],
    }
    assert (change.action, change.version, change.actor) == ("add", 1, "discord:1 (mod)")
    assert change.entry.reviewed == dt.datetime.now(dt.UTC).date()
    assert store.kb.entry("expiry-rollover") == change.entry
    decision = engine.decide(EXPIRY_QUESTION)
    assert (decision.action, decision.entry_id) == ("answer", "expiry-rollover")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"id": "Expiry Rollover"}, "id"),
        ({"id": "../../etc/passwd"}, "id"),
        ({"alternates": "when do connects expire\nconnects expiry date"}, "alternates"),
        ({"answer": "   "}, "answer"),
        ({"sources": ["support.upwork.com"]}, "sources[0]"),
        ({"related": ["no-such-entry"]}, "related"),
        ({"question": "How many Connects does a proposal cost?"}, "question"),  # another entry's phrasing
        ({"alternates": "x\n" * 3 + "a\nb\nc\nd"}, "alternates[1]"),  # repeats itself
    ],
)
def test_invalid_add_names_the_problem_and_saves_nothing(store, knowledge_dir, history_path, engine, changes, field):
    before, kb_before = snapshot(knowledge_dir), store.kb

    with pytest.raises(KnowledgeError) as caught:
        store.add({**EXPIRY, **changes}, actor="mod")

    assert field in {issue.field for issue in caught.value.issues}, caught.value
    assert snapshot(knowledge_dir) == before
    assert store.kb is kb_before and engine.kb is kb_before
    assert KnowledgeHistory(history_path).latest_per_entry() == {}


def test_cross_entry_clash_is_reported_on_the_new_entry_naming_the_other(store):
    with pytest.raises(KnowledgeError) as caught:
        store.add({**EXPIRY, "alternates": EXPIRY["alternates"] + "\nbuy connects with PayPal?"}, actor="mod")
    [issue] = caught.value.issues
    assert issue.entry == "expiry-rollover"
    assert "buying-connects" in issue.problem
    assert issue.file == "knowledge/entries/expiry-rollover.yaml"


def test_add_of_an_existing_id_is_refused(store, knowledge_dir):
    before = snapshot(knowledge_dir)
    with pytest.raises(DuplicateEntry):
        store.add({**EXPIRY, "id": "buying-connects"}, actor="mod")
    assert snapshot(knowledge_dir) == before


# --- edit -------------------------------------------------------------------------------------------------


def test_edit_keeps_header_and_field_order_and_other_files_untouched(store, knowledge_dir, engine):
    before = snapshot(knowledge_dir)
    opened = store.open("proposal-cost")
    assert opened.version == 1

    change = store.edit(
        "proposal-cost",
        {"answer": "It depends on the job.\nThe job post shows the number."},
        expected_version=opened.version,
        actor="mod-a",
    )

    text = entry_file(knowledge_dir, "proposal-cost").read_text()
    assert text.startswith("# Hand-written header: facts from connects-facts.md section 2.\n# Keep this comment.\n")
    keys = [line.split(":")[0] for line in text.splitlines() if line and not line.startswith((" ", "#"))]
    assert keys == ["id", "question", "alternates", "answer", "related", "sources", "reviewed"]
    assert "related: [buying-connects]\n" in text
    after = snapshot(knowledge_dir)
    assert {k for k in after if after[k] != before[k]} == {"entries/proposal-cost.yaml"}
    assert change.version == 2 and "answer rewritten" in change.summary
    assert engine.kb.entry("proposal-cost").answer == "It depends on the job.\nThe job post shows the number."
    history = store.history_of("proposal-cost")
    assert [(v.version, v.action) for v in history] == [(2, "edit"), (1, "original")]
    assert history[1].content == PROPOSAL_COST  # the hand-written original, byte for byte


def test_second_editor_of_the_same_version_is_refused(store, knowledge_dir):
    first = store.open("buying-connects")
    second = store.open("buying-connects")
    store.edit(
        "buying-connects",
        {"answer": "First moderator's answer."},
        expected_version=first.version,
        actor="mod-a",
    )
    saved = entry_file(knowledge_dir, "buying-connects").read_bytes()

    with pytest.raises(EditConflict) as caught:
        store.edit(
            "buying-connects",
            {"answer": "Second moderator's answer."},
            expected_version=second.version,
            actor="mod-b",
        )

    assert (caught.value.expected_version, caught.value.current_version) == (1, 2)
    assert entry_file(knowledge_dir, "buying-connects").read_bytes() == saved
    assert store.kb.entry("buying-connects").answer == "First moderator's answer."


def test_change_made_on_disk_after_opening_is_a_conflict_and_is_kept_in_history(store, knowledge_dir):
    opened = store.open("refunds-returned-connects")
    hand_edit = REFUNDS.replace("They don't come back", "They never come back")
    entry_file(knowledge_dir, "refunds-returned-connects").write_text(hand_edit)

    with pytest.raises(EditConflict) as caught:
        store.edit("refunds-returned-connects", {"answer": "x"}, expected_version=opened.version, actor="m")
    assert (caught.value.expected_version, caught.value.current_version) == (1, 2)
    assert entry_file(knowledge_dir, "refunds-returned-connects").read_text() == hand_edit
    # Reopened, the editor sees the hand edit and may save over it; every version stays in the history.
    reopened = store.open("refunds-returned-connects")
    assert "never come back" in reopened.entry.answer and reopened.version == 2
    store.edit("refunds-returned-connects", {"answer": "New."}, expected_version=2, actor="m")
    history = store.history_of("refunds-returned-connects")
    assert [(v.version, v.action) for v in history] == [(3, "edit"), (2, "external"), (1, "original")]
    assert [v.content for v in history[1:]] == [hand_edit, REFUNDS]


def test_edit_cannot_rename_or_reach_outside_the_folder(store, knowledge_dir):
    before = snapshot(knowledge_dir)
    with pytest.raises(KnowledgeError) as caught:
        store.edit("buying-connects", {"id": "buying"}, expected_version=1, actor="m")
    assert "must match the file name" in str(caught.value)
    with pytest.raises(EntryNotFound):
        store.edit("../rules", {"answer": "x"}, expected_version=1, actor="m")
    with pytest.raises(EntryNotFound):
        store.open("no-such-entry")
    assert snapshot(knowledge_dir) == before


# --- teach ------------------------------------------------------------------------------------------------


def test_teach_adds_the_trimmed_phrasing_and_the_message_now_matches(store, knowledge_dir, engine):
    message = "   my  balance shows the wrong number   of connects after i bought a bundle  "
    before = engine.decide(message)
    assert (before.action, before.entry_id) != ("answer", "buying-connects")

    change = store.teach("buying-connects", message, actor="mod")

    phrasing = "my balance shows the wrong number of connects after i bought a bundle"
    assert store.kb.entry("buying-connects").alternates[-1] == phrasing
    assert f"  - {phrasing}\n" in entry_file(knowledge_dir, "buying-connects").read_text()
    assert change.summary == f"+phrasing “{phrasing}”"
    assert (engine.decide(message).action, engine.decide(message).entry_id) == ("answer", "buying-connects")


def test_teach_refuses_another_entrys_phrasing_and_empty_text(store, knowledge_dir):
    before = snapshot(knowledge_dir)
    with pytest.raises(KnowledgeError) as caught:
        store.teach("buying-connects", "  Connects refund when client CANCELS the job? ", actor="mod")
    assert "refunds-returned-connects" in str(caught.value)
    with pytest.raises(KnowledgeError):
        store.teach("buying-connects", " \n ", actor="mod")
    with pytest.raises(KnowledgeError):
        store.teach("buying-connects", "x" * 401, actor="mod")
    assert snapshot(knowledge_dir) == before


# --- remove / restore -------------------------------------------------------------------------------------


def test_remove_of_an_entry_others_point_at_is_refused(store, knowledge_dir):
    before = snapshot(knowledge_dir)
    with pytest.raises(KnowledgeError) as caught:  # refunds-returned-connects lists it in related
        store.remove("proposal-cost", actor="mod")
    assert "unknown entry id 'proposal-cost'" in str(caught.value)
    with pytest.raises(KnowledgeError) as caught:  # rules.yaml cites it
        store.remove("refunds-returned-connects", actor="mod")
    assert caught.value.issues[0].file == "rules.yaml"
    assert snapshot(knowledge_dir) == before and store.recycle_bin() == []


@pytest.fixture
def store_without_rule(knowledge_dir, history_path, engine):
    # rules.yaml cites refunds-returned-connects; without that rule the entry may be removed.
    (knowledge_dir / "rules.yaml").write_text("rules: []\n")
    kb = load_knowledge(knowledge_dir)
    engine.replace(kb)
    return KnowledgeStore(knowledge_dir, KnowledgeHistory(history_path), consumers=[engine], kb=kb)


def test_remove_and_restore_round_trip(store_without_rule, knowledge_dir, engine):
    store = store_without_rule
    original = entry_file(knowledge_dir, "refunds-returned-connects").read_bytes()
    question = "the client cancelled the job, do i get my connects back?"

    store.remove("refunds-returned-connects", actor="mod")
    assert not entry_file(knowledge_dir, "refunds-returned-connects").exists()
    assert engine.decide(question).entry_id != "refunds-returned-connects"
    assert [v.entry_id for v in store.recycle_bin()] == ["refunds-returned-connects"]
    with pytest.raises(EntryNotFound):
        store.edit("refunds-returned-connects", {"answer": "x"}, expected_version=2, actor="m")

    restored = store.restore("refunds-returned-connects", actor="mod")

    assert entry_file(knowledge_dir, "refunds-returned-connects").read_bytes() == original
    assert engine.decide(question).entry_id == "refunds-returned-connects"
    assert store.recycle_bin() == []
    assert restored.version == 3
    assert [v.action for v in store.history_of("refunds-returned-connects")] == [
        "restore",
        "remove",
        "original",
    ]
    with pytest.raises(DuplicateEntry):
        store.restore("refunds-returned-connects", actor="mod")
    with pytest.raises(EntryNotFound):
        store.restore("buying-connect", actor="mod")


# --- history / revert -------------------------------------------------------------------------------------


def test_revert_restores_an_older_version_exactly(store, knowledge_dir, engine):
    store.edit("buying-connects", {"answer": "Second answer."}, expected_version=1, actor="mod-a")
    store.teach("buying-connects", "where is the buy connects button", actor="mod-b")
    assert engine.kb.entry("buying-connects").answer == "Second answer."

    change = store.revert("buying-connects", 1, actor="cli:ops")

    assert entry_file(knowledge_dir, "buying-connects").read_bytes() == BUYING.encode()
    assert engine.kb.entry("buying-connects").answer.startswith("Go to Connects")
    assert change.version == 4 and change.summary.startswith("back to version 1: ")
    history = store.history_of("buying-connects")
    assert [(v.version, v.action, v.actor) for v in history] == [
        (4, "revert", "cli:ops"),
        (3, "teach", "mod-b"),
        (2, "edit", "mod-a"),
        (1, "original", "disk"),
    ]
    assert all(v.at.tzinfo is not None for v in history)
    with pytest.raises(VersionNotFound):
        store.revert("buying-connects", 9, actor="m")
    # Reverting to what is already there writes nothing.
    assert store.revert("buying-connects", 4, actor="m").changed is False
    assert len(store.history_of("buying-connects")) == 4


def test_history_of_an_untouched_entry_shows_its_disk_content_as_version_1(store):
    [version] = store.history_of("proposal-cost")
    assert (version.version, version.action, version.content) == (1, "original", PROPOSAL_COST)
    with pytest.raises(EntryNotFound):
        store.history_of("never-existed")


# --- reload -----------------------------------------------------------------------------------------------


def test_broken_file_on_disk_keeps_the_last_good_base_and_says_where(store, knowledge_dir, engine):
    good = store.kb
    entry_file(knowledge_dir, "buying-connects").write_text(BUYING.replace("question:", "qestion:"))

    with pytest.raises(KnowledgeError) as caught:
        store.reload()

    assert {(i.file, i.entry, i.field) for i in caught.value.issues} >= {
        ("knowledge/entries/buying-connects.yaml", "buying-connects", "qestion")
    }
    assert store.kb is good and engine.kb is good and store.last_error is caught.value
    assert engine.decide("where can I buy connects with paypal?").entry_id == "buying-connects"
    # Writes are refused while the disk is broken: they would be validated against the wrong base.
    with pytest.raises(KnowledgeError):
        store.teach("proposal-cost", "what do proposals cost in connects now", actor="m")

    entry_file(knowledge_dir, "buying-connects").write_text(BUYING.replace("PayPal", "paypal"))
    assert store.reload() is store.kb and store.last_error is None


def test_poll_picks_up_a_git_pull_and_records_it(store, knowledge_dir, engine):
    assert store.poll() is None
    store.teach("proposal-cost", "connects price of one proposal", actor="m")  # the entry is now tracked
    assert store.poll() is None  # our own write is not "a change on disk"

    pulled = entry_file(knowledge_dir, "proposal-cost").read_text().replace("Some jobs need none.", "Some: 0.")
    entry_file(knowledge_dir, "proposal-cost").write_text(pulled)
    outcome = store.poll()

    assert outcome is not None and outcome.error is None and outcome.changed == ("proposal-cost",)
    assert engine.kb.entry("proposal-cost").answer.endswith("Some: 0.")
    latest = store.history.latest("proposal-cost")
    assert (latest.action, latest.actor, latest.content) == ("external", "disk", pulled)
    assert store.poll() is None

    entry_file(knowledge_dir, "proposal-cost").write_text("id: [broken")
    broken = store.poll()
    assert broken is not None and broken.kb is None and "broken YAML" in str(broken.error)
    assert store.poll() is None  # reported once, not every tick
    assert engine.kb.entry("proposal-cost").answer.endswith("Some: 0.")


def test_a_second_store_sees_the_first_ones_writes(store, knowledge_dir, history_path):
    # The CLI and the bot are two processes with two stores over the same folder and history.
    other = KnowledgeStore(knowledge_dir, KnowledgeHistory(history_path))
    other.teach("buying-connects", "can i buy connects with a prepaid card", actor="cli:ops")
    opened = store.open("buying-connects")
    assert opened.version == 2
    store.teach("buying-connects", "connects purchase declined", actor="mod")
    assert load_knowledge(knowledge_dir).entry("buying-connects").alternates[-2:] == (
        "can i buy connects with a prepaid card",
        "connects purchase declined",
    )
    assert yaml.safe_load(entry_file(knowledge_dir, "buying-connects").read_text())["id"] == "buying-connects"


def test_engine_consumer_failure_does_not_undo_a_saved_change(knowledge_dir, history_path, caplog):
    class Broken(AnswerEngine):
        def replace(self, kb):
            raise ValueError("index failed")

    from bot.config import MatcherSettings

    engine = Broken(load_knowledge(knowledge_dir), MatcherSettings())
    store = KnowledgeStore(knowledge_dir, KnowledgeHistory(history_path), consumers=[engine])
    change = store.teach("proposal-cost", "connects for one application", actor="m")
    assert change.version == 2 and "connects for one application" in store.kb.entry("proposal-cost").alternates
    assert any("consumer failed" in r.message for r in caplog.records)
