"""A real non-editable install (`pip install .`), then the installed `connects-bot` from a folder far from the checkout.

The project is copied (symlinks kept) and installed with pip into a fresh virtual environment; pip's own
cache and the configured package index are reused. To keep the gate fast, the environment borrows the
dependencies of the one running the tests (a .pth line) instead of installing them again: what is under
test is our package, its data files and how it finds its config. Set CONNECTS_BOT_FULL_INSTALL=1 to
install the dependencies too (about 20 s instead of 6 s on the CI machine).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

from tests.shared_cache import seed_embedding_cache

ROOT = Path(__file__).resolve().parents[1]
QUESTION = "How do I use my agency's connects instead of mine?"
NOT_SHIPPED = (".git", ".venv", "data", "build", "*.egg-info", "__pycache__", ".ruff_cache", ".pytest_cache")


def test_pip_install_then_the_bot_runs_from_any_folder(tmp_path):
    source = tmp_path / "source"
    shutil.copytree(ROOT, source, symlinks=True, ignore=shutil.ignore_patterns(*NOT_SHIPPED))
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    full = os.environ.get("CONNECTS_BOT_FULL_INSTALL") == "1"
    pip = [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", *([] if full else ["--no-deps"])]
    installed = subprocess.run([*pip, str(source)], capture_output=True, text=True)
    assert installed.returncode == 0, installed.stderr[-3000:]
    site = Path(subprocess.check_output([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                        text=True).strip())  # fmt: skip
    if not full:
        (site / "borrowed-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    xdg = tmp_path / "xdg"
    keep = {"PATH", "LANG", "LC_ALL", "SYSTEMROOT"}
    env = {k: v for k, v in os.environ.items() if k in keep} | {"HOME": str(tmp_path), "XDG_DATA_HOME": str(xdg)}

    def bot(*args: str, cwd: Path = elsewhere) -> subprocess.CompletedProcess[str]:
        return subprocess.run([venv / "bin" / "connects-bot", *args], cwd=cwd, env=env, capture_output=True, text=True)

    where = subprocess.run([python, "-c", "import bot; print(bot.__file__)"], cwd=elsewhere, env=env,
                           capture_output=True, text=True)  # fmt: skip
    assert Path(where.stdout.strip()).is_relative_to(site), where  # the installed copy, not the checkout

    # The README's first command, from a folder with no config.yaml: the packaged default answers.
    seed_embedding_cache(xdg / "connects-bot" / "data")
    out = bot("ask", "--json", QUESTION)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["entry"] == "agency-vs-freelancer-balance"

    # The wheel carries real copies of exactly the repository's config.yaml and knowledge/.
    packaged = site / "bot" / "defaults"
    assert not (packaged / "config.yaml").is_symlink() and not (packaged / "knowledge").is_symlink()
    assert (packaged / "config.yaml").read_bytes() == (ROOT / "config.yaml").read_bytes()
    assert tree(packaged / "knowledge") == tree(ROOT / "knowledge")
    seed = site / "bot" / "models" / "embedding-seed.npz"  # the bundled knowledge base, already embedded
    assert seed.read_bytes() == (ROOT / "bot" / "models" / "embedding-seed.npz").read_bytes()

    # What the bot writes goes to the user data dir: never inside site-packages, never the current folder.
    out = bot("ledger", "history", "fl-ben", "--json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["balances"] == {"fl-ben": 70, "ag-brightpath": 382}
    assert (xdg / "connects-bot" / "data" / "ledger.sqlite3").is_file()
    assert not any(p.suffix == ".sqlite3" for p in site.rglob("*")) and list(elsewhere.iterdir()) == []

    # A community's own files: init, then commands run in that folder use them.
    assert bot("init", "community").returncode == 0  # carries a warm embedding cache (the seed's)
    out = bot("kb", "check", cwd=elsewhere / "community")
    assert out.stdout == f"{elsewhere / 'community' / 'knowledge'}: ok, 22 entries, 8 rules\n", out.stderr
    out = bot("kb", "eval", "--folds", "0", cwd=elsewhere / "community")  # its own examples, copied by init
    assert out.returncode == 0 and "forum-posts.yaml: answered right" in out.stdout, out.stderr


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}
