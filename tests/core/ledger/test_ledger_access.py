"""Who may see what, the access log, and the history split between agency and freelancer balances."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading

import pytest

from bot.core.errors import PermissionDenied
from bot.core.ledger import open_ledger_worker
from bot.core.ledger.access import Viewer, entry_access, plan_history
from bot.core.ledger.models import Membership, parse_since
from bot.core.ledger.service import AsyncLedgerService

OPERATOR = Viewer.operator("tester")
BEN = Viewer("discord:2", "fl-ben")
NADIA = Viewer("discord:1", "fl-nadia")  # owner
PRIYA = Viewer("discord:3", "fl-priya")  # admin
TOMAS = Viewer("discord:4", "fl-tomas")  # business manager
YUKI = Viewer("discord:5", "fl-yuki")  # not in the agency
STRANGER = Viewer("discord:6", None)


def test_core_ledger_does_not_import_discord():
    code = (
        "import sys, bot.core.ledger.service, bot.core.ledger.importer, bot.core.ledger.charges; "
        "print('discord' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_history_of_an_agency_member_has_two_separate_sections(service, demo):
    history = service.history(BEN, "fl-ben")
    data = history.to_json()
    assert data["profile"] == "fl-ben"
    assert data["balances"] == {"fl-ben": 70, "ag-brightpath": 382}
    own = [e for e in data["entries"] if e["profile"] == "fl-ben"]
    agency = [e for e in data["entries"] if e["profile"] == "ag-brightpath"]
    assert own and agency and len(own) + len(agency) == len(data["entries"])
    assert all(e["actor"] == "fl-ben" for e in agency)
    # Newest first, and each section's balance is the sum of that profile's own entries only.
    assert own[0]["balance_after"] == data["balances"]["fl-ben"]
    for profile in ("fl-ben", "ag-brightpath"):
        total = demo.connection.execute("SELECT SUM(connects) FROM entries WHERE profile = ?", (profile,))
        assert data["balances"][profile] == total.fetchone()[0]
    assert set(data["entries"][0]) >= {
        "id", "profile", "occurred_at", "kind", "connects", "job", "actor", "note", "balance_after",
    }  # fmt: skip


def test_history_since_and_limit(service):
    history = service.history(OPERATOR, "fl-yuki", since_ts=parse_since("2026-09-01"), limit=3)
    (section,) = history.sections
    assert len(section.entries) == 3
    assert all(e.occurred_at >= "2026-09" for e in section.entries)
    assert section.balance == 75  # the balance now, whatever the window


def test_history_by_discord_id(service):
    assert service.history(OPERATOR, "700100200300400502").subject.id == "fl-ben"


def test_owner_sees_the_agency_entries_a_member_acted_on_but_not_their_freelancer_profile(service):
    history = service.history(NADIA, "fl-ben")
    assert [s.profile.id for s in history.sections] == ["ag-brightpath"]
    assert all(e.actor == "fl-ben" for e in history.sections[0].entries)


def test_agency_history_by_role(service):
    assert service.history(PRIYA, "ag-brightpath").sections[0].scope == "all"
    tomas = service.history(TOMAS, "ag-brightpath").sections[0]
    assert tomas.scope == "acted" and {e.actor for e in tomas.entries} == {"fl-tomas"}
    ben = service.history(BEN, "ag-brightpath").sections[0]
    assert {e.actor for e in ben.entries} == {"fl-ben"}
    with pytest.raises(PermissionDenied):
        service.history(YUKI, "ag-brightpath")


def test_members_cannot_see_each_other(service):
    with pytest.raises(PermissionDenied):
        service.history(YUKI, "fl-ben")
    with pytest.raises(PermissionDenied):
        service.history(STRANGER, "fl-yuki")
    with pytest.raises(PermissionDenied):
        service.history(TOMAS, "fl-ben")  # a business manager is not an owner or admin


def test_entry_access_rules(demo):
    ben_ms = demo.memberships_of("fl-ben")
    nadia_ms = demo.memberships_of("fl-nadia")
    assert entry_access(BEN, demo.entry("e-1042"), ben_ms).allowed  # acted on it
    assert not entry_access(BEN, demo.entry("e-1041"), ben_ms).allowed  # Tomás's
    assert entry_access(BEN, demo.entry("e-1044"), ben_ms).allowed  # own profile
    assert not entry_access(BEN, demo.entry("e-1037"), ben_ms).allowed  # Marco's own
    assert entry_access(NADIA, demo.entry("e-1041"), nadia_ms).allowed  # owner: the whole agency
    assert not entry_access(NADIA, demo.entry("e-1037"), nadia_ms).allowed  # not Marco's own profile
    assert entry_access(OPERATOR, demo.entry("e-1037"), []).allowed


def test_plan_history_is_pure(demo):
    ben = demo.get_profile("fl-ben")
    agency_member = [Membership("ag-q", "fl-ben", "member", False)]
    plans, decision = plan_history(Viewer("x", "fl-other"), ben, agency_member, [])
    assert plans == [] and not decision.allowed
    admin = [Membership("ag-q", "fl-other", "admin", False)]
    plans, decision = plan_history(Viewer("x", "fl-other"), ben, agency_member, admin)
    assert [(p.profile, p.actor) for p in plans] == [("ag-q", "fl-ben")] and decision.allowed


def test_every_read_is_logged_allowed_or_refused(service):
    service.history(BEN, "fl-ben")
    with pytest.raises(PermissionDenied):
        service.explain(YUKI, "e-1042")
    service.explain(BEN, "e-1042")
    this_reading, *records = service.audit(OPERATOR, limit=10)
    assert (this_reading.viewer, this_reading.what) == (OPERATOR.label, "audit")
    assert [(r.viewer, r.subject, r.what, r.allowed) for r in records[:3]] == [
        ("discord:2", "ag-brightpath", "explain e-1042", True),
        ("discord:5", "ag-brightpath", "explain e-1042", False),
        ("discord:2", "fl-ben", "history", True),
    ]
    assert records[0].at.endswith("+00:00")
    with pytest.raises(PermissionDenied):
        service.audit(BEN)


def test_link_is_for_managers_and_unlink_for_self(service):
    with pytest.raises(PermissionDenied):
        service.link(BEN, "fl-sam", "123456789012345678")
    assert service.link(OPERATOR, "fl-sam", "123456789012345678").discord_id == "123456789012345678"
    viewer = service.viewer_for_discord("123456789012345678")
    assert viewer.profile == "fl-sam" and viewer.label == "discord:123456789012345678"
    with pytest.raises(PermissionDenied):
        service.unlink(BEN, "fl-sam")
    assert service.unlink(viewer, "123456789012345678").discord_id is None


async def test_async_service_runs_off_the_event_loop(tmp_path, kb):
    worker = open_ledger_worker(tmp_path / "ledger.sqlite3")
    service = AsyncLedgerService(worker, lambda: kb)
    threads = set()
    original = worker.source.balance

    def spy(profile_id):
        threads.add(threading.get_ident())
        return original(profile_id)

    worker.source.balance = spy
    try:
        viewer = await service.viewer_for_discord("700100200300400502")
        history, explained = await asyncio.gather(service.history(viewer, "fl-ben"), service.explain(viewer, "e-1042"))
        assert history.to_json()["balances"] == {"fl-ben": 70, "ag-brightpath": 382}
        assert explained[0].rules == ("proposal-draws-from-submitting-profile", "separate-balances")
        assert threads and threading.get_ident() not in threads
    finally:
        await service.close()


def test_lookups_of_unknown_profiles_and_references_are_recorded(tmp_path):
    from bot.core.errors import ProfileNotFound, ReferenceNotFound
    from bot.core.ledger import open_ledger
    from bot.core.ledger.service import LedgerService

    service = LedgerService(open_ledger(tmp_path / "ledger.sqlite3"))
    member = service.viewer_for_discord("700100200300400504")  # Yuki, a linked member
    for call, error in (
        (lambda: service.history(member, "123456789012345678"), ProfileNotFound),
        (lambda: service.history(member, "fl-nobody"), ProfileNotFound),
        (lambda: service.explain(member, "e-0000"), ReferenceNotFound),
        (lambda: service.unlink(member, "fl-nobody"), ProfileNotFound),
    ):
        try:
            call()
        except error:
            pass
        else:
            raise AssertionError("expected a not-found error")
    _this_reading, *records = service.audit(service.viewer_for_discord("1", manager=True), limit=5)
    assert [(r.subject, r.what, r.allowed) for r in reversed(records)] == [
        ("discord:123456789012345678", "history", False),
        ("fl-nobody", "history", False),
        ("unknown", "explain e-0000", False),
        ("fl-nobody", "unlink", False),
    ]


def test_an_explanation_names_no_entry_the_viewer_may_not_see(tmp_path):
    from ledger_sample import PROFILES, write_entries

    from bot.core.ledger.importer import import_ledger
    from bot.core.ledger.service import LedgerService
    from bot.core.ledger.store import LedgerStore

    store = LedgerStore(tmp_path / "l.sqlite3")
    profiles = tmp_path / "p.yaml"
    profiles.write_text(PROFILES, encoding="utf-8")  # fl-a owns ag-x, fl-b is a plain member
    rows = [
        "s-1,ag-x,2026-01-01T10:00:00+00:00,purchase,150,,fl-a,",
        "s-2,ag-x,2026-01-02T10:00:00+00:00,proposal,-16,~01aa,fl-a,",  # the owner's proposal
        "s-3,ag-x,2026-01-02T10:05:00+00:00,boost,-7,~01aa,fl-b,",  # the member's boost on that job
    ]
    import_ledger(store, profiles_path=profiles, entries_path=write_entries(tmp_path / "e.csv", rows))
    service = LedgerService(store)
    member = Viewer("discord:2", "fl-b")
    (boost,) = service.explain(member, "s-3")
    assert "s-2" not in boost.text.plain and "16 Connects" not in boost.text.plain
    with pytest.raises(PermissionDenied):
        service.explain(member, "s-2")
    # The owner may see both, and is told which proposal the boost belongs to.
    (owner_view,) = service.explain(Viewer("discord:1", "fl-a"), "s-3")
    assert "the proposal is entry s-2, 16 Connects" in owner_view.text.plain
    store.close()


def test_reading_the_access_log_is_itself_recorded(service):
    manager = Viewer("discord:9", None, manager=True)
    service.history(BEN, "fl-ben")
    service.audit(manager, limit=5, subject="fl-ben")
    newest = service.audit(manager, limit=1)[0]
    assert (newest.viewer, newest.subject, newest.what, newest.allowed) == ("discord:9", "*", "audit", True)
    records = service.audit(manager, limit=10)
    assert [(r.subject, r.what) for r in records[:3]] == [("*", "audit"), ("*", "audit"), ("fl-ben", "audit")]
