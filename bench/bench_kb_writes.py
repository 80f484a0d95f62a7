"""How long a moderator's change takes, and how many concurrent adds land: the knowledge store measured.

Usage: python bench/bench_kb_writes.py [--writes 200] [--adds 200] [--threads 8]

On a temporary copy of the bundled knowledge/ (the real files are never touched):
  baselines  a plain write_text of one entry file (no fsync: what a careless writer costs), the
             atomic write alone (temp file, fsync, os.replace, fsync of the directory), and a full
             load_knowledge() (what re-reading everything on each change would cost), and the
             pending-write commit alone (the step a write commits before it touches the file);
  store      teach() end to end (one phrasing per write, to each entry in turn: an entry holds at most
             100 phrasings; validate the whole would-be knowledge base, the pending-write commit, atomic
             write, the version commit, with synchronous=FULL), without and with the live AnswerEngine
             taking the new knowledge base (its index rebuild is part of "live at once");
  concurrent --adds new entries from --threads threads at once: wall time, adds per second, and a
             check that every one is on disk, in the history and in the engine.
Prints median and p95 per operation, in milliseconds.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.config import MatcherSettings  # noqa: E402
from bot.core.knowledge.files import atomic_write  # noqa: E402
from bot.core.knowledge.history import KnowledgeHistory, PendingWrite  # noqa: E402
from bot.core.knowledge.loader import load_knowledge  # noqa: E402
from bot.core.knowledge.store import KnowledgeStore  # noqa: E402
from bot.core.matching.answers import AnswerEngine  # noqa: E402

ENTRY = "taxes-vat"
PHRASES = ["when is {w} due", "what is {w}", "{w} explained", "how does {w} work", "{w} question", "{w} help me"]


def timed(fn: Callable[[int], object], n: int) -> list[float]:
    samples = []
    for i in range(n):
        start = time.perf_counter()
        fn(i)
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def report(name: str, samples: list[float]) -> None:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    print(f"  {name:<44} n={len(samples):<5} median {statistics.median(samples):8.2f} ms   p95 {p95:8.2f} ms")


def fresh(tmp: Path, name: str) -> tuple[Path, KnowledgeHistory]:
    root = tmp / name / "knowledge"
    shutil.copytree(ROOT / "knowledge", root)
    return root, KnowledgeHistory(tmp / name / "history.sqlite3")


def new_entry(n: int) -> dict:
    word = f"benchword{n}x"
    return {
        "id": f"bench-entry-{n}",
        "question": f"What about {word}?",
        "alternates": [p.format(w=word) for p in PHRASES],
        "answer": f"Everything about {word}.",
        "sources": ["https://support.upwork.com/hc/en-us/articles/211062898"],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writes", type=int, default=200)
    parser.add_argument("--adds", type=int, default=200)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-kb-") as tmp_name:
        tmp = Path(tmp_name)
        root, history = fresh(tmp, "base")
        kb = load_knowledge(root)
        path = root / "entries" / f"{ENTRY}.yaml"
        text = path.read_text(encoding="utf-8")
        print(f"knowledge base: {len(kb)} entries, {len(kb.rules)} rules; {args.writes} writes per row")
        print("baselines")
        report("write_text (no fsync, not atomic)", timed(lambda i: path.write_text(text + f"# {i}\n"), args.writes))
        report(
            "atomic_write (temp, fsync, replace, dir fsync)",
            timed(lambda i: atomic_write(path, text + f"# {i}\n"), args.writes),
        )
        path.write_text(text, encoding="utf-8")
        report("load_knowledge (full reload)", timed(lambda i: load_knowledge(root), max(20, args.writes // 10)))
        engine_settings = MatcherSettings()
        report(
            "AnswerEngine.replace (index rebuild)",
            timed(lambda i: AnswerEngine(kb, engine_settings).replace(kb), max(20, args.writes // 10)),
        )

        pending = KnowledgeHistory(tmp / "pending" / "history.sqlite3")
        intent = PendingWrite(ENTRY, "teach", "bench", "taught", text, False, text)
        report(
            "pending-write commit (history only)",
            timed(lambda i: pending.begin_pending(intent), args.writes),  # replaces its own row
        )

        print("store")
        in_turn = sorted(kb.entries)
        root, history = fresh(tmp, "teach")
        store = KnowledgeStore(root, history)
        report(
            "teach() without an engine",
            timed(
                lambda i: store.teach(in_turn[i % len(in_turn)], f"bench phrasing number {i}", actor="bench"),
                args.writes,
            ),
        )
        root, history = fresh(tmp, "teach-live")
        engine = AnswerEngine(load_knowledge(root), engine_settings)
        store = KnowledgeStore(root, history, consumers=[engine], kb=engine.kb)
        report(
            "teach() with the live engine swapped",
            timed(
                lambda i: store.teach(in_turn[i % len(in_turn)], f"bench phrasing number {i}", actor="bench"),
                args.writes,
            ),
        )
        opened = store.open(ENTRY)
        report(
            "open() + edit() (optimistic version check)",
            timed(
                lambda i: store.edit(
                    ENTRY, {"answer": f"Answer {i}."}, expected_version=store.open(ENTRY).version, actor="bench"
                ),
                max(20, args.writes // 4),
            ),
        )
        del opened

        print(f"concurrent adds: {args.adds} from {args.threads} threads, live engine")
        root, history = fresh(tmp, "concurrent")
        engine = AnswerEngine(load_knowledge(root), engine_settings)
        store = KnowledgeStore(root, history, consumers=[engine], kb=engine.kb)
        errors: list[BaseException] = []
        barrier = threading.Barrier(args.threads)

        def worker(offset: int) -> None:
            barrier.wait()
            for n in range(offset, args.adds, args.threads):
                try:
                    store.add(new_entry(n), actor=f"bench-{offset}")
                except BaseException as exc:  # counted below
                    errors.append(exc)

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(args.threads)]
        start = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - start
        expected = {f"bench-entry-{n}" for n in range(args.adds)}
        on_disk = set(load_knowledge(root).entries)
        in_history = set(history.latest_per_entry())
        landed = len(expected & on_disk & in_history & set(engine.kb.entries))
        print(
            f"  wall {wall:.2f} s, {args.adds / wall:.1f} adds/s, errors {len(errors)}, "
            f"landed {landed}/{args.adds} (disk, history and engine)"
        )
        return 0 if landed == args.adds and not errors else 1


if __name__ == "__main__":
    sys.exit(main())
