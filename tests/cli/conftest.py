"""The folder an operator runs the CLI in: a copy of knowledge/, a config.yaml beside it, a data/ folder."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]

OperatorFolder = Callable[..., Path]


@pytest.fixture
def operator_folder(tmp_path: Path) -> OperatorFolder:
    """Return `make(**sections)`: copy knowledge/ into tmp_path, write config.yaml, return its path.

    The config names the copy (with the history in data/) and adds each keyword as a section of its own
    (`feedback={"path": "data/feedback.sqlite3"}`); a `knowledge=` keyword replaces the default section.
    """

    def make(**sections: object) -> Path:
        shutil.copytree(ROOT / "knowledge", tmp_path / "knowledge")
        (tmp_path / "data").mkdir(exist_ok=True)
        path = tmp_path / "config.yaml"
        settings = {"knowledge": {"path": "knowledge", "history_path": "data/history.sqlite3"}, **sections}
        path.write_text(yaml.safe_dump(settings))
        return path

    return make
