"""Grouping the unanswered queue by meaning: real labelled questions, the real answer engine, real config."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import yaml

from bot.config import load_settings
from bot.core.channel.feedback import UnansweredItem
from bot.core.channel.question_groups import LexicalVectoriser, cluster, group_unanswered
from bot.core.errors import ConfigError
from bot.core.knowledge.loader import load_knowledge
from bot.core.matching.answers import AnswerEngine

EXAMPLES = Path(__file__).resolve().parents[3] / "knowledge" / "examples"
REPO_CONFIG = Path(__file__).resolve().parents[3] / "config.yaml"
TOPICS = ("transfers-not-possible", "availability-badge", "taxes-vat")


@pytest.fixture(scope="module")
def engine() -> AnswerEngine:
    # The lexical grouping and ranking (what serves when the meaning model is off); the embedding
    # grouping is tested beside the meaning model (tests/core/matching/test_meaning.py).
    settings = load_settings(REPO_CONFIG)
    return AnswerEngine(load_knowledge(settings.knowledge.path), settings.matcher)


@pytest.fixture(scope="module")
def threshold() -> float:
    return load_settings(REPO_CONFIG).feedback.group_similarity


def labelled(topics: tuple[str, ...]) -> list[tuple[str, str]]:
    questions = yaml.safe_load((EXAMPLES / "member-questions.yaml").read_text(encoding="utf-8"))["questions"]
    return [(q["topic"], q["text"]) for q in questions if q["topic"] in topics]


def item(item_id: int, question: str, kind: str = "silence", entry_id: str | None = None) -> UnansweredItem:
    return UnansweredItem(
        item_id,
        kind,
        question,
        entry_id,
        0.1,
        1,
        item_id,
        2,
        f"2025-03-01T10:{item_id // 60:02d}:{item_id % 60:02d}+00:00",
    )


def groups_of(engine: AnswerEngine, items: list[UnansweredItem], threshold: float, **kw):
    background = [p for e in engine.kb.entries.values() for p in e.phrasings]
    return group_unanswered(items, rank=engine.rank, threshold=threshold, background=background, **kw)


def test_paraphrases_land_together_and_topics_stay_apart(engine, threshold):
    questions = labelled(TOPICS)
    items = [item(i, text) for i, (_, text) in enumerate(questions, start=1)]
    topic_of = {i: topic for i, (topic, _) in enumerate(questions, start=1)}

    groups = groups_of(engine, items, threshold)

    assert sorted(i for g in groups for i in g.item_ids) == sorted(topic_of)  # every item in exactly one group
    for group in groups:  # no group mixes topics
        assert len({topic_of[i] for i in group.item_ids}) == 1, [topic_of[i] for i in group.item_ids]
    biggest = groups[: len(TOPICS)]
    assert sorted(topic_of[g.item_ids[0]] for g in biggest) == sorted(TOPICS)  # one large group per topic
    for group in biggest:
        assert group.size >= 4
        assert group.closest is not None and group.closest.entry_id == topic_of[group.item_ids[0]]
    sizes = [g.size for g in groups]
    assert sizes == sorted(sizes, reverse=True)


def test_grouping_is_deterministic_whatever_the_order_items_arrive_in(engine, threshold):
    items = [item(i, text) for i, (_, text) in enumerate(labelled(TOPICS), start=1)]
    forward = [g.to_json() for g in groups_of(engine, items, threshold)]
    backward = [g.to_json() for g in groups_of(engine, list(reversed(items)), threshold)]
    assert forward == backward
    assert forward == [g.to_json() for g in groups_of(engine, items, threshold)]


def test_repeats_fold_into_one_question_and_count_toward_size(engine, threshold):
    items = [
        item(1, "can i move my connects to my agency?"),
        item(2, "Can I move my connects  to my agency"),  # same question: case, spacing, "?" aside
        item(3, "CAN I MOVE MY CONNECTS TO MY AGENCY???"),
        item(4, "why was i charged vat on connects"),
        item(5, "why am i charged vat when buying connects"),
    ]
    groups = groups_of(engine, items, threshold)
    assert [(g.size, len(g.questions)) for g in groups] == [(3, 1), (2, 2)]  # largest by items, not phrasings
    assert groups[0].questions[0].item_ids == (1, 2, 3)
    assert groups[0].representative == "can i move my connects to my agency?"  # as first asked
    assert groups[0].to_json()["items"] == [1, 2, 3]


def test_equal_sizes_put_the_most_recent_first(engine, threshold):
    items = [
        item(1, "why was i charged vat on connects"),
        item(2, "why am i charged vat when buying connects"),
        item(3, "how do i turn off the availability badge"),
        item(4, "availability badge keeps spending my connects, how to turn it off"),
    ]
    groups = groups_of(engine, items, threshold)
    assert [g.item_ids for g in groups] == [(3, 4), (1, 2)]
    newest_first = groups_of(engine, [item(9, items[0].question), *items[1:]], threshold)
    assert [g.item_ids for g in newest_first] == [(2, 9), (3, 4)]


def test_not_helpful_votes_are_grouped_apart_and_name_the_entries_voted_down(engine, threshold):
    items = [
        item(1, "can i transfer connects to my agency", kind="silence"),
        item(2, "can i transfer connects to my agency account", kind="not_helpful", entry_id="transfers-not-possible"),
        item(3, "how to transfer my connects to the agency", kind="not_helpful", entry_id="transfers-not-possible"),
        item(4, "can i transfer my connects to my agency", kind="not_helpful", entry_id="agency-pool-roles"),
    ]
    groups = groups_of(engine, items, threshold)
    assert [(g.kind, g.item_ids) for g in groups] == [("not_helpful", (2, 3, 4)), ("silence", (1,))]
    assert groups[0].voted_entries() == [("transfers-not-possible", 2), ("agency-pool-roles", 1)]
    assert groups[1].voted_entries() == []


def test_a_pluggable_vectoriser_decides_what_is_similar(engine):
    # Two questions sharing no word at all: the lexical fallback keeps them apart, an encoder joins them.
    items = [item(1, "can i get a refund of my connects"), item(2, "will upwork give back what i spent")]
    assert len(groups_of(engine, items, 0.3)) == 2
    calls: list[list[str]] = []

    def encoder(texts: list[str]) -> np.ndarray:
        calls.append(texts)
        return np.tile(np.array([[1.0, 0.0]]), (len(texts), 1))

    (group,) = groups_of(engine, items, 0.3, embed=encoder)
    assert calls == [["can i get a refund of my connects", "will upwork give back what i spent"]]
    assert group.item_ids == (1, 2)


def test_average_linkage_does_not_chain_a_to_c_through_b():
    # Unit vectors at 0, 40 and 80 degrees; threshold cos 50°. a~b and b~c pass, a~c (80°) does not:
    # single linkage would chain all three, average linkage merges one pair and stops.
    angles = np.radians([0.0, 40.0, 80.0])
    vectors = np.stack([np.cos(angles), np.sin(angles)], axis=1)
    assert cluster(vectors, math.cos(math.radians(50))) == [[0, 1], [2]]
    assert cluster(vectors, math.cos(math.radians(85))) == [[0, 1, 2]]
    assert cluster(vectors[:0], 0.5) == []


def test_lexical_vectors_give_cosines_and_share_typos_and_synonyms():
    vectorise = LexicalVectoriser()
    v = vectorise(["how do i buy conects", "how do I buy connects?", "where can i purchase credits", "hello there"])
    sims = v @ v.T
    assert sims[0, 1] > 0.5  # a typo: the character 4-grams still meet
    assert sims[1, 2] > 0.1  # "purchase credits" meets "buy connects" through the domain synonyms
    assert sims[3, 3] == 0.0  # nothing to compare: shares no feature
    same = vectorise(["vat on connects", "vat on connects"])
    assert np.allclose(same @ same.T, 1.0, atol=1e-5)  # dot products are cosines


def test_group_similarity_is_a_validated_config_key(tmp_path):
    assert load_settings(REPO_CONFIG).feedback.group_similarity == pytest.approx(0.30)
    path = tmp_path / "config.yaml"
    path.write_text("feedback: {group_similarity: 1.5}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    assert str(info.value) == f"config: {path}: feedback.group_similarity: must be at most 1.0, got 1.5"
