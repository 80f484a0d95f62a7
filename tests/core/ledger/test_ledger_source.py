"""The seam where a real data source replaces the bundled SQLite stand-in: the services need only LedgerSource.

A plain-Python source (dicts and lists, no SQL) filled with the demo ledger must give the same history,
explanations, charge answers and refusals as the SQLite store, and keep its own access log.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable

import pytest

from bot.core.errors import PermissionDenied, ProfileNotFound
from bot.core.knowledge.model import KnowledgeBase
from bot.core.ledger.access import Viewer
from bot.core.ledger.models import AccessRecord, LedgerEntry, Membership, Profile
from bot.core.ledger.service import LedgerService
from bot.core.ledger.source import LedgerSource
from bot.core.ledger.store import LedgerStore

OPERATOR = Viewer.operator("tester")
BEN = Viewer("discord:2", "fl-ben")
YUKI = Viewer("discord:5", "fl-yuki")
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


class MemoryLedger:
    """A LedgerSource over plain Python data: what an adapter to a marketplace API would hold in hand."""

    def __init__(self, profiles: Iterable[Profile], memberships: Iterable[Membership], entries: Iterable[LedgerEntry]):
        self._profiles = {p.id: p for p in profiles}
        self._memberships = list(memberships)
        self._entries: dict[str, list[LedgerEntry]] = {}  # per profile, newest first
        for entry in sorted(entries, key=_ts, reverse=True):
            self._entries.setdefault(entry.profile, []).append(entry)
        self.log: list[AccessRecord] = []

    def find_profile(self, ref: str | int) -> Profile:
        found = self._profiles.get(str(ref)) or self.profile_by_discord(ref)
        if found is None:
            raise ProfileNotFound(str(ref))
        return found

    def profile_by_discord(self, discord_id: str | int) -> Profile | None:
        return next((p for p in self._profiles.values() if p.discord_id == str(discord_id)), None)

    def profiles(self, ids: Iterable[str]) -> dict[str, Profile]:
        return {i: self._profiles[i] for i in ids if i in self._profiles}

    def memberships_of(self, profile_id: str) -> list[Membership]:
        return sorted((m for m in self._memberships if m.profile == profile_id), key=lambda m: m.agency)

    def members_of(self, agency_id: str) -> list[Membership]:
        return sorted((m for m in self._memberships if m.agency == agency_id), key=lambda m: m.profile)

    def balance(self, profile_id: str) -> int:
        newest = self._entries.get(profile_id)
        return newest[0].balance_after if newest else 0

    def entries(
        self, profile_id: str, *, limit: int = 50, since_ts: int | None = None, actor: str | None = None
    ) -> list[LedgerEntry]:
        rows = [
            e
            for e in self._entries.get(profile_id, [])
            if (actor is None or e.actor == actor) and (since_ts is None or _ts(e) >= since_ts)
        ]
        return rows[:limit]

    def entry(self, entry_id: str) -> LedgerEntry | None:
        return next((e for rows in self._entries.values() for e in rows if e.id == entry_id), None)

    def job_entries(self, job: str) -> list[LedgerEntry]:
        return sorted((e for rows in self._entries.values() for e in rows if e.job == job), key=_ts)

    def link_discord(self, profile_id: str, discord_id: str | int) -> Profile:
        self._profiles[profile_id] = dataclasses.replace(self._profiles[profile_id], discord_id=str(discord_id))
        return self._profiles[profile_id]

    def unlink_discord(self, ref: str | int) -> Profile:
        profile = self.find_profile(ref)
        self._profiles[profile.id] = dataclasses.replace(profile, discord_id=None)
        return self._profiles[profile.id]

    def log_access(self, viewer: str, subject: str, what: str, allowed: bool, reason: str = "") -> AccessRecord:
        record = AccessRecord(dt.datetime.now(dt.UTC).isoformat(), viewer, subject, what, allowed, reason)
        self.log.append(record)
        return record

    def access_log(self, *, limit: int = 50, subject: str | None = None) -> list[AccessRecord]:
        return [r for r in reversed(self.log) if subject is None or r.subject == subject][:limit]

    def close(self) -> None:
        pass


def _ts(entry: LedgerEntry) -> int:
    return (dt.datetime.fromisoformat(entry.occurred_at) - _EPOCH) // dt.timedelta(microseconds=1)


@pytest.fixture
def memory(demo: LedgerStore) -> MemoryLedger:
    """The demo ledger copied out of SQLite into plain Python data."""
    ids = [row[0] for row in demo.connection.execute("SELECT id FROM profiles")]
    profiles = demo.profiles(ids)
    memberships = [m for p in profiles.values() if p.is_agency for m in demo.members_of(p.id)]
    entries = [e for pid in ids for e in demo.entries(pid, limit=1_000_000)]
    assert len(entries) == demo.count_entries() > 0
    return MemoryLedger(profiles.values(), memberships, entries)


def test_both_sources_satisfy_the_protocol(demo: LedgerStore, memory: MemoryLedger) -> None:
    assert isinstance(demo, LedgerSource) and isinstance(memory, LedgerSource)
    assert not isinstance(object(), LedgerSource)


@pytest.mark.parametrize(("viewer", "who"), [(BEN, "fl-ben"), (OPERATOR, "ag-brightpath"), (OPERATOR, "fl-yuki")])
def test_history_is_the_same_from_either_source(demo, memory, kb: KnowledgeBase, viewer, who) -> None:
    on_sqlite = LedgerService(demo, kb).history(viewer, who, limit=20).to_json()
    in_memory = LedgerService(memory, kb).history(viewer, who, limit=20).to_json()
    assert in_memory == on_sqlite and on_sqlite["balances"]


def test_explanations_and_refusals_are_the_same_from_either_source(demo, memory, kb: KnowledgeBase) -> None:
    on_sqlite, in_memory = LedgerService(demo, kb), LedgerService(memory, kb)
    for ref in ("e-1042", "e-1037", "~01ab7c9d2e4f6a8b0c"):
        assert [x.text.plain for x in in_memory.explain(OPERATOR, ref)] == [
            x.text.plain for x in on_sqlite.explain(OPERATOR, ref)
        ]
    question = "why did I lose 6 connects on job ~01ab7c9d2e4f6a8b0c?"
    assert in_memory.answer_charge_question(BEN, question) == on_sqlite.answer_charge_question(BEN, question)
    with pytest.raises(PermissionDenied):
        in_memory.history(YUKI, "fl-ben")
    # The refusal is in the memory source's own access log, as it would be in the SQLite one.
    assert (memory.log[-1].viewer, memory.log[-1].subject, memory.log[-1].allowed) == ("discord:5", "fl-ben", False)
