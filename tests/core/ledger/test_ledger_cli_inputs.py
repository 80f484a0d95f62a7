"""What an operator types at the CLI: integer options bounded by the parser, odd ledger paths, the import help."""

from __future__ import annotations

from pathlib import Path

import pytest
from ledger_sample import REPO

from bot.cli import build_parser, main
from bot.cli.ledger_help import SAMPLE_ENTRIES, SAMPLE_PROFILES
from bot.core.ledger.importer import import_ledger
from bot.core.ledger.models import ENTRY_COLUMNS
from bot.core.ledger.store import LedgerStore

HUGE = str(2**64)  # past 64 bits: reached SQLite as an OverflowError traceback


@pytest.mark.parametrize(
    "argv, option, bounds",
    [
        (["ledger", "history", "fl-a", "--limit", HUGE], "--limit", "from 1 to 1,000,000"),
        (["ledger", "audit", "--limit", HUGE], "--limit", "from 1 to 1,000,000"),
        (["ledger", "audit", "--limit", "0"], "--limit", "from 1 to 1,000,000"),
        (["kb", "history", "taxes-vat", "--show", HUGE], "--show", "from 1 to 9,223,372,036,854,775,807"),
        (["kb", "revert", "taxes-vat", HUGE], "version", "from 1 to 9,223,372,036,854,775,807"),
        (["kb", "teach-group", "-" + HUGE], "group", "from 1 to 9,223,372,036,854,775,807"),
        (["kb", "eval", "--folds", HUGE], "--folds", "from 0 to 20"),
        (["kb", "history", "taxes-vat", "--show", "9" * 5000], "--show", "from 1 to 9,223,372,036,854,775,807"),
    ],
)
def test_integer_options_out_of_range_are_one_line_from_the_parser(capsys, argv, option, bounds):
    with pytest.raises(SystemExit) as caught:
        build_parser(argv).parse_args(argv)
    assert caught.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    last = err.strip().splitlines()[-1]
    assert f"error: argument {option}: must be {bounds}, got '" in last
    assert len(last) < 200  # a 5,000-digit value is quoted cut short


def test_integer_options_in_range_and_words_are_told_apart(capsys):
    argv = ["kb", "history", "taxes-vat", "--show", str(2**63 - 1)]
    assert build_parser(argv).parse_args(argv).show == 2**63 - 1
    argv = ["ledger", "history", "fl-a", "--limit", "+7"]
    assert build_parser(argv).parse_args(argv).limit == 7
    for bad in ("ten", "1.5", "١٠", ""):
        argv = ["ledger", "audit", "--limit", bad]
        with pytest.raises(SystemExit):
            build_parser(argv).parse_args(argv)
        assert f"error: argument --limit: must be a whole number, got {bad!r}" in capsys.readouterr().err


def config_with_ledger(tmp_path: Path, ledger: Path) -> str:
    path = tmp_path / "config.yaml"
    path.write_text(f"knowledge:\n  path: {REPO / 'knowledge'}\nledger:\n  path: {ledger}\n", encoding="utf-8")
    return str(path)


@pytest.mark.parametrize("command", [["history", "fl-a"], ["audit"], ["import", "--entries", "e.csv"], ["reset"]])
def test_a_ledger_path_that_is_a_directory_is_one_line(capsys, tmp_path, command):
    ledger = tmp_path / "ledger.sqlite3"
    ledger.mkdir()
    code = main(["ledger", *command, "--config", config_with_ledger(tmp_path, ledger)])
    assert code == 1
    assert capsys.readouterr().err == f"error: {ledger}: is a directory, not a database file\n"


def test_a_ledger_whose_folder_is_a_file_is_one_line(capsys, tmp_path):
    (tmp_path / "data").write_text("not a folder", encoding="utf-8")
    ledger = tmp_path / "data" / "ledger.sqlite3"
    code = main(["ledger", "history", "fl-a", "--config", config_with_ledger(tmp_path, ledger)])
    assert code == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error: {ledger}: cannot create its folder {tmp_path / 'data'} (") and err.count("\n") == 1


def test_an_access_log_path_that_is_a_directory_is_one_line(capsys, tmp_path):
    ledger = tmp_path / "ledger.sqlite3"
    LedgerStore(ledger).close()
    (tmp_path / "ledger.audit.sqlite3").mkdir()
    code = main(["ledger", "audit", "--config", config_with_ledger(tmp_path, ledger)])
    assert code == 1
    assert (
        capsys.readouterr().err == f"error: {tmp_path / 'ledger.audit.sqlite3'}: is a directory, not a database file\n"
    )


def test_import_help_shows_the_csv_header_and_samples_that_import(capsys, tmp_path):
    with pytest.raises(SystemExit):
        main(["ledger", "import", "--help"])
    out = capsys.readouterr().out
    assert "  " + ",".join(ENTRY_COLUMNS) + "\n" in out
    for line in [*SAMPLE_ENTRIES.splitlines(), *SAMPLE_PROFILES.splitlines()]:
        assert "  " + line + "\n" in out
    (tmp_path / "p.yaml").write_text(SAMPLE_PROFILES, encoding="utf-8")
    (tmp_path / "e.csv").write_text(SAMPLE_ENTRIES, encoding="utf-8")
    with LedgerStore(tmp_path / "ledger.sqlite3") as store:
        result = import_ledger(store, profiles_path=tmp_path / "p.yaml", entries_path=tmp_path / "e.csv")
        assert (result.profiles, result.entries) == (2, 2)
        assert store.balance("ag-brightpath") == 144
