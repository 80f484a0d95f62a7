"""Read labelled question and chatter files (the figures themselves: cross_validation.py)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml


@dataclass(frozen=True)
class LabelledQuestion:
    text: str
    topic: str


def load_questions(path: str | Path) -> list[LabelledQuestion]:
    """Read a `questions:` file of {topic, text} items."""
    raw = _load(path, "questions")
    return [LabelledQuestion(text=str(item["text"]), topic=str(item["topic"])) for item in raw]


def load_chatter(path: str | Path) -> list[str]:
    """Read a `chatter:` (or knowledge/examples' `off_topic:`) file of {text, why} items."""
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    key = "off_topic" if isinstance(data, dict) and "off_topic" in data else "chatter"
    return [str(item["text"]) for item in _load(path, key)]


def _load(path: str | Path, key: str) -> list[dict[str, Any]]:
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not isinstance(data.get(key), list):
        raise ValueError(f"{path}: expected a mapping with a {key}: list")
    return data[key]
