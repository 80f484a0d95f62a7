"""A command loads only its own family: a ledger read never pays for numpy, rapidfuzz or the encoder."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import sys
from bot.cli import main
code = main(sys.argv[1:])
heavy = sorted(m for m in ("numpy", "rapidfuzz", "tokenizers", "bot.core.matching.answers") if m in sys.modules)
print("HEAVY", heavy, "CODE", code)
"""


def run_probe(tmp_path: Path, *args: str) -> str:
    if not (tmp_path / "config.yaml").exists():
        shutil.copy(ROOT / "config.yaml", tmp_path / "config.yaml")
        (tmp_path / "knowledge").symlink_to(ROOT / "knowledge")
    out = subprocess.run(
        [sys.executable, "-c", PROBE, *args, "--config", str(tmp_path / "config.yaml")],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip().splitlines()[-1]


def test_a_ledger_command_imports_no_matching_code(tmp_path):
    # The first read creates the ledger from the bundled demo with the importer (numpy checks its rows).
    assert run_probe(tmp_path, "ledger", "history", "fl-ben", "--json").endswith("CODE 0")
    assert run_probe(tmp_path, "ledger", "history", "fl-ben", "--json") == "HEAVY [] CODE 0"


def test_ask_still_loads_the_engine(tmp_path):
    line = run_probe(tmp_path, "ask", "--json", "how many connects does a proposal cost?")
    assert "numpy" in line and "bot.core.matching.answers" in line and line.endswith("CODE 0")
