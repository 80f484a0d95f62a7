"""Sample ledger files shared by the ledger tests."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
HEADER = "id,profile,occurred_at,kind,connects,job,actor,note"

PROFILES = """\
profiles:
  - id: fl-a
    kind: freelancer
    name: Alma Quist
    billing_method: "Visa ending 4242"
    discord_id: "111111111111111111"
  - {id: fl-b, kind: freelancer, name: Bo Rand, billing_method: "Visa ending 1111"}
  - id: ag-x
    kind: agency
    name: Xeno Works
    billing_method: "Mastercard ending 5100"
    members:
      - {profile: fl-a, role: owner, exclusive: false}
      - {profile: fl-b, role: member, exclusive: true}
"""


def write_entries(path: Path, rows: Sequence[str]) -> Path:
    """Write an entries CSV with the contract header and these rows."""
    path.write_text(HEADER + "\n" + "".join(r + "\n" for r in rows), encoding="utf-8")
    return path
