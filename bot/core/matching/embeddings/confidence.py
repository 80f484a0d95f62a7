"""How likely the best-ranked entry is the right answer: a small logistic model over semantic.py's features.

A raw similarity score does not separate the posts a ranker gets right from those it gets wrong (a
confident-looking wrong answer is the worst outcome in a support channel). This model learns that
from labelled outcomes: for each labelled question and off-topic post, "was the top-ranked entry the
right one?", with the head's features computed out of fold so it never sees a head that was trained
on the same text. The weights are written by scripts/train_confidence.py and shipped beside the
encoder; they read features, not entry ids, so they stay valid when moderators add or edit entries.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from bot.core.matching.embeddings.model_numbers import finite_array, finite_number, loads_finite, positive_array
from bot.core.matching.embeddings.semantic import FEATURE_NAMES

BUNDLED_CONFIDENCE = Path(__file__).resolve().parents[3] / "models" / "confidence.json"


class ConfidenceUnavailable(Exception):
    """The confidence model file is missing or does not match the features."""


@dataclass(frozen=True)
class ConfidenceModel:
    """p(top-ranked entry is right) = sigmoid(w . standardised(features) + b).

    `suggest`, when present, is a second model over the same features: p(the right entry is among the
    suggestions), which is what decides whether a suggestion helps (else the first model decides both).
    """

    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    bias: float
    suggest: ConfidenceModel | None = None

    def suggest_probability(self, features: np.ndarray) -> float:
        return (self.suggest or self).probability(features)

    def probability(self, features: np.ndarray) -> float:
        z = float(((features - self.mean) / self.scale) @ self.weights + self.bias)
        return float(1.0 / (1.0 + np.exp(-np.clip(z, -30.0, 30.0))))

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {
            "features": list(FEATURE_NAMES),
            "mean": self.mean.round(6).tolist(),
            "scale": self.scale.round(6).tolist(),
            "weights": self.weights.round(6).tolist(),
            "bias": round(self.bias, 6),
        }
        if self.suggest is not None:
            out["suggest"] = self.suggest.to_json()
        return out


def load_confidence(path: str | Path | None = None) -> ConfidenceModel:
    """Read a confidence model (the bundled one by default); raise ConfidenceUnavailable."""
    source = Path(path) if path else BUNDLED_CONFIDENCE
    try:
        raw = loads_finite(source.read_text(encoding="utf-8"))
        model = _model_from(raw, source)
        if "suggest" in raw:
            model = replace(model, suggest=_model_from(raw["suggest"], source))
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ConfidenceUnavailable(f"{source}: {exc}") from exc
    return model


def _model_from(raw: dict, source: Path) -> ConfidenceModel:
    if tuple(raw["features"]) != FEATURE_NAMES:
        raise ConfidenceUnavailable(f"{source}: trained on other features; re-run scripts/train_confidence.py")
    # Every number finite, and the scale (a divisor) above zero: a NaN or infinite weight would make
    # every probability NaN (silent on everything) or 1 (answering everything).
    model = ConfidenceModel(
        finite_array(raw["mean"], "mean"),
        positive_array(raw["scale"], "scale"),
        finite_array(raw["weights"], "weights"),
        finite_number(raw["bias"], "bias"),
    )
    if not (model.mean.shape == model.scale.shape == model.weights.shape == (len(FEATURE_NAMES),)):
        raise ConfidenceUnavailable(f"{source}: expected {len(FEATURE_NAMES)} weights")
    return model


def fit_confidence(
    features: np.ndarray, right: np.ndarray, l2: float = 1.0, weight: np.ndarray | None = None
) -> ConfidenceModel:
    """Fit the logistic model by Newton's method (a handful of features: exact and fast).

    weight: per row (real posts count more than written questions); rescaled to average 1.
    """
    w = np.ones(len(right)) if weight is None else np.asarray(weight, dtype=np.float64) / np.mean(weight)
    mean = features.mean(axis=0)
    scale = features.std(axis=0) + 1e-6
    z = np.hstack([(features - mean) / scale, np.ones((len(features), 1))])
    theta = np.zeros(z.shape[1])
    penalty = np.diag([l2] * (z.shape[1] - 1) + [1e-6])
    for _ in range(100):
        p = 1.0 / (1.0 + np.exp(-np.clip(z @ theta, -30, 30)))
        gradient = z.T @ (w * (p - right)) + penalty @ theta
        hessian = z.T @ (z * (w * p * (1 - p))[:, None]) + penalty
        step = np.linalg.solve(hessian, gradient)
        theta -= step
        if np.abs(step).max() < 1e-8:
            break
    return ConfidenceModel(mean, scale, theta[:-1], float(theta[-1]))
