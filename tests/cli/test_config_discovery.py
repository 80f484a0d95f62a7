"""Which config a command uses: --config, then $CONNECTS_BOT_CONFIG, then ./config.yaml, then the packaged default."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli import main
from bot.cli.common import CONFIG_VARIABLE, find_config
from bot.config import PACKAGED_CONFIG_PATH, PACKAGED_DEFAULTS, load_settings
from tests.shared_cache import seed_embedding_cache

ROOT = Path(__file__).resolve().parents[2]
QUESTION = "How do I use my agency's connects instead of mine?"


@pytest.fixture
def elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty current folder, no config named in the environment, and a private user data dir."""
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    monkeypatch.chdir(folder)
    monkeypatch.delenv(CONFIG_VARIABLE, raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    return folder


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_the_first_match_wins(elsewhere, monkeypatch):
    assert find_config(None) is None  # nothing here: the packaged default
    (elsewhere / "config.yaml").write_text("log_level: INFO\n")
    assert find_config(None) == Path("config.yaml")
    monkeypatch.setenv(CONFIG_VARIABLE, "/etc/bot/config.yaml")
    assert find_config(None) == Path("/etc/bot/config.yaml")
    assert find_config("mine.yaml") == Path("mine.yaml")


def test_a_config_named_in_the_environment_must_exist(elsewhere, monkeypatch, capsys):
    monkeypatch.setenv(CONFIG_VARIABLE, str(elsewhere / "typo.yaml"))
    code, _, err = run(capsys, "ask", "hello")
    assert code == 2
    assert err == f"error: config: {elsewhere / 'typo.yaml'}: config file not found\n"


def test_the_packaged_default_reads_its_knowledge_in_place_and_writes_to_the_user_data_dir(elsewhere, tmp_path):
    settings = load_settings(None)
    assert settings.source == PACKAGED_CONFIG_PATH
    assert settings.knowledge.path.resolve() == (PACKAGED_DEFAULTS / "knowledge").resolve()
    data = tmp_path / "xdg" / "connects-bot" / "data"
    assert settings.ledger.path == data / "ledger.sqlite3"
    assert settings.knowledge.history_path == data / "knowledge-history.sqlite3"
    assert settings.feedback.path == data / "feedback.sqlite3"
    assert load_settings(PACKAGED_CONFIG_PATH) == settings  # named explicitly, it still never writes inside


def test_from_any_folder_ask_answers_and_the_ledger_goes_to_the_user_data_dir(elsewhere, tmp_path, capsys):
    seed_embedding_cache(tmp_path / "xdg" / "connects-bot" / "data")
    code, out, _ = run(capsys, "ask", "--json", QUESTION)
    assert code == 0 and json.loads(out)["entry"] == "agency-vs-freelancer-balance"
    code, out, _ = run(capsys, "ledger", "history", "fl-ben", "--json")
    assert code == 0 and json.loads(out)["balances"]["fl-ben"] == 70
    assert (tmp_path / "xdg" / "connects-bot" / "data" / "ledger.sqlite3").is_file()
    assert not (ROOT / "bot" / "defaults" / "data").exists()
    assert list(elsewhere.iterdir()) == []  # nothing littered in the current folder


def test_a_local_config_yaml_is_used_with_paths_relative_to_it(elsewhere, capsys):
    (elsewhere / "config.yaml").write_text(f"knowledge: {{path: {ROOT / 'knowledge'}}}\n")
    code, out, _ = run(capsys, "ledger", "history", "fl-ben", "--json")
    assert code == 0 and json.loads(out)["profile"] == "fl-ben"
    assert (elsewhere / "data" / "ledger.sqlite3").is_file()


@pytest.mark.parametrize(("argv", "command"), [(["run"], "run"), (["kb", "revert", "proposal-cost", "1"], "kb revert")])
def test_commands_that_change_knowledge_refuse_the_read_only_packaged_default(
    elsewhere, monkeypatch, capsys, argv, command
):
    monkeypatch.setenv("DISCORD_TOKEN", "not-a-real-token")
    code, _, err = run(capsys, *argv)
    assert code == 2
    assert err.startswith(
        f"error: config: no config.yaml here: `{command}` changes the knowledge base, and the packaged"
    )
    assert "connects-bot init" in err and err.count("\n") == 1


def test_the_packaged_defaults_are_the_repositorys_own_files():
    """bot/defaults/ must ship exactly the repository's config.yaml and knowledge/ (symlinks in a checkout;
    tests/test_install.py checks the copies inside a built wheel)."""
    assert PACKAGED_CONFIG_PATH.read_bytes() == (ROOT / "config.yaml").read_bytes()
    assert tree(PACKAGED_DEFAULTS / "knowledge") == tree(ROOT / "knowledge")


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}
