"""`kb eval`'s answer-quality figures, kept beside the decision log so reports can show the last ones computed."""

from __future__ import annotations

import datetime as dt
import json
import logging
from pathlib import Path
from typing import Any

from bot.core.knowledge.files import atomic_write

log = logging.getLogger(__name__)

FILENAME = "kb-eval.json"


def quality_path(decisions_path: Path) -> Path:
    return decisions_path.with_name(FILENAME)


def outcome_figures(outcomes: Any) -> dict[str, Any]:
    """One labelled set's figures (a cross_validation.Outcomes) as JSON values."""
    return {
        "questions": outcomes.answerable,
        "right": outcomes.rate(outcomes.right),
        "wrong": outcomes.rate(outcomes.wrong),
        "helped": outcomes.rate(outcomes.helped),
        "off_topic": outcomes.off_topic,
        "silent": outcomes.rate(outcomes.off_topic_silent, True),
    }


def save_quality(path: Path, engine: str, sections: dict[str, dict[str, Any]]) -> None:
    """Write the figures of one `kb eval` run (atomically: a report never reads half a file)."""
    doc = {"computed_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "engine": engine, **sections}
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, json.dumps(doc, indent=1, ensure_ascii=False) + "\n")


def load_quality(path: Path) -> dict[str, Any] | None:
    """The last figures `kb eval` wrote, or None (never computed, or unreadable: said once in the log)."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        log.warning("%s: cannot read kb eval's figures (%s); the report leaves them out", path, exc)
        return None
    return doc if isinstance(doc, dict) else None
