"""The first `ask` in a new folder: before the shipped seed, with it, after `init`, and warm, in the same run.

Usage: python bench/bench_first_run.py [--runs 3]

Each run makes fresh folders with `connects-bot init` (its own XDG data dir, so no packaged-default cache
exists to copy) and times one `python -m bot ask` child in each, the variants taking turns:
* no seed: the seed switched off in the child (what every new folder paid before it existed);
* seed: init's carried cache deleted, so the child reads the seed at first use;
* after init: the cache init carried (the seed's vectors), as a new user gets it;
* warm: the same folder's second `ask` (the baseline: nothing to embed, head already trained).
Wall and CPU time (the child's user + system) are reported as medians; the machine is shared, so compare
the ratios within one run.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
QUESTION = "How do I use my agency's connects instead of mine?"
NO_SEED = (
    "import sys, bot.core.matching.embeddings.meaning as m; m.SEED_PATH = None; from bot.cli import main; "
    "sys.exit(main(sys.argv[1:]))"
)


def timed(args: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(args, cwd=cwd, env=env, check=True, capture_output=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    runs = parser.parse_args().runs
    figures: dict[str, list[tuple[float, float]]] = {"no seed": [], "seed": [], "after init": [], "warm": []}
    with tempfile.TemporaryDirectory() as scratch:
        env = {**os.environ, "XDG_DATA_HOME": str(Path(scratch) / "xdg")}
        env.pop("CONNECTS_BOT_CONFIG", None)
        for run in range(runs):
            for variant in ("no seed", "seed", "after init"):
                folder = Path(scratch) / f"{variant.replace(' ', '-')}-{run}"
                subprocess.run([sys.executable, "-m", "bot", "init", str(folder)], env=env, check=True,
                               capture_output=True)  # fmt: skip
                if variant != "after init":
                    (folder / "data" / "embeddings.sqlite3").unlink()
                command = [sys.executable, "-c", NO_SEED] if variant == "no seed" else [sys.executable, "-m", "bot"]
                figures[variant].append(timed([*command, "ask", "--json", QUESTION], folder, env))
                if variant == "after init":
                    figures["warm"].append(timed([sys.executable, "-m", "bot", "ask", "--json", QUESTION], folder, env))
            print(f"run {run + 1} of {runs} done", file=sys.stderr)
    warm_wall = statistics.median(w for w, _ in figures["warm"])
    warm_cpu = statistics.median(c for _, c in figures["warm"])
    print(f"load average {os.getloadavg()[0]:.1f}; medians of {runs} runs")
    print("| first `ask` in a new folder | wall | CPU | wall / warm | CPU / warm |")
    print("|---|---|---|---|---|")
    for variant, rows in figures.items():
        wall, cpu = statistics.median(w for w, _ in rows), statistics.median(c for _, c in rows)
        print(f"| {variant} | {wall:.2f} s | {cpu:.2f} s | {wall / warm_wall:.1f}x | {cpu / warm_cpu:.1f}x |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
