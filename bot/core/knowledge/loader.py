"""Load a knowledge folder into a KnowledgeBase, validating every file, entry and field.

Loading never half-succeeds: either every file validates and a new KnowledgeBase is returned, or a
KnowledgeError lists every problem (file, entry, field, what is wrong) and the caller keeps the
knowledge base it already had.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from bot.core import safe_yaml
from bot.core.errors import KnowledgeError, KnowledgeIssue
from bot.core.knowledge.model import (
    AUDIENCES,
    ENTRIES_DIR,
    ENTRY_FIELDS,
    ID_PATTERN,
    MAX_ALTERNATES,
    MAX_ANSWER_CHARS,
    MAX_ID_CHARS,
    MAX_LIST_ITEMS,
    MAX_PHRASING_CHARS,
    MAX_QUESTION_CHARS,
    MAX_SOURCE_CHARS,
    MIN_ALTERNATES,
    REQUIRED_ENTRY_FIELDS,
    RULE_FIELDS,
    RULES_FILE,
    Entry,
    KnowledgeBase,
    Rule,
    normalise_phrasing,
)

# Bounds that keep a broken or hostile folder from taking the bot's memory: the largest bundled entry
# file is 3 KB and the bundled knowledge base 52 KB; bench/bench_matcher_speed.py loads 100,000 entries.
MAX_ENTRY_FILE_BYTES = 64 * 1024
MAX_RULES_FILE_BYTES = 1024 * 1024
MAX_ENTRY_FILES = 100_000
MAX_KNOWLEDGE_BYTES = 256 * 1024 * 1024


def load_knowledge(root: str | Path) -> KnowledgeBase:
    """Load and validate a knowledge directory; raise KnowledgeError listing every problem."""
    root = Path(root)
    issues: list[KnowledgeIssue] = []
    if not root.is_dir():
        raise KnowledgeError([KnowledgeIssue(str(root), None, None, "knowledge directory not found")])
    entries_dir = root / ENTRIES_DIR
    if not entries_dir.is_dir():
        issues.append(KnowledgeIssue(str(entries_dir), None, None, "entries directory not found"))
        raise KnowledgeError(issues)

    entries: dict[str, Entry] = {}
    invalid_ids: set[str] = set()
    files: dict[str, Path] = {}
    paths = _entry_files(entries_dir, root, issues)
    if paths is None:
        raise KnowledgeError(issues)
    for path in paths:
        raw = _read_yaml(path, root, MAX_ENTRY_FILE_BYTES, issues)
        if raw is None:
            invalid_ids.add(path.stem)  # unreadable: its file name is the best guess at its id
            continue
        entry = parse_entry(raw, _display(path, root), issues)
        if entry is None:
            # Remember the id anyway, so entries that relate to it don't report it as unknown.
            if isinstance(raw, dict) and isinstance(raw.get("id"), str):
                invalid_ids.add(raw["id"])
            continue
        if entry.id != path.stem:
            issues.append(
                KnowledgeIssue(_display(path, root), entry.id, "id", f"must match the file name {path.stem!r}")
            )
        if entry.id in entries:
            issues.append(
                KnowledgeIssue(
                    _display(path, root), entry.id, "id", f"duplicate id, also in {_display(files[entry.id], root)}"
                )
            )
            continue
        entries[entry.id] = entry
        files[entry.id] = path

    rules = _load_rules(root, issues)
    displayed = {k: _display(v, root) for k, v in files.items()}
    issues.extend(cross_check(entries, rules, displayed, known_ids=invalid_ids))
    if issues:
        raise KnowledgeError(issues)
    return KnowledgeBase(entries=entries, rules=rules, files=files)


def parse_entry(raw: Any, file: str, issues: list[KnowledgeIssue]) -> Entry | None:
    """Validate one entry mapping; append problems to issues and return None when it is unusable."""
    if not isinstance(raw, dict):
        issues.append(KnowledgeIssue(file, None, None, "an entry file must hold one mapping (id: ..., question: ...)"))
        return None
    raw_id = raw.get("id")
    entry_id = raw_id if isinstance(raw_id, str) and raw_id else None
    before = len(issues)

    def problem(field_name: str | None, text: str) -> None:
        issues.append(KnowledgeIssue(file, entry_id, field_name, text))

    _check_fields(raw, ENTRY_FIELDS, REQUIRED_ENTRY_FIELDS, problem)

    if "id" in raw:
        _check_id(raw_id, problem)
    question = _text(raw.get("question"), "question", MAX_QUESTION_CHARS, problem) if "question" in raw else ""
    answer = _text(raw.get("answer"), "answer", MAX_ANSWER_CHARS, problem) if "answer" in raw else ""
    alternates = _string_list(
        raw.get("alternates"), "alternates", problem, item_max=MAX_PHRASING_CHARS, max_items=MAX_ALTERNATES
    )
    not_this = _string_list(
        raw.get("not_this"),
        "not_this",
        problem,
        allow_empty=True,
        item_max=MAX_PHRASING_CHARS,
        max_items=MAX_ALTERNATES,
    )
    raw_alternates = raw.get("alternates")
    if isinstance(raw_alternates, list) and len(alternates) < MIN_ALTERNATES and len(raw_alternates) <= MAX_ALTERNATES:
        problem("alternates", f"needs at least {MIN_ALTERNATES} phrasings, has {len(alternates)}")
    related = _string_list(
        raw.get("related"), "related", problem, allow_empty=True, item_max=MAX_ID_CHARS, max_items=MAX_LIST_ITEMS
    )
    sources = _string_list(raw.get("sources"), "sources", problem, item_max=MAX_SOURCE_CHARS, max_items=MAX_LIST_ITEMS)
    for i, url in enumerate(sources):
        if not url.startswith(("https://", "http://")):
            problem(f"sources[{i}]", f"must be a URL, got {url!r}")
    reviewed = _date(raw.get("reviewed"), problem) if "reviewed" in raw else None
    audience = raw.get("audience", "all")
    if audience not in AUDIENCES:
        problem("audience", f"must be one of {', '.join(AUDIENCES)}, got {audience!r}")

    seen: dict[str, str] = {}
    for label, text in [("question", question)] + [(f"alternates[{i}]", a) for i, a in enumerate(alternates)]:
        key = normalise_phrasing(text)
        if key and key in seen:
            problem(label, f"repeats {seen[key]} of the same entry")
        seen.setdefault(key, label)
    raw_not_this = raw.get("not_this") if isinstance(raw.get("not_this"), list) else []
    for i, text in enumerate(raw_not_this):
        key = normalise_phrasing(" ".join(text.split())) if isinstance(text, str) else ""
        if key and key in seen:
            problem(f"not_this[{i}]", f"is also {seen[key]}: a phrasing cannot be a near miss of its own entry")
    if entry_id and entry_id in related:
        problem("related", "an entry cannot be related to itself")

    if len(issues) > before or entry_id is None or reviewed is None:
        return None
    return Entry(
        id=entry_id,
        question=question,
        alternates=tuple(alternates),
        answer=answer,
        related=tuple(related),
        sources=tuple(sources),
        reviewed=reviewed,
        audience=audience,
        not_this=tuple(not_this),
    )


def cross_check(
    entries: Mapping[str, Entry],
    rules: Mapping[str, Rule],
    files: Mapping[str, str],
    known_ids: Iterable[str] = (),
) -> list[KnowledgeIssue]:
    """Check what spans entries: related ids exist, rule entries exist, no phrasing is shared.

    known_ids are ids of entries that exist but failed validation (already reported): references
    to them are not errors of their own.
    """
    issues: list[KnowledgeIssue] = []
    existing = set(entries) | set(known_ids)
    owner: dict[str, tuple[str, str]] = {}
    for entry in entries.values():
        file = files.get(entry.id, f"{ENTRIES_DIR}/{entry.id}.yaml")
        for rel in entry.related:
            if rel not in existing:
                issues.append(KnowledgeIssue(file, entry.id, "related", f"unknown entry id {rel!r}"))
        for i, text in enumerate(entry.phrasings):
            label = "question" if i == 0 else f"alternates[{i - 1}]"
            key = normalise_phrasing(text)
            if key in owner and owner[key][0] != entry.id:
                other, other_label = owner[key]
                issues.append(
                    KnowledgeIssue(file, entry.id, label, f"phrasing {text!r} is also {other_label} of entry {other!r}")
                )
            owner.setdefault(key, (entry.id, label))
    for rule in rules.values():
        for ref in rule.entries:
            if ref not in existing:
                issues.append(KnowledgeIssue(RULES_FILE, rule.id, "entries", f"unknown entry id {ref!r}"))
    return issues


def _load_rules(root: Path, issues: list[KnowledgeIssue]) -> dict[str, Rule]:
    path = root / RULES_FILE
    rules: dict[str, Rule] = {}
    if not path.exists():
        issues.append(KnowledgeIssue(RULES_FILE, None, None, "rules file not found"))
        return rules
    raw = _read_yaml(path, root, MAX_RULES_FILE_BYTES, issues)
    if raw is None:
        return rules
    if not isinstance(raw, dict) or set(raw) != {"rules"} or not isinstance(raw["rules"], list):
        issues.append(KnowledgeIssue(RULES_FILE, None, None, "must hold one key, rules:, with a list of rules"))
        return rules
    for position, item in enumerate(raw["rules"], start=1):
        label = f"#{position}"
        if not isinstance(item, dict):
            issues.append(KnowledgeIssue(RULES_FILE, label, None, "a rule must be a mapping with id, text, entries"))
            continue
        rule_id = item.get("id") if isinstance(item.get("id"), str) else None
        before = len(issues)

        def problem(field_name: str | None, text: str, _rid: str | None = rule_id, _label: str = label) -> None:
            issues.append(KnowledgeIssue(RULES_FILE, _rid or _label, field_name, text))

        _check_fields(item, RULE_FIELDS, RULE_FIELDS, problem)
        if "id" in item:
            _check_id(item.get("id"), problem)
        text = _text(item.get("text"), "text", MAX_ANSWER_CHARS, problem) if "text" in item else ""
        refs = _string_list(item.get("entries"), "entries", problem, allow_empty=True)
        if rule_id in rules:
            problem("id", "duplicate rule id")
        if len(issues) == before and rule_id:
            rules[rule_id] = Rule(id=rule_id, text=text, entries=tuple(refs))
    return rules


def _entry_files(entries_dir: Path, root: Path, issues: list[KnowledgeIssue]) -> list[Path] | None:
    """List the entry files to read, in name order; None (and one issue) when the folder exceeds the bounds."""
    paths: list[Path] = []
    others: list[Path] = []
    total = 0
    with os.scandir(entries_dir) as listing:
        for item in listing:
            if item.name.startswith(".") or item.is_dir():
                continue
            path = entries_dir / item.name
            if path.suffix not in (".yaml", ".yml"):
                others.append(path)
                continue
            paths.append(path)
            with contextlib.suppress(OSError):  # an unreadable file is reported when it is read
                total += item.stat().st_size
            if len(paths) > MAX_ENTRY_FILES:  # stop listing: the folder is refused anyway
                problem = f"holds more than {MAX_ENTRY_FILES:,} entry files"
                issues.append(KnowledgeIssue(_display(entries_dir, root), None, None, problem))
                return None
    issues.extend(KnowledgeIssue(_display(path, root), None, None, "not a .yaml file") for path in sorted(others))
    if total > MAX_KNOWLEDGE_BYTES:
        problem = f"holds {total >> 20:,} MB of entry files; the limit is {MAX_KNOWLEDGE_BYTES >> 20:,} MB"
        issues.append(KnowledgeIssue(_display(entries_dir, root), None, None, problem))
        return None
    return sorted(paths)


def _read_yaml(path: Path, root: Path, max_bytes: int, issues: list[KnowledgeIssue]) -> Any:
    try:
        return safe_yaml.read_yaml(path, max_bytes)
    except safe_yaml.YamlRefused as exc:
        issues.append(KnowledgeIssue(_display(path, root), None, None, str(exc)))
    except OSError as exc:
        issues.append(KnowledgeIssue(_display(path, root), None, None, f"cannot read file: {exc}"))
    return None


def _check_fields(raw: dict[Any, Any], allowed: tuple[str, ...], required: tuple[str, ...], problem: Any) -> None:
    """Report unknown fields (with the likely intended name, for typos) and missing required ones."""
    for key in raw:
        if key not in allowed:
            hint = _closest(str(key), allowed)
            problem(str(key), "unknown field" + (f" (did you mean {hint!r}?)" if hint else ""))
    for key in required:
        if key not in raw:
            problem(key, "missing")


def _check_id(value: Any, problem: Any) -> None:
    if not isinstance(value, str) or not ID_PATTERN.match(value):
        problem("id", f"must be lowercase words joined by hyphens (like 'proposal-cost'), got {value!r}")
    elif len(value) > MAX_ID_CHARS:
        problem("id", f"must be at most {MAX_ID_CHARS} characters")


def _text(value: Any, name: str, limit: int, problem: Any) -> str:
    if not isinstance(value, str):
        problem(name, f"must be text, got {type(value).__name__}")
        return ""
    text = value.strip()
    if not text:
        problem(name, "is empty")
    elif len(text) > limit:
        problem(name, f"is {len(text)} characters; the limit is {limit}")
    return text


def _string_list(
    value: Any,
    name: str,
    problem: Any,
    *,
    allow_empty: bool = False,
    item_max: int | None = None,
    max_items: int | None = None,
) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list):
        problem(name, "must be a list")
        return []
    if max_items is not None and len(value) > max_items:
        problem(name, f"has {len(value)} items; the limit is {max_items}")
        return []
    out: list[str] = []
    for i, item in enumerate(value):
        if not isinstance(item, str) or not item.strip():
            problem(f"{name}[{i}]", "must be non-empty text")
            continue
        text = " ".join(item.split())
        if item_max is not None and len(text) > item_max:
            problem(f"{name}[{i}]", f"is {len(text)} characters; the limit is {item_max}")
            continue
        out.append(text)
    if not out and not allow_empty and not value:
        problem(name, "is empty")
    return out


def _date(value: Any, problem: Any) -> dt.date | None:
    # PyYAML's safe loader turns an unquoted 2026-11-28 into a date already; accept quoted text too.
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    problem("reviewed", f"must be a date like 2026-11-28, got {value!r}")
    return None


def _closest(name: str, choices: Iterable[str]) -> str | None:
    from rapidfuzz import fuzz, process, utils

    match = process.extractOne(name, list(choices), scorer=fuzz.ratio, processor=utils.default_process, score_cutoff=70)
    return match[0] if match else None


def _display(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root.parent)) if root.parent != path else str(path)
    except ValueError:
        return str(path)
