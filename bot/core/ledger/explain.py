"""Explain a ledger entry in plain words: which balance changed, why (citing rule ids), what to do next.

An explanation only states what the ledger records and what the knowledge base's rules say. Kinds the
rules do not cover (monthly grants, bonuses, the Availability badge, manual adjustments) are explained
as far as the entry itself goes, say that no rule covers them, and point to support: never a guessed
reason. Rule ids are the contract in knowledge/rules.yaml; `faq` lists the FAQ entries that explain
them, for a front end to link. The text is `Marked` (bot.core.untrusted): what the ledger holds (names,
ids, jobs, notes, billing methods) is marked untrusted, and each front end escapes it for its medium.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.core.knowledge.model import KnowledgeBase
from bot.core.ledger.models import AGENCY_ADMIN_ROLES, LedgerEntry, Membership, Profile
from bot.core.untrusted import Marked, say
from bot.core.wording import counted, one_or_many, were

SEPARATE = "separate-balances"
DRAWS = "proposal-draws-from-submitting-profile"
NO_TRANSFERS = "no-transfers"
BILLING = "billing-method-per-profile"
PURCHASE_ROLES = "agency-purchase-roles"
RETURNED = "returned-connects"
BOOST = "boost-charges"
EXPIRY = "expiry"
RULE_IDS = (SEPARATE, DRAWS, NO_TRANSFERS, BILLING, PURCHASE_ROLES, RETURNED, BOOST, EXPIRY)

# FAQ topics (ids from the knowledge base's topic contract) for each kind, linked even without rules.
KIND_FAQ = {
    "proposal": ("proposal-cost",),
    "boost": ("boosted-proposals",),
    "purchase": ("buying-connects",),
    "monthly": ("monthly-free-connects", "freelancer-plus-plan"),
    "bonus": ("bonus-connects",),
    "returned": ("refunds-returned-connects",),
    "expired": ("expiry-rollover",),
    "availability": ("availability-badge",),
    "adjustment": ("connects-history-balance",),
}
SUPPORT_FAQ = "contact-support"


@dataclass(frozen=True)
class EntryContext:
    """What an explanation needs besides the entry, gathered from the store by the caller."""

    entry: LedgerEntry
    profile: Profile
    actor: Profile | None = None
    # The actor's membership of the entry's agency (agency entries), if they are a member now.
    actor_membership: Membership | None = None
    # The agencies the entry's freelancer belongs to (freelancer entries).
    memberships: tuple[Membership, ...] = ()
    agency_names: tuple[tuple[str, str], ...] = ()
    # The other entries of the same job, in time order.
    related: tuple[LedgerEntry, ...] = ()


@dataclass(frozen=True)
class Explanation:
    """A plain-language explanation of one entry and the rules it relies on."""

    entry: LedgerEntry
    profile: Profile
    rules: tuple[str, ...]
    faq: tuple[str, ...]
    # Names, ids, jobs and notes come from the ledger (an import): marked untrusted, escaped by each front end.
    text: Marked
    covered: bool

    def to_json(self) -> dict[str, Any]:
        """Return the explanation in the JSON shape of `ledger explain --json` (plus extra keys)."""
        e = self.entry
        return {
            "entry": e.id,
            "profile": e.profile,
            "profile_kind": self.profile.kind,
            "kind": e.kind,
            "connects": e.connects,
            "job": e.job,
            "actor": e.actor,
            "rules": list(self.rules),
            "text": self.text.plain,
            "occurred_at": e.occurred_at,
            "balance_after": e.balance_after,
            "covered": self.covered,
            "faq": list(self.faq),
        }


def connects(n: int) -> str:
    """Say an amount of Connects in words: '1 Connect', '6 Connects'."""
    return counted(abs(n), "Connect", "Connects")


def explain_entry(ctx: EntryContext, kb: KnowledgeBase | None = None) -> Explanation:
    """Explain one entry; cite only rules the reason relies on."""
    handler = _HANDLERS.get(ctx.entry.kind, _uncovered)
    text, rules, covered = handler(ctx)
    if ctx.entry.note and ctx.entry.kind not in ("proposal",):
        text += say(' The ledger note says: "{note}".', note=ctx.entry.note)
    return Explanation(ctx.entry, ctx.profile, tuple(rules), _faq(ctx.entry.kind, rules, covered, kb), text, covered)


def _faq(kind: str, rules: Sequence[str], covered: bool, kb: KnowledgeBase | None) -> tuple[str, ...]:
    ids: list[str] = []
    for rule_id in rules:
        if kb is not None and rule_id in kb.rules:
            ids.extend(kb.rules[rule_id].entries)
    ids.extend(KIND_FAQ.get(kind, ()))
    if not covered:
        ids.append(SUPPORT_FAQ)
    if kb is not None:
        ids = [i for i in ids if i in kb.entries]
    return tuple(dict.fromkeys(ids))


# --- wording helpers (every value from the ledger goes through say(): marked untrusted) ---------------------


def _whose(profile: Profile) -> Marked:
    if profile.is_agency:
        return say("{name}'s collective agency balance (the one balance all its members share)", name=profile.name)
    return say("{name}'s own freelancer balance", name=profile.name)


def _about(ctx: EntryContext, template: str, /, **values: object) -> Marked:
    """say() with the entry's own words ready: {n} Connects, {were}, {whose} balance, {job}, {day}, {id}."""
    e = ctx.entry
    own = {
        "n": connects(e.connects),
        "were": were(e.connects),
        "whose": _whose(ctx.profile),
        "job": _job(e),
        "day": e.occurred_at[:10],
        "id": e.id,
    }
    return say(template, **own, **values)


def _first(profile: Profile | None) -> Marked:
    return say("{name}", name=profile.name.split()[0]) if profile and profile.name else say("the member")


def _role_words(role: str) -> str:
    return role.replace("_", " ")


def _job(entry: LedgerEntry) -> Marked:
    return say("job {job}", job=entry.job) if entry.job else say("a job")


def _spent_on_job(ctx: EntryContext, kinds: tuple[str, ...]) -> LedgerEntry | None:
    for other in reversed(ctx.related):
        if other.id != ctx.entry.id and other.kind in kinds and other.profile == ctx.entry.profile:
            return other
    return None


# --- one handler per kind: (text, rules, covered) -----------------------------------------------------------

Result = tuple[Marked, list[str], bool]


def _proposal(ctx: EntryContext) -> Result:
    e, p = ctx.entry, ctx.profile
    if p.is_agency:
        actor, role = ctx.actor, ctx.actor_membership
        by = say(" by {name}", name=actor.name) if actor else say(" (the ledger does not record which member)")
        not_from = (
            say("{name}'s own freelancer balance", name=actor.name) if actor else say("any member's freelancer balance")
        )
        text = _about(
            ctx,
            "{n} {were} taken from {whose}, not from {not_from}. Why: this proposal for {job} was submitted under "
            "the agency{by}, and a proposal draws from the balance of the profile it was submitted under, "
            "whoever submits it. Agency and freelancer Connects are separate balances, charged separately",
            not_from=not_from,
            by=by,
        )
        if actor:
            text += say(", so {first}'s freelancer balance is unchanged by it.", first=_first(actor))
        else:
            text += "."
        text += " Next: switch to the agency context and open its Connects history to see this charge."
        if role is not None and role.exclusive:
            text += say(" As an exclusive member, {first} applies only through the agency.", first=_first(actor))
        elif role is not None:
            text += (
                " To pay from the freelancer balance instead, a non-exclusive member sends the proposal "
                "from the freelancer profile rather than as an agency member."
            )
        return text, [DRAWS, SEPARATE], True
    text = _about(
        ctx,
        "{n} {were} taken from {whose}. Why: this proposal for {job} was submitted from the freelancer profile, "
        "and a proposal draws from the balance of the profile it was submitted under.",
    )
    if not ctx.memberships:
        text += " Next: the job post shows how many Connects a proposal needs before you submit."
        return text, [DRAWS], True
    membership = ctx.memberships[0]
    agency = dict(ctx.agency_names).get(membership.agency, membership.agency)
    text += say(
        " {first} is also a member of {agency}, but this proposal was not sent as an agency member, so the "
        "agency's balance was not used. Agency and freelancer balances are separate, and Connects can't be "
        "moved between them afterwards.",
        first=_first(p),
        agency=agency,
    )
    if membership.exclusive:
        text += say(
            " {first} is an exclusive member now, and exclusive members apply only through the agency: if "
            "this proposal went out after that, contact Upwork Support with entry {id}.",
            first=_first(p),
            id=e.id,
        )
    else:
        text += say(" Next: when the agency should pay, submit the proposal as a member of {agency}.", agency=agency)
    return text, [DRAWS, SEPARATE, NO_TRANSFERS], True


def _boost(ctx: EntryContext) -> Result:
    p = ctx.profile
    proposal = _spent_on_job(ctx, ("proposal",))
    text = _about(
        ctx,
        "{n} {were} taken from {whose} as a boost bid on {job}. A boost bid is charged on top of the proposal's "
        "own cost, as a separate line in the Connects history",
    )
    if proposal:
        text += say(" (the proposal is entry {id}, {n}).", id=proposal.id, n=connects(proposal.connects))
    else:
        text += "."
    rules = [BOOST]
    if p.is_agency:
        text += " The boost was on an agency proposal, so the agency's balance paid, not a freelancer's."
        rules.append(SEPARATE)
    text += say(" Next: open {name}'s Connects history to see both lines.", name=p.name)
    return text, rules, True


def _purchase(ctx: EntryContext) -> Result:
    e, p = ctx.entry, ctx.profile
    method = say(" ({method})", method=p.billing_method) if p.billing_method else say("")
    if not p.is_agency:
        text = _about(
            ctx,
            "{n} {were} added to {whose}: a purchase paid with the freelancer profile's own billing method"
            "{method}. Each profile pays with its own billing method, so {serve} proposals sent "
            "from this freelancer profile. Next: nothing to do; {they} in the balance now.",
            serve=one_or_many(e.connects, "this Connect serves", "these Connects serve"),
            they=one_or_many(e.connects, "it is", "they are"),
            method=method,
        )
        return text, [BILLING], True
    buyer, role = say(""), ctx.actor_membership.role if ctx.actor_membership else None
    if ctx.actor is not None:
        buyer = say(", bought by {name}", name=ctx.actor.name) + (f" ({_role_words(role)})" if role else "")
    text = _about(
        ctx,
        "{n} {were} added to {whose}: a purchase paid with the billing method on the Agency profile{method}"
        "{buyer}. Each profile pays with its own billing method: agency Connects are bought with a billing "
        "method added under the Agency profile, never from a freelancer balance or card. Only the agency "
        "owner and agency admins can buy Connects for the agency.",
        method=method,
        buyer=buyer,
    )
    if role is not None and role not in AGENCY_ADMIN_ROLES:
        text += say(
            " The ledger records {buyer} as the buyer, who is not an owner or admin now; ask the agency owner "
            "or support if that looks wrong.",
            buyer=ctx.actor.name if ctx.actor else say("the buyer"),
        )
    text += " Next: to buy more, the owner or an admin adds Connects from the agency context."
    return text, [BILLING, PURCHASE_ROLES], True


def _returned(ctx: EntryContext) -> Result:
    e, p = ctx.entry, ctx.profile
    spent = _spent_on_job(ctx, ("proposal",))
    text = _about(ctx, "{n} came back to {whose} for {job}")
    text += say(" (returning Connects spent on entry {id}).", id=spent.id) if spent else "."
    text += (
        " Connects come back only when the client cancels before hiring or the post is removed for "
        "breaking the terms; not when a proposal is declined, the job expires, you withdraw or the "
        "client never replies. They come back as Connects to reuse, not as money."
    )
    rules = [RETURNED]
    if p.is_agency:
        they = one_or_many(e.connects, "It", "They")
        text += f" {they} went back to the agency's balance, the one that paid for the proposal."
        rules.append(SEPARATE)
    text += f" Next: nothing to do; {one_or_many(e.connects, 'it is', 'they are')} already in the balance."
    return text, rules, True


def _expired(ctx: EntryContext) -> Result:
    e = ctx.entry
    text = _about(
        ctx,
        "{n} expired from {whose} on {day}. Connects expire one year after they are issued, oldest first, so "
        "{these} issued about a year earlier and not spent. Next: the Connects settings show how "
        "many Connects expire in the next 30 days; expired Connects don't come back.",
        these=one_or_many(e.connects, "this was a Connect", "these were Connects"),
    )
    return text, [EXPIRY], True


def _uncovered(ctx: EntryContext) -> Result:
    e = ctx.entry
    known = {
        "monthly": "the monthly Connects renewal",
        "bonus": "a bonus",
        "availability": "the Availability badge",
        "adjustment": "a manual adjustment",
    }.get(e.kind)
    what = say(known) if known else say("an entry of kind '{kind}'", kind=e.kind)
    moved = "added to" if e.connects >= 0 else "taken from"
    text = _about(
        ctx,
        "{n} {were} {moved} {whose} on {day}: {what}. None of the rules the bot knows explains why this amount "
        "was given or taken, so it won't guess. Next: if it looks wrong, contact Upwork Support with the "
        "entry id {id}.",
        moved=moved,
        what=what,
    )
    return text, [], False


_HANDLERS = {
    "proposal": _proposal,
    "boost": _boost,
    "purchase": _purchase,
    "returned": _returned,
    "expired": _expired,
}
