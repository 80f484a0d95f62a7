"""config.yaml -> Settings: defaults, relative paths, and one clear error naming the file and the key."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from bot.config import DISCORD_API_BASE, MAX_CONFIG_BYTES, Settings, load_settings, settings_from_mapping
from bot.core import safe_yaml
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
        ("embedding: {head_weight: -.inf}\n", "embedding.head_weight"),
        ("embedding: {enabeld: false}\n", "embedding.enabeld"),
        ("discord: {mention_asker: 'yes'}\n", "discord.mention_asker"),
        ("matcher: {domain_words: [connects, 3]}\n", "matcher.domain_words[1]"),
        ("source: elsewhere.yaml\n", "source"),  # a field of Settings, but not a key of the file
    ],
)
def test_a_bad_key_is_named(tmp_path, text, key):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    assert info.value.key == key
    assert str(info.value).startswith(f"config: {path}: {key}:")
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
    path = write(tmp_path, "matcher: {answer_threshold: .nan}\n")
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    assert str(info.value) == f"config: {path}: matcher.answer_threshold: must be a finite number, got nan"


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


def float_keys() -> list[str]:
    """Every float key of every section, read from the defaults, so a new key is covered without listing it."""
    defaults = settings_from_mapping({}, base=ROOT, source=ROOT / "config.yaml")
    sections = {f.name: getattr(defaults, f.name) for f in dataclasses.fields(defaults)}
    return [
        f"{name}.{f.name}"
        for name, section in sections.items()
        if dataclasses.is_dataclass(section)
        for f in dataclasses.fields(section)
        if type(getattr(section, f.name)) is float
    ]


def test_the_float_keys_are_found():
    assert {"matcher.answer_threshold", "embedding.head_weight", "discord.entry_cooldown_seconds"} <= set(float_keys())


@pytest.mark.parametrize("key", float_keys())
@pytest.mark.parametrize("value", [".nan", ".inf", "-.inf"])
def test_every_float_key_refuses_nan_and_infinity(tmp_path, key, value):
    section, name = key.split(".")
    with pytest.raises(ConfigError) as info:
        load_settings(write(tmp_path, f"{section}: {{{name}: {value}}}\n"))
    assert info.value.key == key
    assert info.value.problem.startswith("must be a finite number, got ")


@pytest.mark.parametrize(
    ("text", "key", "problem"),
    [
        ("matcher: {answer_threshold: '0.5'}\n", "matcher.answer_threshold", "must be a valid number, got '0.5'"),
        ("matcher: {suggest_limit: 2.5}\n", "matcher.suggest_limit", "must be a valid integer, got 2.5"),
        ("matcher: {suggest_limit: true}\n", "matcher.suggest_limit", "must be a valid integer, got True"),
        ("matcher: {suggest_limit: 0}\n", "matcher.suggest_limit", "must be at least 1, got 0"),
        ("embedding: {head_weight: 11}\n", "embedding.head_weight", "must be at most 10.0, got 11"),
        ("discord: {mention_asker: 'yes'}\n", "discord.mention_asker", "must be a valid boolean, got 'yes'"),
        ("discord: {log_channel_id: 0}\n", "discord.log_channel_id", "must be greater than 0, got 0"),
        ("discord: {guild_ids: [abc]}\n", "discord.guild_ids[0]", "must be a valid integer, got 'abc'"),
        ("knowledge: {path: ''}\n", "knowledge.path", "must be a non-empty path, got ''"),
        ("knowledge: [1, 2]\n", "knowledge", "must be a mapping, got [1, 2]"),
        ("matcher: {domain_words: [connects, ' ']}\n", "matcher.domain_words[1]", "must not be empty, got ' '"),
        (
            "embedding: {answer_confidence: 0.5, suggest_confidence: 0.7}\n",
            "embedding.suggest_confidence",
            "must not be above embedding.answer_confidence, got 0.7",
        ),
        (
            "feedback: {pth: votes.sqlite3}\n",
            "feedback.pth",
            "unknown key (expected one of group_similarity, path, retention_days)",
        ),
    ],
)
def test_the_message_names_the_file_the_key_what_was_expected_and_what_was_found(tmp_path, text, key, problem):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    assert str(info.value) == f"config: {path}: {key}: {problem}"


def test_a_huge_bad_value_is_cut_short_in_the_one_line(tmp_path):
    path = write(tmp_path, f"log_level: {'x' * 5000}\n")
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    assert info.value.key == "log_level"
    assert info.value.problem.endswith("...") and len(info.value.problem) < 200


def test_an_empty_section_keeps_its_defaults_with_paths_beside_the_config(tmp_path):
    settings = load_settings(write(tmp_path, "knowledge:\nembedding:\ndiscord: {api_base: null}\n"))
    assert settings.knowledge.path == tmp_path / "knowledge"
    assert settings.embedding.cache_path == tmp_path / "data" / "embeddings.sqlite3"
    assert settings.embedding.examples_path == tmp_path / "knowledge" / "examples"
    assert settings.discord.api_base == DISCORD_API_BASE
    assert load_settings(write(tmp_path, "embedding: {cache_path: null}\n")).embedding.cache_path is None


def test_lists_become_tuples_and_numbers_keep_their_types():
    settings = load_settings(ROOT / "config.yaml")
    assert isinstance(settings.matcher.domain_words, tuple) and isinstance(settings.discord.guild_ids, tuple)
    assert type(settings.discord.entry_cooldown_seconds) is float  # written as 600 in the file
    paths = (settings.knowledge.path, settings.ledger.path, settings.embedding.cache_path, settings.source)
    assert all(isinstance(p, Path) for p in paths)


def test_a_mapping_is_validated_like_a_file(tmp_path):
    source = tmp_path / "made-up.yaml"
    with pytest.raises(ConfigError) as info:
        settings_from_mapping({"ledgr": {}}, base=tmp_path, source=source)
    assert str(info.value).startswith(f"config: {source}: ledgr: unknown key (expected one of catch_up, discord, ")


def test_sections_are_frozen_and_a_replaced_value_is_validated_too():
    matcher = load_settings(ROOT / "config.yaml").matcher
    with pytest.raises(dataclasses.FrozenInstanceError):
        matcher.answer_margin = 0.5  # type: ignore[misc]
    assert dataclasses.replace(matcher, answer_margin=0.5).answer_margin == 0.5
    with pytest.raises(ValueError, match="finite number"):
        dataclasses.replace(matcher, answer_margin=float("nan"))


# What config.yaml says of a key is what a config without that key gets: a key left out of a community's
# file must not behave differently from the documented value. domain_words describes the bundled
# knowledge base, not the bot: its code default (none) means "no damping".
DESCRIBES_THE_KNOWLEDGE_BASE = {"matcher.domain_words"}


def test_the_shipped_config_names_every_key_with_its_code_default():
    path = ROOT / "config.yaml"
    raw = safe_yaml.read_yaml(path, MAX_CONFIG_BYTES)
    shipped = load_settings(path)
    defaults = settings_from_mapping({}, base=path.parent, source=path)
    problems = []
    for section in dataclasses.fields(Settings):
        if section.name == "source":
            continue
        value, default = getattr(shipped, section.name), getattr(defaults, section.name)
        if not dataclasses.is_dataclass(value):
            keys = [(section.name, section.name in raw, value, default)]
        else:
            named = raw.get(section.name) or {}
            keys = [
                (f"{section.name}.{key.name}", key.name in named, getattr(value, key.name), getattr(default, key.name))
                for key in dataclasses.fields(value)
            ]
        for key, is_named, in_file, in_code in keys:
            if not is_named:
                problems.append(f"{key}: not in config.yaml (code default {in_code!r})")
            elif in_file != in_code and key not in DESCRIBES_THE_KNOWLEDGE_BASE:
                problems.append(f"{key}: config.yaml says {in_file!r}, the code default is {in_code!r}")
    assert problems == []
