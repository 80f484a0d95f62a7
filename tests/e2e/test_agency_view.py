"""A member's /connects history says why the agency's running balance jumps between their lines."""

from __future__ import annotations

from tests.e2e.test_connects import AGENCY, Ledger, entry_ids_in, ledger, newest_ids

__all__ = ["ledger"]  # the fixture: the demo ledger, Alice linked to the seed member


async def test_the_agency_embed_says_other_members_entries_are_left_out(ledger: Ledger) -> None:
    ix = await ledger.send("connects history", user=ledger.world.alice)
    freelancer, agency = ix.callback_data["embeds"]
    assert entry_ids_in(agency) == newest_ids(AGENCY, actor="fl-ben")[:5]
    assert "Agency entries by other members are not shown" in agency["description"]
    assert "the balance after each line includes them" in agency["description"]
    assert "not shown" not in freelancer["description"]

    full = await ledger.send("connects history", {"member": ledger.world.alice}, user=ledger.manager)
    assert "Agency entries by other members are not shown" in full.callback_data["embeds"][1]["description"]
