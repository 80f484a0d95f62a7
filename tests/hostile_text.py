"""Hostile text for the escaping tests: a ledger whose every string attacks its reader, and checkers.

Each value tries what a member or an import could: close a code span and plant a masked link, ping
with a mention, start a heading or a fake row with a newline, clear the terminal, reverse the text.
`markdown_problems` reads a Discord message the way Discord's markdown would and lists what would be
live; `terminal_problems` lists the control characters a terminal would obey.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import yaml

from bot.core.ledger.importer import import_ledger
from bot.core.ledger.store import LedgerStore

HOSTILE_HOST, HOSTILE_ID = "evil.example", "123456789012345678"
LINK = "[Staff: re-verify your 2FA here](https://evil.example/2fa)"
# What a member types as `/connects explain reference:`: the backticks close the bot's code span.
REFERENCE = f"x` {LINK} `y"
MENTIONS = "<@&123456789012345678> @everyone"
FORGED_ROW = "\n  2026-10-30T00:00:00+00:00  e-9999     purchase       +500  → 999"

MEMBER_ID, AGENCY_ID = "fl-mallory", "ag-evil"
MEMBER_NAME = f"Mallory `x` {LINK}\n# Forged header"  # within the importer's 100-character cap on names
AGENCY_NAME = "Evil **Agency** ||spoiler|| [click](https://evil.example/agency)\x1b[2J"
BILLING = "[Visa](https://evil.example/card) \u202eevil"
NOTE = f"[click here](http://evil.example/note) {MENTIONS}{FORGED_ROW}\x1b[2J"
JOB = "~job[b](https://evil.example/job)"
# Entry ids: no whitespace (the importer's rule) and no backticks (refused at import), the rest hostile.
BONUS_ID = "e-[bonus](https://evil.example/e)"
PROPOSAL_ID = "e-*prop*<@123456789012345678>"
OTHER_ID, OTHER_NAME = "fl-otto", "Otto ~~Other~~"

# The visible words each surface must still show (escaping changes how, never what).
SHOWN = ("Staff: re-verify your 2FA here", "Mallory")


def write_hostile_ledger(path: Path, tmp: Path, *, discord_id: int | None = None) -> None:
    """Create a ledger at path holding the hostile profiles and entries (through the real importer)."""
    profiles = {
        "profiles": [
            {"id": MEMBER_ID, "kind": "freelancer", "name": MEMBER_NAME, "billing_method": BILLING},
            {"id": OTHER_ID, "kind": "freelancer", "name": OTHER_NAME},
            {
                "id": AGENCY_ID,
                "kind": "agency",
                "name": AGENCY_NAME,
                "billing_method": BILLING,
                "members": [
                    {"profile": MEMBER_ID, "role": "owner", "exclusive": False},
                    {"profile": OTHER_ID, "role": "member", "exclusive": False},
                ],
            },
        ]
    }
    if discord_id is not None:
        profiles["profiles"][0]["discord_id"] = str(discord_id)
    rows = [
        (BONUS_ID, MEMBER_ID, "2026-09-01T09:00:00+00:00", "bonus", "30", "", "", NOTE),
        ("e-2001", AGENCY_ID, "2026-09-02T09:00:00+00:00", "purchase", "100", "", MEMBER_ID, NOTE),
        (PROPOSAL_ID, AGENCY_ID, "2026-09-03T09:00:00+00:00", "proposal", "-6", JOB, MEMBER_ID, NOTE),
        ("e-2002", AGENCY_ID, "2026-09-04T09:00:00+00:00", "proposal", "-4", "~other", OTHER_ID, ""),
        ("e-2003", AGENCY_ID, "2026-09-05T09:00:00+00:00", "boost", "-2", JOB, MEMBER_ID, NOTE),
    ]
    profiles_path, entries_path = tmp / "hostile-profiles.yaml", tmp / "hostile-entries.csv"
    profiles_path.write_text(yaml.safe_dump(profiles, allow_unicode=True), encoding="utf-8")
    with entries_path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "profile", "occurred_at", "kind", "connects", "job", "actor", "note"])
        writer.writerows(rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    with LedgerStore(path) as store:
        import_ledger(store, profiles_path=profiles_path, entries_path=entries_path)


# --- reading output as Discord would -----------------------------------------------------------------------

_PUNCTUATION = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
_MASKED_LINK = re.compile(r"\[[^\]]*\]\([^)]*\)")
_MENTION = re.compile(r"<(?:@[!&]?|#|/[^:>]+:|a?:\w+:)\d+>|@(?:everyone|here)\b")
_LINE_MARKUP = re.compile(r"^\s*(?:#{1,3} |-# |> |>>> )", re.M)
_OBEYED = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _outside_code(text: str) -> tuple[str, list[str]]:
    """Text outside code spans with escaped characters blanked out, and any code span left open."""
    out: list[str] = []
    problems: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text) and text[i + 1] in _PUNCTUATION:
            out.append("\x00")  # an escaped character is shown as itself and means nothing
            i += 2
            continue
        if ch == "`":
            run = len(text[i:]) - len(text[i:].lstrip("`"))
            close = text.find("`" * run, i + run)
            if close < 0:
                problems.append(f"a code span opened at {i} is never closed: {text[i : i + 60]!r}")
                i += run
                continue
            out.append(" ")
            i = close + run
            continue
        out.append(ch)
        i += 1
    return "".join(out), problems


def markdown_problems(text: str) -> list[str]:
    """What Discord would render live in this message text: masked links, mentions, line markup from
    untrusted text, broken code spans, and control characters."""
    outside, problems = _outside_code(text)
    # The bot's own links (FAQ sources) and mentions (the asker, in a log line) are meant; the hostile ones
    # are known by their target and ids.
    links = [m.group(0) for m in _MASKED_LINK.finditer(outside)]
    problems += [f"live masked link {link!r}" for link in links if HOSTILE_HOST in link]
    mentions = [m.group(0) for m in _MENTION.finditer(outside)]
    problems += [f"live mention {m!r}" for m in mentions if HOSTILE_ID in m or m.startswith("@")]
    problems += [f"control character {m.group(0)!r}" for m in _OBEYED.finditer(text)]
    if "Forged section header" in text and re.search(r"^\s*#+ Forged", outside, re.M):
        problems.append("a heading forged by a newline")
    return problems


def message_texts(payload: dict) -> list[str]:
    """Every markdown-rendered string of a message payload: content, embed title/description/fields."""
    texts = [payload.get("content") or ""]
    for embed in payload.get("embeds") or []:
        texts += [embed.get("title") or "", embed.get("description") or ""]
        texts += [f"{field['name']}\n{field['value']}" for field in embed.get("fields") or []]
    return [t for t in texts if t]


def unescaped(text: str) -> str:
    """The words a reader sees: markdown escapes and code-span look-alikes removed."""
    return re.sub(r"\\([^\w\s])", r"\1", text).replace("\u02cb", "`").replace("@\u200b", "@")


# --- reading output as a terminal would --------------------------------------------------------------------


def terminal_problems(text: str) -> list[str]:
    """Control characters a terminal would obey (a newline is the CLI's own, so it is allowed)."""
    return [f"control character {m.group(0)!r} at {m.start()}" for m in _OBEYED.finditer(text)]
