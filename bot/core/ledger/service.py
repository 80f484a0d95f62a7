"""The ledger as front ends use it: history, explain, charge questions, links and audit, with access checks.

Every read of someone's ledger goes through here, is decided by access.py and is written to the access
log (allowed or refused) before any data is returned. `LedgerService` is synchronous (CLI, tests);
`AsyncLedgerService` runs the same calls on the ledger's single worker thread for the Discord bot.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from bot.core.errors import PermissionDenied, ProfileNotFound, ReferenceNotFound
from bot.core.knowledge.model import KnowledgeBase
from bot.core.ledger.access import Viewer, entry_access, plan_history
from bot.core.ledger.charges import ChargeQuestion, recognise_charge_question
from bot.core.ledger.explain import EntryContext, Explanation, explain_entry
from bot.core.ledger.models import AccessRecord, History, HistorySection, LedgerEntry, Membership, Profile
from bot.core.ledger.source import LedgerSource
from bot.core.ledger.worker import LedgerWorker
from bot.core.untrusted import Marked, join, say

log = logging.getLogger(__name__)

T = TypeVar("T")
KnowledgeSource = KnowledgeBase | Callable[[], KnowledgeBase | None] | None
DEFAULT_LIMIT = 50
UNKNOWN_SUBJECT = "unknown"
NO_SUCH_PROFILE = "no ledger profile is linked to this Discord user or has this id"
NO_SUCH_REFERENCE = "no ledger entry or job has this reference"


@dataclass(frozen=True)
class ChargeAnswer:
    """The reply to a member's charge question: the explanations, or why there are none."""

    question: ChargeQuestion
    explanations: tuple[Explanation, ...]
    text: Marked  # the reference the member typed is in it: marked untrusted


class LedgerService:
    """Permission-checked, logged ledger reads over one LedgerSource (use it from one thread)."""

    def __init__(self, store: LedgerSource, knowledge: KnowledgeSource = None) -> None:
        self.store = store
        self._knowledge = knowledge

    def _kb(self) -> KnowledgeBase | None:
        # A callable follows the bot's live knowledge base (it is swapped whole on reload).
        source = self._knowledge
        return source() if callable(source) else source

    def _memberships(self, viewer: Viewer) -> list[Membership]:
        return self.store.memberships_of(viewer.profile) if viewer.profile else []

    def _find_or_log(self, viewer: Viewer, who: str | int, what: str) -> Profile:
        """Resolve a profile id or Discord id; a miss is recorded as a refused lookup, then raised."""
        try:
            return self.store.find_profile(who)
        except ProfileNotFound:
            subject = f"discord:{who}" if str(who).isdigit() else str(who)
            self.store.log_access(viewer.label, subject, what, False, NO_SUCH_PROFILE)
            raise

    def viewer_for_discord(self, user_id: int | str, *, manager: bool = False) -> Viewer:
        """Build the Viewer for a Discord user from the profile linked to them (if any)."""
        profile = self.store.profile_by_discord(user_id)
        return Viewer.discord(user_id, profile.id if profile else None, manager=manager)

    def history(
        self, viewer: Viewer, who: str | int, *, since_ts: int | None = None, limit: int = DEFAULT_LIMIT
    ) -> History:
        """Return the sections of WHO's history the viewer may see; raise PermissionDenied otherwise."""
        subject = self._find_or_log(viewer, who, "history")
        subject_memberships = [] if subject.is_agency else self.store.memberships_of(subject.id)
        plans, decision = plan_history(viewer, subject, subject_memberships, self._memberships(viewer))
        self.store.log_access(viewer.label, subject.id, "history", decision.allowed, decision.reason)
        if not decision.allowed:
            raise PermissionDenied(f"you may not see the ledger of {subject.id}: {decision.reason}")
        profiles = self.store.profiles(p.profile for p in plans)
        sections = []
        for plan in plans:
            entries = self.store.entries(plan.profile, limit=limit, since_ts=since_ts, actor=plan.actor)
            balance = self.store.balance(plan.profile)
            sections.append(HistorySection(profiles[plan.profile], balance, tuple(entries), plan.scope, plan.role))
        return History(subject, tuple(sections))

    def explain(self, viewer: Viewer, ref: str) -> list[Explanation]:
        """Explain an entry id, or every entry of a job in time order, that the viewer may see."""
        ref = ref.strip()
        entry = self.store.entry(ref)
        if entry is not None:
            entries = [entry]
        else:
            entries = self.store.job_entries(ref)
            if not entries and not ref.startswith("~"):
                entries = self.store.job_entries("~" + ref)
        if not entries:
            # Probing for references is a lookup too: record it before saying there is nothing.
            self.store.log_access(viewer.label, UNKNOWN_SUBJECT, f"explain {ref}", False, NO_SUCH_REFERENCE)
            raise ReferenceNotFound(ref)
        viewer_memberships = self._memberships(viewer)
        decisions = [(e, entry_access(viewer, e, viewer_memberships)) for e in entries]
        for subject in dict.fromkeys(e.profile for e in entries):
            mine = [d for e, d in decisions if e.profile == subject]
            allowed = next((d for d in mine if d.allowed), None)
            decision = allowed or mine[0]
            self.store.log_access(viewer.label, subject, f"explain {ref}", decision.allowed, decision.reason)
        visible = [e for e, d in decisions if d.allowed]
        if not visible:
            raise PermissionDenied(f"you may not see {ref}: {decisions[0][1].reason}")

        # An explanation cites other entries of the same job (the proposal a boost belongs to...): only
        # those the viewer may see, so it never reveals an entry they would be refused a moment later.
        def may_see(e: LedgerEntry) -> bool:
            return entry_access(viewer, e, viewer_memberships).allowed

        return self._explain_entries(visible, may_see)

    def _explain_entries(self, entries: list[LedgerEntry], may_see: Callable[[LedgerEntry], bool]) -> list[Explanation]:
        kb = self._kb()
        ids = {e.profile for e in entries} | {e.actor for e in entries if e.actor}
        profiles = self.store.profiles(ids)
        members: dict[str, list[Membership]] = {}
        related: dict[str, tuple[LedgerEntry, ...]] = {}
        out = []
        for e in entries:
            profile = profiles[e.profile]
            actor = profiles.get(e.actor) if e.actor else None
            actor_membership = None
            memberships: tuple[Membership, ...] = ()
            names: tuple[tuple[str, str], ...] = ()
            if profile.is_agency:
                if e.profile not in members:
                    members[e.profile] = self.store.members_of(e.profile)
                actor_membership = next((m for m in members[e.profile] if m.profile == e.actor), None)
            else:
                memberships = tuple(self.store.memberships_of(e.profile))
                agencies = self.store.profiles(m.agency for m in memberships)
                names = tuple((a, p.name) for a, p in agencies.items())
            if e.job and e.job not in related:
                related[e.job] = tuple(r for r in self.store.job_entries(e.job) if may_see(r))
            ctx = EntryContext(
                entry=e,
                profile=profile,
                actor=actor,
                actor_membership=actor_membership,
                memberships=memberships,
                agency_names=names,
                related=tuple(r for r in related.get(e.job or "", ()) if r.profile == e.profile),
            )
            out.append(explain_entry(ctx, kb))
        return out

    def answer_charge_question(self, viewer: Viewer, text: str) -> ChargeAnswer | None:
        """Answer a question about one charge from the viewer's own ledger; None if it is not one."""
        question = recognise_charge_question(text)
        if question is None:
            return None
        if viewer.profile is None and not viewer.manager:
            return ChargeAnswer(
                question, (), say("No Upwork profile is linked to you here yet, so I can't look up that charge.")
            )
        try:
            explanations = self.explain(viewer, question.ref)
        except (ReferenceNotFound, PermissionDenied):
            # The same words either way: a member must not learn that someone else's entry exists.
            what = "entry" if question.kind == "entry" else "job"
            return ChargeAnswer(
                question, (), say("I can't find {what} {ref} in your Connects ledger.", what=what, ref=question.ref)
            )
        return ChargeAnswer(question, tuple(explanations), join("\n\n", (x.text for x in explanations)))

    def record_refusal(self, viewer: Viewer, discord_id: int | str, what: str, reason: str) -> AccessRecord:
        """Record a lookup of a Discord user that a front end refused, under their profile id when linked."""
        profile = self.store.profile_by_discord(discord_id)
        subject = profile.id if profile is not None else f"discord:{discord_id}"
        return self.store.log_access(viewer.label, subject, what, False, reason)

    def profile_id_for_discord(self, discord_id: int | str) -> str | None:
        """Return the id of the profile linked to a Discord user, if any."""
        profile = self.store.profile_by_discord(discord_id)
        return profile.id if profile is not None else None

    def link(self, viewer: Viewer, profile_id: str, discord_id: int | str) -> Profile:
        """Link a freelancer profile to a Discord user (community managers only)."""
        allowed = viewer.manager
        self.store.log_access(viewer.label, profile_id, f"link discord:{discord_id}", allowed, "manager only")
        if not allowed:
            raise PermissionDenied("only community managers can link a profile to a Discord user")
        return self.store.link_discord(profile_id, discord_id)

    def unlink(self, viewer: Viewer, ref: str | int) -> Profile:
        """Remove a Discord link: a manager for anyone, a member for themselves."""
        profile = self._find_or_log(viewer, ref, "unlink")
        allowed = viewer.manager or viewer.profile == profile.id
        self.store.log_access(viewer.label, profile.id, "unlink", allowed, "manager or self")
        if not allowed:
            raise PermissionDenied("you can only unlink your own profile")
        return self.store.unlink_discord(profile.id)

    def audit(self, viewer: Viewer, *, limit: int = DEFAULT_LIMIT, subject: str | None = None) -> list[AccessRecord]:
        """Return the newest access-log records (community managers only); the reading is recorded too."""
        self.store.log_access(viewer.label, subject or "*", "audit", viewer.manager, "manager only")
        if not viewer.manager:
            raise PermissionDenied("only community managers can read the ledger access log")
        return self.store.access_log(limit=limit, subject=subject)


class AsyncLedgerService:
    """The same calls as LedgerService, run on the ledger's worker thread (never blocking the loop)."""

    def __init__(self, worker: LedgerWorker, knowledge: KnowledgeSource = None) -> None:
        self._worker = worker
        self._service = LedgerService(worker.source, knowledge)

    async def _run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._worker.executor, functools.partial(fn, *args, **kwargs))

    async def viewer_for_discord(self, user_id: int | str, *, manager: bool = False) -> Viewer:
        """See LedgerService.viewer_for_discord."""
        return await self._run(self._service.viewer_for_discord, user_id, manager=manager)

    async def history(
        self, viewer: Viewer, who: str | int, *, since_ts: int | None = None, limit: int = DEFAULT_LIMIT
    ) -> History:
        """See LedgerService.history."""
        return await self._run(self._service.history, viewer, who, since_ts=since_ts, limit=limit)

    async def explain(self, viewer: Viewer, ref: str) -> list[Explanation]:
        """See LedgerService.explain."""
        return await self._run(self._service.explain, viewer, ref)

    async def answer_charge_question(self, viewer: Viewer, text: str) -> ChargeAnswer | None:
        """See LedgerService.answer_charge_question."""
        return await self._run(self._service.answer_charge_question, viewer, text)

    async def record_refusal(self, viewer: Viewer, discord_id: int | str, what: str, reason: str) -> AccessRecord:
        """See LedgerService.record_refusal."""
        return await self._run(self._service.record_refusal, viewer, discord_id, what, reason)

    async def profile_id_for_discord(self, discord_id: int | str) -> str | None:
        """See LedgerService.profile_id_for_discord."""
        return await self._run(self._service.profile_id_for_discord, discord_id)

    async def link(self, viewer: Viewer, profile_id: str, discord_id: int | str) -> Profile:
        """See LedgerService.link."""
        return await self._run(self._service.link, viewer, profile_id, discord_id)

    async def unlink(self, viewer: Viewer, ref: str | int) -> Profile:
        """See LedgerService.unlink."""
        return await self._run(self._service.unlink, viewer, ref)

    async def audit(
        self, viewer: Viewer, *, limit: int = DEFAULT_LIMIT, subject: str | None = None
    ) -> list[AccessRecord]:
        """See LedgerService.audit."""
        return await self._run(self._service.audit, viewer, limit=limit, subject=subject)

    async def close(self) -> None:
        """Close the ledger and stop its thread."""
        await asyncio.to_thread(self._worker.close)
