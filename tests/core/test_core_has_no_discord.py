"""The core never imports discord, directly or through a dependency."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import importlib, pkgutil, sys
import bot.core
for module in pkgutil.walk_packages(bot.core.__path__, "bot.core."):
    importlib.import_module(module.name)
print(sorted(m for m in sys.modules if m == "discord" or m.startswith("discord.")))
"""


def test_importing_every_core_module_loads_no_discord():
    # A fresh interpreter: this test process may have imported discord for other tests.
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr
