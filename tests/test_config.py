"""config.yaml -> Settings: defaults, relative paths, and one clear error naming the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import load_settings
from bot.core.errors import ConfigError


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    return path


ROOT = Path(__file__).resolve().parents[1]


def test_the_shipped_config_loads_with_documented_values():
    settings = load_settings(ROOT / "config.yaml")
    assert settings.knowledge.path == ROOT / "knowledge"
    assert 0 < settings.matcher.suggest_threshold <= settings.matcher.answer_threshold < 1
    assert "connects" in settings.matcher.domain_words
    assert settings.discord.api_base.startswith("https://discord.com/")


def test_relative_paths_resolve_against_the_config_folder(tmp_path):
    settings = load_settings(write(tmp_path, "ledger: {path: db/ledger.sqlite3}\n"))
    assert settings.ledger.path == tmp_path / "db" / "ledger.sqlite3"
    assert settings.knowledge.path == tmp_path / "knowledge"


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("matcher: {answer_threshold: high}\n", "matcher.answer_threshold"),
        ("matcher: {answer_threshold: 0.3, suggest_threshold: 0.5}\n", "matcher.suggest_threshold"),
        ("matcher: {answer_treshold: 0.5}\n", "matcher.answer_treshold"),
        ("discord: {guild_ids: [abc]}\n", "discord.guild_ids[0]"),
        ("discord: {gateway_url: http://example.org}\n", "discord.gateway_url"),
        ("discord: {support_channel_ids: 12}\n", "discord.support_channel_ids"),
        ("ledgr: {path: x}\n", "ledgr"),
        ("log_level: LOUD\n", "log_level"),
        ("knowledge: [1, 2]\n", "knowledge"),
        ("matcher: {answer_threshold: .nan}\n", "matcher.answer_threshold"),
        ("matcher: {answer_margin: .NaN}\n", "matcher.answer_margin"),
        ("discord: {entry_cooldown_seconds: .inf}\n", "discord.entry_cooldown_seconds"),
        ("discord: {member_rate_limit_seconds: .inf}\n", "discord.member_rate_limit_seconds"),
        ("knowledge: {watch_interval_seconds: .nan}\n", "knowledge.watch_interval_seconds"),
    ],
)
def test_a_bad_key_is_named(tmp_path, text, key):
    with pytest.raises(ConfigError) as info:
        load_settings(write(tmp_path, text))
    assert info.value.key == key
    assert str(info.value).startswith(f"config: {key}:")
    assert "\n" not in str(info.value)


def test_missing_and_broken_files_say_so(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_settings(tmp_path / "nope.yaml")
    with pytest.raises(ConfigError, match="broken YAML at line 3"):
        load_settings(write(tmp_path, "matcher:\n  answer_threshold: [0.5\n"))


def test_discord_ids_may_be_quoted(tmp_path):
    settings = load_settings(write(tmp_path, 'discord: {guild_ids: ["123456789012345678"], log_channel_id: 42}\n'))
    assert settings.discord.guild_ids == (123456789012345678,)
    assert settings.discord.log_channel_id == 42


def test_nan_and_infinity_are_refused_as_not_finite(tmp_path):
    # NaN compares false with every bound, so a NaN threshold used to pass and the bot never answered.
    with pytest.raises(ConfigError, match=r"^config: matcher.answer_threshold: must be a finite number, got nan$"):
        load_settings(write(tmp_path, "matcher: {answer_threshold: .nan}\n"))


def test_a_config_that_is_not_utf8_names_the_file_and_line(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_bytes("log_level: INFO\n# r\u00e9glages\n".encode("latin-1"))
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    assert str(info.value) == f"config: {path}: is not UTF-8 text (byte 0xe9 on line 2)"


def test_a_config_with_aliases_or_over_the_size_cap_is_refused(tmp_path):
    with pytest.raises(ConfigError, match=r"YAML anchor or alias at line 1, column 25: not allowed"):
        load_settings(write(tmp_path, "matcher: {domain_words: &w [connects]}\ndiscord: {guild_ids: *w}\n"))
    with pytest.raises(ConfigError, match=r": is 1 MB; the limit is 256 KB$"):
        load_settings(write(tmp_path, "log_level: INFO\n" + "#" * 2**20 + "\n"))
