"""Long embedding work shows its progress: a bar on a terminal, plain lines otherwise, log records under `run`."""

from __future__ import annotations

import io
import logging
import os
import pty
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from bot.cli import main
from bot.cli.progress import ProgressDisplay, show_progress
from bot.core import progress
from bot.core.matching.embeddings.cache import PROGRESS_FROM, EmbeddingCache

ROOT = Path(__file__).resolve().parents[2]
QUESTION = "how do i buy connects for my agency"


@pytest.fixture(autouse=True)
def progress_logger_as_at_start():
    """main() and show_progress() reconfigure the progress logger for the process: restore it around each test."""
    logger = logging.getLogger(progress.__name__)
    saved = logger.handlers[:], logger.propagate, logger.level
    logger.handlers.clear()
    logger.propagate, logger.level = True, logging.NOTSET
    yield
    logger.handlers[:], (logger.propagate, logger.level) = saved[0], saved[1:]


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def zeros(texts: list[str]) -> np.ndarray:
    return np.zeros((len(texts), 4), dtype=np.float32)


def embed_many(count: int) -> None:
    EmbeddingCache(None, "model", 4).embed([f"text {i}" for i in range(count)], zeros)


def test_embedding_many_texts_logs_its_progress_and_a_few_texts_do_not(caplog):
    with caplog.at_level(logging.INFO, logger=progress.__name__):
        embed_many(PROGRESS_FROM - 1)
        assert caplog.records == []
        embed_many(1000)
    steps = [r.progress[1:] for r in caplog.records]
    assert steps[0] == (0, 1000) and steps[-1] == (1000, 1000)
    assert 5 <= len(steps) <= 22 and [d for d, _ in steps] == sorted(d for d, _ in steps)
    assert caplog.records[-1].getMessage() == "embedding (no cache on disk): 1000 of 1000 texts (100%)"


def test_on_a_terminal_progress_is_one_bar_redrawn_in_place():
    terminal = Terminal()
    show_progress(terminal)
    embed_many(200)
    drawn = terminal.getvalue()
    assert drawn.startswith("\rembedding (no cache on disk) [") and drawn.endswith("] 200/200\n")
    assert drawn.count("\n") == 1 and drawn.count("\r") >= 3
    assert "[" + "#" * 30 + "]" in drawn


def test_elsewhere_progress_is_plain_lines():
    log_file = io.StringIO()
    show_progress(log_file)
    show_progress(log_file)  # installed twice (main() called twice in one process): still one display
    embed_many(200)
    lines = log_file.getvalue().splitlines()
    assert lines[0] == "embedding (no cache on disk): 0 of 200 texts (0%)"
    assert lines[-1] == "embedding (no cache on disk): 200 of 200 texts (100%)"
    assert all("\r" not in line for line in lines)
    assert sum(isinstance(h, ProgressDisplay) for h in logging.getLogger(progress.__name__).handlers) == 1


@pytest.fixture
def new_examples_config(tmp_path: Path) -> Path:
    """The bundled knowledge base (in the seed) with 70 off-topic examples no seed has: 70 texts to embed."""
    examples = tmp_path / "examples"
    examples.mkdir()
    lines = [f"- text: is the weather in town number {i} nice today\n  why: chatter\n" for i in range(70)]
    (examples / "off-topic.yaml").write_text("off_topic:\n" + "".join(lines), encoding="utf-8")
    config = tmp_path / "config.yaml"
    config.write_text(
        f"knowledge:\n  path: {ROOT / 'knowledge'}\nembedding:\n  examples_path: examples\n", encoding="utf-8"
    )
    return config


def test_ask_in_a_new_folder_prints_progress_lines_when_stderr_is_not_a_terminal(new_examples_config):
    out = subprocess.run([sys.executable, "-m", "bot", "ask", "--json", QUESTION],
                         cwd=new_examples_config.parent, capture_output=True, text=True, timeout=300)  # fmt: skip
    assert out.returncode == 0, out.stderr
    where = new_examples_config.parent / "data" / "embeddings.sqlite3"
    assert out.stderr.splitlines() == [
        f"embedding (once: kept in {where}): 0 of 70 texts (0%)",
        f"embedding (once: kept in {where}): 64 of 70 texts (91%)",
        f"embedding (once: kept in {where}): 70 of 70 texts (100%)",
    ]


def test_ask_draws_a_bar_when_stderr_is_a_terminal(new_examples_config):
    leader, follower = pty.openpty()
    try:
        done = subprocess.run([sys.executable, "-m", "bot", "ask", "--json", QUESTION], cwd=new_examples_config.parent,
                              stdout=subprocess.PIPE, stderr=follower, timeout=300)  # fmt: skip
        os.close(follower)
        drawn = b""
        while chunk := _read(leader):
            drawn += chunk
    finally:
        os.close(leader)
    assert done.returncode == 0
    text = drawn.decode()
    assert text.startswith("\rembedding (once: kept in ") and "] 70/70" in text
    assert text.count("\rembedding") == 3 and text.endswith("70/70\r\n")  # the terminal writes \n as \r\n


def _read(fd: int) -> bytes:
    try:
        return os.read(fd, 65536)
    except OSError:  # the terminal's other end closed: all read
        return b""


def test_run_leaves_progress_records_to_its_log(monkeypatch, tmp_path, capsys):
    monkeypatch.delenv("DISCORD_TOKEN", raising=False)
    monkeypatch.chdir(tmp_path)
    assert main(["run"]) == 2  # no token: stops before connecting, after its arguments were handled
    assert main(["kb", "check", "--config", str(ROOT / "config.yaml")]) == 0
    logger = logging.getLogger(progress.__name__)
    assert [type(h) for h in logger.handlers] == [ProgressDisplay]  # installed by kb check ...
    logger.handlers.clear()
    logger.propagate = True
    main(["run"])
    assert logger.handlers == [] and logger.propagate  # ... not by run: its records are log lines
