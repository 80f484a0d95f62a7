"""Import PROFILES.yaml and ENTRIES.csv into the ledger: streaming, all or nothing, every bad row named.

Profiles come first (parsed whole: the file is small, and each item keeps its line number), then the
entries file is read row by row (import_entries) straight into the ledger inside the import's single
transaction (import_session), which is rolled back on any problem. Balance problems are reported only
once every row is otherwise valid: with a row missing or duplicated, they would be misleading.

Imports never mix real data into the bundled demo ledger: a ledger marked as the demo is refused unless
the caller asks to replace the demo (`replace_demo=True`), which removes the demo's rows in the same
transaction.
"""

from __future__ import annotations

import datetime as dt
import gc
import logging
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.core.errors import ImportRejected, LedgerError
from bot.core.ledger.import_entries import EntryRules, Progress, read_entries
from bot.core.ledger.import_session import ImportSession
from bot.core.ledger.models import PROFILE_KINDS, ROLES, Membership, Profile, mask_billing_method
from bot.core.ledger.store import LedgerStore

log = logging.getLogger(__name__)

MAX_LISTED = 50
PROFILE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")
PROFILE_FIELDS = ("id", "kind", "name", "billing_method", "discord_id", "members")
MEMBER_FIELDS = ("profile", "role", "exclusive")
_YAML_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# Entries may be stamped up to a day ahead of this machine's clock (time zones, clock skew), no later.
CLOCK_SLACK = dt.timedelta(days=1)
_NO_MEMBERS = object()  # an agency item without `members:`: keep the memberships the ledger has


class DemoLedger(LedgerError):
    """The ledger holds the bundled demo people; real data is not mixed into it."""


@dataclass(frozen=True)
class ImportResult:
    """What an import added."""

    profiles: int
    entries: int
    seconds: float


class Problems:
    """Collect (sort key, message) problems; keep the first MAX_LISTED by key, count them all."""

    def __init__(self) -> None:
        self.items: list[tuple[tuple[int, int], str]] = []
        self.total = 0

    def add(self, order: int, line: int, message: str) -> None:
        self.total += 1
        if len(self.items) < MAX_LISTED * 4:
            self.items.append(((order, line), message))

    def raise_if_any(self) -> None:
        if self.total:
            listed = [m for _, m in sorted(self.items)[:MAX_LISTED]]
            raise ImportRejected(listed, self.total)


def import_ledger(
    store: LedgerStore,
    *,
    profiles_path: str | Path | None = None,
    entries_path: str | Path | None = None,
    progress: Progress | None = None,
    replace_demo: bool = False,
) -> ImportResult:
    """Import a profiles file and/or an entries file; raise ImportRejected listing every bad row."""
    # Parsing allocates millions of short-lived lists, dicts and tuples and creates no cycles: the cyclic
    # garbage collector would only rescan the same long-lived objects over and over (~20% of the time).
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _import(store, profiles_path, entries_path, progress, replace_demo)
    finally:
        if collecting:
            gc.enable()


def _import(
    store: LedgerStore,
    profiles_path: str | Path | None,
    entries_path: str | Path | None,
    progress: Progress | None,
    replace_demo: bool,
) -> ImportResult:
    started = time.perf_counter()
    problems = Problems()
    with ImportSession(store) as session:
        if session.is_demo():
            if not replace_demo:
                raise DemoLedger(
                    f"{store.path} holds the bundled demo ledger; nothing was imported. Run `ledger reset` to "
                    "remove the demo people first, or import with --replace-demo"
                )
            session.remove_demo()
        kinds = session.known_profiles()
        profiles: list[Profile] = []
        members = {(m.agency, m.profile) for m in session.memberships()}
        if profiles_path is not None:
            profiles, replaced = _import_profiles(session, Path(profiles_path), kinds, problems)
            members = {pair for pair in members if pair[0] not in replaced}
            members |= {(m.agency, m.profile) for ms in replaced.values() for m in ms}
        count = 0
        if entries_path is not None:
            rules = EntryRules(kinds, frozenset(members), dt.datetime.now(dt.UTC) + CLOCK_SLACK)
            count = _import_entries(session, Path(entries_path), rules, problems, progress)
        problems.raise_if_any()
        session.commit()
    elapsed = time.perf_counter() - started
    log.info("imported %d profile(s) and %d entries in %.2fs", len(profiles), count, elapsed)
    return ImportResult(profiles=len(profiles), entries=count, seconds=elapsed)


def reset_demo(store: LedgerStore) -> None:
    """Remove the bundled demo people from a demo ledger (the access log stays); refuse any other ledger."""
    with ImportSession(store) as session:
        if not session.is_demo():
            raise LedgerError(f"{store.path} holds imported data, not the demo; `ledger reset` only removes the demo")
        session.remove_demo()
        session.commit()


def _import_entries(
    session: ImportSession, path: Path, rules: EntryRules, problems: Problems, progress: Progress | None
) -> int:
    label = path.name
    count, lines, negatives, recompute = read_entries(session, path, rules, problems, progress)

    def line_of(seq: int) -> int:
        return lines[seq - session.base_seq - 1]

    if not session.finish_entries():
        found, total = session.duplicates(MAX_LISTED)
        for seq, entry_id, first in found:
            line = line_of(seq)
            if first <= session.base_seq:
                problems.add(
                    1, line, f"{label} line {line}: entry id {entry_id!r} is already in the ledger (re-import refused)"
                )
            else:
                problems.add(
                    1, line, f"{label} line {line}: duplicate entry id {entry_id!r} (first on line {line_of(first)})"
                )
        problems.total += total - len(found)
    problems.raise_if_any()
    for line, profile, message in negatives:
        if profile not in recompute:
            problems.add(1, line, f"{label} line {line}: {message}")
    if recompute:
        for seq, entry_id, profile, before, after, cause in session.recompute(recompute):
            if seq > session.base_seq:
                line = line_of(seq)
                problems.add(
                    1,
                    line,
                    f"{label} line {line}: entry {entry_id!r} takes {profile}'s balance below zero "
                    f"({before} -> {after})",
                )
            else:
                line = line_of(cause) if cause else 0
                problems.add(
                    1,
                    line,
                    f"{label} line {line}: spending here makes existing entry {entry_id!r} take {profile}'s balance "
                    f"below zero ({before} -> {after})",
                )
    return count


# --- profiles --------------------------------------------------------------------------------------------


def _import_profiles(
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
        where = f"profile {pid!r}" if isinstance(pid, str) else "profile"
        before = problems.total
        for key in raw:
            if key not in PROFILE_FIELDS:
                bad(f"{where}: unknown field {key!r} (expected {', '.join(PROFILE_FIELDS)})")
        if not isinstance(pid, str) or not PROFILE_ID.match(pid):
            bad(f"{where}: id must be letters, digits, '-', '_', '.' or ':' (at most 64), got {pid!r}")
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
        billing = raw.get("billing_method")
        if billing is not None and not isinstance(billing, str):
            bad(f"{where}: billing_method must be text, got {billing!r}")
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
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ImportRejected([f"{label}: cannot read file: {exc}"], 1) from None
    try:
        data = _load_profiles_yaml(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        raise ImportRejected([f"{label}{where}: broken YAML: {getattr(exc, 'problem', None) or exc}"], 1) from None
    if not isinstance(data, dict) or set(data) != {"profiles"} or not isinstance(data["profiles"], list):
        raise ImportRejected([f"{label} line 1: must hold one key, 'profiles:', with a list of profiles"], 1)
    items = data["profiles"]
    # Plain dicts are far lighter than a node tree with marks (10,000 profiles: ~10 MB instead of ~60 MB);
    # item lines come from a scan of the block list, and from the node tree only when the scan can't tell.
    lines = _item_lines(text)
    if len(lines) != len(items):
        lines = _item_lines_from_nodes(text)
    return list(zip(lines, items, strict=True))


def _load_profiles_yaml(text: str) -> Any:
    """Parse the profiles file into plain data (the one place the profiles YAML is parsed)."""
    return yaml.load(text, Loader=_YAML_LOADER)


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
    loader = _YAML_LOADER(text)
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
