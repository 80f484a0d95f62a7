"""Load config.yaml into one typed, validated settings object.

Secrets never live here: the Discord token is read from the environment by the front end that needs
it. Relative paths in the file are resolved against the directory that holds the config file, so the
bot behaves the same whatever the working directory. The one exception is the packaged default
(bot/defaults/, the repository's own config.yaml and knowledge/ shipped inside the package): its
knowledge base is read where it is installed, but the files the bot writes (ledger, history, votes)
go to a data directory, never inside site-packages.

The sections are pydantic dataclasses: each key's type, bounds and default is declared once, on the
field, and pydantic checks them all. They stay dataclasses (frozen, `dataclasses.replace` works and
re-validates) because the rest of the code and the tests use them as such. One function,
`_config_error`, turns pydantic's first complaint into a ConfigError naming the file and dotted key.
"""

from __future__ import annotations

import dataclasses
import os
import typing
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    StringConstraints,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
)
from pydantic.dataclasses import dataclass

from bot.core import safe_yaml
from bot.core.errors import ConfigError

# In a checkout these are symlinks to the repository's config.yaml and knowledge/; a wheel holds copies.
PACKAGED_DEFAULTS = Path(__file__).resolve().parent / "defaults"
PACKAGED_CONFIG_PATH = PACKAGED_DEFAULTS / "config.yaml"
DATA_DIR_NAME = "connects-bot"
DISCORD_API_BASE = "https://discord.com/api/v10"
DISCORD_GATEWAY_URL = "wss://gateway.discord.gg/"
MAX_CONFIG_BYTES = 256 * 1024  # the documented config.yaml is 4 KB

# A misspelt key must not silently leave its default in place; NaN passes every bound and .inf turns a
# window into forever. Defaults are validated too, so a default path resolves like one from the file.
SECTION = ConfigDict(extra="forbid", allow_inf_nan=False, validate_default=True)


# --- what a key may hold ----------------------------------------------------------------------------
# Numbers, words and flags are Strict: YAML already gives them their types, so "0.5" (a quoted string)
# or `yes` where a number is expected is a mistake to report, not a value to convert.


def _null_means(default: Any) -> BeforeValidator:
    """`key:` or `key: null` in the file means the default."""
    return BeforeValidator(lambda value: default if value is None else value)


def _quoted_id(value: Any) -> Any:
    # Discord ids are 64-bit integers; YAML users sometimes quote them, which we accept.
    return int(value.strip()) if isinstance(value, str) and value.strip().isdigit() else value


def _non_empty(value: Any) -> Any:
    if isinstance(value, str) and not value.strip():
        raise ValueError("must be a non-empty path")
    return value


def _resolved_against(folder: str) -> AfterValidator:
    """Resolve a relative path against a folder the loader puts in the validation context."""

    def resolve(path: Path, info: ValidationInfo) -> Path:
        path = path.expanduser()
        base = (info.context or {}).get(folder)
        return path if path.is_absolute() or base is None else base / path

    return AfterValidator(resolve)


def _url(*schemes: str) -> AfterValidator:
    def check(value: str) -> str:
        if not value.startswith(schemes):
            raise ValueError(f"must be a URL starting with {' or '.join(schemes)}")
        return value

    return AfterValidator(check)


def _not_above(key: str) -> AfterValidator:
    """The value must not exceed `key` (section.name), a field of the same section declared before it."""

    def check(value: float, info: ValidationInfo) -> float:
        other = info.data.get(key.rsplit(".", 1)[-1])
        if other is not None and value > other:
            raise ValueError(f"must not be above {key}")
        return value

    return AfterValidator(check)


Fraction = Annotated[float, Strict(), Field(ge=0.0, le=1.0)]  # scores, weights, confidences, similarities
Seconds = Annotated[float, Strict(), Field(ge=0.0)]
Count = Annotated[int, Strict(), Field(ge=1)]
Flag = Annotated[bool, Strict()]
Word = Annotated[str, Strict(), StringConstraints(strip_whitespace=True, min_length=1), AfterValidator(str.casefold)]
Snowflake = Annotated[int, Strict(), Field(gt=0, lt=2**64), BeforeValidator(_quoted_id)]
Snowflakes = Annotated[tuple[Snowflake, ...], _null_means(())]
ReadPath = Annotated[Path, BeforeValidator(_non_empty), _resolved_against("base")]  # files the bot reads
WrittenPath = Annotated[Path, BeforeValidator(_non_empty), _resolved_against("written")]  # and writes
LogLevel = Annotated[
    Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"],
    BeforeValidator(lambda value: value.upper() if isinstance(value, str) else value),
]


# --- the sections (documented in config.yaml) -------------------------------------------------------


@dataclass(frozen=True, config=SECTION)
class MatcherSettings:
    """Thresholds and weights of the answer engine (documented in config.yaml)."""

    answer_threshold: Fraction = 0.45
    suggest_threshold: Annotated[Fraction, _not_above("matcher.answer_threshold")] = 0.43
    answer_margin: Fraction = 0.02
    suggest_limit: Count = 3
    min_content_tokens: Count = 1
    max_input_chars: Count = 2000
    lexical_weight: Fraction = 0.55
    fuzzy_weight: Fraction = 0.45
    phrasing_weight: Fraction = 0.50
    ngram_weight: Fraction = 0.35
    unknown_word_weight: Fraction = 0.80
    off_domain_factor: Fraction = 0.60
    candidate_limit: Count = 8
    domain_words: Annotated[tuple[Word, ...], _null_means(())] = ()


@dataclass(frozen=True, config=SECTION)
class EmbeddingSettings:
    """The meaning model (documented in config.yaml): sentence embeddings, a trained head, a confidence model."""

    enabled: Flag = True
    model_path: ReadPath | None = None  # None: the bundled model
    confidence_path: ReadPath | None = None  # None: the bundled confidence model
    cache_path: WrittenPath | None = Path("data/embeddings.sqlite3")  # None: no cache on disk
    examples_path: ReadPath | None = Path("knowledge/examples")
    head_weight: Annotated[float, Strict(), Field(ge=0.0, le=10.0)] = 0.5
    answer_confidence: Fraction = 0.7
    suggest_confidence: Annotated[Fraction, _not_above("embedding.answer_confidence")] = 0.65
    suggest_limit: Count = 3
    second_topic_confidence: Fraction = 0.6
    followup_max_words: Count = 6
    min_lexical_score: Fraction = 0.15
    chatter_threshold: Fraction = 0.75
    group_similarity: Fraction = 0.6


@dataclass(frozen=True, config=SECTION)
class KnowledgeSettings:
    path: ReadPath = Path("knowledge")
    history_path: WrittenPath = Path("data/knowledge-history.sqlite3")
    stale_after_days: Count = 180
    watch_interval_seconds: Seconds = 2.0


@dataclass(frozen=True, config=SECTION)
class LedgerSettings:
    path: WrittenPath = Path("data/ledger.sqlite3")


@dataclass(frozen=True, config=SECTION)
class FeedbackSettings:
    path: WrittenPath = Path("data/feedback.sqlite3")
    group_similarity: Fraction = 0.30
    retention_days: Count = 180


Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


@dataclass(frozen=True, config=SECTION)
class InsightsSettings:
    path: WrittenPath = Path("data/decisions.sqlite3")
    digest_day: Annotated[
        Weekday, BeforeValidator(lambda value: value.casefold() if isinstance(value, str) else value)
    ] = "monday"
    digest_hour: Annotated[int, Strict(), Field(ge=0, le=23)] = 9


@dataclass(frozen=True, config=SECTION)
class LearningSettings:
    """The learning loop (documented in config.yaml): members' picks and votes become candidate examples."""

    enabled: Flag = True
    path: WrittenPath = Path("data/learning.sqlite3")
    examples_file: Annotated[str, Strict(), StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]*\.yaml$")] = "learned.yaml"
    auto_accept: Flag = False
    auto_accept_per_member: Annotated[int, Strict(), Field(ge=0)] = 1
    retrain_confidence: Flag = True
    guard_folds: Annotated[int, Strict(), Field(ge=2, le=10)] = 5
    guard_tolerance: Fraction = 0.002


@dataclass(frozen=True, config=SECTION)
class DiscordSettings:
    guild_ids: Snowflakes = ()
    support_channel_ids: Snowflakes = ()
    moderator_role_ids: Snowflakes = ()
    manager_role_ids: Snowflakes = ()
    log_channel_id: Snowflake | None = None
    api_base: Annotated[str, Strict(), _url("http://", "https://"), _null_means(DISCORD_API_BASE)] = DISCORD_API_BASE
    gateway_url: Annotated[str, Strict(), _url("ws://", "wss://"), _null_means(DISCORD_GATEWAY_URL)] = (
        DISCORD_GATEWAY_URL
    )
    mention_asker: Flag = False
    entry_cooldown_seconds: Seconds = 600.0
    member_rate_limit_count: Count = 3
    member_rate_limit_seconds: Seconds = 60.0
    guild_ready_timeout: Seconds = 2.0


@dataclass(frozen=True, config=SECTION)
class CatchUpSettings:
    """Reading back what was posted while the bot was away (documented in config.yaml)."""

    enabled: Flag = True
    max_age_minutes: Annotated[float, Strict(), Field(gt=0.0, le=10080.0)] = 15.0
    max_messages: Annotated[int, Strict(), Field(ge=1, le=100)] = 50  # a channel; Discord serves 100 a call
    late_note_seconds: Seconds = 120.0
    path: WrittenPath = Path("data/catch-up.sqlite3")


# A missing or empty section is validated as {}, so its default paths resolve like the file's own.
@dataclass(frozen=True, config=SECTION)
class Settings:
    source: Path  # the file these settings came from; not a key of the file
    matcher: Annotated[MatcherSettings, _null_means({})] = Field(default_factory=dict)
    knowledge: Annotated[KnowledgeSettings, _null_means({})] = Field(default_factory=dict)
    ledger: Annotated[LedgerSettings, _null_means({})] = Field(default_factory=dict)
    feedback: Annotated[FeedbackSettings, _null_means({})] = Field(default_factory=dict)
    discord: Annotated[DiscordSettings, _null_means({})] = Field(default_factory=dict)
    embedding: Annotated[EmbeddingSettings, _null_means({})] = Field(default_factory=dict)
    catch_up: Annotated[CatchUpSettings, _null_means({})] = Field(default_factory=dict)
    insights: Annotated[InsightsSettings, _null_means({})] = Field(default_factory=dict)
    learning: Annotated[LearningSettings, _null_means({})] = Field(default_factory=dict)
    log_level: LogLevel = "INFO"


# --- loading ----------------------------------------------------------------------------------------


def user_data_dir() -> Path:
    """Where the packaged default configuration keeps what the bot writes: $XDG_DATA_HOME/connects-bot."""
    base = os.environ.get("XDG_DATA_HOME", "").strip()
    root = Path(base) if base and Path(base).is_absolute() else Path.home() / ".local" / "share"
    return root / DATA_DIR_NAME


def load_settings(path: str | Path | None = None, *, data_dir: Path | None = None) -> Settings:
    """Read and validate a config file; raise ConfigError naming the file and the offending key.

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
        raise ConfigError("(top level)", "must be a mapping of sections", config_path)
    base = config_path.resolve().parent
    return settings_from_mapping(raw, base=base, source=config_path, data_base=data_dir)


def settings_from_mapping(raw: dict[str, Any], *, base: Path, source: Path, data_base: Path | None = None) -> Settings:
    """Build Settings from an already-parsed mapping (used by tests that write their own config).

    Relative paths resolve against base; those of files the bot writes against data_base when given.
    """
    if "source" in raw:
        raise ConfigError("source", _unknown_key(("source",)), source)
    written = data_base if data_base is not None else base
    try:
        return _SETTINGS.validate_python({**raw, "source": source}, context={"base": base, "written": written})
    except ValidationError as exc:
        raise _config_error(exc, source) from None


_SETTINGS = TypeAdapter(Settings)

# pydantic's own wording reads well after a key ("must be a valid number, got 'high'"), except these.
_EXPECTED = {
    "dataclass_type": "must be a mapping",
    "tuple_type": "must be a list",
    "path_type": "must be a path",
    "string_too_short": "must not be empty",
    "greater_than_equal": "must be at least {ge}",
    "less_than_equal": "must be at most {le}",
}
_UNKNOWN = ("unexpected_keyword_argument", "extra_forbidden")


def _config_error(exc: ValidationError, source: Path) -> ConfigError:
    """Turn pydantic's first complaint into one line: file, dotted key, what was expected, what was found."""
    error = exc.errors(include_url=False)[0]
    loc = error["loc"]
    key = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc).lstrip(".")
    if error["type"] in _UNKNOWN:
        return ConfigError(key, _unknown_key(loc), source)
    if error["type"] == "value_error":  # our own validators already say what was expected
        expected = str(error["ctx"]["error"])
    else:
        template = _EXPECTED.get(error["type"])
        expected = template.format(**error.get("ctx", {})) if template else error["msg"]
        expected = expected.replace("Input should be", "must be")
    found = repr(error["input"])
    return ConfigError(key, f"{expected}, got {found if len(found) <= 80 else found[:77] + '...'}", source)


def _unknown_key(loc: tuple[int | str, ...]) -> str:
    section: Any = Settings
    for name in loc[:-1]:
        section = typing.get_type_hints(section)[name]
    known = sorted(field.name for field in dataclasses.fields(section) if field.name != "source")
    return f"unknown key (expected one of {', '.join(known)})"
