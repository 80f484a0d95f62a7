"""The meaning model: the numpy encoder against the reference, the pinned-weights check and the fallback,
the embedding cache, thread follow-ups, posts that ask two things, and taught phrasings taking effect."""

from __future__ import annotations

import dataclasses
import json
import logging
import shutil
from pathlib import Path

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from bot.config import load_settings
from bot.core.channel.feedback import UnansweredItem
from bot.core.channel.question_groups import group_queue
from bot.core.knowledge.history import KnowledgeHistory
from bot.core.knowledge.loader import load_knowledge
from bot.core.knowledge.model import KnowledgeBase
from bot.core.knowledge.store import KnowledgeStore
from bot.core.matching.answers import AnswerEngine
from bot.core.matching.embeddings.cache import EmbeddingCache
from bot.core.matching.embeddings.chatter_gate import CHATTER_KINDS, train_gate
from bot.core.matching.embeddings.encoder import (
    BUNDLED_MODEL_DIR,
    EncoderUnavailable,
    blas_threads,
    limit_blas_threads,
    load_encoder,
)
from bot.core.matching.embeddings.meaning import load_meaning
from bot.core.matching.evaluation import load_questions
from bot.core.matching.examples import load_examples
from tests.shared_cache import EMBEDDING_CACHE

from .conftest import ROOT

HOLDOUT = ROOT / "tests" / "data" / "holdout.yaml"
REFERENCE = json.loads((ROOT / "tests" / "data" / "minilm-reference.json").read_text(encoding="utf-8"))


def test_numpy_encoder_matches_the_reference_model():
    vectors = load_encoder().encode(REFERENCE["texts"])
    reference = np.array(REFERENCE["vectors"])
    cosines = (vectors * reference).sum(axis=1)
    assert cosines.min() >= 0.99, cosines  # int8 weights: measured 0.996 at worst
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_a_text_embeds_the_same_alone_and_in_a_batch_of_other_lengths():
    # A batch is laid end to end with no padding: each text must attend to its own tokens only.
    encoder = load_encoder()
    texts = [
        "how do i buy connects for the agency with the agency's own card please",
        "buy connects",
        "why did my freelancer connects get charged instead of the agency's when I applied yesterday",
        "buy connects",
    ]
    together = encoder.encode(texts)
    for text, vector in zip(texts, together, strict=True):
        assert np.allclose(vector, encoder.encode([text])[0], atol=1e-5), text


def test_the_loaded_encoder_keeps_blas_to_one_thread():
    load_encoder()
    assert blas_threads() == {1}


def test_an_operators_own_blas_thread_count_wins(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "2")
    with threadpool_limits(limits=2, user_api="blas"):  # as OpenBLAS set itself up from the variable
        limit_blas_threads()
        assert blas_threads() == {2}
    monkeypatch.delenv("OPENBLAS_NUM_THREADS")
    with threadpool_limits(limits=2, user_api="blas"):
        limit_blas_threads()
        assert blas_threads() == {1}


def copy_model(tmp_path: Path) -> Path:
    target = tmp_path / "model"
    shutil.copytree(BUNDLED_MODEL_DIR, target)
    return target


def test_weights_that_fail_their_sha256_are_refused(tmp_path: Path):
    model = copy_model(tmp_path)
    data = bytearray((model / "encoder.npz").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (model / "encoder.npz").write_bytes(bytes(data))
    with pytest.raises(EncoderUnavailable, match="sha256"):
        load_encoder(model)


@pytest.mark.parametrize("damage", ["missing", "tampered"])
def test_a_missing_or_tampered_model_warns_once_and_the_lexical_matcher_answers(
    tmp_path: Path, real_kb: KnowledgeBase, caplog: pytest.LogCaptureFixture, damage: str
):
    model = copy_model(tmp_path)
    if damage == "missing":
        (model / "encoder.npz").unlink()
    else:
        (model / "tokenizer.json").write_text("{}", encoding="utf-8")
    settings = load_settings(ROOT / "config.yaml")
    embedding = dataclasses.replace(settings.embedding, model_path=model, cache_path=tmp_path / "cache.sqlite3")
    with caplog.at_level(logging.WARNING):
        meaning = load_meaning(embedding)
    assert meaning is None
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "lexical matcher alone" in warnings[0].getMessage()
    engine = AnswerEngine(real_kb, settings.matcher, meaning)
    assert engine.decide("How do I use my agency's connects instead of mine?").entry_id == (
        "agency-vs-freelancer-balance"
    )


def test_the_cache_embeds_each_text_once_across_restarts(tmp_path: Path):
    encoder = load_encoder()
    computed: list[str] = []

    def compute(texts: list[str]) -> np.ndarray:
        computed.extend(texts)
        return encoder.encode(texts)

    path = tmp_path / "cache.sqlite3"
    first = EmbeddingCache(path, encoder.sha256, encoder.dim)
    a = first.embed(["one question", "two questions", "one question"], compute)
    first.close()
    assert sorted(computed) == ["one question", "two questions"]
    again = EmbeddingCache(path, encoder.sha256, encoder.dim)
    b = again.embed(["two questions", "one question", "a third"], compute)
    again.close()
    assert computed[2:] == ["a third"]  # the restart embedded only the new text
    assert np.array_equal(a[0], b[1]) and np.array_equal(a[1], b[0])
    other_model = EmbeddingCache(path, "another-model", encoder.dim)
    other_model.embed(["one question"], compute)
    assert computed[-1] == "one question"  # a different model never reuses these vectors


def test_a_short_follow_up_in_a_thread_is_read_with_its_opening_question(meaning_engine: AnswerEngine):
    opener = "How do I buy more connects? My balance is almost empty"
    alone = meaning_engine.decide("and for the agency?")
    in_thread = meaning_engine.decide("and for the agency?", context=opener)
    assert alone.action == "silent"
    assert in_thread.action != "silent"
    assert "agency-buying-billing" in {in_thread.entry_id} | {c.entry_id for c in in_thread.candidates}
    # A full question in a thread stands on its own.
    full = meaning_engine.decide("Do my unused connects expire at some point?", context=opener)
    assert full.entry_id == "expiry-rollover"


def test_a_post_asking_two_things_gets_the_main_answer_and_the_other_offered(
    meaning_engine: AnswerEngine, monkeypatch: pytest.MonkeyPatch
):
    post = (
        "I want to buy connects for my agency but the purchase page says I need a billing method, which card "
        "does the agency use? also do the agency connects expire after some time?"
    )
    ranker = meaning_engine._ranker
    embedded: list[str] = []
    encoder = ranker._encoder

    class Recording:
        def encode(self, texts: list[str]) -> np.ndarray:
            embedded.extend(texts)
            return encoder.encode(texts)

    monkeypatch.setattr(ranker, "_encoder", Recording())
    decision = meaning_engine.decide(post)
    assert decision.action == "answer" and decision.entry_id == "agency-buying-billing", decision.reason
    assert decision.see_also == ("expiry-rollover",), decision.reason
    # The second question was already embedded for the confidence features: not embedded again.
    assert len(embedded) == len(set(embedded)) >= 3, embedded


def test_a_taught_phrasing_changes_the_next_decision(kb_copy: Path, tmp_path: Path):
    settings = load_settings(ROOT / "config.yaml")
    embedding = dataclasses.replace(settings.embedding, cache_path=EMBEDDING_CACHE)
    engine = AnswerEngine(load_knowledge(kb_copy), settings.matcher, load_meaning(embedding))
    question = "my team lead says our shared bid wallet is separate from mine, is that right?"
    before = engine.decide(question)
    assert before.entry_id != "agency-vs-freelancer-balance" or before.action != "answer"
    store = KnowledgeStore(kb_copy, KnowledgeHistory(tmp_path / "history.sqlite3"), consumers=[engine])
    store.teach("agency-vs-freelancer-balance", question, actor="test:moderator")
    after = engine.decide(question)
    assert (after.action, after.entry_id) == ("answer", "agency-vs-freelancer-balance")
    assert engine.meaning is not None
    engine.meaning.wait_for_training()  # the head retrains in the background; the answer holds after it
    assert engine.decide(question).entry_id == "agency-vs-freelancer-balance"


def test_the_unanswered_queue_groups_by_meaning_with_the_model(meaning_engine: AnswerEngine):
    questions = [
        "how do I buy connects for my agency",
        "how can the agency purchase more connects",
        "who can buy connects for our agency",
        "do connects run out after a year?",
        "when do my connects expire",
        "is there an expiry date on connects",
    ]
    items = [
        UnansweredItem(i, "silence", q, None, 0.1, 1, i, 2, f"2026-12-01T10:00:{i:02d}+00:00")
        for i, q in enumerate(questions, 1)
    ]
    settings = load_settings(ROOT / "config.yaml")
    groups = group_queue(
        items,
        meaning_engine,
        threshold=settings.feedback.group_similarity,
        meaning_threshold=settings.embedding.group_similarity,
    )
    assert sorted(sorted(q.text for q in g.questions) for g in groups) == sorted(
        [sorted(questions[:3]), sorted(questions[3:])]
    )
    by_entry = {g.closest.entry_id: len(g.questions) for g in groups if g.closest}
    assert by_entry == {"agency-buying-billing": 3, "expiry-rollover": 3}


def test_the_chatter_gate_silences_unseen_small_talk_and_no_question():
    examples = load_examples(ROOT / "knowledge" / "examples")
    trained, unseen = examples[::2], examples[1::2]
    gate = train_gate(trained, threshold=load_settings(ROOT / "config.yaml").embedding.chatter_threshold)
    assert gate is not None
    chatter = [e.text for e in unseen if e.why in CHATTER_KINDS]
    questions = [e.text for e in unseen if e.entry_id] + [q.text for q in load_questions(HOLDOUT)]
    gated = [t for t in chatter if gate.is_chatter(t)]
    assert len(gated) >= 0.6 * len(chatter), (len(gated), len(chatter))
    assert [t for t in questions if gate.is_chatter(t)] == []


def test_gated_chatter_never_reaches_the_encoder(meaning_engine: AnswerEngine):
    for text in ("hello everyone, new member here", "anyone here from Kenya? let's connect"):
        assert meaning_engine.settles_quickly(text)
        assert meaning_engine.decide(text).action == "silent"
    assert not meaning_engine.settles_quickly("can i move my connects to my agency profile")
