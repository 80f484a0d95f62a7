"""`kb eval --questions FILE / --chatter FILE` with a file that cannot be used: one line naming it, exit 1."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from tests.cli.conftest import OperatorFolder

BAD_FILES = [
    ("--questions", None, "missing.yaml: no such file"),
    ("--questions", "questions:\n  - text: how do i buy connects\n", "questions item 1: needs a topic (an entry id)"),
    ("--questions", "questions:\n  - {topic: no-such-entry, text: hi}\n", "topic 'no-such-entry' is not an entry id"),
    ("--questions", "chatter:\n  - text: hi\n", "expected a mapping with a questions: list"),
    ("--chatter", "chatter: [1, 2]\n", "chatter item 1: needs a non-empty text"),
    ("--chatter", "chatter:\n  - text: [unclosed\n", "broken YAML at line"),
    ("--chatter", "a: &x [1]\nb: *x\n", "YAML anchor or alias"),
    ("--chatter", b"chatter:\n  - text: caf\xe9\n", "is not UTF-8 text"),
]


@pytest.mark.parametrize(("option", "content", "problem"), BAD_FILES)
def test_a_bad_labelled_file_is_one_line_naming_it(
    operator_folder: OperatorFolder, tmp_path, capsys, option, content, problem
):
    config = operator_folder(embedding={"enabled": False})
    path = tmp_path / ("missing.yaml" if content is None else "labelled.yaml")
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content, encoding="utf-8")
    code = main(["kb", "eval", "--folds", "0", "--summary", option, str(path), "--config", str(config)])
    out, err = capsys.readouterr()
    assert code == 1
    assert err.startswith(f"error: {path}: ") and problem in err and err.count("\n") == 1, err
    assert "Traceback" not in err and out == ""  # refused before any figure is computed


def test_a_hostile_file_name_is_shown_not_obeyed(operator_folder: OperatorFolder, tmp_path, capsys):
    config = operator_folder(embedding={"enabled": False})
    code = main(["kb", "eval", "--folds", "0", "--chatter", str(tmp_path / "x\x1b[2J.yaml"), "--config", str(config)])
    assert code == 1
    assert "x\\x1b[2J.yaml: no such file" in capsys.readouterr().err


def test_a_good_labelled_file_is_measured(operator_folder: OperatorFolder, tmp_path: Path, capsys):
    config = operator_folder(embedding={"enabled": False})
    questions = tmp_path / "mine.yaml"
    questions.write_text("questions:\n  - {topic: buying-connects, text: how do i buy connects}\n", encoding="utf-8")
    code = main(["kb", "eval", "--folds", "0", "--summary", "--questions", str(questions), "--config", str(config)])
    assert code == 0
    assert "  mine.yaml: " in capsys.readouterr().out
