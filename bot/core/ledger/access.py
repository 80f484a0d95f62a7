"""Who may see what in the ledger: pure decisions, no I/O. The service logs every decision.

- A member sees their own freelancer profile, and the entries of their agencies they acted on.
- An agency's owner and admins see all of that agency's entries (not its members' freelancer profiles).
- Community managers (and the trusted CLI operator) see everyone's.
"""

from __future__ import annotations

import getpass
from collections.abc import Sequence
from dataclasses import dataclass

from bot.core.ledger.models import AGENCY_ADMIN_ROLES, LedgerEntry, Membership, Profile

ALL, OWN, ACTED = "all", "own", "acted"
# Said under an `acted` section whose balance moved with entries it does not show (HistorySection.others_hidden).
OTHERS_HIDDEN = (
    "Agency entries by other members are not shown; the balance after each line includes them, so it jumps "
    "where theirs are left out."
)


@dataclass(frozen=True)
class Viewer:
    """Whoever asks: a label for the access log, their own profile (if linked), and whether a manager."""

    label: str
    profile: str | None = None
    manager: bool = False

    @classmethod
    def operator(cls, name: str | None = None) -> Viewer:
        """The trusted command-line operator, logged as 'cli:<os user>'."""
        if name is None:
            try:
                name = getpass.getuser()
            except (OSError, KeyError):
                name = "unknown"
        return cls(label=f"cli:{name}", manager=True)

    @classmethod
    def discord(cls, user_id: int | str, profile: str | None, *, manager: bool = False) -> Viewer:
        """A Discord user, with the freelancer profile linked to them (if any)."""
        return cls(label=f"discord:{user_id}", profile=profile, manager=manager)


@dataclass(frozen=True)
class Decision:
    """Allowed or not, and why (the reason goes into the access log)."""

    allowed: bool
    reason: str


@dataclass(frozen=True)
class SectionPlan:
    """One history section the viewer may see: a profile, and whose actions on it (None = all)."""

    profile: str
    scope: str
    actor: str | None = None
    role: str | None = None


def _admin_of(viewer_memberships: Sequence[Membership], agency: str) -> Membership | None:
    for m in viewer_memberships:
        if m.agency == agency and m.role in AGENCY_ADMIN_ROLES:
            return m
    return None


def entry_access(viewer: Viewer, entry: LedgerEntry, viewer_memberships: Sequence[Membership]) -> Decision:
    """Decide whether the viewer may see one entry."""
    if viewer.manager:
        return Decision(True, "community manager")
    if viewer.profile is None:
        return Decision(False, "no ledger profile is linked to this user")
    if entry.profile == viewer.profile:
        return Decision(True, "own profile")
    admin = _admin_of(viewer_memberships, entry.profile)
    if admin is not None:
        return Decision(True, f"agency {admin.role}")
    # Acting on an entry counts only for an agency the viewer belongs to: the actor column of an old
    # import is not trusted to grant access to someone else's freelancer profile or a foreign agency.
    member = any(m.agency == entry.profile for m in viewer_memberships)
    if member and entry.actor is not None and entry.actor == viewer.profile:
        return Decision(True, "acted on this agency entry")
    return Decision(False, "not the member's own profile, an entry they acted on, or their agency")


def plan_history(
    viewer: Viewer,
    subject: Profile,
    subject_memberships: Sequence[Membership],
    viewer_memberships: Sequence[Membership],
) -> tuple[list[SectionPlan], Decision]:
    """Decide which history sections of `subject` the viewer may see (an empty list means refused)."""
    plans: list[SectionPlan] = []
    if subject.is_agency:
        admin = _admin_of(viewer_memberships, subject.id)
        if viewer.manager:
            return [SectionPlan(subject.id, ALL)], Decision(True, "community manager")
        if admin is not None:
            return [SectionPlan(subject.id, ALL, role=admin.role)], Decision(True, f"agency {admin.role}")
        member = next((m for m in viewer_memberships if m.agency == subject.id), None)
        if member is not None and viewer.profile is not None:
            plan = SectionPlan(subject.id, ACTED, actor=viewer.profile, role=member.role)
            return [plan], Decision(True, "agency member: only the entries they acted on")
        return [], Decision(False, "not a member of this agency")
    own = viewer.manager or (viewer.profile is not None and viewer.profile == subject.id)
    if own:
        plans.append(SectionPlan(subject.id, OWN))
    for m in subject_memberships:
        if own or _admin_of(viewer_memberships, m.agency) is not None:
            plans.append(SectionPlan(m.agency, ACTED, actor=subject.id, role=m.role))
    if not plans:
        return [], Decision(False, "not the member's own profile or an agency they run")
    if viewer.manager:
        reason = "community manager"
    elif own:
        reason = "own profile"
    else:
        reason = "agency owner/admin: only the agency entries this member acted on"
    return plans, Decision(True, reason)
