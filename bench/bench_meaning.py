"""The meaning model's cost beside the lexical matcher, measured in the same run on the bundled knowledge base.

Usage: python bench/bench_meaning.py [--processes 5]

1. Per question: decide() on every labelled text that reaches a model (member questions, real forum posts,
   off-topic near misses, the holdout), meaning engine vs lexical engine, same process, same texts;
   p50 / p99, and p50 for 2,000-character posts.
2. Load: the encoder from disk (read, sha256 check, dequantise), the knowledge base's index with a warm
   embedding cache, training the head from scratch, and embedding cost per phrasing for a cold cache.
3. A cold process: `python -m bot ask` wall time and peak RSS (median of --processes runs), meaning
   model vs `embedding.enabled: false`, both with a warm cache.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.config import load_settings  # noqa: E402
from bot.core.knowledge.loader import load_knowledge  # noqa: E402
from bot.core.matching.answers import AnswerEngine  # noqa: E402
from bot.core.matching.embeddings.encoder import BUNDLED_MODEL_DIR, _read_encoder, blas_threads  # noqa: E402
from bot.core.matching.embeddings.meaning import load_meaning  # noqa: E402
from bot.core.matching.embeddings.semantic import SemanticIndex, train_head  # noqa: E402
from bot.core.matching.examples import load_examples  # noqa: E402

SEED_QUESTION = "How do I use my agency's connects instead of mine?"
# `python -m bot ARGS`, then the process's own peak RSS in MB on a last line: VmHWM, the high-water mark
# of this program's memory (ru_maxrss would also count the parent's pages from before exec, on Linux).
CHILD = (
    "import re, sys; from bot.cli import main; code = main(sys.argv[1:]); "
    "status = open('/proc/self/status').read(); "
    "print(int(re.search(r'VmHWM:\\s+(\\d+)', status).group(1)) / 1024); sys.exit(code)"
)


def timed(fn, *args):
    start = time.perf_counter()
    result = fn(*args)
    return result, (time.perf_counter() - start) * 1000


def percentiles(values: list[float]) -> str:
    ordered = sorted(values)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * len(ordered)))]
    return f"p50 {statistics.median(ordered):6.2f} ms  p99 {p99:6.2f} ms"


def per_question(settings) -> None:
    kb = load_knowledge(settings.knowledge.path)
    lexical = AnswerEngine(kb, settings.matcher)
    meaning = AnswerEngine(kb, settings.matcher, load_meaning(settings.embedding))
    assert meaning.meaning is not None, "the meaning model did not load"
    texts = [e.text for e in load_examples(settings.embedding.examples_path)]
    texts += [q["text"] for q in yaml.safe_load((ROOT / "tests/data/holdout.yaml").read_text())["questions"]]
    ranker = meaning._ranker
    reaching = [t for t in texts if ranker.before_model(t)[0] is None]
    long_posts = [(" ".join(texts[i : i + 40]))[:2000] for i in range(0, 400, 40)]
    for engine in (meaning, lexical):  # warm up both (first calls pay lazy imports and caches)
        for text in reaching[:20]:
            engine.decide(text)
    threads = sorted(blas_threads())
    print(f"per question: {len(reaching)} labelled texts that reach a model (of {len(texts)}), same order")
    print(f"  BLAS threads: {', '.join(map(str, threads)) or 'none found'} (the bot's own setting, as it runs)")
    for name, engine in (("meaning model", meaning), ("lexical matcher", lexical)):
        times = [timed(engine.decide, t)[1] for t in reaching]
        long_times = [timed(engine.decide, t)[1] for t in long_posts]
        print(f"  {name:<16} {percentiles(times)}  | 2,000-char posts p50 {statistics.median(long_times):6.1f} ms")
    chatter = [t for t in texts if ranker.before_model(t)[0] is not None]
    times = [timed(meaning.decide, t)[1] for t in chatter]
    print(f"  chatter ({len(chatter)} texts) never reaches the model: {percentiles(times)}")


def loading(settings) -> None:
    _, read_ms = timed(_read_encoder, BUNDLED_MODEL_DIR.resolve())
    meaning = load_meaning(settings.embedding)
    kb = load_knowledge(settings.knowledge.path)
    examples = meaning.examples
    _, index_ms = timed(SemanticIndex.build, kb, examples, meaning.encoder, meaning.cache, 0.5)
    phrasings = [p for e in kb.entries.values() for p in e.phrasings]
    vectors = meaning.cache.embed(phrasings + [e.text for e in examples], meaning.encoder.encode)
    labels = np.arange(len(vectors)) % (len(kb.entries) + 1)
    _, train_ms = timed(train_head, vectors, labels, len(kb.entries) + 1)
    sample = phrasings[:256]
    _, embed_ms = timed(meaning.encoder.encode, sample)
    print("loading:")
    print(f"  encoder from disk (read, sha256, dequantise): {read_ms:7.0f} ms")
    print(f"  index of {len(phrasings)} phrasings + {len(examples)} examples, warm cache: {index_ms:7.0f} ms")
    print(f"  training the head from scratch ({len(vectors)} rows): {train_ms:7.0f} ms")
    print(f"  embedding a cold cache: {embed_ms / len(sample):5.1f} ms a phrasing (batched)")


def cold_processes(settings, runs: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        config = yaml.safe_load(settings.source.read_text(encoding="utf-8"))
        base = settings.source.resolve().parent
        config["knowledge"]["path"] = str(base / config["knowledge"]["path"])
        config["embedding"]["cache_path"] = str(settings.embedding.cache_path)
        config["embedding"]["examples_path"] = str(settings.embedding.examples_path)
        config["embedding"]["enabled"] = False
        lexical_config = Path(tmp) / "lexical.yaml"
        lexical_config.write_text(yaml.safe_dump(config), encoding="utf-8")
        print(f"a cold process, `python -m bot ask` (median of {runs}; warm embedding cache):")
        for name, path in (("lexical matcher", lexical_config), ("meaning model", settings.source)):
            walls, peaks = [], []
            for _ in range(runs):
                start = time.perf_counter()
                out = subprocess.run(
                    [sys.executable, "-c", CHILD, "ask", "--config", str(path), "--json", SEED_QUESTION],
                    cwd=ROOT,
                    capture_output=True,
                    text=True,
                    env={**os.environ},
                    check=True,
                )
                walls.append(time.perf_counter() - start)
                answer, peak = out.stdout.strip().splitlines()
                peaks.append(float(peak))
                assert "agency-vs-freelancer-balance" in answer, out.stdout
            print(f"  {name:<16} wall {statistics.median(walls):5.2f} s   peak RSS {max(peaks):5.0f} MB")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=5)
    args = parser.parse_args()
    settings = load_settings(ROOT / "config.yaml")
    loading(settings)
    per_question(settings)
    cold_processes(settings, args.processes)
    return 0


if __name__ == "__main__":
    sys.exit(main())
