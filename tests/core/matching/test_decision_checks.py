"""The decision's guards: real posts folded by thread, domain questions never gated, near misses, situation.

Quick checks of each rule on its own; the figures they add up to are test_quality.py's.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import yaml

from bot.config import load_settings
from bot.core.knowledge.loader import load_knowledge
from bot.core.matching.answers import AnswerEngine
from bot.core.matching.cross_validation import fold_of
from bot.core.matching.embeddings.chatter_gate import DIMENSIONS, ChatterGate
from bot.core.matching.embeddings.meaning import load_meaning
from bot.core.matching.examples import load_examples, read_examples
from bot.core.matching.situation import asker_situation, fitting_first
from bot.core.matching.threads import is_kept_aside, thread_of
from tests.shared_cache import EMBEDDING_CACHE

from .conftest import KNOWLEDGE, ROOT


def test_urls_of_one_thread_are_one_thread():
    one = {
        thread_of("https://community.upwork.com/t5/Freelancers/Connects/m-p/1429353"),
        thread_of("https://community.upwork.com:443/t5/Freelancers/Connects/td-p/1429353/page/2?x=1"),
        thread_of("https://support.upwork.com/hc/en-us/articles/211062958-Agency-memberships-connects"),
    }
    assert len(one) == 2  # the forum thread (two URLs) and the help article
    assert thread_of("https://support.upwork.com/hc/en-us/articles/211062958-Agency-Memberships-Connects") in one
    assert thread_of(None) is None and thread_of("  ") is None


def test_folds_keep_a_thread_together_and_the_kept_aside_part_is_fixed():
    groups = ["a", "a", "b", None, "b", "c", None, "a"]
    folds = fold_of(groups, folds=3, groups=groups)
    assert folds[0] == folds[1] == folds[7] and folds[2] == folds[4]
    forum = read_examples(KNOWLEDGE / "examples" / "forum-posts.yaml")
    threads = {e.thread for e in forum}
    assert None not in threads
    aside = {t for t in threads if is_kept_aside(t)}
    # A quarter of the threads, decided by a hash: the same part on every machine and every run.
    assert 0.15 * len(threads) <= len(aside) <= 0.4 * len(threads)
    assert [e.kept_aside for e in forum] == [is_kept_aside(e.thread) for e in forum]


def test_a_question_about_the_domain_is_never_gated_as_chatter():
    # A gate sure that everything is small talk still lets a short question about VAT through.
    gate = ChatterGate(np.zeros(DIMENSIONS), bias=30.0, threshold=0.5)
    assert not gate.is_chatter("why is VAT charged? I'm not in the EU?")
    assert not gate.is_chatter("do agency proposals cost more connects?")
    assert gate.is_chatter("anyone here from Kenya?")
    assert gate.is_chatter("connects connects connects lol")  # a domain word without a question


def test_no_model_trains_on_the_chatter_a_benchmark_replays():
    replayed = yaml.safe_load((ROOT / "tests" / "data" / "channel-chatter.yaml").read_text(encoding="utf-8"))
    lines = {item["text"].strip().lower() for item in replayed["chatter"]}
    trained = {e.text.strip().lower() for e in load_examples(KNOWLEDGE / "examples")}
    assert len(lines) >= 40 and not lines & trained
    bench = (ROOT / "bench" / "bench_discord.py").read_text(encoding="utf-8")
    assert "channel-chatter.yaml" in bench and "off-topic.yaml" not in bench


def test_the_asker_situation_puts_the_fitting_entry_first_when_two_are_close():
    assert asker_situation("I'm in an agency, how do I buy connects for the team?") == "agency"
    assert asker_situation("solo freelancer here, how do I buy connects?") == "freelancer"
    assert asker_situation("how do I buy connects?") is None
    audience = {"agency-buying-billing": "agency", "buying-connects": "all", "freelancer-plus-plan": "freelancer"}
    ids, scores = ["agency-buying-billing", "buying-connects", "freelancer-plus-plan"], [0.80, 0.78, 0.40]
    assert fitting_first(ids, scores, audience, "freelancer", 0.08) == [
        "buying-connects",
        "agency-buying-billing",
        "freelancer-plus-plan",
    ]
    assert fitting_first(ids, scores, audience, "agency", 0.08) == ids
    assert fitting_first(ids, scores, audience, None, 0.08) == ids


def test_an_entry_neither_answers_nor_suggests_what_it_lists_as_its_near_miss(kb_copy: Path):
    question = "why does one job ask for more connects than another job?"
    settings = load_settings(ROOT / "config.yaml")
    embedding = dataclasses.replace(settings.embedding, cache_path=EMBEDDING_CACHE)
    meaning = load_meaning(embedding)
    before = AnswerEngine(load_knowledge(kb_copy), settings.matcher, meaning).decide(question)
    assert (before.action, before.entry_id) == ("answer", "proposal-cost")
    path = kb_copy / "entries" / "proposal-cost.yaml"
    text = path.read_text(encoding="utf-8").replace("\nnot_this:", f"\nnot_this:\n  - {question}", 1)
    path.write_text(text, encoding="utf-8")
    after = AnswerEngine(load_knowledge(kb_copy), settings.matcher, meaning).decide(question)
    # Nor suggested: a suggestion is a message in the channel too.
    assert after.action == "silent", after.reason
    assert "near miss" in after.reason
