"""Writers that race or crash: every add lands, and a crash leaves the old file or the new one, whole."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from kb_sample import BUYING, EXPIRY, snapshot

from bot.core.knowledge.history import KnowledgeHistory
from bot.core.knowledge.loader import load_knowledge
from bot.core.knowledge.store import KnowledgeStore
from bot.core.knowledge.versioned_write import KnowledgeWriteFailed

REPO = Path(__file__).resolve().parents[3]
PHRASES = [
    "when is {w} due",
    "what is {w}",
    "{w} explained",
    "how does {w} work",
    "{w} question",
    "{w} help me",
]
WORDS = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet", "kilo"]


def new_entry(n: int, prefix: str = "topic") -> dict:
    word = f"{prefix}{n}{WORDS[n % len(WORDS)]}"
    return {
        "id": f"{prefix}-{n}",
        "question": f"What about {word}?",
        "alternates": [p.format(w=word) for p in PHRASES],
        "answer": f"Everything about {word}.",
        "sources": ["https://support.upwork.com/hc/en-us/articles/211062898"],
    }


def test_many_concurrent_adds_from_threads_all_land(store, knowledge_dir, engine):
    count = 40
    barrier = threading.Barrier(8)
    errors: list[BaseException] = []

    def worker(offset: int) -> None:
        barrier.wait()
        for n in range(offset, count, 8):
            try:
                store.add(new_entry(n), actor=f"mod-{offset}")
            except BaseException as exc:  # collected: a failure in a thread must fail the test
                errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert errors == []
    on_disk = load_knowledge(knowledge_dir)
    expected = {f"topic-{n}" for n in range(count)}
    assert expected <= set(on_disk.entries) and expected <= set(store.kb.entries)
    assert expected <= set(engine.kb.entries)
    assert set(store.history.latest_per_entry()) == expected
    assert not list((knowledge_dir / "entries").glob(".*"))  # no temp file left behind


async def test_many_concurrent_adds_from_asyncio_tasks_all_land(store, knowledge_dir):
    results = await asyncio.gather(
        *(asyncio.to_thread(store.add, new_entry(n, "task"), actor="mod") for n in range(24))
    )
    assert sorted(c.entry_id for c in results) == sorted(f"task-{n}" for n in range(24))
    assert {f"task-{n}" for n in range(24)} <= set(load_knowledge(knowledge_dir).entries)


WRITER = """
import sys
from bot.core.knowledge.history import KnowledgeHistory
from bot.core.knowledge.store import KnowledgeStore
sys.path.insert(0, {tests!r})
from test_kb_durability import new_entry

store = KnowledgeStore({root!r}, KnowledgeHistory({history!r}))
mode = sys.argv[1]
if mode == "add":
    for n in range(int(sys.argv[2]), int(sys.argv[3])):
        store.add(new_entry(n, "proc"), actor="proc")
else:
    print("ready", flush=True)
    n = 0
    while True:  # rewrite the same entry forever, until killed
        n += 1
        store.edit("buying-connects", {{"answer": f"Answer number {{n}}. " * (1 + n % 40)}},
                   expected_version=store.version("buying-connects"), actor="proc")
"""


def writer(knowledge_dir: Path, history_path: Path, *args: str) -> subprocess.Popen:
    code = WRITER.format(tests=str(Path(__file__).parent), root=str(knowledge_dir), history=str(history_path))
    return subprocess.Popen(
        [sys.executable, "-c", code, *args],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_two_processes_adding_at_once_both_land(knowledge_dir, history_path):
    # The bot and the CLI are separate processes: the file lock must serialise them too.
    procs = [
        writer(knowledge_dir, history_path, "add", "0", "10"),
        writer(knowledge_dir, history_path, "add", "10", "20"),
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
    kb = load_knowledge(knowledge_dir)
    assert {f"proc-{n}" for n in range(20)} <= set(kb.entries)
    assert len(KnowledgeHistory(history_path).latest_per_entry()) == 20


def test_crash_between_write_and_replace_leaves_the_old_file(store, knowledge_dir, history_path, engine, monkeypatch):
    before = snapshot(knowledge_dir)
    kb_before = store.kb

    def crash(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(KnowledgeWriteFailed, match=r"No space left on device.*; nothing was changed$"):
        store.edit("buying-connects", {"answer": "Never saved."}, expected_version=1, actor="mod")
    with pytest.raises(KnowledgeWriteFailed, match=r"nothing was changed$"):
        store.add(EXPIRY, actor="mod")
    monkeypatch.undo()

    assert snapshot(knowledge_dir) == before  # temp files are gone too
    assert (knowledge_dir / "entries" / "buying-connects.yaml").read_text() == BUYING
    assert load_knowledge(knowledge_dir).entry("buying-connects").answer.startswith("Go to Connects")
    assert store.kb is kb_before and engine.kb is kb_before
    # Only the pinned original is recorded: no version claims content that never reached the disk.
    assert [v.action for v in KnowledgeHistory(history_path).versions("buying-connects")] == ["original"]
    assert store.edit("buying-connects", {"answer": "Saved."}, expected_version=1, actor="mod").version == 2


def test_killed_writer_leaves_a_whole_file_and_a_loadable_knowledge_base(knowledge_dir, history_path):
    proc = writer(knowledge_dir, history_path, "loop")
    try:
        assert proc.stdout.readline().strip() == "ready"
        history = KnowledgeHistory(history_path)
        # Let it get well into its loop (at least 30 versions written), then kill it mid-flight.
        while (history.latest("buying-connects") or None) is None or history.latest("buying-connects").version < 30:
            assert proc.poll() is None, proc.stderr.read()
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait(timeout=10)

    kb = load_knowledge(knowledge_dir)  # whole, valid YAML: the old file or the new one
    answer = kb.entry("buying-connects").answer
    assert answer.startswith("Answer number ")
    # A new store cleans up a temp file the killed writer may have left, and carries on.
    store = KnowledgeStore(knowledge_dir, KnowledgeHistory(history_path))
    assert not list((knowledge_dir / "entries").glob(".*.tmp"))
    opened = store.open("buying-connects")
    assert opened.entry.answer == answer
    change = store.edit("buying-connects", {"answer": "After the crash."}, expected_version=opened.version, actor="m")
    assert change.version == opened.version + 1
    contents = [v.content for v in store.history_of("buying-connects")]
    assert contents[-1] == BUYING  # the hand-written original is still there


def test_leftover_temp_file_does_not_break_loading(knowledge_dir, history_path):
    leftover = knowledge_dir / "entries" / ".buying-connects.yaml.abc123.tmp"
    leftover.write_text("id: buying-connects\nquestion: half writ")
    assert "buying-connects" in load_knowledge(knowledge_dir).entries
    KnowledgeStore(knowledge_dir, KnowledgeHistory(history_path))
    assert not leftover.exists()
