"""Read the YAML that people and tools hand us (knowledge, profiles, config) safely and within bounds.

`yaml.safe_load` is safe from code execution but not from size: a few hundred bytes of nested aliases
(`&a [*b, *b, ...]`, the "billion laughs") load as a shared structure that explodes the moment anything
walks or prints it, and merge keys (`<<: [*a, *a]`) multiply inside the loader itself. None of our files
needs aliases, so the loader refuses anchors and aliases while composing, before anything is built, and
refuses nesting deeper than any of our schemas goes. Files are read with a byte cap, so memory is bounded
by the cap whatever sits on disk. A value the constructor cannot build (`2026-13-45`, a 5,000-digit
number) is a refusal with its line, not a traceback.

Parsing stays in libyaml's C parser when PyYAML has it; only composition runs in Python (measured on a
10,000-profile file: about 1.2x the time of the all-C safe loader, the same peak memory).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.events import AliasEvent
from yaml.nodes import Node
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.resolver import Resolver
from yaml.scanner import Scanner

try:
    from yaml._yaml import CParser as _FastParser
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    _FastParser = None

# Our deepest schema (a profile's members list of mappings) nests four levels; anything far deeper is
# not one of our files, and deep enough nesting would exhaust Python's recursion limit while composing.
MAX_DEPTH = 20

_ParserBases: tuple[type, ...] = (_FastParser,) if _FastParser is not None else (Reader, Scanner, Parser)


class YamlRefused(Exception):
    """A YAML file or text was refused: too big, not UTF-8, broken, hostile, or holding a bad value.

    str() is one line that reads after a file name: "broken YAML at line 3, column 5: ...".
    """

    def __init__(self, problem: str, *, line: int | None = None, column: int | None = None) -> None:
        self.problem = problem
        self.line = line
        self.column = column
        super().__init__(problem)


class BoundedLoader(Composer, *_ParserBases, SafeConstructor, Resolver):  # type: ignore[misc]
    """PyYAML's safe loader, composed in Python so that anchors, aliases and deep nesting are refused."""

    def __init__(self, stream: str) -> None:
        if _FastParser is not None:
            _FastParser.__init__(self, stream)
        else:  # pragma: no cover
            Reader.__init__(self, stream)
            Scanner.__init__(self)
            Parser.__init__(self)
        Composer.__init__(self)
        SafeConstructor.__init__(self)
        Resolver.__init__(self)
        self._depth = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node:
        event = self.peek_event()
        if isinstance(event, AliasEvent) or getattr(event, "anchor", None) is not None:
            raise _refusal("YAML anchor or alias", event.start_mark, "not allowed in this file; write the value out")
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise _refusal("nesting", event.start_mark, f"deeper than {MAX_DEPTH} levels")
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_object(self, node: Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except (ValueError, OverflowError) as exc:
            # Python's own message, without advice that only applies to Python code ("; use sys...").
            raise _refusal("bad value", node.start_mark, str(exc).split(";")[0]) from None


def load_text(text: str) -> Any:
    """Parse one YAML document with the bounded safe loader; raise YamlRefused saying where and why."""
    loader = BoundedLoader(text)
    try:
        return loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise _refusal("broken YAML", mark, exc.problem or exc.context or "syntax error") from None
    except yaml.YAMLError as exc:
        raise YamlRefused(f"broken YAML: {exc}") from None
    finally:
        loader.dispose()


def read_text(path: Path, max_bytes: int) -> str:
    """Return a UTF-8 file's text, reading at most max_bytes + 1 bytes; raise YamlRefused when it is
    bigger or not UTF-8. OSError (missing, unreadable) passes through for the caller to word.

    Newlines are normalised as Path.read_text does (universal newlines), so callers can compare texts.
    """
    with open(path, "rb") as handle:
        data = handle.read(max_bytes + 1)
        if len(data) > max_bytes:
            size = max(_size_of(handle), len(data))
            raise YamlRefused(f"is {_bytes(size)}; the limit is {_bytes(max_bytes)}")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise YamlRefused(f"is not UTF-8 text (byte 0x{data[exc.start]:02x} on line {line})") from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def read_yaml(path: Path, max_bytes: int) -> Any:
    """Read and parse a YAML file within max_bytes; raise YamlRefused (or OSError when unreadable)."""
    return load_text(read_text(path, max_bytes))


def _refusal(what: str, mark: Any, detail: str) -> YamlRefused:
    """Word a refusal as "what at line L, column C: detail" (the wording the loaders' errors always had)."""
    if mark is None:
        return YamlRefused(f"{what}: {detail}")
    line, column = mark.line + 1, mark.column + 1
    return YamlRefused(f"{what} at line {line}, column {column}: {detail}", line=line, column=column)


def _size_of(handle: Any) -> int:
    try:
        return os.fstat(handle.fileno()).st_size
    except OSError:
        return 0


def _bytes(count: int) -> str:
    for unit, scale in (("MB", 1 << 20), ("KB", 1 << 10)):
        if count >= scale:
            return f"{count / scale:,.1f} {unit}".replace(".0 ", " ")
    return f"{count:,} bytes"
