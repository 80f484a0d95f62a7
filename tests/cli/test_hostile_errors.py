"""An error message cannot drive the terminal: every line the CLI's error handler prints goes through `shown`.

Domain errors carry text a member or an import controls (a profile id, a file name, a listed row); the
handler prints each of their lines with its control characters visible, so an ESC[2J or a right-to-left
override in an id is shown as `\\x1b[2J` / `\\u202e`, and a newline in a file name cannot forge a line.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.cli import EXIT_FAILED, EXIT_USAGE, main
from tests.cli.conftest import OperatorFolder
from tests.hostile_text import terminal_problems

HOSTILE = "ag-\x1b[2J\u202eevil"  # clears the screen, then reverses the rest of the line
SHOWN = "ag-\\x1b[2J\\u202eevil"


@pytest.fixture
def config(operator_folder: OperatorFolder) -> Path:
    return operator_folder(ledger={"path": "data/ledger.sqlite3"}, embedding={"enabled": False})


def error_of(capsys: pytest.CaptureFixture[str], code: int, *argv: str) -> str:
    assert main(list(argv)) == code
    return capsys.readouterr().err


@pytest.mark.parametrize("command", [["ask", "how do I buy connects"], ["kb", "check"]], ids=["handler", "kb check"])
def test_a_hostile_entry_id_and_file_name_are_shown_not_obeyed(capsys, config, command) -> None:
    knowledge = config.parent / "knowledge"
    entry = yaml.safe_load((knowledge / "entries" / "taxes-vat.yaml").read_text(encoding="utf-8"))
    entry["id"] = HOSTILE
    (knowledge / "entries" / f"{HOSTILE}.yaml").write_text(yaml.safe_dump(entry), encoding="utf-8")

    err = error_of(capsys, EXIT_FAILED, *command, "--config", str(config))

    assert terminal_problems(err) == []
    problems = [line for line in err.splitlines() if line.startswith("  ")]
    assert problems and all(line.startswith(f"  knowledge/entries/{SHOWN}.yaml: ") for line in problems), err
    assert f"entry {SHOWN}" in err


def test_a_file_name_in_a_config_error_is_shown_not_obeyed(capsys, tmp_path) -> None:
    missing = tmp_path / f"{HOSTILE}.yaml"

    err = error_of(capsys, EXIT_USAGE, "kb", "check", "--config", str(missing))

    assert terminal_problems(err) == []
    assert err == f"error: config: {tmp_path}/{SHOWN}.yaml: config file not found\n"


def test_a_listed_problem_cannot_forge_a_line_of_the_error(capsys, config, tmp_path) -> None:
    # The import names the file in each problem: a newline in the name would start a line of its own.
    profiles = tmp_path / "p\x1b[2J\n  forged line\u202e.yaml"
    profiles.write_text("profiles: 5\n")

    err = error_of(capsys, EXIT_FAILED, "ledger", "import", "--profiles", str(profiles), "--config", str(config))

    assert terminal_problems(err) == []
    assert err.splitlines() == [
        "error: import refused, nothing was imported: 1 bad row(s)",
        "  p\\x1b[2J\\n  forged line\\u202e.yaml line 1: must hold one key, 'profiles:', with a list of profiles",
    ]
