"""The console's one escaping helper: text a member or an import controls, made safe for a terminal.

A ledger note with a newline and a fake row, `\\x1b[2J` in a name, a right-to-left override in a job:
each control character is printed as a visible escape (bot.core.untrusted.visible), so untrusted text
can neither forge a line of the output nor drive the terminal. Every CLI output that shows ledger,
member or queue text goes through `shown` (a string) or `shown_marked` (the core's Marked words).
"""

from __future__ import annotations

from bot.core.untrusted import Marked, visible


def shown(text: object) -> str:
    """Untrusted text for a terminal: control characters visible, nothing else changed."""
    return visible(str(text))


def shown_marked(text: Marked) -> str:
    """The core's words for a terminal: its own words as they are, the untrusted parts through `shown`."""
    return text.render(shown)
