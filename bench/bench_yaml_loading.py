"""What the bounded safe YAML loader costs on good files, and how fast it refuses hostile ones.

Usage: python bench/bench_yaml_loading.py [--repeat 7]

Good files, parsed by the bounded loader (bot/core/safe_yaml.py: libyaml's C parser, composition in
Python so aliases can be refused) and, as the same-run baseline, by PyYAML's all-C safe loader
(`yaml.load(text, Loader=yaml.CSafeLoader)`, what the project used before): every bundled knowledge
file, the demo profiles, and 10,000 generated profiles (bench_ledger.py's). Then the hostile files of
issue 10, refused by the bounded loader: a billion-laughs entry and profiles file, a merge-key bomb, a
50 MB entry file. (Refusal by the old loader is not run: it took over 120 s and 3.2 GB.)
Medians of --repeat runs; peak memory from tracemalloc in a separate run.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_ledger import generate  # noqa: E402

from bot.core import safe_yaml  # noqa: E402
from bot.core.knowledge.loader import MAX_ENTRY_FILE_BYTES  # noqa: E402
from tests.hostile import alias_bomb, merge_bomb  # noqa: E402


def measure(fn, repeat: int) -> tuple[float, float]:
    """Return (median ms, peak MB) of fn()."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return statistics.median(times), peak


def refuse(path: Path) -> str:
    try:
        safe_yaml.read_yaml(path, MAX_ENTRY_FILE_BYTES)
    except safe_yaml.YamlRefused as exc:
        return str(exc)
    raise AssertionError(f"{path} was accepted")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-yaml-"))
    profiles, _, _ = generate(folder, 10_000, 0)
    knowledge = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "knowledge" / "entries").glob("*.yaml"))]
    good = {
        f"bundled knowledge ({len(knowledge)} files) x 20": knowledge * 20,
        "demo profiles": [(ROOT / "bot/core/ledger/demo/profiles.yaml").read_text(encoding="utf-8")],
        "10,000 profiles (1.4 MB)": [profiles.read_text(encoding="utf-8")],
    }
    print(f"{'good file':36} {'C safe ms':>10} {'bounded ms':>11} {'ratio':>6} {'C peak MB':>10} {'bounded MB':>11}")
    for name, texts in good.items():
        c_ms, c_mb = measure(lambda t=texts: [yaml.load(x, Loader=yaml.CSafeLoader) for x in t], args.repeat)
        b_ms, b_mb = measure(lambda t=texts: [safe_yaml.load_text(x) for x in t], args.repeat)
        print(f"{name:36} {c_ms:>10.2f} {b_ms:>11.2f} {b_ms / c_ms:>5.2f}x {c_mb:>10.1f} {b_mb:>11.1f}")

    hostile = {
        "billion laughs in reviewed:": "id: x\nreviewed: " + alias_bomb() + "\n",
        "billion laughs in billing_method:": "profiles:\n  - {id: fl-x, billing_method: " + alias_bomb() + "}\n",
        "merge-key bomb": "reviewed: " + merge_bomb() + "\n",
        "50 MB entry file": "id: x\nalternates:\n" + "  - how do agency connects work question padded\n" * 1_100_000,
    }
    print(f"\n{'hostile file (bounded loader)':36} {'size':>10} {'refused in ms':>14} {'peak MB':>8}  message")
    for name, text in hostile.items():
        path = folder / "hostile.yaml"
        path.write_text(text, encoding="utf-8")
        ms, mb = measure(lambda p=path: refuse(p), args.repeat)
        print(f"{name:36} {len(text):>10,} {ms:>14.2f} {mb:>8.2f}  {refuse(path)}")


if __name__ == "__main__":
    main()
