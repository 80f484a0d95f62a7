"""The `kb` commands on a damaged, truncated, read-only or full history or feedback database: one line each.

Before, each of `kb history`, `kb revert`, `kb unanswered` and `kb teach-group` printed a raw SQLite
traceback. The files are real: garbage bytes, a real database cut in half, a real database made
read-only (the child drops root's power to write any file, so chmod binds it too), and a full disk by
fault injection (every writing statement on that one file fails with SQLite's own "database or disk is
full"). A command that only reads a read-only or full file still works.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from bot.core.channel.feedback import FeedbackStore, Post
from bot.core.knowledge.history import KnowledgeHistory
from bot.core.knowledge.store import KnowledgeStore

ROOT = Path(__file__).resolve().parents[2]
ENTRY = "taxes-vat"
QUEUED = ["can i pay connects with crypto", "can connects be paid in bitcoin", "crypto payment for connects"]

# The child imports this before the CLI: every writing statement on the named file fails as on a full disk.
FULL_DISK = """
import sqlite3, sys
TARGET = sys.argv.pop(1)
WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE", "CREATE", "DROP")

class FullDisk(sqlite3.Connection):
    def execute(self, sql, *args):
        words = sql.split()
        if words and (words[0].upper() in WRITES or " ".join(words[:2]).upper() == "BEGIN IMMEDIATE"):
            raise sqlite3.OperationalError("database or disk is full")
        return super().execute(sql, *args)

_connect = sqlite3.connect
def connect(database, *args, **kwargs):
    if str(database).endswith(TARGET):
        kwargs["factory"] = FullDisk
    return _connect(database, *args, **kwargs)
sqlite3.connect = connect
from bot.cli import main
sys.exit(main(sys.argv[1:]))
"""


def drop_root_file_powers() -> None:
    """In the child: drop CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH and CAP_FOWNER, so root obeys file modes.

    Without this, root writes a chmod 0444 file anyway. Dropping capabilities is always allowed (a
    non-root user has none to drop, and file modes bind them already).
    """
    libc = ctypes.CDLL(None, use_errno=True)

    class Header(ctypes.Structure):
        _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

    class Data(ctypes.Structure):
        _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]

    dropped = (1, 2, 3)  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER
    if os.geteuid() == 0:
        # Root regains its permitted set from the bounding set at exec: drop them there too (PR_CAPBSET_DROP).
        for cap in dropped:
            if libc.prctl(24, cap, 0, 0, 0) != 0:
                raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")
    header, data = Header(0x20080522, 0), (Data * 2)()  # _LINUX_CAPABILITY_VERSION_3: two 32-bit words
    if libc.capget(ctypes.byref(header), data) != 0:
        raise OSError(ctypes.get_errno(), "capget")
    keep = ~sum(1 << cap for cap in dropped)
    data[0].effective &= keep
    data[0].permitted &= keep
    data[0].inheritable &= keep
    if libc.capset(ctypes.byref(header), data) != 0:
        raise OSError(ctypes.get_errno(), "capset")


@pytest.fixture
def config(tmp_path: Path) -> Path:
    """A folder with knowledge/, a real history (taxes-vat at v2) and a real feedback queue (one group)."""
    shutil.copytree(ROOT / "knowledge", tmp_path / "knowledge")
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump({"knowledge": {"path": "knowledge"}, "feedback": {"path": "data/feedback.sqlite3"}}))
    store = KnowledgeStore(tmp_path / "knowledge", KnowledgeHistory(tmp_path / "data" / "knowledge-history.sqlite3"))
    for n in range(20):  # enough pages that cutting the file in half cuts into the tables
        store.edit(ENTRY, {"answer": f"Rewrite {n}. " * 80}, expected_version=store.version(ENTRY), actor="mod")
    feedback = FeedbackStore(tmp_path / "data" / "feedback.sqlite3")
    for n, question in enumerate(QUEUED):
        feedback.record_silence(question, score=0.1, channel_id=1, message_id=n, author_id=2)
    for n in range(300):  # answers posted: pages enough that cutting the file in half cuts into the tables
        feedback.record_post(Post(1000 + n, ENTRY, 1, f"how is vat charged on connects, asked the {n}th time"))
    feedback.close()
    for name in ("knowledge-history.sqlite3", "feedback.sqlite3"):
        conn = sqlite3.connect(tmp_path / "data" / name)
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.close()
    return path


def damaged(config: Path, name: str, how: str) -> Path:
    path = config.parent / "data" / name
    if how == "garbage":
        path.write_bytes(os.urandom(8192))
    elif how == "truncated":
        os.truncate(path, path.stat().st_size // 2)
    elif how == "read-only":
        path.chmod(0o444)
    return path


def bot(config: Path, how: str, target: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DISCORD_TOKEN", "CONNECTS_BOT_CONFIG")}
    command = [sys.executable, "-c", FULL_DISK, target] if how == "full" else [sys.executable, "-m", "bot"]
    preexec: Callable[[], None] | None = drop_root_file_powers if how == "read-only" else None
    return subprocess.run(
        [*command, *args, "--config", str(config)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        timeout=180,
        preexec_fn=preexec,
    )


PROBLEM = {
    "garbage": "is not a SQLite database (damaged, or another kind of file)",
    "truncated": "is damaged (database disk image is malformed)",
    "read-only": "is read-only (attempt to write a readonly database)",
    "full": "cannot be written (database or disk is full)",
}
HISTORY_COMMANDS = {"history": ["kb", "history", ENTRY], "revert": ["kb", "revert", ENTRY, "1"]}
FEEDBACK_COMMANDS = {"unanswered": ["kb", "unanswered"], "teach-group": ["kb", "teach-group", "1", "--entry", ENTRY]}


@pytest.mark.parametrize("how", list(PROBLEM))
@pytest.mark.parametrize("command", list(HISTORY_COMMANDS))
def test_a_bad_history_is_one_line(config: Path, how: str, command: str) -> None:
    entry = config.parent / "knowledge" / "entries" / f"{ENTRY}.yaml"
    before = entry.read_bytes()
    path = damaged(config, "knowledge-history.sqlite3", how)
    out = bot(config, how, path.name, *HISTORY_COMMANDS[command])
    assert "Traceback" not in out.stderr, out.stderr
    assert entry.read_bytes() == before  # nothing written, whatever happened
    if command == "history" and how in ("read-only", "full"):
        assert out.returncode == 0, out.stderr  # reading still works
        assert out.stdout.startswith("v21 ")
        return
    assert out.returncode == 1
    (line,) = out.stderr.splitlines()
    reason = f"the knowledge history {path} {PROBLEM[how]}"
    assert line in (f"error: {reason}", f"error: could not save entry '{ENTRY}': {reason}; nothing was changed")


@pytest.mark.parametrize("how", list(PROBLEM))
@pytest.mark.parametrize("command", list(FEEDBACK_COMMANDS))
def test_a_bad_feedback_database_is_one_line(config: Path, how: str, command: str) -> None:
    path = damaged(config, "feedback.sqlite3", how)
    out = bot(config, how, path.name, *FEEDBACK_COMMANDS[command])
    assert "Traceback" not in out.stderr, out.stderr
    if command == "unanswered" and how in ("read-only", "full"):
        assert out.returncode == 0, out.stderr  # reading still works
        assert "question(s)" in out.stdout
        return
    assert out.returncode == 1
    (line,) = out.stderr.splitlines()
    assert line.endswith(f"the feedback database {path} {PROBLEM[how]}")
    if how in ("read-only", "full"):  # the phrasings were taught; the queue could not be cleared, and it says so
        assert line.startswith(f"error: taught {ENTRY} (now version ")
        assert ", but could not take the question(s) off the queue: " in line
