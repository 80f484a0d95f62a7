"""Model files holding NaN, infinite or out-of-range numbers are damaged files: one warning, lexical fallback.

Before, `confidence.json` with a NaN or infinite number loaded (json reads `NaN` and `Infinity`): every
probability became NaN (silent on everything) or 1 (answering everything). A manifest with a NaN
layer-norm epsilon made every embedding NaN.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import shutil
from pathlib import Path

import pytest

from bot.config import load_settings
from bot.core.knowledge.model import KnowledgeBase
from bot.core.matching.answers import AnswerEngine
from bot.core.matching.embeddings.confidence import (
    BUNDLED_CONFIDENCE,
    ConfidenceUnavailable,
    load_confidence,
)
from bot.core.matching.embeddings.encoder import BUNDLED_MODEL_DIR, EncoderUnavailable, load_encoder
from bot.core.matching.embeddings.meaning import load_meaning

from .conftest import ROOT

QUESTION = "How do I use my agency's connects instead of mine?"
ANSWER = "agency-vs-freelancer-balance"


def damaged_confidence(tmp_path: Path, key: str, value: str) -> Path:
    """The bundled confidence model with one number replaced by raw JSON text (NaN, Infinity, 1e999 ...)."""
    raw = json.loads(BUNDLED_CONFIDENCE.read_text(encoding="utf-8"))
    marker = "__REPLACED__"
    if isinstance(raw[key], list):
        raw[key][2] = marker
    else:
        raw[key] = marker
    path = tmp_path / "confidence.json"
    path.write_text(json.dumps(raw).replace(f'"{marker}"', value), encoding="utf-8")
    return path


CONFIDENCE_DAMAGE = [
    ("bias", "NaN"),
    ("bias", "Infinity"),
    ("weights", "-Infinity"),
    ("mean", "NaN"),
    ("scale", "1e999"),  # an overflow: json reads it as inf without any NaN constant
    ("scale", "0"),  # a divisor
]


@pytest.mark.parametrize(("key", "value"), CONFIDENCE_DAMAGE)
def test_a_confidence_model_with_a_bad_number_is_refused_naming_the_file(tmp_path: Path, key: str, value: str):
    path = damaged_confidence(tmp_path, key, value)
    with pytest.raises(ConfidenceUnavailable) as info:
        load_confidence(path)
    assert str(info.value).startswith(f"{path}: ")
    assert key in str(info.value) or value in str(info.value)


@pytest.mark.parametrize(("key", "value"), [("bias", "NaN"), ("weights", "Infinity")])
def test_a_damaged_confidence_model_warns_once_and_the_lexical_matcher_answers(
    tmp_path: Path, real_kb: KnowledgeBase, caplog: pytest.LogCaptureFixture, key: str, value: str
):
    settings = load_settings(ROOT / "config.yaml")
    embedding = dataclasses.replace(
        settings.embedding,
        confidence_path=damaged_confidence(tmp_path, key, value),
        cache_path=tmp_path / "cache.sqlite3",
    )
    with caplog.at_level(logging.WARNING):
        meaning = load_meaning(embedding)
    assert meaning is None
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and "lexical matcher alone" in warnings[0].getMessage()
    assert AnswerEngine(real_kb, settings.matcher, meaning).decide(QUESTION).entry_id == ANSWER


@pytest.mark.parametrize(
    ("key", "value", "problem"),
    [
        ("layer_norm_eps", "NaN", "holds NaN"),
        ("layer_norm_eps", "-1e-12", "layer_norm_eps must be above 0"),
        ("max_seq_length", "1e999", "max_seq_length must be a whole number"),
        ("hidden_size", "0", "hidden_size must be a whole number from 1"),
        ("num_attention_heads", "7", "not a multiple of num_attention_heads 7"),
        ("num_hidden_layers", '"6"', "num_hidden_layers must be a whole number"),
    ],
)
def test_a_manifest_with_a_bad_number_is_a_damaged_model(tmp_path: Path, key: str, value: str, problem: str):
    model = Path(shutil.copytree(BUNDLED_MODEL_DIR, tmp_path / "model"))
    manifest = json.loads((model / "manifest.json").read_text(encoding="utf-8"))
    manifest[key] = "__REPLACED__"
    (model / "manifest.json").write_text(json.dumps(manifest).replace('"__REPLACED__"', value), encoding="utf-8")
    with pytest.raises(EncoderUnavailable, match=problem):
        load_encoder(model)


def test_the_shipped_model_files_pass_the_checks():
    load_confidence()
    assert load_encoder().dim == 384
