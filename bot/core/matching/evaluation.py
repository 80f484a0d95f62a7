"""Read labelled question and chatter files (the figures themselves: cross_validation.py)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.core import safe_yaml
from bot.core.errors import LabelledFileError
from bot.core.matching.examples import MAX_EXAMPLES_FILE_BYTES


@dataclass(frozen=True)
class LabelledQuestion:
    text: str
    topic: str


def load_questions(path: str | Path) -> list[LabelledQuestion]:
    """Read a `questions:` file of {topic, text} items; raise LabelledFileError naming the file and item."""
    items = _load(Path(path), ("questions",))
    for number, item in enumerate(items, 1):
        if not isinstance(item.get("topic"), str) or not item["topic"].strip():
            raise LabelledFileError(path, f"questions item {number}: needs a topic (an entry id)")
    return [LabelledQuestion(text=item["text"], topic=item["topic"].strip()) for item in items]


def load_chatter(path: str | Path) -> list[str]:
    """Read a `chatter:` (or knowledge/examples' `off_topic:`) file of {text, why} items."""
    return [item["text"] for item in _load(Path(path), ("chatter", "off_topic"))]


def _load(path: Path, keys: tuple[str, ...]) -> list[dict[str, Any]]:
    """The items under the first of keys the file holds, each a mapping with a non-empty text."""
    try:
        data = safe_yaml.read_yaml(path, MAX_EXAMPLES_FILE_BYTES)
    except FileNotFoundError:
        raise LabelledFileError(path, "no such file") from None
    except OSError as exc:
        raise LabelledFileError(path, f"cannot read it ({exc.strerror or exc})") from None
    except safe_yaml.YamlRefused as exc:
        raise LabelledFileError(path, str(exc)) from None
    key = next((k for k in keys if isinstance(data, dict) and k in data), None)
    if key is None or not isinstance(data[key], list):
        raise LabelledFileError(path, f"expected a mapping with a {' or '.join(f'{k}:' for k in keys)} list")
    for number, item in enumerate(data[key], 1):
        if not isinstance(item, dict) or not isinstance(item.get("text"), str) or not item["text"].strip():
            raise LabelledFileError(path, f"{key} item {number}: needs a non-empty text")
    return data[key]
