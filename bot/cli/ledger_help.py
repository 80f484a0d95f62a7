"""The help of `ledger import`: both file formats, with the CSV header and sample rows, from the code's constants.

The samples are real files: tests/core/ledger/test_ledger_cli.py imports them into an empty ledger.
"""

from __future__ import annotations

import textwrap

from bot.core.ledger.limits import MAX_ID_CHARS, MAX_JOB_CHARS, MAX_LINE_BYTES, MAX_NAME_CHARS, MAX_NOTE_CHARS
from bot.core.ledger.models import ENTRY_COLUMNS, ENTRY_KINDS, KINDS_NEEDING_JOB, PROFILE_KINDS, ROLES

SAMPLE_ENTRIES = f"""\
{",".join(ENTRY_COLUMNS)}
e-1041,ag-brightpath,2026-09-01T10:00:00+00:00,purchase,150,,fl-ben,bundle
e-1042,ag-brightpath,2026-09-24T17:10:00+02:00,proposal,-6,~01ab7c9d2e4f6a8b0c,fl-ben,
"""

SAMPLE_PROFILES = """\
profiles:
  - {id: fl-ben, kind: freelancer, name: Ben Okafor, billing_method: "Visa ending 4242", discord_id: "1234"}
  - id: ag-brightpath
    kind: agency
    name: Brightpath Studio
    billing_method: "Mastercard ending 5100"
    members:
      - {profile: fl-ben, role: owner, exclusive: false}
"""

IMPORT_DESCRIPTION = """\
Import PROFILES.yaml and/or ENTRIES.csv into the configured ledger, all or nothing: one bad row and
nothing is imported, and every bad row is listed with its line number. Re-importing an entry id is
refused."""

IMPORT_EPILOG = f"""\
ENTRIES.csv (UTF-8; lines starting with # before the header are comments):
{textwrap.indent(SAMPLE_ENTRIES, "  ")}
  occurred_at  ISO 8601 with an offset, from 2000 to now
  kind         {", ".join(ENTRY_KINDS)}
  connects     a signed whole number, at most 1000000 either way (negative for a spend)
  job          required for {", ".join(sorted(KINDS_NEEDING_JOB))}; at most {MAX_JOB_CHARS} characters
  actor        on an agency entry a member of the agency, on a freelancer entry that freelancer, or empty
  id           at most {MAX_ID_CHARS} characters, no spaces; ids and jobs hold no backtick or control character
  note         at most {MAX_NOTE_CHARS} characters (a line at most {MAX_LINE_BYTES:,} bytes)

PROFILES.yaml:
{textwrap.indent(SAMPLE_PROFILES, "  ")}
  kind {" or ".join(PROFILE_KINDS)}; role {", ".join(ROLES)}; names at most {MAX_NAME_CHARS} characters.
  An agency listed without members: keeps its memberships; members: [] removes them.
"""
