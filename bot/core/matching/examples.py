"""Labelled examples the meaning model learns from, beside the knowledge base's own phrasings.

`knowledge/examples/` holds YAML files of two kinds:

    questions:            # how members really ask: each text with the entry that answers it
      - topic: proposal-cost
        text: why do some jobs cost 16 connects and others 4?
    off_topic:            # what must get silence: chatter and near misses that are not about Connects
      - text: how do I withdraw my earnings to payoneer?

A question whose topic is not (or no longer) an entry is skipped, so removing an entry never breaks
loading. Errors name the file and the item.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bot.core import safe_yaml
from bot.core.matching.threads import is_kept_aside, thread_of

# Examples files grow with teaching and labelling; far beyond this is a mistake, not data.
MAX_EXAMPLES_FILE_BYTES = 8 * 1024 * 1024


class ExamplesError(ValueError):
    """An examples file is not in the shape above."""


@dataclass(frozen=True)
class Example:
    """One training text; entry_id None means "stay silent" (the off-topic class).

    lenient marks an opinion (`why: lenient`): silence and a relevant factual answer are both fine, so
    it is neither learned as off-topic nor scored as wrong when answered.
    """

    text: str
    entry_id: str | None
    lenient: bool = False
    why: str | None = None  # an off-topic example's kind: greeting, thanks, chatter, off-topic...
    origin: str = ""  # the examples file it came from (its name)
    thread: str | None = None  # the forum thread of a real post (threads.thread_of its source URL)

    @property
    def kept_aside(self) -> bool:
        """A real post from a thread kept aside from all training and tuning (threads.py)."""
        return is_kept_aside(self.thread)


def load_examples(folder: str | Path) -> list[Example]:
    """Read every *.yaml under folder (sorted, so training is deterministic); a missing folder is empty."""
    root = Path(folder)
    if not root.is_dir():
        return []
    examples: list[Example] = []
    for path in sorted(root.glob("*.yaml")):
        examples.extend(read_examples(path))
    return examples


def read_examples(path: Path) -> list[Example]:
    """Read one examples file (see the module docstring)."""
    try:
        data = safe_yaml.read_yaml(path, MAX_EXAMPLES_FILE_BYTES)
    except (OSError, safe_yaml.YamlRefused) as exc:
        raise ExamplesError(f"{path}: cannot read examples: {exc}") from None
    if not isinstance(data, dict) or not set(data) <= {"questions", "off_topic"}:
        raise ExamplesError(f"{path}: expected a mapping with questions: and/or off_topic: lists")
    out: list[Example] = []
    for key in ("questions", "off_topic"):
        items = data.get(key) or []
        if not isinstance(items, list):
            raise ExamplesError(f"{path}: {key}: must be a list")
        for number, item in enumerate(items, 1):
            text = item.get("text") if isinstance(item, dict) else None
            if not isinstance(text, str) or not text.strip():
                raise ExamplesError(f"{path}: {key} item {number}: needs a non-empty text")
            topic = item.get("topic") if key == "questions" else None
            if key == "questions" and not isinstance(topic, str):
                raise ExamplesError(f"{path}: questions item {number}: needs a topic (an entry id)")
            why = item.get("why") if isinstance(item.get("why"), str) else None
            source = item.get("source") if isinstance(item.get("source"), str) else None
            thread = thread_of(source)
            out.append(Example(text.strip(), topic, lenient=why == "lenient", why=why, origin=path.name, thread=thread))
    return out
