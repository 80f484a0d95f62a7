"""Placeholder command family; replaced by its real module."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    """Register nothing yet."""
