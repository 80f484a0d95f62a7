"""Words that mix the bot's own text with strings a member or an import controls.

The core does not know where its words end up (Discord markdown, a terminal, JSON), so it never escapes
for a medium. It marks what is untrusted instead: `say("{n} were taken from {name}'s balance", ...)`
returns a `Marked` whose template words are the bot's and whose values are untrusted (safe by default: a
value is untrusted unless it is itself a `Marked`). Each front end renders the untrusted parts with its
one escaping helper: `bot.ui.escape` for Discord, `bot.cli.safe_text` for a terminal; JSON takes
`plain` (its encoder escapes).

`visible` is the part both front ends share: a control character (a newline in a ledger note, ESC,
a right-to-left override) is shown as a visible escape, so untrusted text can neither start a new line
that looks like the bot's own nor drive the terminal.
"""

from __future__ import annotations

import string
from collections.abc import Callable, Iterable
from dataclasses import dataclass

# C0 and C1 controls and DEL, the bidirectional controls (LRM, RLM, ALM, embeddings, overrides, isolates),
# the line and paragraph separators, and the invisible zero-width space, word joiner and byte-order mark.
_BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_INVISIBLE = "\u200b\u2028\u2029\u2060\ufeff"
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape_code(ch: str) -> str:
    code = ord(ch)
    return _NAMED.get(ch) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


_VISIBLE = {
    ord(ch): _escape_code(ch)
    for ch in [chr(c) for c in range(0x20)] + [chr(c) for c in range(0x7F, 0xA0)] + list(_BIDI + _INVISIBLE)
}


def visible(text: str) -> str:
    """Show every control character of text as a visible escape ('\\n', '\\x1b', '\\u202e')."""
    return text.translate(_VISIBLE)


@dataclass(frozen=True)
class Untrusted:
    """A string a member or an import controls: a front end escapes it for its medium."""

    value: str


Part = str | Untrusted


@dataclass(frozen=True)
class Marked:
    """Words with their untrusted parts marked; `+` joins (a plain str added is the bot's own words)."""

    parts: tuple[Part, ...] = ()

    @property
    def plain(self) -> str:
        """The words as they are, for JSON and for matching (never for display without escaping)."""
        return "".join(p.value if isinstance(p, Untrusted) else p for p in self.parts)

    def render(self, untrusted: Callable[[str], str]) -> str:
        """The words for one medium: the bot's own words as they are, untrusted parts through `untrusted`."""
        return "".join(untrusted(p.value) if isinstance(p, Untrusted) else p for p in self.parts)

    def __add__(self, other: Marked | str) -> Marked:
        if isinstance(other, Marked):
            return Marked(self.parts + other.parts)
        if isinstance(other, str):
            return Marked((*self.parts, other))
        return NotImplemented

    def __radd__(self, other: str) -> Marked:
        if isinstance(other, str):
            return Marked((other, *self.parts))
        return NotImplemented

    def __bool__(self) -> bool:
        return any(p.value if isinstance(p, Untrusted) else p for p in self.parts)

    def __format__(self, spec: str) -> str:
        # An f-string would drop the marks and hand untrusted text to a front end as the bot's own words.
        raise TypeError("a Marked text cannot go into an f-string: use say() or +")


def say(template: str, /, **values: object) -> Marked:
    """Fill `template`'s {fields}: the template is the bot's words, every value untrusted unless Marked."""
    parts: list[Part] = []
    for literal, field, spec, conversion in string.Formatter().parse(template):
        if literal:
            parts.append(literal)
        if field is None:
            continue
        if spec or conversion:
            raise ValueError(f"say() takes plain {{fields}}, got {{{field}!{conversion}:{spec}}}")
        value = values[field]
        if isinstance(value, Marked):
            parts.extend(value.parts)
        else:
            parts.append(Untrusted(str(value)))
    return Marked(tuple(parts))


def untrusted(value: object) -> Marked:
    """One untrusted value as Marked words."""
    return Marked((Untrusted(str(value)),))


def join(separator: str, texts: Iterable[Marked]) -> Marked:
    """Join Marked texts with the bot's own separator."""
    parts: list[Part] = []
    for i, text in enumerate(texts):
        if i and separator:
            parts.append(separator)
        parts.extend(text.parts)
    return Marked(tuple(parts))
