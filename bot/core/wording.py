"""Numbers in words, in one place: '1 Connect was taken', '6 Connects were', '1 entry', '2 entries'."""

from __future__ import annotations


def one_or_many(n: int, one: str, many: str) -> str:
    """Return the words for one when n is 1 or -1 (an amount taken is negative), else those for many."""
    return one if abs(n) == 1 else many


def counted(n: int, one: str, many: str) -> str:
    """Return n with its noun: counted(1, 'entry', 'entries') is '1 entry', counted(0, ...) '0 entries'."""
    return f"{n} {one_or_many(n, one, many)}"


def were(n: int) -> str:
    """The verb after an amount of n: '1 Connect was', '6 Connects were'."""
    return one_or_many(n, "was", "were")
