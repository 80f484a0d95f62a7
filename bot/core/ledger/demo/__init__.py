"""The bundled demo ledger (profiles.yaml + entries.csv), loaded into a fresh ledger database.

A ledger seeded from these files is marked `origin = demo`; real data is never mixed into it (see
`ledger import --replace-demo` and `ledger reset`). The ids below say which rows are the demo's.
"""

from __future__ import annotations

import csv
import functools
import io
from importlib import resources

import yaml


def _text(name: str) -> str:
    return (resources.files(__name__) / name).read_text(encoding="utf-8")


@functools.cache
def demo_entry_keys() -> frozenset[tuple[str, str, int]]:
    """Return (id, profile, connects) of every demo entry."""
    lines = [line for line in io.StringIO(_text("entries.csv")) if not line.startswith("#")]
    rows = csv.DictReader(lines)
    return frozenset((r["id"], r["profile"], int(r["connects"])) for r in rows)


@functools.cache
def demo_profile_ids() -> frozenset[str]:
    """Return the ids of the demo profiles."""
    return frozenset(p["id"] for p in yaml.safe_load(_text("profiles.yaml"))["profiles"])
