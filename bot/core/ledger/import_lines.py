"""Read the physical lines of ENTRIES.csv: each bounded in length, each decoded on its own, named by number.

A line longer than limits.MAX_LINE_BYTES (no row within the caps is) is read past in pieces and never
held whole, so a 250 MB line costs no more memory than a short one, and is reported on its own line.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import BinaryIO

from bot.core.errors import ImportRejected
from bot.core.ledger.limits import MAX_ID_CHARS, MAX_LINE_BYTES, MAX_NOTE_CHARS


def not_utf8(label: str, line: int, exc: UnicodeDecodeError) -> str:
    """Say where a line stops being UTF-8."""
    byte = exc.object[exc.start]
    return f"{label} line {line}: not UTF-8 text (byte 0x{byte:02x} at column {exc.start + 1}); save the file as UTF-8"


class LineTooLong(Exception):
    """A physical line of more than MAX_LINE_BYTES (it was skipped, never held whole)."""


def too_long(label: str, line: int) -> str:
    """Say that a line is longer than any row within the caps can be."""
    return (
        f"{label} line {line}: longer than {MAX_LINE_BYTES:,} bytes (a note may hold {MAX_NOTE_CHARS} characters, "
        f"an id or a job {MAX_ID_CHARS})"
    )


def physical_lines(source: BinaryIO | Rest) -> Iterator[bytes | None]:
    """Yield the source's lines; one longer than MAX_LINE_BYTES (newline counted) as None, read past in pieces."""
    while True:
        line = source.readline(MAX_LINE_BYTES + 1)
        if len(line) <= MAX_LINE_BYTES:
            if not line:
                return
            yield line
            continue
        while line and not line.endswith(b"\n"):
            line = source.readline(1 << 16)
        yield None


class Rest:
    """The bytes of a file already read, then the rest of the file, read a line at a time."""

    def __init__(self, head: bytes, handle: BinaryIO) -> None:
        self.head = io.BytesIO(head)
        self.handle = handle

    def readline(self, size: int) -> bytes:
        line = self.head.readline(size)
        if line.endswith(b"\n") or len(line) == size:
            return line
        return line + self.handle.readline(size - len(line))


def decode_line(line: bytes | None) -> str:
    """Decode one physical line (csv.reader is fed these); raise LineTooLong for a line too long to hold."""
    if line is None:
        raise LineTooLong
    return line.decode()


def read_header(handle: BinaryIO, label: str) -> tuple[int, list[str] | None]:
    """Skip comment and blank lines; return (the header's line number, its fields)."""
    number = 0
    for raw in physical_lines(handle):
        number += 1
        if raw is None:
            raise ImportRejected([too_long(label, number)], 1)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ImportRejected([not_utf8(label, number, exc)], 1) from None
        if number == 1:
            text = text.removeprefix("\ufeff")
        if text.startswith("#") or not text.strip():
            continue
        try:
            return number, next(csv.reader([text]))
        except csv.Error as exc:
            raise ImportRejected([f"{label} line {number}: unreadable header: {exc}"], 1) from None
    return number, None
