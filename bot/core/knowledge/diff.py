"""Say in one short line what a change did to an entry (for history, the log channel and `kb history`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.core import safe_yaml
from bot.core.knowledge.model import normalise_phrasing

_SHORT = 100


def describe_text_change(old_text: str | None, new_text: str | None) -> str:
    """Describe the difference between two versions of an entry file."""
    if old_text == new_text:
        return "no change"
    old, new = _mapping(old_text), _mapping(new_text)
    if old_text is None:
        return f"created: {_quote(new.get('question'))}" if new else "created"
    if new_text is None:
        return "removed"
    summary = describe_change(old, new)
    return summary if summary != "no change" else "comments or layout only"


def describe_change(old: Mapping[str, Any], new: Mapping[str, Any]) -> str:
    """Describe field by field how new differs from old."""
    parts: list[str] = []
    if old.get("question") != new.get("question"):
        parts.append(f"question {_quote(old.get('question'))} → {_quote(new.get('question'))}")
    added, dropped = _list_delta(old.get("alternates"), new.get("alternates"), fold=True)
    if len(added) == 1:
        parts.append(f"+phrasing {_quote(added[0])}")
    elif added:
        parts.append(f"+{len(added)} phrasings")
    if len(dropped) == 1:
        parts.append(f"−phrasing {_quote(dropped[0])}")
    elif dropped:
        parts.append(f"−{len(dropped)} phrasings")
    if old.get("answer") != new.get("answer"):
        parts.append(f"answer rewritten ({_length(old.get('answer'))} → {_length(new.get('answer'))} chars)")
    for key in ("related", "sources"):
        plus, minus = _list_delta(old.get(key), new.get(key), fold=False)
        bits = [f"+{x}" for x in plus] + [f"−{x}" for x in minus]
        if bits:
            parts.append(f"{key} " + ", ".join(bits) if len(bits) <= 2 else f"{key} changed ({len(bits)} items)")
    if old.get("audience", "all") != new.get("audience", "all"):
        parts.append(f"audience {old.get('audience', 'all')} → {new.get('audience', 'all')}")
    if str(old.get("reviewed")) != str(new.get("reviewed")):
        parts.append(f"reviewed {new.get('reviewed')}")
    known = {"id", "question", "alternates", "answer", "related", "sources", "audience", "reviewed"}
    plus, minus = _list_delta(old.get("not_this"), new.get("not_this"), fold=True)
    if plus or minus:
        parts.append(f"near misses +{len(plus)} −{len(minus)}")
    known.add("not_this")
    for key in sorted((set(old) | set(new)) - known, key=str):
        if old.get(key) != new.get(key):
            parts.append(f"{key} changed")
    if old.get("id") != new.get("id"):
        parts.insert(0, f"id {old.get('id')} → {new.get('id')}")
    return "; ".join(parts) or "no change"


def _mapping(text: str | None) -> dict[str, Any]:
    if text is None:
        return {}
    try:
        data = safe_yaml.load_text(text)
    except safe_yaml.YamlRefused:
        return {}
    return data if isinstance(data, dict) else {}


def _list_delta(old: Any, new: Any, *, fold: bool) -> tuple[list[str], list[str]]:
    old_items = [str(x) for x in old] if isinstance(old, list) else []
    new_items = [str(x) for x in new] if isinstance(new, list) else []
    key = normalise_phrasing if fold else (lambda s: s)
    old_keys = {key(x) for x in old_items}
    new_keys = {key(x) for x in new_items}
    return [x for x in new_items if key(x) not in old_keys], [x for x in old_items if key(x) not in new_keys]


def _quote(value: Any) -> str:
    text = " ".join(str(value or "").split())
    if len(text) > _SHORT:
        text = text[: _SHORT - 1] + "…"
    return f"“{text}”"


def _length(value: Any) -> int:
    return len(value) if isinstance(value, str) else 0


def change_summary(action: str, old_text: str | None, new_text: str | None, target: int | None) -> str:
    """Say in one line what a write did to an entry (the history's summary column)."""
    if action == "remove":
        return "moved to the recycle bin"
    if action == "restore":
        return "restored from the recycle bin"
    summary = describe_text_change(old_text, new_text)
    if target is not None:
        summary = f"back to version {target}: {summary}"
    return summary
