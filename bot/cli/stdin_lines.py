"""Lines of standard input, decoded one at a time, so one bad byte costs its own line and not the rest.

A text-mode stdin decodes in blocks: a byte that is not UTF-8 raises UnicodeDecodeError for the whole
block, and a batch (`ask --json -`, `chat` fed from a file) would end at it, losing the lines around it.
Reading bytes and decoding each line apart keeps the damage to that line, which is reported by number.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO


@dataclass(frozen=True)
class InputLine:
    """One line of input: its text, or (when it is not UTF-8) the problem, as one line naming it."""

    number: int
    text: str | None
    problem: str | None = None


def stdin_lines(stream: BinaryIO | None = None) -> Iterator[InputLine]:
    """Yield every line of stream (stdin's bytes by default) without its line ending, numbered from 1."""
    if stream is None:
        stream = getattr(sys.stdin, "buffer", None)
        if stream is None:  # stdin replaced by a text stream (a test, an embedding program): already decoded
            yield from (InputLine(n, line.rstrip("\n")) for n, line in enumerate(sys.stdin, start=1))
            return
    for number, raw in enumerate(stream, start=1):
        yield decode_line(number, raw.rstrip(b"\n"))


def decode_line(number: int, raw: bytes) -> InputLine:
    """Decode one line as UTF-8, or say which byte is not."""
    try:
        return InputLine(number, raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        bad = raw[exc.start : exc.start + 1].hex()
        return InputLine(number, None, f"line {number}: not UTF-8 text (byte 0x{bad} at position {exc.start}): skipped")
