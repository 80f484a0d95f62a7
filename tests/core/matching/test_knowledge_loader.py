"""The knowledge base is validated data: the real one loads, and every kind of mistake is named."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from bot.core.errors import KnowledgeError
from bot.core.knowledge.loader import load_knowledge
from bot.core.knowledge.model import MAX_ANSWER_CHARS, MIN_ALTERNATES

from .conftest import KNOWLEDGE, ROOT

# The contract of ../shared/domain/topics.md: tests, benchmarks and evaluations refer to these ids.
TOPIC_IDS = {
    "what-are-connects", "proposal-cost", "connects-price", "buying-connects", "agency-buying-billing",
    "agency-vs-freelancer-balance", "agency-pool-roles", "agency-membership-exclusivity", "agency-plan",
    "freelancer-plus-plan", "monthly-free-connects", "bonus-connects", "refunds-returned-connects",
    "boosted-proposals", "availability-badge", "invitations-offers", "expiry-rollover",
    "connects-history-balance", "transfers-not-possible", "downgrade-cancel-close", "taxes-vat", "contact-support",
}  # fmt: skip
RULE_IDS = {
    "separate-balances", "proposal-draws-from-submitting-profile", "no-transfers", "billing-method-per-profile",
    "agency-purchase-roles", "returned-connects", "boost-charges", "expiry",
}  # fmt: skip


def test_every_topic_and_rule_of_the_contract_is_present(real_kb):
    assert set(real_kb.entries) >= TOPIC_IDS
    assert set(real_kb.rules) >= RULE_IDS


def test_contract_matches_the_shared_topics_file_when_it_is_beside_the_repo():
    topics = ROOT.parent / "shared" / "domain" / "topics.md"
    if not topics.exists():  # CI lays shared/ beside the clone; a bare clone still checks the list above
        return
    text = topics.read_text(encoding="utf-8")
    listed = set(re.findall(r"^\| ([a-z0-9-]+) \|", text, flags=re.MULTILINE)) - {"id"}  # minus table headers
    assert listed == TOPIC_IDS | RULE_IDS


def test_every_entry_meets_the_quality_floor(real_kb):
    for entry in real_kb.entries.values():
        assert len(entry.alternates) >= MIN_ALTERNATES, entry.id
        assert 0 < len(entry.answer) <= MAX_ANSWER_CHARS, entry.id
        assert entry.sources and all(s.startswith("https://") for s in entry.sources), entry.id
        assert "@everyone" not in entry.answer and "@here" not in entry.answer, entry.id
        for related in entry.related:
            assert related in real_kb.entries, (entry.id, related)


def test_rules_point_at_entries_that_explain_them(real_kb):
    for rule in real_kb.rules.values():
        assert rule.text and rule.entries, rule.id
        assert all(ref in real_kb.entries for ref in rule.entries), rule.id


def _issues(path: Path) -> list[str]:
    with pytest.raises(KnowledgeError) as info:
        load_knowledge(path)
    return [str(issue) for issue in info.value.issues]


def test_a_typod_field_names_file_entry_and_field(kb_copy):
    path = kb_copy / "entries" / "proposal-cost.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("alternates:", "alternate:", 1), encoding="utf-8")
    issues = _issues(kb_copy)
    assert any(
        "proposal-cost.yaml" in i and "entry proposal-cost" in i and "field alternate" in i and "did you mean" in i
        for i in issues
    ), issues


def test_a_duplicate_id_names_both_files(kb_copy):
    source = kb_copy / "entries" / "taxes-vat.yaml"
    (kb_copy / "entries" / "taxes-vat-copy.yaml").write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    issues = _issues(kb_copy)
    assert any("duplicate id" in i and "taxes-vat.yaml" in i and "taxes-vat-copy.yaml" in i for i in issues), issues


def test_a_broken_indent_names_the_file_and_line(kb_copy):
    path = kb_copy / "entries" / "expiry-rollover.yaml"
    lines = path.read_text(encoding="utf-8").splitlines()
    index = next(i for i, line in enumerate(lines) if line.startswith("answer:"))
    lines[index] = "   " + lines[index]  # an answer indented under the alternates list
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    issues = _issues(kb_copy)
    assert any("expiry-rollover.yaml" in i and "broken YAML at line" in i for i in issues), issues


def test_a_phrasing_shared_by_two_entries_is_refused(kb_copy, real_kb):
    borrowed = real_kb.entries["taxes-vat"].alternates[0]
    path = kb_copy / "entries" / "proposal-cost.yaml"
    text = path.read_text(encoding="utf-8").replace("alternates:\n", f"alternates:\n  - {borrowed!r}\n", 1)
    path.write_text(text, encoding="utf-8")
    issues = _issues(kb_copy)
    assert any("proposal-cost" in i and "also" in i and "taxes-vat" in i for i in issues), issues


@pytest.mark.parametrize(
    ("replacement", "expected"),
    [
        ("answer: ''\n", "field answer: is empty"),
        (f"answer: {'x' * (MAX_ANSWER_CHARS + 1)}\n", f"the limit is {MAX_ANSWER_CHARS}"),
    ],
)
def test_empty_and_over_long_answers_are_refused(kb_copy, replacement, expected):
    path = kb_copy / "entries" / "agency-plan.yaml"
    text = path.read_text(encoding="utf-8")
    start = text.index("answer:")
    end = text.index("related:")
    path.write_text(text[:start] + replacement + text[end:], encoding="utf-8")
    issues = _issues(kb_copy)
    assert any("agency-plan" in i and expected in i for i in issues), issues


def test_a_bad_date_and_an_unknown_related_id_are_named(kb_copy):
    path = kb_copy / "entries" / "availability-badge.yaml"
    text = re.sub(r"reviewed: .*", "reviewed: last tuesday", path.read_text(encoding="utf-8"))
    text = re.sub(r"related: .*", "related: [no-such-entry]", text, count=1)
    path.write_text(text, encoding="utf-8")
    issues = _issues(kb_copy)
    assert any("availability-badge" in i and "field reviewed" in i for i in issues), issues


def test_every_problem_is_listed_not_just_the_first(kb_copy):
    for name in ("proposal-cost", "taxes-vat"):
        path = kb_copy / "entries" / f"{name}.yaml"
        path.write_text(path.read_text(encoding="utf-8").replace("sources:", "source:", 1), encoding="utf-8")
    issues = _issues(kb_copy)
    assert sum("field source: unknown field" in i for i in issues) == 2, issues
    assert not any("unknown entry id" in i for i in issues), "an invalid entry must not cascade into others"


def test_the_file_name_must_be_the_id(kb_copy):
    (kb_copy / "entries" / "agency-plan.yaml").rename(kb_copy / "entries" / "plan.yaml")
    assert any("must match the file name" in i for i in _issues(kb_copy))


def test_a_failed_reload_keeps_the_knowledge_base_in_service(kb_copy, engine):
    from bot.core.matching.answers import AnswerEngine

    live = AnswerEngine(load_knowledge(kb_copy), engine.settings)
    before = live.kb
    (kb_copy / "entries" / "agency-plan.yaml").write_text("id: agency-plan\n  broken: [\n", encoding="utf-8")
    with pytest.raises(KnowledgeError):
        live.reload(kb_copy)
    assert live.kb is before
    assert live.decide("How do I use my agency's connects instead of mine?").entry_id == "agency-vs-freelancer-balance"


def test_the_shipped_knowledge_directory_is_the_configured_one():
    assert KNOWLEDGE.is_dir() and (KNOWLEDGE / "rules.yaml").is_file()


def test_near_misses_are_checked_like_phrasings(kb_copy):
    path = kb_copy / "entries" / "expiry-rollover.yaml"
    # The entry without its own near misses, so each case below adds exactly one not_this field.
    original = re.sub(r"\nnot_this:\n(?:  - .*\n)+", "\n", path.read_text(encoding="utf-8"))
    assert "not_this" not in original
    path.write_text(original.replace("\nanswer:", "\nnot_this: not a list\nanswer:", 1), encoding="utf-8")
    issues = _issues(kb_copy)
    assert any("expiry-rollover.yaml" in i and "entry expiry-rollover" in i and "field not_this" in i for i in issues)
    repeat = json.dumps(load_knowledge(KNOWLEDGE).entries["expiry-rollover"].question)
    path.write_text(original.replace("\nanswer:", f"\nnot_this:\n  - ''\n  - {repeat}\nanswer:", 1), encoding="utf-8")
    issues = _issues(kb_copy)
    assert any("field not_this[0]" in i and "non-empty" in i for i in issues), issues
    assert any("field not_this[1]" in i and "near miss of its own entry" in i for i in issues), issues
