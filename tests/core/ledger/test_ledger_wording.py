"""Amounts in words agree with their number: '1 Connect was added', never '1 Connect were added'."""

from __future__ import annotations

import re

import pytest
from ledger_sample import write_entries

from bot.core.ledger.access import Viewer
from bot.core.ledger.importer import import_ledger
from bot.core.ledger.models import ENTRY_KINDS, SPEND_KINDS
from bot.core.ledger.service import LedgerService
from bot.core.wording import counted

# What must not follow a single Connect (or refer back to one).
PLURAL_FOR_ONE = re.compile(
    r"\b1 Connect were\b|these were Connects|these Connects serve|\bthey are (?:already )?in the balance|\bThey went\b"
)


def ledger_of_amount(store, profiles_file, tmp_path, amount: int) -> LedgerService:
    """Every kind once, on a freelancer and on an agency, each moving `amount` Connects (after a top-up)."""
    rows = [
        "top-f,fl-a,2026-01-01T00:00:00+00:00,purchase,100,,fl-a,",
        "top-a,ag-x,2026-01-01T00:00:00+00:00,purchase,100,,fl-a,",
    ]
    for n, kind in enumerate(ENTRY_KINDS):
        signed = -amount if kind in SPEND_KINDS else amount
        job = f"~01{n:02d}" if kind in ("proposal", "boost", "returned") else ""
        for profile, actor in (("fl-a", "fl-a"), ("ag-x", "fl-b")):
            acted = actor if kind in ("proposal", "boost", "purchase") else ""
            rows.append(f"{kind}-{profile},{profile},2026-01-02T{n:02d}:00:00+00:00,{kind},{signed},{job},{acted},")
    import_ledger(store, profiles_path=profiles_file, entries_path=write_entries(tmp_path / "e.csv", rows))
    return LedgerService(store, None)


@pytest.mark.parametrize("amount", [1, 6])
def test_every_explanation_words_its_amount_in_the_right_number(empty, profiles_file, tmp_path, amount):
    service = ledger_of_amount(empty, profiles_file, tmp_path, amount)
    for kind in ENTRY_KINDS:
        for profile in ("fl-a", "ag-x"):
            (x,) = service.explain(Viewer.operator("tester"), f"{kind}-{profile}")
            text = x.to_json()["text"]  # the plain text, whatever type the explanation holds it in
            if amount == 1:
                assert "1 Connect " in text and "1 Connects" not in text, text
                assert not PLURAL_FOR_ONE.search(text), text
            else:
                assert "6 Connects " in text and "6 Connect " not in text, text
            if kind not in ("expired", "returned"):  # these say "expired from", "came back to"
                assert f"{counted(amount, 'Connect', 'Connects')} {'was' if amount == 1 else 'were'} " in text, text


def test_counted_says_one_and_many():
    assert counted(1, "entry", "entries") == "1 entry"
    assert counted(0, "entry", "entries") == "0 entries"
    assert counted(-1, "Connect", "Connects") == "-1 Connect"
    assert counted(1_000_000, "entry", "entries") == "1000000 entries"
