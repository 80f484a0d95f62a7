"""The Connects ledger: per-profile balances, history, access rules, and plain-language explanations.

No discord import here. Front ends call `open_ledger` (sync) or `open_ledger_worker` and then the
LedgerService / AsyncLedgerService in service.py.
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
from importlib import resources
from pathlib import Path

from bot.core.ledger.connection import make_folder
from bot.core.ledger.import_session import lock_path
from bot.core.ledger.store import DEMO_ORIGIN, LedgerStore
from bot.core.ledger.worker import LedgerWorker

log = logging.getLogger(__name__)

DEMO_PACKAGE = "bot.core.ledger.demo"


def open_ledger(path: str | Path, *, check_same_thread: bool = True) -> LedgerStore:
    """Open the ledger at path, creating it from the bundled demo ledger when the file is missing."""
    path = Path(path)
    if not path.exists():
        seed_demo(path)
    return LedgerStore(path, check_same_thread=check_same_thread)


def open_ledger_worker(path: str | Path) -> LedgerWorker:
    """Open the ledger (seeding it if missing) on its own worker thread."""
    return LedgerWorker(lambda: open_ledger(path))


def seed_demo(path: str | Path) -> None:
    """Build a ledger from the demo files in a temp file, then move it into place in one step."""
    # The importer checks rows with numpy: loaded for an import only, not by every ledger read.
    from bot.core.ledger.importer import import_ledger

    path = Path(path)
    make_folder(path)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".seeding", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        demo = resources.files(DEMO_PACKAGE)
        with (
            resources.as_file(demo / "profiles.yaml") as profiles,
            resources.as_file(demo / "entries.csv") as entries,
            LedgerStore(tmp) as store,
        ):
            import_ledger(store, profiles_path=profiles, entries_path=entries)
            store.set_meta("origin", DEMO_ORIGIN)  # real data is never mixed into it (see import_ledger)
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        # os.link refuses to overwrite: if another process seeded first, keep theirs.
        try:
            os.link(tmp, path)
        except FileExistsError:
            log.info("ledger %s was created meanwhile; keeping it", path)
        else:
            _fsync_dir(path.parent)
            log.warning("created ledger %s from the bundled demo ledger", path)
    finally:
        for leftover in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm"), lock_path(tmp)):
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()


def _fsync_dir(directory: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


__all__ = [
    "LedgerStore",
    "LedgerWorker",
    "open_ledger",
    "open_ledger_worker",
    "seed_demo",
]
