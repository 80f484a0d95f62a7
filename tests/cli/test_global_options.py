"""Options of the program as a whole: `--version`, and `--config` before the command as well as after it."""

from __future__ import annotations

import json
from importlib.metadata import version
from pathlib import Path

import pytest

from bot.cli import command_named, main

ROOT = Path(__file__).resolve().parents[2]
QUESTION = "how do i buy connects for my agency"


@pytest.fixture
def lexical_config(tmp_path: Path) -> Path:
    """A config of its own (the lexical matcher alone: no embedding), far from the current folder's."""
    path = tmp_path / "mine.yaml"
    path.write_text(f"knowledge:\n  path: {ROOT / 'knowledge'}\nembedding:\n  enabled: false\n", encoding="utf-8")
    return path


def test_version_prints_the_installed_version(capsys):
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out == f"connects-bot {version('connects-support-bot')}\n"


@pytest.mark.parametrize("where", ["before", "after"])
def test_config_is_accepted_before_or_after_the_command(where, lexical_config, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)  # no ./config.yaml: only --config can bring the lexical-only settings
    monkeypatch.delenv("CONNECTS_BOT_CONFIG", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    option = ["--config", str(lexical_config)]
    argv = [*option, "ask", "--json", QUESTION] if where == "before" else ["ask", "--json", QUESTION, *option]
    assert main(argv) == 0
    decision = json.loads(capsys.readouterr().out)
    # 0.73 is the lexical matcher's score: the meaning model (the packaged default's) would give another figure
    assert decision["entry"] == "agency-buying-billing" and decision["score"] < 0.9


def test_config_after_the_command_wins_over_one_before_it(lexical_config, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["--config", str(tmp_path / "typo.yaml"), "kb", "check", "--config", str(lexical_config)]) == 0
    assert main(["--config", str(tmp_path / "typo.yaml"), "kb", "check"]) == 2
    assert "typo.yaml: config file not found" in capsys.readouterr().err


def test_the_command_word_is_found_past_the_options():
    assert command_named(["--config", "ask", "kb", "check"]) == "kb"  # a config file named "ask"
    assert command_named(["--config=x.yaml", "ledger", "history"]) == "ledger"
    assert command_named(["--version"]) is None
