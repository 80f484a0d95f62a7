"""Plain data of the Connects ledger: profiles, agency memberships, entries, and history views."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

PROFILE_KINDS = ("freelancer", "agency")
ROLES = ("owner", "admin", "business_manager", "member")
# Roles that may buy Connects for an agency and see all of its entries.
AGENCY_ADMIN_ROLES = ("owner", "admin")

ENTRY_KINDS = (
    "proposal",
    "boost",
    "purchase",
    "monthly",
    "bonus",
    "returned",
    "expired",
    "availability",
    "adjustment",
)
KINDS_NEEDING_JOB = frozenset({"proposal", "boost", "returned"})
# The direction of each kind: spends may not add Connects, grants may not take them. Zero is allowed
# because some jobs need no Connects; an adjustment may go either way.
SPEND_KINDS = frozenset({"proposal", "boost", "expired", "availability"})
GRANT_KINDS = frozenset({"purchase", "monthly", "bonus", "returned"})

ENTRY_COLUMNS = ("id", "profile", "occurred_at", "kind", "connects", "job", "actor", "note")

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MICRO = dt.timedelta(microseconds=1)
_DIGITS = re.compile(r"\d+")
_EMAIL = re.compile(r"[^\s@]+@[^\s@]+")
_ENDING = re.compile(r"\b(?:ending(?:\s+in)?|ends(?:\s+in)?|last\s*4|no\.?|number|#)\s*$", re.IGNORECASE)


def mask_billing_method(text: str | None) -> str | None:
    """Reduce a billing method to brand and last four digits, e.g. 'Visa •••• 4242'."""
    if text is None:
        return None
    text = " ".join(str(text).split())
    if not text:
        return None
    text = _EMAIL.sub(lambda m: m.group(0)[0] + "•••@" + m.group(0).split("@", 1)[1], text)
    first = _DIGITS.search(text)
    if first is None:
        return text
    # Card numbers are often written in groups ("4111 1111 1111 4242"): keep the last four of all the
    # digits, and the brand from the words before the first digit.
    digits = "".join(_DIGITS.findall(text))
    brand = _ENDING.sub("", text[: first.start()].strip(" ,:-•*")).strip(" ,:-•*")
    last4 = digits[-4:]
    return f"{brand} •••• {last4}".strip() if brand else f"•••• {last4}"


def parse_occurred_at(text: str) -> int:
    """Parse an ISO 8601 time with offset into UTC microseconds; raise ValueError when it is not one."""
    moment = dt.datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError("has no UTC offset")
    return (moment - _EPOCH) // _MICRO


def parse_since(text: str) -> int:
    """Parse a --since value (a date, or a time with or without offset; UTC assumed) into microseconds."""
    moment = dt.datetime.fromisoformat(text.strip())
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return (moment - _EPOCH) // _MICRO


@dataclass(frozen=True)
class AccessRecord:
    """One read of someone's ledger: who looked, whose ledger, what, when, and the decision."""

    at: str
    viewer: str
    subject: str
    what: str
    allowed: bool
    reason: str

    def to_json(self) -> dict[str, Any]:
        """Return the record as plain JSON data."""
        return {
            "at": self.at,
            "viewer": self.viewer,
            "subject": self.subject,
            "what": self.what,
            "allowed": self.allowed,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class Membership:
    """One freelancer's place in one agency."""

    agency: str
    profile: str
    role: str
    exclusive: bool

    def to_json(self) -> dict[str, Any]:
        """Return the membership as plain JSON data."""
        return {
            "agency": self.agency,
            "profile": self.profile,
            "role": self.role,
            "exclusive": self.exclusive,
        }


@dataclass(frozen=True)
class Profile:
    """A freelancer or agency profile with its own balance and its own (masked) billing method."""

    id: str
    kind: str
    name: str
    billing_method: str | None = None
    discord_id: str | None = None

    @property
    def is_agency(self) -> bool:
        """Tell whether this is an agency profile."""
        return self.kind == "agency"

    def to_json(self) -> dict[str, Any]:
        """Return the profile as plain JSON data (billing method already masked)."""
        return {
            "id": self.id,
            "kind": self.kind,
            "name": self.name,
            "billing_method": self.billing_method,
            "discord_id": self.discord_id,
        }


@dataclass(frozen=True)
class LedgerEntry:
    """One signed change to one profile's balance, with the balance right after it."""

    id: str
    profile: str
    occurred_at: str
    kind: str
    connects: int
    job: str | None
    actor: str | None
    note: str
    balance_after: int

    def to_json(self) -> dict[str, Any]:
        """Return the entry in the JSON shape of `ledger history --json`."""
        return {
            "id": self.id,
            "profile": self.profile,
            "occurred_at": self.occurred_at,
            "kind": self.kind,
            "connects": self.connects,
            "job": self.job,
            "actor": self.actor,
            "note": self.note,
            "balance_after": self.balance_after,
        }


@dataclass(frozen=True)
class HistorySection:
    """The entries shown for one profile's balance, newest first, and that balance now."""

    profile: Profile
    balance: int
    entries: tuple[LedgerEntry, ...]
    # "own" for the member's own profile; "acted" for agency entries the member acted on; "all" for
    # every entry of the profile (an agency seen by its owner, admin or a community manager).
    scope: str = "own"
    role: str | None = None

    @property
    def others_hidden(self) -> bool:
        """Whether entries not shown here changed this balance: a member sees only the agency entries they
        acted on, and the balance after each line counts everyone's, so it jumps where others' are left out."""
        if self.scope != "acted" or not self.entries:
            return False
        if self.entries[0].balance_after != self.balance:  # newest first: something came after the newest shown
            return True
        pairs = zip(self.entries, self.entries[1:], strict=False)
        return any(newer.balance_after - newer.connects != older.balance_after for newer, older in pairs)


@dataclass(frozen=True)
class History:
    """What `ledger history WHO` shows: one section per balance, never a mixed total."""

    subject: Profile
    sections: tuple[HistorySection, ...] = field(default_factory=tuple)

    def to_json(self) -> dict[str, Any]:
        """Return the history in the contract shape, plus a `sections` summary."""
        return {
            "profile": self.subject.id,
            "balances": {s.profile.id: s.balance for s in self.sections},
            "entries": [e.to_json() for s in self.sections for e in s.entries],
            "sections": [
                {
                    "profile": s.profile.id,
                    "kind": s.profile.kind,
                    "name": s.profile.name,
                    "scope": s.scope,
                    "role": s.role,
                    "balance": s.balance,
                    "shown": len(s.entries),
                    "others_hidden": s.others_hidden,
                }
                for s in self.sections
            ],
        }
