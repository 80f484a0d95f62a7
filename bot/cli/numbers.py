"""Whole-number arguments, bounded by the parser: a bad value is one line naming the option and the range.

Without a bound, a value past 64 bits reached SQLite (`ledger history --limit 99999999999999999999`,
`kb history --show ...`) and ended in an OverflowError traceback; argparse words these refusals itself.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

SQLITE_MAX = 2**63 - 1  # the largest integer SQLite stores
_SHOWN = 24  # characters of a refused value quoted (the value may be thousands of digits)


def whole_number(low: int, high: int = SQLITE_MAX) -> Callable[[str], int]:
    """Return an argparse `type`: a whole number from low to high (ASCII digits, an optional sign)."""

    def parse(text: str) -> int:
        quoted = repr(text if len(text) <= _SHOWN else text[:_SHOWN] + "...")
        digits = text.strip().removeprefix("-").removeprefix("+")
        if not (digits.isascii() and digits.isdigit()):
            raise argparse.ArgumentTypeError(f"must be a whole number, got {quoted}")
        # A number too long to be in range is refused before int() reads it (3.11 refuses 4,300+ digits).
        value = int(text) if len(digits) <= len(str(high)) else None
        if value is None or not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be from {low} to {high:,}, got {quoted}")
        return value

    parse.__name__ = "whole number"  # argparse names the type by this in its own messages
    return parse
