"""The learning loop end to end: a pick becomes a candidate, a moderator accepts it on /faq learned, the guard
lets it serve and the log channel says so, and the same question is answered; one member's fifty wrong picks
change nothing; a pick that clashes with a labelled example is held, and the log channel names the clash.

The questions members ask here are held-out ones (tests/data/holdout.yaml) that no entry and no examples
file labels: accepting a labelled one is a clash or a duplicate (bot.core.learning.clashes), not learning."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.core.learning import candidates as cs
from bot.core.learning.clashes import LabelledTexts
from bot.core.matching.evaluation import load_questions
from bot.core.matching.examples import load_examples, read_examples
from tests.e2e import conftest
from tests.e2e.conftest import DATA, KNOWLEDGE, RunningBot, StartBot, World, find_text
from tests.e2e.payloads import DEFERRED_UPDATE, EPHEMERAL, UPDATE_MESSAGE
from tests.e2e.test_moderation import button
from tests.e2e.test_unanswered_groups import press, select_of

GUARD_SECONDS = 120.0  # the guard retrains five folds in the background: seconds, on a busy machine more


@pytest.fixture
def log_channel(world: World) -> int:
    return world.fake.add_channel(world.guild_id, "kb-log")


def suggested(running: RunningBot) -> tuple[str, str, str]:
    """A new member question the engine in service suggests for, its right entry first; the first two suggestions."""
    engine = running.services.engine
    known = LabelledTexts.of(engine.kb, load_examples(KNOWLEDGE / "examples"), learned_file="learned.yaml")
    for q in load_questions(DATA / "holdout.yaml"):
        decision = engine.decide(q.text)
        offered = [c.entry_id for c in decision.candidates[:2]]
        if decision.action == "suggest" and offered[0] == q.topic and known.check(q.text, q.topic) is None:
            return q.text, offered[0], offered[1]
    pytest.fail("no held-out question gets a suggestion with its entry first; the e2e test needs one")


async def suggest_and_pick(world: World, running: RunningBot, asker: int, question: str, entry_id: str) -> int:
    """The asker posts question, gets "Did you mean…" and picks entry_id; return the answer message id."""
    msg = await world.fake.post_message(world.support_id, asker, question)
    outcome = await running.outcome(msg["id"])
    assert outcome.action == "suggest"
    (reply,) = [r for r in world.fake.replies_to(int(msg["id"])) if r.response["id"] == str(outcome.reply_id)]
    ids = [b["custom_id"] for b in reply.json["components"][0]["components"]]
    assert f"pick:{asker}:{entry_id}" in ids
    picked = await world.fake.click(outcome.reply_id, f"pick:{asker}:{entry_id}", user_id=asker)
    await world.fake.wait_for_callback(picked)
    assert picked.callback_type == UPDATE_MESSAGE
    return outcome.reply_id


async def open_learned(world: World) -> Any:
    ix = await world.fake.slash("faq learned", user_id=world.moderator, channel_id=world.support_id)
    await world.fake.wait_for_callback(ix)
    assert ix.callback_data["flags"] & EPHEMERAL
    await world.fake.wait_for_request("PATCH", rf"/webhooks/\d+/{ix.token}/messages/@original")
    return ix


async def test_a_pick_becomes_a_candidate_and_accepting_it_makes_the_question_answered(
    world: World, start_bot: StartBot, log_channel: int, tmp_path: Path
) -> None:
    running = await start_bot(log_channel_id=log_channel, entry_cooldown_seconds=0)
    learning = running.services.learning
    assert learning is not None
    question, right, _ = suggested(running)
    await suggest_and_pick(world, running, world.alice, question, right)
    (candidate,) = await learning.submit(learning.to_review)
    assert (candidate.question, candidate.entry_id, candidate.signal, candidate.who) == (
        question,
        right,
        "pick",
        world.alice,
    )

    stranger = await world.fake.slash("faq learned", user_id=world.bob, channel_id=world.support_id)
    await world.fake.wait_for_callback(stranger)
    assert stranger.callback_data["flags"] & EPHEMERAL and "embeds" not in stranger.callback_data

    page = await open_learned(world)
    embed = page.original_message["embeds"][0]
    assert embed["title"] == "Learned from members: 1 to review"
    assert f"> {question}" in embed["description"] and f"Members say: `{right}`" in embed["description"]
    assert f"<@{world.alice}> picked it (asker)" in embed["fields"][0]["value"]
    other = await world.fake.click(
        int(page.original_message["id"]), button(page.original_message, "Reject"), user_id=world.bob
    )
    await world.fake.wait_for_callback(other)
    assert "belong to the moderator" in other.callback_data["content"]

    since = len(world.fake.requests)
    accepted = await press(world, page, button(page.original_message, f"Accept as {right}"))
    assert accepted.callback_type == DEFERRED_UPDATE
    note = await world.fake.wait_for_request("POST", rf"/webhooks/\d+/{accepted.token}$", since=since)
    assert note.json["content"].startswith(f"Accepted #{candidate.id} as `{right}`.")
    logged = await world.fake.wait_for_request(
        "POST", rf"/channels/{log_channel}/messages", lambda r: "now serve" in r.json["content"], timeout=GUARD_SECONDS
    )
    assert logged.json["allowed_mentions"] == {"parse": []}
    learned = read_examples(tmp_path / "knowledge" / "examples" / "learned.yaml")
    assert [(e.text, e.entry_id) for e in learned] == [(question, right)]

    msg = await world.fake.post_message(world.support_id, world.bob, question)
    outcome = await running.outcome(msg["id"])
    assert (outcome.action, outcome.entry_id) == ("answer", right)


async def test_a_moderator_moves_a_not_helpful_candidate_to_another_entry(world: World, start_bot: StartBot) -> None:
    running = await start_bot(entry_cooldown_seconds=0)
    question, right, wrong = suggested(running)
    answer_id = await suggest_and_pick(world, running, world.alice, question, wrong)
    down = await world.fake.click(answer_id, f"fb:unhelpful:{wrong}", user_id=world.alice)
    await world.fake.wait_for_callback(down)
    learning = running.services.learning
    pick, vote = await learning.submit(learning.to_review)
    assert (pick.entry_id, pick.signals[0].by_asker) == (wrong, True)
    assert (vote.entry_id, vote.not_entry, vote.signal) == (None, wrong, "not_helpful")

    page = await open_learned(world)
    turned = await press(world, page, button(page.original_message, "Next ▶"))
    assert turned.callback_type == UPDATE_MESSAGE
    assert f"Members say: not `{wrong}`" in page.original_message["embeds"][0]["description"]
    assert button(page.original_message, "Accept (pick an entry first)")
    moved = await press(world, page, select_of(page.original_message)["custom_id"], values=[right])
    assert moved.callback_type == UPDATE_MESSAGE
    since = len(world.fake.requests)
    await press(world, page, button(page.original_message, f"Accept as {right}"))
    await world.fake.wait_for_request(
        "POST", r"/webhooks/\d+/[^/]+$", lambda r: "Accepted" in r.json["content"], since=since
    )
    await asyncio.to_thread(learning.wait_for_retraining)
    assert (await learning.submit(learning.store.get, vote.id)).result == right


async def test_one_member_picking_the_wrong_suggestion_fifty_times_changes_nothing_others_see(
    world: World, start_bot: StartBot, tmp_path: Path
) -> None:
    running = await start_bot(entry_cooldown_seconds=0, member_rate_limit_count=1000)
    learning = running.services.learning
    learning.settings = dataclasses.replace(learning.settings, auto_accept=True)
    engine = running.services.engine
    question, _, wrong = suggested(running)
    before, ranker = engine.decide(question), engine._ranker
    for _ in range(50):  # and each time votes the wrong answer Helpful: the asker's pick + 👍, on a wrong entry
        answer_id = await suggest_and_pick(world, running, world.carol, question, wrong)
        vote = await world.fake.click(answer_id, f"fb:helpful:{wrong}", user_id=world.carol)
        await world.fake.wait_for_callback(vote)
    await asyncio.to_thread(learning.wait_for_retraining)
    (candidate,) = await learning.submit(learning.to_review)
    assert (candidate.entry_id, len(candidate.signals), candidate.status) == (wrong, 2, cs.PENDING)
    assert await learning.submit(learning.store.with_status, cs.ACCEPTED, cs.SERVED, cs.HELD) == []
    assert not (tmp_path / "knowledge" / "examples" / "learned.yaml").exists()

    msg = await world.fake.post_message(world.support_id, world.alice, question)
    outcome = await running.outcome(msg["id"])
    assert outcome.action == "suggest" and engine._ranker is ranker and engine.decide(question) == before


async def test_the_running_bot_serves_learned_yaml_written_by_another_process(
    world: World, start_bot: StartBot, tmp_path: Path, monkeypatch
) -> None:
    written = conftest.write_config

    def with_watcher(*args: Any, **kwargs: Any) -> Path:  # the watcher on (the e2e config turns it off)
        path = written(*args, **kwargs)
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        raw["knowledge"]["watch_interval_seconds"] = 3600  # the test polls itself: watcher.check()
        path.write_text(yaml.safe_dump(raw), encoding="utf-8")
        return path

    monkeypatch.setattr(conftest, "write_config", with_watcher)
    running = await start_bot(entry_cooldown_seconds=0)
    watcher = running.services.knowledge_watcher
    assert watcher is not None
    question, right, _ = suggested(running)
    learned = tmp_path / "knowledge" / "examples" / "learned.yaml"
    learned.write_text(yaml.safe_dump({"questions": [{"text": question, "topic": right}]}), encoding="utf-8")
    await watcher.check()  # what the poller does every watch_interval_seconds

    msg = await world.fake.post_message(world.support_id, world.bob, question)
    outcome = await running.outcome(msg["id"])
    assert (outcome.action, outcome.entry_id) == ("answer", right)


async def test_accepting_a_pick_that_clashes_with_a_labelled_example_is_held_and_the_log_channel_names_it(
    world: World, start_bot: StartBot, log_channel: int, tmp_path: Path
) -> None:
    running = await start_bot(log_channel_id=log_channel, entry_cooldown_seconds=0)
    learning = running.services.learning
    question = find_text(running.services, "suggest")  # a member question knowledge/examples labels
    (labelled,) = {(e.entry_id, e.origin) for e in load_examples(KNOWLEDGE / "examples") if e.text == question}
    label, origin = labelled
    offered = [c.entry_id for c in running.services.engine.decide(question).candidates[:3]]
    other = next(entry_id for entry_id in offered if entry_id != label)  # the asker picks another suggestion
    await suggest_and_pick(world, running, world.alice, question, other)
    (candidate,) = await learning.submit(learning.to_review)

    page = await open_learned(world)
    since = len(world.fake.requests)
    held = await press(world, page, button(page.original_message, f"Accept as {other}"))
    assert held.callback_type == DEFERRED_UPDATE
    why = await world.fake.wait_for_request("POST", rf"/webhooks/\d+/{held.token}$", since=since)
    assert why.json["content"].startswith(f"candidate #{candidate.id} not accepted as {other}: the same question")
    assert f"labelled {label} in examples/{origin}" in why.json["content"]
    assert why.json["flags"] & EPHEMERAL
    logged = await world.fake.wait_for_request(
        "POST", rf"/channels/{log_channel}/messages", lambda r: "is held" in r.json["content"], since=since
    )
    content = logged.json["content"]
    assert content.startswith(f"Learning: candidate #{candidate.id} “") and f"not accepted as {other}" in content
    assert f"labelled {label} in examples/{origin}" in content and logged.json["allowed_mentions"] == {"parse": []}
    embed = page.original_message["embeds"][0]
    (clash,) = [f for f in embed["fields"] if f["name"] == "Not accepted: it clashes"]
    assert f"Move it to {label} or reject it" in clash["value"]

    stored = await learning.submit(learning.store.get, candidate.id)
    assert stored.status == cs.PENDING and stored.known["label"] == label
    assert learning._trainer is None and not (tmp_path / "knowledge" / "examples" / "learned.yaml").exists()
