"""Check and write PROFILES.yaml in an import: every bad item named by line, memberships kept unless listed.

The file is small (10,000 profiles is 1.4 MB), so it is parsed whole into plain data, and each item's
line comes from a scan of the block list (from the YAML node tree only when the scan cannot tell).
Nothing is written when any profile is bad; the entries are still checked so one run lists every problem.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.core import safe_yaml
from bot.core.errors import ImportRejected
from bot.core.ledger.import_session import ImportSession
from bot.core.ledger.limits import MAX_NAME_CHARS, shown
from bot.core.ledger.models import PROFILE_KINDS, ROLES, Membership, Profile, mask_billing_method

if TYPE_CHECKING:
    from bot.core.ledger.importer import Problems

# Matched whole (fullmatch): with `match` and `$`, an id with a final newline passed and was never found.
PROFILE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}")
PROFILE_FIELDS = ("id", "kind", "name", "billing_method", "discord_id", "members")
MEMBER_FIELDS = ("profile", "role", "exclusive")
# Parsed whole: 10,000 profiles are 1.4 MB and peak at ~60 MB; a bigger list is imported in parts
# (profiles are upserted), which keeps an import within its 200 MB memory target.
MAX_PROFILES_FILE_BYTES = 4 * 1024 * 1024
_NO_MEMBERS = object()  # an agency item without `members:`: keep the memberships the ledger has


def import_profiles(
    session: ImportSession, path: Path, kinds: dict[str, str], problems: Problems
) -> tuple[list[Profile], dict[str, list[Membership]]]:
    """Check and write the profiles; return them and the member lists of the agencies whose list was given."""
    label = path.name
    items = _profile_nodes(path, label, problems)
    existing_kinds = dict(kinds)
    profiles: list[Profile] = []
    members: dict[str, list[Membership]] = {}
    seen: dict[str, int] = {}
    pending: list[tuple[int, str, Any]] = []
    for line, raw in items:

        def bad(text: str, _line: int = line) -> None:
            problems.add(0, _line, f"{label} line {_line}: {text}")

        if not isinstance(raw, dict):
            bad("a profile must be a mapping with id, kind, name")
            continue
        pid = raw.get("id")
        where = f"profile {shown(pid)}" if isinstance(pid, str) else "profile"
        before = problems.total
        for key in raw:
            if key not in PROFILE_FIELDS:
                bad(f"{where}: unknown field {key!r} (expected {', '.join(PROFILE_FIELDS)})")
        if not isinstance(pid, str) or not PROFILE_ID.fullmatch(pid):
            bad(f"{where}: id must be letters, digits, '-', '_', '.' or ':' (at most 64), got {shown(pid)}")
            continue
        if pid in seen:
            bad(f"{where}: duplicate profile id (first on line {seen[pid]})")
            continue
        seen[pid] = line
        kind = raw.get("kind")
        if kind not in PROFILE_KINDS:
            bad(f"{where}: kind must be one of {', '.join(PROFILE_KINDS)}, got {kind!r}")
        elif existing_kinds.get(pid, kind) != kind:
            bad(f"{where}: already in the ledger as {existing_kinds[pid]}; a profile cannot change kind")
        name = raw.get("name")
        if not isinstance(name, str) or not name.strip():
            bad(f"{where}: name must be non-empty text")
        elif len(name.strip()) > MAX_NAME_CHARS:
            bad(f"{where}: name must be at most {MAX_NAME_CHARS} characters, got {len(name.strip()):,}")
        billing = raw.get("billing_method")
        if billing is not None and not isinstance(billing, str):
            bad(f"{where}: billing_method must be text, got {billing!r}")
        elif billing is not None and len(billing.strip()) > MAX_NAME_CHARS:
            bad(f"{where}: billing_method must be at most {MAX_NAME_CHARS} characters, got {len(billing.strip()):,}")
        discord = raw.get("discord_id")
        if discord is not None:
            text = str(discord).strip()
            if kind != "freelancer":
                bad(f"{where}: only freelancer profiles link to a Discord user")
            elif isinstance(discord, bool) or not (text.isascii() and text.isdigit()) or not 0 < int(text) < 2**64:
                bad(f"{where}: discord_id must be a Discord user id (digits), got {discord!r}")
            discord = text
        if raw.get("members") is not None and kind != "agency":
            bad(f"{where}: only agency profiles have members")
        if kind in PROFILE_KINDS:
            kinds[pid] = kind  # known even when invalid, so its entries are not also reported as unknown
        if problems.total > before:
            continue
        profiles.append(Profile(pid, kind, name.strip(), mask_billing_method(billing), discord or None))
        if kind == "agency":
            pending.append((line, pid, raw.get("members", _NO_MEMBERS)))
    for line, agency, raw_members in pending:
        # No `members:` keeps the agency's memberships; only an explicit list (even []) replaces them.
        if raw_members is None:
            problems.add(
                0,
                line,
                f"{label} line {line}: agency {agency!r}: members: is empty; write members: [] to remove every "
                "member, or leave the key out to keep them",
            )
        elif raw_members is not _NO_MEMBERS:
            members[agency] = _members(agency, raw_members, line, label, kinds, problems)
    _check_links(session, profiles, members, seen, label, problems)
    if problems.total:
        # Nothing is written; the entries are still checked so one run lists every problem.
        return profiles, members
    session.upsert_profiles(profiles)
    for agency, agency_members in members.items():
        session.replace_members(agency, agency_members)
    return profiles, members


def _profile_nodes(path: Path, label: str, problems: Problems) -> list[tuple[int, Any]]:
    """Return (line, mapping) for each item of `profiles:`, keeping line numbers for errors."""
    try:
        text = safe_yaml.read_text(path, MAX_PROFILES_FILE_BYTES)
        data = safe_yaml.load_text(text)
    except OSError as exc:
        raise ImportRejected([f"{label}: cannot read file: {exc}"], 1) from None
    except safe_yaml.YamlRefused as exc:
        raise ImportRejected([f"{label}: {exc}"], 1) from None
    if not isinstance(data, dict) or set(data) != {"profiles"} or not isinstance(data["profiles"], list):
        raise ImportRejected([f"{label} line 1: must hold one key, 'profiles:', with a list of profiles"], 1)
    items = data["profiles"]
    # Plain dicts are far lighter than a node tree with marks (10,000 profiles: ~10 MB instead of ~60 MB);
    # item lines come from a scan of the block list, and from the node tree only when the scan can't tell.
    lines = _item_lines(text)
    if len(lines) != len(items):
        lines = _item_lines_from_nodes(text)
    return list(zip(lines, items, strict=True))


def _item_lines(text: str) -> list[int]:
    """Find the line of each top-level item of a block-style `profiles:` list."""
    lines: list[int] = []
    indent: int | None = None
    inside = False
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.lstrip(" ")
        if not inside:
            inside = line.startswith("profiles:") and not line[len("profiles:") :].strip(" ")
            continue
        if not stripped or stripped.startswith("#"):
            continue
        depth = len(line) - len(stripped)
        is_item = stripped.startswith("- ") or stripped == "-"
        if indent is None and is_item:
            indent = depth
        if indent is not None and depth == indent and is_item:
            lines.append(number)
        elif indent is not None and depth < indent:
            break
    return lines


def _item_lines_from_nodes(text: str) -> list[int]:
    loader = safe_yaml.BoundedLoader(text)
    try:
        root = loader.get_single_node()
        top = {k.value: v for k, v in root.value}
        return [node.start_mark.line + 1 for node in top["profiles"].value]
    finally:
        loader.dispose()


def _members(
    agency: str, raw: Any, line: int, label: str, kinds: dict[str, str], problems: Problems
) -> list[Membership]:
    out: list[Membership] = []
    where = f"{label} line {line}: agency {agency!r}"
    if not isinstance(raw, list):
        problems.add(0, line, f"{where}: members must be a list")
        return out
    owners = 0
    for i, item in enumerate(raw):
        here = f"{where}: members[{i}]"
        if not isinstance(item, dict) or set(item) - set(MEMBER_FIELDS):
            problems.add(0, line, f"{here}: must be a mapping with {', '.join(MEMBER_FIELDS)}")
            continue
        profile, role, exclusive = item.get("profile"), item.get("role"), item.get("exclusive", False)
        if kinds.get(profile) != "freelancer":
            problems.add(0, line, f"{here}: {profile!r} is not a freelancer profile")
        elif role not in ROLES:
            problems.add(0, line, f"{here}: role must be one of {', '.join(ROLES)}, got {role!r}")
        elif not isinstance(exclusive, bool):
            problems.add(0, line, f"{here}: exclusive must be true or false, got {exclusive!r}")
        elif any(m.profile == profile for m in out):
            problems.add(0, line, f"{here}: {profile!r} is listed twice")
        else:
            owners += role == "owner"
            out.append(Membership(agency, profile, role, exclusive))
    if owners > 1:
        problems.add(0, line, f"{where}: an agency has one owner, found {owners}")
    return out


def _check_links(
    session: ImportSession,
    profiles: list[Profile],
    members: dict[str, list[Membership]],
    lines: dict[str, int],
    label: str,
    problems: Problems,
) -> None:
    """Check what spans profiles: a Discord id links one profile; one owned agency and one exclusive each."""
    final_links = {d: p for d, p in session.discord_links().items() if p not in lines}
    for p in profiles:
        if p.discord_id is None:
            continue
        other = final_links.setdefault(p.discord_id, p.id)
        if other != p.id:
            problems.add(
                0,
                lines[p.id],
                f"{label} line {lines[p.id]}: profile {p.id!r}: discord_id "
                f"{p.discord_id} is already linked to {other!r}",
            )
    all_members = [m for m in session.memberships() if m.agency not in members]
    all_members += [m for ms in members.values() for m in ms]
    for flag, text in (
        ("owner", "owns more than one agency"),
        ("exclusive", "is exclusive to more than one agency"),
    ):
        seen: dict[str, str] = {}
        for m in all_members:
            if (m.role == "owner") if flag == "owner" else m.exclusive:
                first = seen.setdefault(m.profile, m.agency)
                if first != m.agency and m.agency in lines:
                    line = lines[m.agency]
                    problems.add(0, line, f"{label} line {line}: {m.profile!r} {text} ({first}, {m.agency})")
