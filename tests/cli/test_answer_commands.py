"""The offline front end as a user runs it: `python -m bot ask|chat|kb check|kb eval`."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from bot.core.matching.threads import is_kept_aside, thread_of
from tests.shared_cache import EMBEDDING_CACHE

ROOT = Path(__file__).resolve().parents[2]


def bot(*args: str, stdin: str | None = None, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "DISCORD_TOKEN"}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], cwd=cwd, input=stdin, capture_output=True, text=True, env=env,
        timeout=120,
    )  # fmt: skip


def test_ask_json_answers_the_acceptance_question():
    out = bot("ask", "--json", "How do I use my agency's connects instead of mine?")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["decision"] == "answer" and data["entry"] == "agency-vs-freelancer-balance"
    assert data["candidates"][0]["entry"] == "agency-vs-freelancer-balance"
    assert out.stdout.count("\n") == 1  # exactly one JSON object


def test_ask_json_is_silent_on_a_greeting():
    data = json.loads(bot("ask", "--json", "good morning everyone").stdout)
    assert data == {"decision": "silent", "entry": None, "score": 0.0, "candidates": []}


def test_ask_prints_the_answer_as_the_bot_posts_it():
    out = bot("ask", "where can I see my connects history")
    assert out.returncode == 0
    assert "connects-history-balance · reviewed" in out.stdout


def test_chat_answers_suggests_and_stays_visibly_silent():
    out = bot("chat", stdin="hello\nHow do I use my agency's connects instead of mine?\n/why\n/quit\nnever read\n")
    assert out.returncode == 0, out.stderr
    assert "(the bot stays silent)" in out.stdout
    assert "agency-vs-freelancer-balance · reviewed" in out.stdout
    assert "answer: best agency-vs-freelancer-balance" in out.stdout
    assert "never read" not in out.stdout


def test_chat_follows_the_channels_rules():
    # The console goes through the channel's desk: a repeat within the entry cooldown is pointed back,
    # and a fourth reply within the member's window (discord.member_rate_limit_count: 3) is withheld.
    asked = "How do I use my agency's connects instead of mine?"
    others = ["how do i buy connects for the agency", "where can I see my connects history"]
    out = bot("chat", stdin="\n".join([asked, asked, *others]) + "\n")
    assert out.returncode == 0, out.stderr
    assert out.stdout.count("agency-vs-freelancer-balance · reviewed") == 1
    assert "(answered just above: see the reply to your question #1)" in out.stdout
    assert "agency-buying-billing · reviewed" in out.stdout
    assert "(the bot stays quiet: at most 3 replies per member every 60 s, as in the channel)" in out.stdout


def test_kb_check_passes_on_the_shipped_knowledge():
    out = bot("kb", "check")
    assert out.returncode == 0, out.stderr
    assert "ok, " in out.stdout


def test_kb_check_lists_every_problem_with_file_entry_and_field(tmp_path):
    kb = tmp_path / "knowledge"
    shutil.copytree(ROOT / "knowledge", kb)
    typo = kb / "entries" / "proposal-cost.yaml"
    typo.write_text(typo.read_text(encoding="utf-8").replace("alternates:", "alternate:", 1), encoding="utf-8")
    shutil.copy(kb / "entries" / "taxes-vat.yaml", kb / "entries" / "taxes-vat-2.yaml")
    indent = kb / "entries" / "expiry-rollover.yaml"
    indent.write_text(indent.read_text(encoding="utf-8").replace("\nanswer:", "\n   answer:", 1), encoding="utf-8")
    out = bot("kb", "check", str(kb))
    assert out.returncode == 1
    assert "entries/proposal-cost.yaml: entry proposal-cost: field alternate: unknown field" in out.stderr
    assert any(
        "entry taxes-vat: field id: duplicate id" in line and "taxes-vat.yaml" in line and "taxes-vat-2.yaml" in line
        for line in out.stderr.splitlines()
    ), out.stderr
    assert "entries/expiry-rollover.yaml: broken YAML at line" in out.stderr


def test_a_broken_config_is_one_line_naming_the_key(tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text("matcher: {answer_threshold: lots}\n", encoding="utf-8")
    out = bot("ask", "--config", str(config), "hello there friends")
    assert out.returncode == 2
    assert out.stderr.strip().count("\n") == 0
    assert "matcher.answer_threshold" in out.stderr
    missing = bot("ask", "--config", str(tmp_path / "nope.yaml"), "hi")
    assert missing.returncode == 2 and "config file not found" in missing.stderr


# A question from a kept-aside thread that no entry answers: a miss `kb eval` prints wherever it may.
PLANTED_KEPT_ASIDE = "zebra quantum banana orchestra, where did my marmalade connects go"


def _small_knowledge_copy(tmp_path: Path) -> Path:
    """A copy with a fifth of each examples file (quick; the full figures are the quality gate's), plus a
    kept-aside post, and a config pointing at it."""
    shutil.copytree(ROOT / "knowledge", tmp_path / "knowledge")
    for path in (tmp_path / "knowledge" / "examples").glob("*.yaml"):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        path.write_text(yaml.safe_dump({key: items[::5] for key, items in data.items()}), encoding="utf-8")
    thread = next(
        url
        for n in range(100)
        if is_kept_aside(thread_of(url := f"https://community.upwork.com/t5/Tests/planted-{n}/td-p/{n}"))
    )
    forum = tmp_path / "knowledge" / "examples" / "forum-posts.yaml"
    data = yaml.safe_load(forum.read_text(encoding="utf-8"))
    data["questions"].append({"topic": "buying-connects", "text": PLANTED_KEPT_ASIDE, "source": thread})
    forum.write_text(yaml.safe_dump(data), encoding="utf-8")
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump({"embedding": {"cache_path": str(EMBEDDING_CACHE)}}), encoding="utf-8")
    return config


def test_kb_eval_reports_held_in_cross_validated_and_held_out_figures(tmp_path):
    config = _small_knowledge_copy(tmp_path)
    out = bot("kb", "eval", "--folds", "2", "--config", str(config))
    assert out.returncode == 0, out.stderr
    sections = ["held-in", "cross-validated (2 folds", "kept aside (", "held out"]
    positions = [out.stdout.find(s) for s in sections]
    assert -1 not in positions and positions == sorted(positions), out.stdout
    cross_validated = out.stdout[positions[1] : positions[2]]
    assert "forum-posts.yaml: answered right" in cross_validated and "helped" in cross_validated
    assert "off-topic.yaml: silent on" in cross_validated
    assert PLANTED_KEPT_ASIDE not in cross_validated  # decided apart from the threads tuned on
    assert PLANTED_KEPT_ASIDE in out.stdout[positions[2] : positions[3]]
    tables = out.stdout[out.stdout.find("calibration (cross-validated") : positions[3]]
    for table in ("calibration (cross-validated", "precision per entry", "chatter gate false positives"):
        assert table in tables, out.stdout
    assert "<= 12 words" in tables and "member-questions.yaml (cross-validated): 0 of" in tables
    assert (tmp_path / "data" / "kb-eval.json").exists()  # kept for `kb report`


def test_kb_eval_tuning_only_prints_nothing_of_the_kept_aside_threads(tmp_path):
    # For working on misses without spending a look at the posts kept aside.
    config = _small_knowledge_copy(tmp_path)
    out = bot("kb", "eval", "--folds", "2", "--tuning-only", "--config", str(config))
    assert out.returncode == 0, out.stderr
    assert "cross-validated (2 folds" in out.stdout and "forum-posts.yaml: answered right" in out.stdout
    assert "kept aside (" not in out.stdout and "every real post" not in out.stdout
    assert PLANTED_KEPT_ASIDE not in out.stdout  # nor among the held-in misses
    assert not (tmp_path / "data" / "kb-eval.json").exists()  # `kb report` keeps the last whole figures


def test_ask_joins_unquoted_words_into_one_message():
    # A newcomer types the question without quotes: the words are one message, as if quoted.
    unquoted = bot("ask", "--json", "how", "do", "i", "buy", "connects")
    quoted = bot("ask", "--json", "how do i buy connects")
    assert unquoted.returncode == 0, unquoted.stderr
    assert json.loads(unquoted.stdout) == json.loads(quoted.stdout)
    assert json.loads(unquoted.stdout)["entry"] == "buying-connects"
