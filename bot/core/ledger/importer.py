"""Import PROFILES.yaml and ENTRIES.csv into the ledger: streaming, all or nothing, every bad row named.

The entries file is read row by row and staged in batches, so memory does not grow with the file; the
checks that need the whole file (duplicate ids, balances that would go below zero in occurred_at order)
run in SQL inside the import's single transaction (see store.ImportSession), which is rolled back on
any problem. The balance check runs only once every row is otherwise valid: with a row missing or
duplicated, the running balances would be wrong and its complaints misleading. The profiles file is
small (one mapping per profile) and is parsed whole, keeping each item's line number for errors.
"""

from __future__ import annotations

import csv
import logging
import os
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.core import safe_yaml
from bot.core.errors import ImportRejected
from bot.core.ledger.models import (
    ENTRY_COLUMNS,
    ENTRY_KINDS,
    GRANT_KINDS,
    KINDS_NEEDING_JOB,
    PROFILE_KINDS,
    ROLES,
    SPEND_KINDS,
    Membership,
    Profile,
    mask_billing_method,
    parse_occurred_at,
)
from bot.core.ledger.store import ImportSession, LedgerStore

log = logging.getLogger(__name__)

MAX_LISTED = 50
BATCH_ROWS = 5000
PROFILE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")
ENTRY_ID = re.compile(r"^\S{1,64}$")
PROFILE_FIELDS = ("id", "kind", "name", "billing_method", "discord_id", "members")
MEMBER_FIELDS = ("profile", "role", "exclusive")
# Parsed whole (see the module docstring): 10,000 profiles are 1.4 MB and peak at ~60 MB; a bigger list
# is imported in parts (profiles are upserted), which keeps an import within its 200 MB memory target.
MAX_PROFILES_FILE_BYTES = 4 * 1024 * 1024

# (bytes read, bytes in the file), called after every staged batch.
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class ImportResult:
    """What an import added."""

    profiles: int
    entries: int
    seconds: float


class _Problems:
    """Collect (sort key, message) problems; keep the first MAX_LISTED by key, count them all."""

    def __init__(self) -> None:
        self.items: list[tuple[tuple[int, int], str]] = []
        self.total = 0

    def add(self, order: int, line: int, message: str) -> None:
        self.total += 1
        if len(self.items) < MAX_LISTED * 4:
            self.items.append(((order, line), message))

    def extend(self, order: int, found: list[tuple[int, str]], total: int, label: str) -> None:
        for line, message in found:
            self.items.append(((order, line), f"{label} line {line}: {message}"))
        self.total += total

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
) -> ImportResult:
    """Import a profiles file and/or an entries file; raise ImportRejected listing every bad row."""
    started = time.perf_counter()
    problems = _Problems()
    with ImportSession(store) as session:
        kinds = session.known_profiles()
        profiles: list[Profile] = []
        if profiles_path is not None:
            profiles = _import_profiles(session, Path(profiles_path), kinds, problems)
        count = 0
        if entries_path is not None:
            label = Path(entries_path).name
            _stage_entries(session, Path(entries_path), kinds, problems, progress)
            found, total = session.duplicate_problems(MAX_LISTED)
            problems.extend(1, found, total, label)
            problems.raise_if_any()
            count = session.insert_staged()
            found, total = session.negative_problems(MAX_LISTED)
            problems.extend(1, found, total, label)
        problems.raise_if_any()
        session.commit()
    elapsed = time.perf_counter() - started
    log.info("imported %d profile(s) and %d entries in %.2fs", len(profiles), count, elapsed)
    return ImportResult(profiles=len(profiles), entries=count, seconds=elapsed)


# --- profiles --------------------------------------------------------------------------------------------


def _import_profiles(session: ImportSession, path: Path, kinds: dict[str, str], problems: _Problems) -> list[Profile]:
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
            elif isinstance(discord, bool) or not text.isdigit() or not 0 < int(text) < 2**64:
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
            pending.append((line, pid, raw.get("members") or []))
    for line, agency, raw_members in pending:
        members[agency] = _members(agency, raw_members, line, label, kinds, problems)
    _check_links(session, profiles, members, seen, label, problems)
    if problems.total:
        # Nothing is written; the entries are still checked so one run lists every problem.
        return profiles
    session.upsert_profiles(profiles)
    for agency, agency_members in members.items():
        session.replace_members(agency, agency_members)
    return profiles


def _profile_nodes(path: Path, label: str, problems: _Problems) -> list[tuple[int, Any]]:
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
    agency: str, raw: Any, line: int, label: str, kinds: dict[str, str], problems: _Problems
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
    problems: _Problems,
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


# --- entries ---------------------------------------------------------------------------------------------


def _lines(handle: Any, counter: list[int]) -> Iterator[str]:
    # Comment lines before the header (a file's README) read as blank lines, keeping line numbers true.
    header_seen = False
    for line in handle:
        counter[0] += len(line)
        if not header_seen:
            if line.startswith("#"):
                yield "\n"
                continue
            header_seen = bool(line.strip())
        yield line


def _stage_entries(
    session: ImportSession, path: Path, kinds: dict[str, str], problems: _Problems, progress: Progress | None
) -> None:
    label = path.name
    try:
        total_size = os.path.getsize(path)
        handle = open(path, encoding="utf-8-sig", newline="")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise ImportRejected([f"{label}: cannot read file: {exc.strerror}"], 1) from None
    read = [0]
    with handle:
        reader = csv.reader(_lines(handle, read))
        try:
            header = next((row for row in reader if row), None)
        except (csv.Error, UnicodeDecodeError) as exc:
            raise ImportRejected([f"{label} line 1: unreadable header: {exc}"], 1) from None
        if header is None or sorted(h.strip() for h in header) != sorted(ENTRY_COLUMNS):
            raise ImportRejected([f"{label} line 1: the header must be {','.join(ENTRY_COLUMNS)}, got {header!r}"], 1)
        index = [[h.strip() for h in header].index(c) for c in ENTRY_COLUMNS]
        identity = index == list(range(len(ENTRY_COLUMNS)))
        batch: list[tuple[Any, ...]] = []
        stage = session.stage
        previous_end = reader.line_num
        try:
            for row in reader:
                line = previous_end + 1
                previous_end = reader.line_num
                if not row:
                    continue
                if len(row) != 8:
                    problems.add(1, line, f"{label} line {line}: has {len(row)} fields, expected 8")
                    continue
                if not identity:
                    row = [row[i] for i in index]
                checked = _check_row(row, kinds)
                if isinstance(checked, str):
                    problems.add(1, line, f"{label} line {line}: {checked}")
                    continue
                batch.append((line, *checked))
                if len(batch) >= BATCH_ROWS:
                    stage(batch)
                    batch = []
                    if progress is not None:
                        progress(read[0], total_size)
        except (csv.Error, UnicodeDecodeError) as exc:
            problems.add(1, previous_end + 1, f"{label} line {previous_end + 1}: unreadable: {exc}")
        if batch:
            stage(batch)
        if progress is not None:
            progress(total_size, total_size)


def _check_row(row: list[str], kinds: dict[str, str]) -> tuple[Any, ...] | str:
    """Validate one CSV row; return the staged values or the reasons it is bad."""
    entry_id, profile, occurred_at, kind, connects_text, job, actor, note = row
    reasons = []
    if not ENTRY_ID.match(entry_id):
        reasons.append(f"id must be non-empty with no spaces, got {entry_id!r}")
    if profile not in kinds:
        reasons.append(f"unknown profile {profile!r}")
    try:
        ts = parse_occurred_at(occurred_at)
    except ValueError:
        ts = 0
        reasons.append(f"occurred_at must be an ISO 8601 time with offset, got {occurred_at!r}")
    if kind not in ENTRY_KINDS:
        reasons.append(f"unknown kind {kind!r} (expected one of {', '.join(ENTRY_KINDS)})")
    try:
        if "_" in connects_text:
            raise ValueError(connects_text)
        connects = int(connects_text)
    except ValueError:
        connects = 0
        reasons.append(f"connects must be a whole number, got {connects_text!r}")
    else:
        if connects > 0 and kind in SPEND_KINDS:
            reasons.append(f"a {kind} spends Connects: connects must be negative, got {connects}")
        elif connects < 0 and kind in GRANT_KINDS:
            reasons.append(f"a {kind} adds Connects: connects must be positive, got {connects}")
    if not job and kind in KINDS_NEEDING_JOB:
        reasons.append(f"a {kind} needs a job reference")
    if actor and kinds.get(actor) != "freelancer":
        reasons.append(f"actor {actor!r} is not a freelancer profile")
    if reasons:
        return "; ".join(reasons)
    return (entry_id, profile, occurred_at, ts, kind, connects, job or None, actor or None, note)
