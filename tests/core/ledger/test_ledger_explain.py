"""Explanations: every kind, the seed story, rule ids that exist, never an invented reason."""

from __future__ import annotations

import pytest

from bot.core.errors import ReferenceNotFound
from bot.core.ledger import explain as ex
from bot.core.ledger.access import Viewer
from bot.core.ledger.models import ENTRY_KINDS

OPERATOR = Viewer.operator("tester")


def one(service, ref):
    (explanation,) = service.explain(OPERATOR, ref)
    return explanation


def test_seed_story_agency_proposal_says_the_agency_balance_paid(service):
    x = one(service, "e-1042")
    assert x.rules == (ex.DRAWS, ex.SEPARATE)
    assert x.profile.kind == "agency" and x.covered
    assert "collective agency balance" in x.text.plain
    assert "Brightpath Studio" in x.text.plain
    assert "not from Ben Okafor's own freelancer balance" in x.text.plain
    assert "submitted under the agency by Ben Okafor" in x.text.plain
    assert "Next:" in x.text.plain
    data = x.to_json()
    assert data["profile_kind"] == "agency" and data["actor"] == "fl-ben" and data["connects"] == -6


def test_proposal_sent_from_the_freelancer_profile_by_mistake(service):
    x = one(service, "e-1037")
    assert x.rules == (ex.DRAWS, ex.SEPARATE, ex.NO_TRANSFERS)
    assert "Marco Rossi's own freelancer balance" in x.text.plain
    assert "not sent as an agency member" in x.text.plain
    assert "submit the proposal as a member of Brightpath Studio" in x.text.plain


def test_plain_freelancer_proposal_cites_only_the_drawing_rule(service):
    x = one(service, "e-1016")
    assert x.rules == (ex.DRAWS,)
    assert "Yuki Tanaka's own freelancer balance" in x.text.plain


def test_agency_purchase_cites_billing_and_roles_and_masks_the_card(service):
    x = one(service, "e-1026")
    assert x.rules == (ex.BILLING, ex.PURCHASE_ROLES)
    assert "Mastercard •••• 8830" in x.text.plain
    assert "bought by Priya Raman (admin)" in x.text.plain
    assert "8830" in x.text.plain and "ending 8830" not in x.text.plain


def test_freelancer_purchase_cites_billing_per_profile(service):
    x = one(service, "e-1003")
    assert x.rules == (ex.BILLING,)
    assert "Visa •••• 7310" in x.text.plain


def test_boost_names_the_separate_proposal_line(service):
    x = one(service, "e-1017")
    assert x.rules == (ex.BOOST,)
    assert "e-1016" in x.text.plain
    agency_boost = one(service, "e-1038")
    assert agency_boost.rules == (ex.BOOST, ex.SEPARATE)


def test_returned_connects_point_at_the_spend_and_the_rule(service):
    x = one(service, "e-1035")
    assert x.rules == (ex.RETURNED,)
    assert "e-1024" in x.text.plain and "not as money" in x.text.plain
    agency = one(service, "e-1054")
    assert agency.rules == (ex.RETURNED, ex.SEPARATE)


def test_expiry_cites_the_expiry_rule(service):
    x = one(service, "e-1051")
    assert x.rules == (ex.EXPIRY,)
    assert "expire one year after" in x.text.plain


@pytest.mark.parametrize("ref", ["e-1002", "e-1013", "e-1019", "e-1025", "e-1055"])
def test_kinds_no_rule_covers_say_so_and_point_to_support(service, ref):
    x = one(service, ref)
    assert x.rules == ()
    assert not x.covered
    assert "won't guess" in x.text.plain and "Upwork Support" in x.text.plain and ref in x.text.plain
    assert "contact-support" in x.faq


def test_every_kind_has_an_explanation_and_every_cited_rule_exists(service, demo, kb):
    seen = set()
    for (entry_id,) in demo.connection.execute("SELECT id FROM entries ORDER BY seq"):
        x = one(service, entry_id)
        seen.add(x.entry.kind)
        assert x.text.plain and str(abs(x.entry.connects)) in x.text.plain
        for rule_id in x.rules:
            assert rule_id in kb.rules, rule_id
        for faq_id in x.faq:
            assert faq_id in kb.entries, faq_id
    assert seen == set(ENTRY_KINDS)
    for rule_id in ex.RULE_IDS:
        assert rule_id in kb.rules
    for faq_ids in ex.KIND_FAQ.values():
        assert all(f in kb.entries for f in faq_ids)


def test_faq_links_come_from_the_rules_in_the_knowledge_base(service, kb):
    x = one(service, "e-1042")
    for rule_id in x.rules:
        assert set(kb.rules[rule_id].entries) <= set(x.faq)


def test_a_job_reference_explains_every_entry_of_the_job_in_time_order(service):
    xs = service.explain(OPERATOR, "~01e4a6c8d0f2b4c6e8")
    assert [x.entry.id for x in xs] == ["e-1016", "e-1017"]
    assert [x.entry.id for x in service.explain(OPERATOR, "01e4a6c8d0f2b4c6e8")] == ["e-1016", "e-1017"]


def test_unknown_reference_is_a_clear_error(service):
    with pytest.raises(ReferenceNotFound, match="e-9999"):
        service.explain(OPERATOR, "e-9999")


def test_explanations_work_without_a_knowledge_base(demo):
    from bot.core.ledger.service import LedgerService

    (x,) = LedgerService(demo).explain(OPERATOR, "e-1042")
    assert x.rules == (ex.DRAWS, ex.SEPARATE)
    assert x.faq == ("proposal-cost",)
