"""The console's one escaping helper: text a member or an import controls, made safe for a terminal.

A ledger note with a newline and a fake row, `\\x1b[2J` in a name, a right-to-left override in a job:
each control character is printed as a visible escape (bot.core.untrusted.visible), so untrusted text
can neither forge a line of the output nor drive the terminal. Every CLI output that shows ledger,
member or queue text goes through `shown` (a string) or `shown_marked` (the core's Marked words).
"""

from __future__ import annotations

import unicodedata

from bot.core.untrusted import Marked, visible


def shown(text: object) -> str:
    """Untrusted text for a terminal: control characters visible, nothing else changed."""
    return visible(str(text))


def shown_marked(text: Marked) -> str:
    """The core's words for a terminal: its own words as they are, the untrusted parts through `shown`."""
    return text.render(shown)


def cells(text: str) -> int:
    """How many terminal columns text takes: wide (CJK, most emoji) 2, combining marks 0, the rest 1."""
    width = 0
    for char in text:
        if unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Me", "Cf"):
            continue
        width += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
    return width


def aligned(rows: list[list[str]], gap: str = "  ") -> list[str]:
    """Rows of already-shown cells as lines, every column but the last padded to its widest cell.

    The widths come from the cells themselves, not a guess: a 40-character viewer id or a name in wide
    characters shifts the columns for every row alike, never one row past the next column.
    """
    if not rows:
        return []
    widths = [max(cells(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    return [
        gap.join([*(cell + " " * (w - cells(cell)) for cell, w in zip(row, widths, strict=False)), row[-1]]).rstrip()
        for row in rows
    ]
