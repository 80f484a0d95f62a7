"""Check the numbers of the shipped model files before they are trusted: finite, in range, whole where counts.

`json.loads` reads `NaN`, `Infinity` and `-Infinity` (not JSON, but Python writes them); a confidence model
with one of those compares false with every threshold (silent on everything) or true (answers everything),
and a layer-norm epsilon of NaN makes every embedding NaN. The weights are pinned by sha256; the files
that describe them are not, so their numbers are checked here and a bad one is a damaged model file.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np


class BadModelNumber(ValueError):
    """A model or manifest file holds a number it must not (NaN, infinite, out of range)."""


def loads_finite(text: str) -> Any:
    """Parse JSON, refusing NaN and the infinities wherever they appear."""

    def refuse(constant: str) -> float:
        raise BadModelNumber(f"holds {constant}, which is not a usable number")

    return json.loads(text, parse_constant=refuse)


def finite_array(values: Any, name: str) -> np.ndarray:
    """Return values as a float64 array, refusing NaN or infinite items (a float overflow from `1e999` too)."""
    array = np.array(values, dtype=np.float64)
    if not np.all(np.isfinite(array)):
        raise BadModelNumber(f"{name} holds a value that is not a finite number")
    return array


def positive_array(values: Any, name: str) -> np.ndarray:
    """Return values as a float64 array of finite numbers above zero (a scale divides by them)."""
    array = finite_array(values, name)
    if not np.all(array > 0):
        raise BadModelNumber(f"{name} must be above zero everywhere")
    return array


def finite_number(value: Any, name: str) -> float:
    """Return value as a finite float."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise BadModelNumber(f"{name} must be a finite number, got {value!r}")
    return float(value)


def count(value: Any, name: str, *, low: int = 1, high: int) -> int:
    """Return value as a whole number in [low, high] (a count of layers, heads, tokens)."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise BadModelNumber(f"{name} must be a whole number from {low} to {high}, got {value!r}")
    return value
