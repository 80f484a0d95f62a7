"""Load config.yaml into one typed, validated settings object.

Secrets never live here: the Discord token is read from the environment by the front end that needs
it. Relative paths in the file are resolved against the directory that holds the config file, so the
bot behaves the same whatever the working directory. The one exception is the packaged default
(bot/defaults/, the repository's own config.yaml and knowledge/ shipped inside the package): its
knowledge base is read where it is installed, but the files the bot writes (ledger, history, votes)
go to a data directory, never inside site-packages.
"""

from __future__ import annotations

import dataclasses
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.core import safe_yaml
from bot.core.errors import ConfigError

# In a checkout these are symlinks to the repository's config.yaml and knowledge/; a wheel holds copies.
PACKAGED_DEFAULTS = Path(__file__).resolve().parent / "defaults"
PACKAGED_CONFIG_PATH = PACKAGED_DEFAULTS / "config.yaml"
DATA_DIR_NAME = "connects-bot"
DISCORD_API_BASE = "https://discord.com/api/v10"
DISCORD_GATEWAY_URL = "wss://gateway.discord.gg/"
MAX_CONFIG_BYTES = 256 * 1024  # the documented config.yaml is 4 KB


@dataclass(frozen=True)
class MatcherSettings:
    """Thresholds and weights of the answer engine (documented in config.yaml)."""

    answer_threshold: float = 0.45
    suggest_threshold: float = 0.43
    answer_margin: float = 0.02
    suggest_limit: int = 3
    min_content_tokens: int = 1
    max_input_chars: int = 2000
    lexical_weight: float = 0.55
    fuzzy_weight: float = 0.45
    phrasing_weight: float = 0.50
    ngram_weight: float = 0.35
    unknown_word_weight: float = 0.80
    off_domain_factor: float = 0.60
    candidate_limit: int = 8
    domain_words: tuple[str, ...] = ()


@dataclass(frozen=True)
class EmbeddingSettings:
    """The meaning model (documented in config.yaml): sentence embeddings, a trained head, a confidence model."""

    enabled: bool = True
    model_path: Path | None = None
    confidence_path: Path | None = None
    cache_path: Path | None = None
    examples_path: Path | None = None
    head_weight: float = 0.5
    answer_confidence: float = 0.6
    suggest_confidence: float = 0.3
    suggest_limit: int = 3
    second_topic_confidence: float = 0.6
    followup_max_words: int = 6
    min_lexical_score: float = 0.15
    chatter_threshold: float = 0.75
    group_similarity: float = 0.6


@dataclass(frozen=True)
class KnowledgeSettings:
    path: Path
    history_path: Path
    stale_after_days: int = 180
    watch_interval_seconds: float = 2.0


@dataclass(frozen=True)
class LedgerSettings:
    path: Path


@dataclass(frozen=True)
class FeedbackSettings:
    path: Path
    group_similarity: float = 0.30


@dataclass(frozen=True)
class DiscordSettings:
    guild_ids: tuple[int, ...] = ()
    support_channel_ids: tuple[int, ...] = ()
    moderator_role_ids: tuple[int, ...] = ()
    manager_role_ids: tuple[int, ...] = ()
    log_channel_id: int | None = None
    api_base: str = DISCORD_API_BASE
    gateway_url: str = DISCORD_GATEWAY_URL
    mention_asker: bool = False
    entry_cooldown_seconds: float = 600.0
    member_rate_limit_count: int = 3
    member_rate_limit_seconds: float = 60.0
    guild_ready_timeout: float = 2.0


@dataclass(frozen=True)
class Settings:
    source: Path
    matcher: MatcherSettings
    knowledge: KnowledgeSettings
    ledger: LedgerSettings
    feedback: FeedbackSettings
    discord: DiscordSettings
    embedding: EmbeddingSettings = EmbeddingSettings()
    log_level: str = "INFO"


_TOP_LEVEL = {"matcher", "embedding", "knowledge", "ledger", "feedback", "discord", "log_level"}
_LOG_LEVELS = {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}


def user_data_dir() -> Path:
    """Where the packaged default configuration keeps what the bot writes: $XDG_DATA_HOME/connects-bot."""
    base = os.environ.get("XDG_DATA_HOME", "").strip()
    root = Path(base) if base and Path(base).is_absolute() else Path.home() / ".local" / "share"
    return root / DATA_DIR_NAME


def load_settings(path: str | Path | None = None, *, data_dir: Path | None = None) -> Settings:
    """Read and validate a config file; raise ConfigError naming the offending key.

    path None means the packaged default, whose written files go to data_dir (default: user_data_dir()).
    For any other config, data_dir (when given) is where relative paths of written files resolve instead
    of the config file's folder.
    """
    config_path = PACKAGED_CONFIG_PATH if path is None else Path(path)
    if config_path.absolute() == PACKAGED_CONFIG_PATH and data_dir is None:  # named or not, never write inside it
        data_dir = user_data_dir()
    try:
        raw = safe_yaml.read_yaml(config_path, MAX_CONFIG_BYTES) or {}
    except FileNotFoundError:
        raise ConfigError(str(config_path), "config file not found") from None
    except OSError as exc:
        raise ConfigError(str(config_path), f"cannot read config file: {exc.strerror}") from None
    except safe_yaml.YamlRefused as exc:
        raise ConfigError(str(config_path), str(exc)) from None
    if not isinstance(raw, dict):
        raise ConfigError("(top level)", "must be a mapping of sections")
    unknown = sorted(set(raw) - _TOP_LEVEL)
    if unknown:
        raise ConfigError(unknown[0], f"unknown key (expected one of {', '.join(sorted(_TOP_LEVEL))})")
    base = config_path.resolve().parent
    return settings_from_mapping(raw, base=base, source=config_path, data_base=data_dir)


def settings_from_mapping(raw: dict[str, Any], *, base: Path, source: Path, data_base: Path | None = None) -> Settings:
    """Build Settings from an already-parsed mapping (used by tests that write their own config).

    Relative paths resolve against base; those of files the bot writes against data_base when given.
    """
    written = data_base if data_base is not None else base
    knowledge_raw = _section(raw, "knowledge")
    knowledge = KnowledgeSettings(
        path=_path(knowledge_raw, "knowledge.path", base, default="knowledge"),
        history_path=_path(knowledge_raw, "knowledge.history_path", written, default="data/knowledge-history.sqlite3"),
        stale_after_days=_int(knowledge_raw, "knowledge.stale_after_days", 180, minimum=1),
        watch_interval_seconds=_float(knowledge_raw, "knowledge.watch_interval_seconds", 2.0, minimum=0.0),
    )
    _reject_unknown(knowledge_raw, "knowledge", KnowledgeSettings)

    ledger_raw = _section(raw, "ledger")
    ledger = LedgerSettings(path=_path(ledger_raw, "ledger.path", written, default="data/ledger.sqlite3"))
    _reject_unknown(ledger_raw, "ledger", LedgerSettings)

    feedback_raw = _section(raw, "feedback")
    feedback = FeedbackSettings(
        path=_path(feedback_raw, "feedback.path", written, default="data/feedback.sqlite3"),
        group_similarity=_float(
            feedback_raw, "feedback.group_similarity", FeedbackSettings.group_similarity, minimum=0.0, maximum=1.0
        ),
    )
    _reject_unknown(feedback_raw, "feedback", FeedbackSettings)

    matcher = _matcher(_section(raw, "matcher"))
    embedding = _embedding(_section(raw, "embedding"), base, written)
    discord = _discord(_section(raw, "discord"))

    level = raw.get("log_level", "INFO")
    if not isinstance(level, str) or level.upper() not in _LOG_LEVELS:
        raise ConfigError("log_level", f"must be one of {', '.join(sorted(_LOG_LEVELS))}")
    return Settings(
        source=source,
        matcher=matcher,
        knowledge=knowledge,
        ledger=ledger,
        feedback=feedback,
        discord=discord,
        embedding=embedding,
        log_level=level.upper(),
    )


def _matcher(raw: dict[str, Any]) -> MatcherSettings:
    defaults = MatcherSettings()
    values: dict[str, Any] = {}
    for f in dataclasses.fields(MatcherSettings):
        key = f"matcher.{f.name}"
        default = getattr(defaults, f.name)
        if isinstance(default, tuple):
            values[f.name] = _words(raw, key)
        elif isinstance(default, int):
            values[f.name] = _int(raw, key, default, minimum=1)
        else:
            values[f.name] = _float(raw, key, default, minimum=0.0, maximum=1.0)
    _reject_unknown(raw, "matcher", MatcherSettings)
    settings = MatcherSettings(**values)
    if settings.suggest_threshold > settings.answer_threshold:
        raise ConfigError("matcher.suggest_threshold", "must not be above matcher.answer_threshold")
    return settings


def _embedding(raw: dict[str, Any], base: Path, written: Path) -> EmbeddingSettings:
    d = EmbeddingSettings()

    def optional_path(name: str, default: str | None, relative_to: Path = base) -> Path | None:
        key = f"embedding.{name}"
        if raw.get(name, default) is None:
            return None
        return _path(raw, key, relative_to, default=default or "")

    settings = EmbeddingSettings(
        enabled=_bool(raw, "embedding.enabled", d.enabled),
        model_path=optional_path("model_path", None),
        confidence_path=optional_path("confidence_path", None),
        cache_path=optional_path("cache_path", "data/embeddings.sqlite3", written),
        examples_path=optional_path("examples_path", "knowledge/examples"),
        head_weight=_float(raw, "embedding.head_weight", d.head_weight, minimum=0.0, maximum=10.0),
        answer_confidence=_float(raw, "embedding.answer_confidence", d.answer_confidence, minimum=0.0, maximum=1.0),
        suggest_confidence=_float(raw, "embedding.suggest_confidence", d.suggest_confidence, minimum=0.0, maximum=1.0),
        suggest_limit=_int(raw, "embedding.suggest_limit", d.suggest_limit, minimum=1),
        second_topic_confidence=_float(
            raw, "embedding.second_topic_confidence", d.second_topic_confidence, minimum=0.0, maximum=1.0
        ),
        followup_max_words=_int(raw, "embedding.followup_max_words", d.followup_max_words, minimum=1),
        min_lexical_score=_float(raw, "embedding.min_lexical_score", d.min_lexical_score, minimum=0.0, maximum=1.0),
        chatter_threshold=_float(raw, "embedding.chatter_threshold", d.chatter_threshold, minimum=0.0, maximum=1.0),
        group_similarity=_float(raw, "embedding.group_similarity", d.group_similarity, minimum=0.0, maximum=1.0),
    )
    _reject_unknown(raw, "embedding", EmbeddingSettings)
    if settings.suggest_confidence > settings.answer_confidence:
        raise ConfigError("embedding.suggest_confidence", "must not be above embedding.answer_confidence")
    return settings


def _discord(raw: dict[str, Any]) -> DiscordSettings:
    d = DiscordSettings()
    settings = DiscordSettings(
        guild_ids=_ids(raw, "discord.guild_ids"),
        support_channel_ids=_ids(raw, "discord.support_channel_ids"),
        moderator_role_ids=_ids(raw, "discord.moderator_role_ids"),
        manager_role_ids=_ids(raw, "discord.manager_role_ids"),
        log_channel_id=_optional_id(raw, "discord.log_channel_id"),
        api_base=_url(raw, "discord.api_base", d.api_base, ("http://", "https://")),
        gateway_url=_url(raw, "discord.gateway_url", d.gateway_url, ("ws://", "wss://")),
        mention_asker=_bool(raw, "discord.mention_asker", d.mention_asker),
        entry_cooldown_seconds=_float(raw, "discord.entry_cooldown_seconds", d.entry_cooldown_seconds, minimum=0.0),
        member_rate_limit_count=_int(raw, "discord.member_rate_limit_count", d.member_rate_limit_count, minimum=1),
        member_rate_limit_seconds=_float(
            raw, "discord.member_rate_limit_seconds", d.member_rate_limit_seconds, minimum=0.0
        ),
        guild_ready_timeout=_float(raw, "discord.guild_ready_timeout", d.guild_ready_timeout, minimum=0.0),
    )
    _reject_unknown(raw, "discord", DiscordSettings)
    return settings


# --- small typed readers: each names the full key in its error -------------------------------------


def _section(raw: dict[str, Any], name: str) -> dict[str, Any]:
    value = raw.get(name)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ConfigError(name, "must be a mapping")
    return value


def _reject_unknown(raw: dict[str, Any], section: str, cls: type) -> None:
    known = {f.name for f in dataclasses.fields(cls)}
    for key in raw:
        if key not in known:
            raise ConfigError(f"{section}.{key}", f"unknown key (expected one of {', '.join(sorted(known))})")


def _leaf(key: str) -> str:
    return key.rsplit(".", 1)[-1]


def _path(raw: dict[str, Any], key: str, base: Path, *, default: str) -> Path:
    value = raw.get(_leaf(key), default)
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(key, "must be a non-empty path")
    path = Path(value).expanduser()
    return path if path.is_absolute() else (base / path)


def _int(raw: dict[str, Any], key: str, default: int, *, minimum: int) -> int:
    value = raw.get(_leaf(key), default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(key, f"must be a whole number, got {value!r}")
    if value < minimum:
        raise ConfigError(key, f"must be at least {minimum}, got {value}")
    return value


def _float(raw: dict[str, Any], key: str, default: float, *, minimum: float, maximum: float | None = None) -> float:
    value = raw.get(_leaf(key), default)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(key, f"must be a number, got {value!r}")
    if not math.isfinite(value):  # .nan passes every comparison below; .inf turns a window into forever
        raise ConfigError(key, f"must be a finite number, got {value}")
    if value < minimum or (maximum is not None and value > maximum):
        bound = f"between {minimum} and {maximum}" if maximum is not None else f"at least {minimum}"
        raise ConfigError(key, f"must be {bound}, got {value}")
    return float(value)


def _bool(raw: dict[str, Any], key: str, default: bool) -> bool:
    value = raw.get(_leaf(key), default)
    if not isinstance(value, bool):
        raise ConfigError(key, f"must be true or false, got {value!r}")
    return value


def _snowflake(value: Any, key: str) -> int:
    # Discord ids are 64-bit integers; YAML users sometimes quote them, which we accept.
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0 or value >= 2**64:
        raise ConfigError(key, f"must be a Discord id (a positive whole number), got {value!r}")
    return value


def _ids(raw: dict[str, Any], key: str) -> tuple[int, ...]:
    value = raw.get(_leaf(key)) or []
    if not isinstance(value, list):
        raise ConfigError(key, "must be a list of Discord ids")
    return tuple(_snowflake(v, f"{key}[{i}]") for i, v in enumerate(value))


def _optional_id(raw: dict[str, Any], key: str) -> int | None:
    value = raw.get(_leaf(key))
    return None if value is None else _snowflake(value, key)


def _words(raw: dict[str, Any], key: str) -> tuple[str, ...]:
    value = raw.get(_leaf(key)) or []
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ConfigError(key, "must be a list of words")
    return tuple(v.strip().casefold() for v in value)


def _url(raw: dict[str, Any], key: str, default: str, schemes: tuple[str, ...]) -> str:
    value = raw.get(_leaf(key)) or default
    if not isinstance(value, str) or not value.startswith(schemes):
        raise ConfigError(key, f"must be a URL starting with {' or '.join(schemes)}")
    return value
