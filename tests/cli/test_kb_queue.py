"""`python -m bot kb unanswered` and `kb teach-group` as an operator runs them, on a copy of knowledge/."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from bot.cli.kb_versions import operator
from bot.core.channel.feedback import FeedbackStore
from bot.core.knowledge.history import KnowledgeHistory
from tests.cli.conftest import OperatorFolder
from tests.cli.test_kb_versions import bot
from tests.shared_cache import EMBEDDING_CACHE

STUDENTS = [
    "any student discount for connects?",
    "do students get cheaper connects?",
    "student discount connects please?",
    "can i get connects cheaper as a student?",
]
LIGHTNING = ["the lightning icon keeps eating my connects?", "why does the green lightning thing cost connects?"]


@pytest.fixture
def config(operator_folder: OperatorFolder) -> Path:
    path = operator_folder(
        feedback={"path": "data/feedback.sqlite3"},
        # Grouped by word vectors, as when the meaning model is off (its grouping: test_meaning.py).
        embedding={"enabled": False},
    )
    feedback = FeedbackStore(path.parent / "data" / "feedback.sqlite3")
    for n, text in enumerate([*LIGHTNING, *STUDENTS, STUDENTS[1].upper()]):
        feedback.record_silence(text, score=0.3, channel_id=1, message_id=n, author_id=2)
    feedback.close()
    return path


def open_ids(config: Path) -> list[int]:
    feedback = FeedbackStore(config.parent / "data" / "feedback.sqlite3")
    try:
        return sorted(i.id for i in feedback.list_unanswered(100))
    finally:
        feedback.close()


def test_unanswered_prints_groups_biggest_first(config: Path) -> None:
    listed = bot("kb", "unanswered", "--config", str(config))
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert lines[0] == "2 group(s), 7 question(s) (similarity threshold 0.3, lexical vectors)"
    assert lines[2].startswith("1. 5 question(s) · no answer · closest: ")
    assert "(x2)" in listed.stdout  # the question asked twice is one phrasing counted twice
    assert "items: 3, 4, 5, 6, 7" in listed.stdout and "items: 1, 2" in listed.stdout

    as_json = bot("kb", "unanswered", "--json", "--config", str(config))
    doc = json.loads(as_json.stdout)
    assert (doc["threshold"], doc["vectors"]) == (0.3, "lexical")
    assert [(g["number"], g["size"], g["items"]) for g in doc["groups"]] == [(1, 5, [3, 4, 5, 6, 7]), (2, 2, [1, 2])]
    assert doc["groups"][1]["closest"]["entry"] == "availability-badge"


def test_teach_group_writes_one_version_as_the_operator_and_clears_the_items(config: Path) -> None:
    taught = bot("kb", "teach-group", "1", "--entry", "connects-price", "--config", str(config))
    assert taught.returncode == 0, taught.stderr
    assert taught.stdout.startswith("connects-price: now version 2 (+4 phrasings); 4 of 4 phrasing(s) now get it;")
    assert "5 item(s) cleared" in taught.stdout
    text = (config.parent / "knowledge" / "entries" / "connects-price.yaml").read_text(encoding="utf-8")
    assert all(f"  - {q}\n" in text for q in STUDENTS)
    versions = KnowledgeHistory(config.parent / "data" / "history.sqlite3").versions("connects-price")
    assert [(v.version, v.action, v.actor) for v in versions] == [(2, "teach", operator()), (1, "original", "disk")]
    assert open_ids(config) == [1, 2]

    missing = bot("kb", "teach-group", "3", "--config", str(config))
    assert missing.returncode == 1
    assert missing.stderr.strip() == "error: no group 3: the queue has 1 (see `kb unanswered`)"


def test_teach_group_refuses_another_entrys_phrasing_and_keeps_the_queue(config: Path) -> None:
    taken = yaml.safe_load((config.parent / "knowledge" / "entries" / "availability-badge.yaml").read_text())
    feedback = FeedbackStore(config.parent / "data" / "feedback.sqlite3")
    feedback.record_silence(taken["alternates"][0], score=0.3, channel_id=1, message_id=99, author_id=2)
    feedback.close()
    price = (config.parent / "knowledge" / "entries" / "connects-price.yaml").read_bytes()

    listed = json.loads(bot("kb", "unanswered", "--json", "--config", str(config)).stdout)
    (number,) = [g["number"] for g in listed["groups"] if 8 in g["items"]]
    refused = bot("kb", "teach-group", str(number), "--entry", "connects-price", "--config", str(config))
    assert refused.returncode == 1
    assert refused.stderr.startswith("error: ") and "of entry 'availability-badge'" in refused.stderr
    assert (config.parent / "knowledge" / "entries" / "connects-price.yaml").read_bytes() == price
    assert open_ids(config) == [1, 2, 3, 4, 5, 6, 7, 8]  # nothing cleared


def test_unanswered_names_the_threshold_the_meaning_model_grouped_at(operator_folder: OperatorFolder) -> None:
    # With the meaning model in service the queue is grouped at embedding.group_similarity, not feedback's.
    path = operator_folder(
        feedback={"path": "data/feedback.sqlite3", "group_similarity": 0.25},
        embedding={"cache_path": str(EMBEDDING_CACHE), "group_similarity": 0.55},
    )
    feedback = FeedbackStore(path.parent / "data" / "feedback.sqlite3")
    feedback.record_silence(STUDENTS[0], score=0.3, channel_id=1, message_id=1, author_id=2)
    feedback.close()
    listed = bot("kb", "unanswered", "--config", str(path))
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.splitlines()[0] == "1 group(s), 1 question(s) (similarity threshold 0.55, meaning vectors)"
    doc = json.loads(bot("kb", "unanswered", "--json", "--config", str(path)).stdout)
    assert (doc["threshold"], doc["vectors"]) == (0.55, "meaning")
