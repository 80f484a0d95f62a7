"""Hostile and broken YAML for the hardening tests: alias bombs, oversized files, resource-capped runs."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# 9 levels of 9 aliases: 387,420,489 "lol"s once expanded, from under 400 bytes of YAML.
BOMB_DEPTH = 9


def alias_bomb(depth: int = BOMB_DEPTH, width: int = 9) -> str:
    """Return a flow sequence whose last item is `depth` nested levels of `width` aliases each."""
    levels = ['&a0 ["lol"]']
    levels += [f"&a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]" for i in range(1, depth + 1)]
    return "[" + ", ".join(levels) + "]"


def merge_bomb(depth: int = BOMB_DEPTH, width: int = 9) -> str:
    """Return a mapping whose merge keys (`<<: [*m, *m, ...]`) multiply inside the loader itself."""
    levels = ["m0: &m0 {lol: 1}"]
    levels += [f"m{i}: &m{i} {{<<: [" + ", ".join([f"*m{i - 1}"] * width) + "]}" for i in range(1, depth + 1)]
    return "{" + ", ".join(levels) + "}"


def entry_with(knowledge: Path, entry_id: str, field: str, value: str) -> Path:
    """Rewrite one entry file of a knowledge copy so that `field:` holds value (raw YAML); return the file."""
    path = knowledge / "entries" / f"{entry_id}.yaml"
    kept: list[str] = []
    inside = False
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith(f"{field}:"):
            inside = True  # drop the field and its indented continuation lines
        elif inside and not line.startswith(" "):
            inside = False
        if not inside:
            kept.append(line)
    path.write_text("\n".join([*kept, f"{field}: {value}"]) + "\n", encoding="utf-8")
    return path


def run_capped(
    args: list[str], *, cwd: Path, memory_mb: int = 1024, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run `python -m bot ARGS` with its address space capped, so a regression fails fast instead of
    swapping the machine; the timeout only guards against a hang (the expected run is instant)."""

    def cap() -> None:
        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    env = {k: v for k, v in os.environ.items() if k not in ("DISCORD_TOKEN", "CONNECTS_BOT_CONFIG")}
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout,
        preexec_fn=cap,
    )  # fmt: skip
