"""The README as a newcomer follows it: every command it shows exists, with its flags; every config key it lists
exists, with the default it gives.

Commands are read from its code (fenced blocks and inline spans) wherever `python -m bot` or `connects-bot`
starts one: the words that name a subcommand must parse with `--help`, and every `--flag` in the same
command must be an option of that subcommand (or of the program).
"""

from __future__ import annotations

import argparse
import dataclasses
import re
from pathlib import Path

import pytest
import yaml

from bot.cli import COMMAND_MODULES, build_parser
from bot.config import Settings, settings_from_mapping

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
# The program as a command word: not /srv/connects-bot, connects-bot:connects-bot or connects-bot.service.
PROGRAM = re.compile(r"(?:python -m bot|(?<![\w/:.-])connects-bot)(?![\w/:.-])((?: +[^\s`]+)*)")
FLAG = re.compile(r"--[a-z][a-z-]*")


def code_snippets(text: str) -> list[str]:
    """Each line of a fenced block, and each inline code span outside them."""
    fenced = re.findall(r"^```[a-z]*\n(.*?)^```", text, flags=re.S | re.M)
    outside = re.sub(r"^```[a-z]*\n.*?^```", "", text, flags=re.S | re.M)
    return [line for block in fenced for line in block.splitlines()] + re.findall(r"`([^`\n]+)`", outside)


def one_command(words: str) -> list[str]:
    """The command's own words: up to a shell separator or comment (a `|` inside [...] is an alternative)."""
    kept: list[str] = []
    depth = 0
    for word in words.split():
        if word in ("&&", ";", "#", ">", "<") or (word == "|" and depth == 0):
            break
        depth += word.count("[") - word.count("]")
        kept.append(word)
    return kept


def readme_commands() -> list[tuple[str, ...]]:
    commands = {tuple(one_command(m.group(1))) for s in code_snippets(README) for m in PROGRAM.finditer(s)}
    return sorted(c for c in commands if c)


def subcommand_path(
    parser: argparse.ArgumentParser, words: tuple[str, ...]
) -> tuple[list[str], argparse.ArgumentParser]:
    """The leading words that name (sub)commands, and the parser of the last one."""
    path: list[str] = []
    rest = iter(words)
    for word in rest:
        if word == "--config":
            next(rest, None)
            continue
        choices = next((a.choices for a in parser._actions if isinstance(a, argparse._SubParsersAction)), None)
        if not choices or word not in choices:
            break
        path.append(word)
        parser = choices[word]
    return path, parser


COMMANDS = readme_commands()


def test_the_readme_shows_every_command_family() -> None:
    paths = [subcommand_path(build_parser(list(c)), c)[0] for c in COMMANDS]
    assert {path[0] for path in paths if path} == set(COMMAND_MODULES)


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_each_command_in_the_readme_parses_with_its_flags(command: tuple[str, ...], capsys) -> None:
    program = build_parser(list(command))
    path, parser = subcommand_path(program, command)
    with pytest.raises(SystemExit) as done:
        program.parse_args([*path, "--help"])
    assert done.value.code == 0, capsys.readouterr().err
    known = set(parser._option_string_actions) | set(program._option_string_actions)
    unknown = [flag for flag in FLAG.findall(" ".join(command)) if flag not in known]
    assert unknown == [], f"python -m bot {' '.join(path)} has no {', '.join(unknown)}"


# --- the configuration table ---------------------------------------------------------------------------------

ROW = re.compile(r"^\| `([a-z_]+(?:\.[a-z_]+)?)` \| `([^`]*)` \| (.+) \|$", flags=re.M)


def configuration_section() -> str:
    start = README.index("\n## Configuration\n")
    return README[start : README.index("\n## ", start + 1)]


def code_defaults() -> dict[str, object]:
    defaults = settings_from_mapping({}, base=Path(), source=Path("config.yaml"))
    found: dict[str, object] = {}
    for section in dataclasses.fields(Settings):
        value = getattr(defaults, section.name)
        if section.name == "source":
            continue
        if not dataclasses.is_dataclass(value):
            found[section.name] = value
            continue
        for key in dataclasses.fields(value):
            found[f"{section.name}.{key.name}"] = getattr(value, key.name)
    return found


def plain(value: object) -> object:
    if isinstance(value, Path):
        return str(value)
    return list(value) if isinstance(value, tuple) else value


def test_the_configuration_table_lists_every_key_with_its_default() -> None:
    rows = {key: (default, meaning) for key, default, meaning in ROW.findall(configuration_section())}
    defaults = code_defaults()
    assert sorted(set(defaults) - set(rows)) == [], "keys the README's configuration table leaves out"
    assert sorted(set(rows) - set(defaults)) == [], "keys in the README's table that Settings does not have"
    wrong = {
        key: (rows[key][0], defaults[key]) for key in defaults if yaml.safe_load(rows[key][0]) != plain(defaults[key])
    }
    assert wrong == {}, "README default vs the code's"
    assert all(meaning.strip() for _, meaning in rows.values())


def test_the_development_section_names_every_benchmark_once() -> None:
    start = README.index("\n## Development\n")
    section = README[start : README.find("\n## ", start + 1) if README.find("\n## ", start + 1) > 0 else None]
    named = re.findall(r"`((?:bench|tune)_[a-z_]+\.py)`", section)
    assert sorted(named) == sorted(p.name for p in (ROOT / "bench").glob("*.py"))  # each once, none missing
