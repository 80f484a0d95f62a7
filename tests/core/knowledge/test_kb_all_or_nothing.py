"""A moderator's write is all or nothing: faults injected at each step of versioned_write.

Before, the file was replaced first and the version recorded after: a history that failed (full disk,
read-only file) or a process killed between the two left the entry file changed with no version, and
the watcher then published it as an anonymous edit on disk ("external" by "disk"). A removal recorded
its version first, so a file that could not be deleted stayed with a version saying it was gone.

Each test checks both stores after the fault (the file on disk and the history) and that a second store,
as the running bot has, sees no anonymous edit when its watcher polls.
"""

from __future__ import annotations

import errno
import os
import signal
import sqlite3
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from kb_sample import BUYING, EXPIRY, snapshot

from bot.core.knowledge.history import KnowledgeHistory
from bot.core.knowledge.store import KnowledgeStore
from bot.core.knowledge.versioned_write import KnowledgeWriteFailed
from bot.core.knowledge.watch import KnowledgeWatcher

REPO = Path(__file__).resolve().parents[3]
ENTRY = "buying-connects"
REMOVABLE = EXPIRY["id"]  # added by the test: no other entry or rule refers to it
DISK_FULL = OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def history_full(*_args: object, **_kwargs: object) -> None:
    raise sqlite3.OperationalError("database or disk is full")


@pytest.fixture
def bot_store(knowledge_dir: Path, history_path: Path) -> KnowledgeStore:
    """A second store on the same files: the running bot, while a moderator's write fails elsewhere."""
    return KnowledgeStore(knowledge_dir, KnowledgeHistory(history_path))


async def assert_no_anonymous_edit(bot_store: KnowledgeStore, history_path: Path, changed: tuple = ()) -> None:
    """Poll as the bot's watcher does: it reloads what changed, and records no edit as made "on disk"."""
    outcome = await KnowledgeWatcher(bot_store, 1.0).check()
    assert (outcome.changed if outcome else ()) == changed
    assert outcome is None or outcome.error is None
    history = KnowledgeHistory(history_path)
    recorded = [v for entry in history.latest_per_entry() for v in history.versions(entry)]
    assert [v for v in recorded if v.actor == "disk" and v.action == "external"] == []
    assert history.pending() == []


async def served(bot_store: KnowledgeStore) -> None:
    """Let the running bot's watcher take the moderator's last change into service."""
    await KnowledgeWatcher(bot_store, 1.0).check()


@pytest.fixture
async def removable(store: KnowledgeStore, bot_store: KnowledgeStore) -> str:
    """An entry a moderator added and the bot serves, which nothing else refers to: one a test may remove."""
    store.add(EXPIRY, actor="mod")
    await served(bot_store)
    return REMOVABLE


def edit(store: KnowledgeStore, answer: str = "A new answer.") -> object:
    return store.edit(ENTRY, {"answer": answer}, expected_version=store.version(ENTRY), actor="discord:7 (mod)")


def only_original(history_path: Path) -> bool:
    return [v.action for v in KnowledgeHistory(history_path).versions(ENTRY)] == ["original"]


@pytest.mark.parametrize("step", ["temp file", "fsync"])
async def test_a_full_disk_while_writing_the_file_changes_neither(
    store, bot_store, knowledge_dir, history_path, monkeypatch, step
):
    before = snapshot(knowledge_dir)
    store.open(ENTRY)  # pins v1, the original
    if step == "temp file":
        monkeypatch.setattr(tempfile, "mkstemp", lambda **_: (_ for _ in ()).throw(DISK_FULL))
    else:
        monkeypatch.setattr(os, "fsync", lambda fd: (_ for _ in ()).throw(DISK_FULL))
    with pytest.raises(KnowledgeWriteFailed) as info:
        edit(store)
    monkeypatch.undo()

    assert str(info.value) == (
        f"could not save entry '{ENTRY}': cannot write knowledge/entries/{ENTRY}.yaml "
        "(No space left on device); nothing was changed"
    )
    assert snapshot(knowledge_dir) == before and only_original(history_path)
    await assert_no_anonymous_edit(bot_store, history_path)
    assert edit(store).version == 2  # and the next write works


async def test_a_failing_directory_fsync_after_the_rename_still_records_the_version(
    store, bot_store, knowledge_dir, history_path, monkeypatch
):
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        if stat.S_ISDIR(os.fstat(fd).st_mode):
            raise DISK_FULL
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    change = edit(store, "Written, though the folder flush failed.")
    monkeypatch.undo()

    assert change.version == 2 and "folder flush failed" in (knowledge_dir / "entries" / f"{ENTRY}.yaml").read_text()
    assert KnowledgeHistory(history_path).latest(ENTRY).actor == "discord:7 (mod)"
    await assert_no_anonymous_edit(bot_store, history_path, changed=(ENTRY,))


async def test_a_history_that_cannot_commit_the_version_puts_the_old_file_back(
    store, bot_store, knowledge_dir, history_path, engine, monkeypatch
):
    before = snapshot(knowledge_dir)
    kb_before = store.kb
    store.open(ENTRY)
    monkeypatch.setattr(KnowledgeHistory, "complete_pending", history_full)
    with pytest.raises(KnowledgeWriteFailed) as info:
        edit(store, "Never recorded, so never kept.")
    monkeypatch.undo()

    assert str(info.value) == (
        f"could not save entry '{ENTRY}': the knowledge history {history_path} cannot be written "
        "(database or disk is full); nothing was changed"
    )
    assert snapshot(knowledge_dir) == before and only_original(history_path)
    assert store.kb is kb_before and engine.kb is kb_before  # nothing was published either
    await assert_no_anonymous_edit(bot_store, history_path)


async def test_a_history_that_cannot_begin_the_write_leaves_the_file_untouched(
    store, bot_store, knowledge_dir, history_path, monkeypatch, removable
):
    before = snapshot(knowledge_dir)
    store.open(ENTRY)
    monkeypatch.setattr(KnowledgeHistory, "begin_pending", history_full)
    with pytest.raises(KnowledgeWriteFailed, match=r"cannot be written \(database or disk is full\); nothing"):
        edit(store)
    with pytest.raises(KnowledgeWriteFailed, match=r"nothing was changed$"):
        store.remove(removable, actor="mod")
    monkeypatch.undo()
    assert snapshot(knowledge_dir) == before and only_original(history_path)
    assert [v.action for v in KnowledgeHistory(history_path).versions(removable)] == ["add"]
    await assert_no_anonymous_edit(bot_store, history_path)


async def test_a_file_that_cannot_be_deleted_is_not_recorded_as_removed(
    store, bot_store, knowledge_dir, history_path, monkeypatch, removable
):
    before = snapshot(knowledge_dir)
    monkeypatch.setattr(
        Path, "unlink", lambda self, missing_ok=False: (_ for _ in ()).throw(PermissionError(13, "Permission denied"))
    )
    with pytest.raises(KnowledgeWriteFailed, match=r"\(Permission denied\); nothing was changed$"):
        store.remove(removable, actor="mod")
    monkeypatch.undo()
    assert snapshot(knowledge_dir) == before
    assert [v.action for v in KnowledgeHistory(history_path).versions(removable)] == ["add"]
    assert store.recycle_bin() == []
    await assert_no_anonymous_edit(bot_store, history_path)


async def test_when_the_old_file_cannot_be_put_back_the_change_is_recorded_as_the_moderators_later(
    store, bot_store, knowledge_dir, history_path, monkeypatch
):
    store.open(ENTRY)
    real_replace = os.replace
    calls = []

    def replace_once(src, dst):
        calls.append(dst)
        if len(calls) > 1:  # the write goes through; putting the old file back hits the full disk
            raise DISK_FULL
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace_once)
    monkeypatch.setattr(KnowledgeHistory, "complete_pending", history_full)
    with pytest.raises(KnowledgeWriteFailed, match="the file changed; its version is recorded as this change once"):
        edit(store, "Stuck between the two stores.")
    monkeypatch.undo()
    assert "Stuck between" in (knowledge_dir / "entries" / f"{ENTRY}.yaml").read_text()

    # The disk has room again: the bot's next poll records it as the moderator's, not as "disk".
    await assert_no_anonymous_edit(bot_store, history_path, changed=(ENTRY,))
    latest = KnowledgeHistory(history_path).latest(ENTRY)
    assert (latest.version, latest.action, latest.actor) == (2, "edit", "discord:7 (mod)")


CRASHING_REVERT = """
import os, signal, sys
from bot.core.knowledge.history import KnowledgeHistory
from bot.core.knowledge.store import KnowledgeStore

def killed(self, entry_id):  # the process dies after the file is replaced, before the version commits
    os.kill(os.getpid(), signal.SIGKILL)

KnowledgeHistory.complete_pending = killed
store = KnowledgeStore(sys.argv[1], KnowledgeHistory(sys.argv[2]))
store.revert(sys.argv[3], int(sys.argv[4]), actor="cli:operator")
"""


def revert_killed(code: str, knowledge_dir: Path, history_path: Path) -> None:
    """Run `code` (CRASHING_REVERT or a variant) to revert ENTRY to version 1; it must die by SIGKILL."""
    proc = subprocess.run(
        [sys.executable, "-c", code, str(knowledge_dir), str(history_path), ENTRY, "1"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr


@pytest.fixture
async def second_version(store: KnowledgeStore, bot_store: KnowledgeStore) -> None:
    """ENTRY at v2 (v1 the original, v2 a moderator's edit), in the running bot's service."""
    edit(store, "The second version.")
    await served(bot_store)


async def test_a_revert_killed_between_the_file_and_the_version_is_recorded_as_the_revert(
    bot_store, knowledge_dir, history_path, second_version
):
    revert_killed(CRASHING_REVERT, knowledge_dir, history_path)
    assert (knowledge_dir / "entries" / f"{ENTRY}.yaml").read_text() == BUYING  # the file was replaced

    # The running bot's watcher sees the file change: it is the operator's revert, not an anonymous edit.
    await assert_no_anonymous_edit(bot_store, history_path, changed=(ENTRY,))
    versions = KnowledgeHistory(history_path).versions(ENTRY)
    assert [(v.version, v.action, v.actor) for v in versions][:2] == [
        (3, "revert", "cli:operator"),
        (2, "edit", "discord:7 (mod)"),
    ]
    assert versions[0].content == BUYING
    assert bot_store.kb.entry(ENTRY).answer.startswith("Go to Connects")


async def test_a_write_killed_before_the_file_changed_leaves_no_version(
    bot_store, knowledge_dir, history_path, second_version
):
    before = snapshot(knowledge_dir)
    code = CRASHING_REVERT.replace(
        "KnowledgeHistory.complete_pending = killed",
        "import bot.core.knowledge.files as f\nf.atomic_write = lambda path, text: killed(None, None)",
    )
    revert_killed(code, knowledge_dir, history_path)
    assert len(KnowledgeHistory(history_path).pending()) == 1  # the intent was committed, the file untouched
    assert snapshot(knowledge_dir) == before
    # The next reader drops the intent: the file never changed, so there is no version to record.
    assert [v.version for v in bot_store.history_of(ENTRY)] == [2, 1]
    await assert_no_anonymous_edit(bot_store, history_path)


def test_kb_revert_on_a_full_disk_says_one_line_and_changes_nothing(tmp_path: Path):
    import shutil

    import yaml

    shutil.copytree(REPO / "knowledge", tmp_path / "knowledge")
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump({"knowledge": {"path": "knowledge", "history_path": "data/history.sqlite3"}}))
    entry = tmp_path / "knowledge" / "entries" / "taxes-vat.yaml"
    store = KnowledgeStore(tmp_path / "knowledge", KnowledgeHistory(tmp_path / "data" / "history.sqlite3"))
    store.edit("taxes-vat", {"answer": "A rewrite."}, expected_version=store.version("taxes-vat"), actor="mod")
    before = entry.read_text()
    full_disk = (
        "import errno, os, sys\n"
        "def full(fd): raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))\n"
        "os.fsync = full\n"
        "from bot.cli import main\n"
        "sys.exit(main(sys.argv[1:]))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", full_disk, "kb", "revert", "taxes-vat", "1", "--config", str(config)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        env={k: v for k, v in os.environ.items() if k not in ("DISCORD_TOKEN", "CONNECTS_BOT_CONFIG")},
    )
    assert out.returncode == 1
    assert out.stderr == (
        "error: could not save entry 'taxes-vat': cannot write knowledge/entries/taxes-vat.yaml "
        "(No space left on device); nothing was changed\n"
    )
    assert entry.read_text() == before
    assert [v.version for v in store.history_of("taxes-vat")] == [2, 1]
