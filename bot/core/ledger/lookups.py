"""What a chat front end decides around the ledger service: who may name whom, what concerns a member.

The service decides and logs every lookup it is asked for, unknown profiles and references included.
What a chat front end refuses before calling it (a member naming another member where only community
managers may; a button pressed by someone other than the member it was offered to) is recorded with
`LedgerService.record_refusal`, so it is in the access log too. A member is told the same words whether
or not the other person has a profile, so a refusal never reveals who is linked.
"""

from __future__ import annotations

from collections.abc import Iterable

from bot.core.ledger.access import Viewer
from bot.core.ledger.explain import Explanation

MANAGERS_ONLY = "only community managers may look up another member"


def may_name_member(viewer: Viewer, asker_id: int | str, member_id: int | str | None) -> bool:
    """Tell whether the asker may name this member in a lookup (themselves, or anyone for a manager)."""
    return member_id is None or viewer.manager or str(member_id) == str(asker_id)


def concerning(explanations: Iterable[Explanation], profile_id: str) -> list[Explanation]:
    """Keep the explanations of entries on this member's profile or that this member acted on."""
    return [x for x in explanations if profile_id in (x.entry.profile, x.entry.actor)]
