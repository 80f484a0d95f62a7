"""What a chat front end adds around the ledger service: naming another member, refusals the service can't log.

The service decides and logs every lookup it is asked for, unknown profiles and references included.
What a chat front end decides before calling it is recorded here, so that it is in the access log too:
- a member naming another member where only community managers may (`/connects explain member:`);
- a button pressed by someone other than the member it was offered to.
A member is told the same words whether or not the other person has a profile, so a refusal never
reveals who is linked.
"""

from __future__ import annotations

from collections.abc import Iterable

from bot.core.ledger.access import Viewer
from bot.core.ledger.explain import Explanation
from bot.core.ledger.models import AccessRecord
from bot.core.ledger.store import LedgerStore

MANAGERS_ONLY = "only community managers may look up another member"


def may_name_member(viewer: Viewer, asker_id: int | str, member_id: int | str | None) -> bool:
    """Tell whether the asker may name this member in a lookup (themselves, or anyone for a manager)."""
    return member_id is None or viewer.manager or str(member_id) == str(asker_id)


def record_refusal(store: LedgerStore, viewer: Viewer, discord_id: int | str, what: str, reason: str) -> AccessRecord:
    """Record a refused lookup of a Discord user, under their profile id when one is linked."""
    profile = store.profile_by_discord(discord_id)
    subject = profile.id if profile is not None else f"discord:{discord_id}"
    return store.log_access(viewer.label, subject, what, False, reason)


def profile_of(store: LedgerStore, discord_id: int | str) -> str | None:
    """Return the profile id linked to a Discord user, if any."""
    profile = store.profile_by_discord(discord_id)
    return profile.id if profile is not None else None


def concerning(explanations: Iterable[Explanation], profile_id: str) -> list[Explanation]:
    """Keep the explanations of entries on this member's profile or that this member acted on."""
    return [x for x in explanations if profile_id in (x.entry.profile, x.entry.actor)]
