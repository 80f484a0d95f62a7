"""Read the YAML that people and tools hand us (knowledge, profiles, config) safely and within bounds.

`yaml.safe_load` is safe from code execution but not from size: a few hundred bytes of nested aliases
(`&a [*b, *b, ...]`, the "billion laughs") load as a shared structure that explodes the moment anything
walks or prints it, and merge keys (`<<: [*a, *a]`) multiply inside the constructor itself. None of our
files needs aliases, so after composing (which keeps an alias as a second reference to the same node, so
the node graph is no bigger than the text) and before constructing anything, the graph is walked once:
a node reached twice is an alias and is refused, as is nesting deeper than any of our schemas goes, and
so is a key repeated in one mapping (PyYAML lets the last one win silently: an `answer:` appended at the
end of an entry file would replace the answer a reviewer sees at the top). Files
are read with a byte cap, so memory is bounded by the cap whatever sits on disk. A value the constructor
cannot build (`2026-13-45`, a 5,000-digit number) is a refusal with its line, not a traceback.

Composition stays in libyaml's C code when PyYAML has it; bench/bench_yaml_loading.py measures the
walk's cost against PyYAML's all-C safe loader.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.resolver import Resolver

try:
    from yaml._yaml import CParser as _Parser
except ImportError:  # pragma: no cover - PyYAML built without libyaml: the same checks, in pure Python
    from yaml.composer import Composer
    from yaml.parser import Parser
    from yaml.reader import Reader
    from yaml.scanner import Scanner

    class _Parser(Reader, Scanner, Parser, Composer):  # type: ignore[no-redef]
        def __init__(self, stream: str) -> None:
            Reader.__init__(self, stream)
            Scanner.__init__(self)
            Parser.__init__(self)
            Composer.__init__(self)


# Our deepest schema (a profile's members: a list of mappings) nests four levels; anything far deeper
# is not one of our files.
MAX_DEPTH = 20


class YamlRefused(Exception):
    """A YAML file or text was refused: too big, not UTF-8, broken, hostile, or holding a bad value.

    str() is one line that reads after a file name: "broken YAML at line 3, column 5: ...".
    """

    def __init__(self, problem: str, *, line: int | None = None, column: int | None = None) -> None:
        self.problem = problem
        self.line = line
        self.column = column
        super().__init__(problem)


class BoundedLoader(_Parser, SafeConstructor, Resolver):
    """PyYAML's safe loader whose constructor names the line of a value it cannot build."""

    def __init__(self, stream: str) -> None:
        _Parser.__init__(self, stream)
        SafeConstructor.__init__(self)
        Resolver.__init__(self)


def _naming_the_line(construct: Any) -> Any:
    def construct_or_refuse(loader: BoundedLoader, node: Node) -> Any:
        try:
            return construct(loader, node)
        except (ValueError, OverflowError) as exc:
            # Python's own message, without advice that only applies to Python code ("; use sys...").
            raise _refusal("bad value", node.start_mark, str(exc).split(";")[0]) from None

    return construct_or_refuse


# The safe constructors that call int(), float() or datetime() on the text, and so can raise ValueError.
for _tag in ("int", "float", "timestamp"):
    _name = f"tag:yaml.org,2002:{_tag}"
    BoundedLoader.add_constructor(_name, _naming_the_line(SafeConstructor.yaml_constructors[_name]))


def load_text(text: str) -> Any:
    """Parse one YAML document with the bounded safe loader; raise YamlRefused saying where and why."""
    loader = BoundedLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        check_tree(node)
        return loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise _refusal("broken YAML", mark, exc.problem or exc.context or "syntax error") from None
    except yaml.YAMLError as exc:
        raise YamlRefused(f"broken YAML: {exc}") from None
    finally:
        loader.dispose()


def check_tree(root: Node) -> None:
    """Refuse a composed document in which a node is reached twice (an alias) or nesting is too deep."""
    seen: set[int] = set()
    level, depth = [root], 1
    while level:
        below: list[Node] = []
        for node in level:
            if id(node) in seen:
                # The mark is where the anchored value starts: the place to write it out instead.
                raise _refusal("YAML anchor or alias", node.start_mark, "not allowed in this file; write the value out")
            seen.add(id(node))
            if depth > MAX_DEPTH:
                raise _refusal("nesting", node.start_mark, f"deeper than {MAX_DEPTH} levels")
            if type(node) is MappingNode:
                _refuse_repeated_keys(node)
                for key, value in node.value:
                    below.append(key)
                    below.append(value)
            elif type(node) is SequenceNode:
                below.extend(node.value)
        level, depth = below, depth + 1


def _refuse_repeated_keys(mapping: MappingNode) -> None:
    """Refuse a mapping in which a scalar key appears twice, at the second one, naming the first's line."""
    first_line: dict[tuple[str, str], int] = {}
    for key, _value in mapping.value:
        if type(key) is not ScalarNode:
            continue
        # The resolved tag keeps `1` (an int) and `"1"` (a string) apart, as the constructor would.
        identity = (key.tag, key.value)
        if identity in first_line:
            # repr() quotes the key and escapes control characters; a long key is cut short.
            shown = repr(key.value[:60] + ("..." if len(key.value) > 60 else ""))
            detail = f"{shown} is already set at line {first_line[identity]}; a second value would silently replace it"
            raise _refusal("repeated key", key.start_mark, detail)
        first_line[identity] = key.start_mark.line + 1


def read_text(path: Path, max_bytes: int) -> str:
    """Return a UTF-8 file's text, reading at most max_bytes + 1 bytes; raise YamlRefused when it is
    bigger, not UTF-8 or not a regular file. OSError (missing, unreadable, a folder) passes through for
    the caller to word.

    Newlines are normalised as Path.read_text does (universal newlines), so callers can compare texts.
    """
    with _open_regular_file(path) as handle:
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


def _open_regular_file(path: Path) -> Any:
    """Open path for reading only if it is a regular file; refuse a FIFO, socket or device at once.

    open() on a FIFO blocks until something writes to it (a config named by mistake would hang the
    command for ever), so the file is opened non-blocking and checked with fstat before any read.
    """
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
        if not stat.S_ISREG(mode):
            raise YamlRefused(f"is not a regular file (a {_file_kind(mode)}); name a YAML file")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _file_kind(mode: int) -> str:
    for test, kind in ((stat.S_ISFIFO, "FIFO"), (stat.S_ISSOCK, "socket"), (stat.S_ISCHR, "character device")):
        if test(mode):
            return kind
    return "block device" if stat.S_ISBLK(mode) else "special file"


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
