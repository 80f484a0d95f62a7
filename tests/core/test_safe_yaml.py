"""The bounded safe YAML loader: refuses aliases, deep nesting, oversize and non-UTF-8 files, bad values."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml

from bot.core import safe_yaml
from bot.core.safe_yaml import MAX_DEPTH, YamlRefused, load_text, read_text, read_yaml
from tests.hostile import ROOT, alias_bomb, merge_bomb


def refusal(text: str) -> YamlRefused:
    with pytest.raises(YamlRefused) as info:
        load_text(text)
    return info.value


@pytest.mark.parametrize(("bomb", "column"), [(alias_bomb(), 12), (merge_bomb(), 16)], ids=["aliases", "merge-keys"])
def test_a_billion_laughs_is_refused_at_its_first_anchor(bomb, column):
    error = refusal("id: x\nreviewed: " + bomb + "\n")
    assert (error.line, error.column) == (2, column)
    assert str(error) == (
        f"YAML anchor or alias at line 2, column {column}: not allowed in this file; write the value out"
    )


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("a: &x 1\nb: *x\n", (1, 4)),  # even a scalar's alias: the mark is the anchored value, to write out
        ("base: &b {k: 1}\nother:\n  <<: *b\n", (1, 7)),
        ("rules:\n  - &r {id: a}\n  - *r\n", (2, 5)),
    ],
)
def test_aliases_of_any_kind_are_refused_where_the_anchored_value_is(text, where):
    error = refusal(text)
    assert (error.line, error.column) == where
    assert "anchor or alias" in str(error)


def test_an_unused_anchor_is_harmless_and_an_undefined_alias_is_broken_yaml():
    assert load_text("a: &x 1\n") == {"a": 1}
    assert str(refusal("a: [2, *x]\n")).startswith("broken YAML at line 1, column 8: found undefined alias")


def test_nesting_is_bounded_and_reported_where_it_goes_too_deep():
    assert load_text(_block_nest(MAX_DEPTH - 1))["k"]["k"]["k"] is not None
    where = f"line {MAX_DEPTH}, column {MAX_DEPTH}"
    assert str(refusal(_block_nest(MAX_DEPTH))) == f"nesting at {where}: deeper than {MAX_DEPTH} levels"
    # Deep enough to exhaust Python's recursion limit if it were composed: refused, never a RecursionError.
    assert "nesting" in str(refusal("[" * 5000 + "]" * 5000))


def _block_nest(depth: int) -> str:
    """A mapping nested `depth` levels deep in block style, one key a line, ending in a scalar."""
    return "".join(" " * level + "k:\n" for level in range(depth)) + " " * depth + "leaf\n"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("reviewed: 2026-13-45\n", "bad value at line 1, column 11: month must be in 1..12"),
        ("n: " + "9" * 5000 + "\n", "bad value at line 1, column 4: Exceeds the limit (4300 digits)"),
        ("a: [1, 2\n", "broken YAML at line 2, column 1: did not find expected ',' or ']'"),
        ("a: 1\n---\nb: 2\n", "broken YAML at line 2, column 1: but found another document"),
    ],
)
def test_values_the_constructor_cannot_build_are_refusals_with_a_line(text, problem):
    assert str(refusal(text)).startswith(problem)


def test_plain_yaml_loads_exactly_as_the_safe_loader_does():
    files = [ROOT / "config.yaml", ROOT / "knowledge" / "rules.yaml", ROOT / "bot/core/ledger/demo/profiles.yaml"]
    files += sorted((ROOT / "knowledge" / "entries").glob("*.yaml"))
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert read_yaml(path, 1 << 20) == yaml.safe_load(text), path
    assert load_text("d: 2026-11-28\nt: yes\nn: ~\n") == {"d": dt.date(2026, 11, 28), "t": True, "n": None}


def test_libyaml_composes_when_pyyaml_has_it():
    if yaml.__with_libyaml__:
        assert safe_yaml.BoundedLoader.__mro__[1] is yaml._yaml.CParser
    else:  # a PyYAML without libyaml gets the same checks from the pure-Python composer
        assert yaml.composer.Composer in safe_yaml.BoundedLoader.__mro__


def test_read_text_caps_the_bytes_it_reads(tmp_path: Path):
    path = tmp_path / "f.yaml"
    path.write_bytes(b"a: 1\n" + b"#" * (1024 - 5))
    assert read_text(path, 1024).startswith("a: 1")  # exactly at the cap: fine
    path.write_bytes(b"a: 1\n" + b"#" * (3 * 2**20))
    with pytest.raises(YamlRefused, match=r"^is 3 MB; the limit is 1 KB$"):
        read_text(path, 1024)


def test_read_text_names_the_line_of_a_byte_that_is_not_utf8(tmp_path: Path):
    path = tmp_path / "f.yaml"
    path.write_bytes("a: 1\nname: Andr\u00e9\n".encode("latin-1"))
    with pytest.raises(YamlRefused, match=r"^is not UTF-8 text \(byte 0xe9 on line 2\)$"):
        read_text(path, 1024)


def test_read_text_reads_newlines_as_path_read_text_does(tmp_path: Path):
    path = tmp_path / "f.yaml"
    path.write_bytes(b"a: 1\r\nb: 2\rc: 3\n")
    assert read_text(path, 1024) == path.read_text(encoding="utf-8") == "a: 1\nb: 2\nc: 3\n"


@pytest.mark.parametrize(
    ("text", "where", "first"),
    [
        ("id: a\nanswer: x\nanswer: y\n", (3, 1), 2),
        ("a:\n  b: 1\n  c: 2\n  b: 3\n", (4, 3), 2),  # nested
        ("{a: 1, a: 2}\n", (1, 8), 1),  # flow style, both on one line
        ("- {k: 1}\n- k: 2\n  k: 3\n", (3, 3), 2),  # inside a list item
    ],
)
def test_a_repeated_key_is_refused_at_its_second_occurrence(text, where, first):
    error = refusal(text)
    assert (error.line, error.column) == where
    assert f"is already set at line {first}; a second value would silently replace it" in str(error)


def test_keys_that_differ_in_type_are_not_repeats():
    assert load_text('1: int\n"1": text\n') == {1: "int", "1": "text"}


def test_special_files_are_refused_and_a_folder_stays_an_os_error(tmp_path: Path):
    # A FIFO is tested through the CLI in a child process (tests/cli/test_repeated_keys_and_special_files.py):
    # the bug was a hang, which only a child's timeout can turn into a failure.
    with pytest.raises(YamlRefused, match=r"^is not a regular file \(a character device\); name a YAML file$"):
        read_text(Path("/dev/null"), 100)
    with pytest.raises(IsADirectoryError):
        read_text(tmp_path, 100)
