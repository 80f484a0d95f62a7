"""Insights end to end: a scripted session, then /faq insights, the non-moderator refusal, the weekly digest."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import struct
import time

from bot.core.insights.digest import next_slot
from tests.cli.test_kb_forget import stored_bytes
from tests.cli.test_kb_versions import bot
from tests.e2e.conftest import RunningBot, StartBot, World, find_text
from tests.e2e.payloads import CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE, EPHEMERAL

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
POST_MESSAGE = r"/channels/\d+/messages$"


class ManualClock:
    """A wall clock that moves only when the test moves it."""

    def __init__(self, at: float) -> None:
        self.at = at
        self._moved = asyncio.Event()

    def now(self) -> float:
        return self.at

    async def sleep_until(self, when: float) -> None:
        while self.at < when:
            self._moved.clear()
            await self._moved.wait()

    def move_to(self, at: float) -> None:
        self.at = at
        self._moved.set()


async def ask(world: World, running: RunningBot, author: int, text: str) -> object:
    msg = await world.fake.post_message(world.support_id, author, text)
    return await running.outcome(msg["id"])


async def click(world: World, message_id: int, custom_id: str, user: int) -> dict:
    ix = await world.fake.click(message_id, custom_id, user_id=user)
    await world.fake.wait_for_callback(ix)
    return ix.callback_data


async def scripted_session(world: World, running: RunningBot) -> dict[str, int]:
    """Answers, a suggestion picked, a silence, chatter, votes both ways and one refused reply; what happened."""
    kb = running.services.engine.kb
    first, second, third = (kb.entry(i) for i in ("expiry-rollover", "taxes-vat", "refunds-returned-connects"))
    a = await ask(world, running, world.alice, first.question)
    b = await ask(world, running, world.bob, second.question)
    assert (a.action, b.action) == ("answer", "answer")
    suggested = await ask(world, running, world.carol, find_text(running.services, "suggest"))
    assert suggested.action == "suggest"
    picked = world.fake.messages[suggested.reply_id]["components"][0]["components"][0]["custom_id"]
    await click(world, suggested.reply_id, picked, world.carol)
    silent = await ask(world, running, world.bob, find_text(running.services, "silent", question_shaped=True))
    chatter = await ask(world, running, world.carol, "hello everyone")
    assert silent.action == chatter.action == "silent"
    fault = world.fake.refuse("POST", POST_MESSAGE, 503, times=1)
    refused = await ask(world, running, world.alice, third.question)
    assert refused.action == "reply refused" and len(fault.hits) == 1
    await click(world, a.reply_id, "fb:helpful:expiry-rollover", world.alice)
    await click(world, a.reply_id, "fb:unhelpful:expiry-rollover", world.bob)
    await click(world, b.reply_id, "fb:helpful:taxes-vat", world.carol)
    # 5 decisions: 2 answers posted, 1 suggestion picked, 1 silence, 1 answer refused; chatter apart.
    return {"questions": 5, "answered": 3, "helpful": 2, "not_helpful": 1, "chatter": 1, "refused": 1, "silent": 1}


def figures_in(description: str) -> dict[str, int]:
    numbers = re.search(r"\*\*(\d+)\*\* questions .*👍 (\d+) 👎 (\d+)\)", description)
    assert numbers is not None, description
    return {
        "questions": int(numbers[1]),
        "helpful": int(numbers[2]),
        "not_helpful": int(numbers[3]),
        "chatter": int(re.search(r"chatter \(not counted\) (\d+)", description)[1]),
        "refused": int(re.search(r"replies Discord refused: (\d+)", description)[1]),
        "silent": int(re.search(r"silent (\d+)", description)[1]),
    }


async def test_insights_show_what_happened_and_only_to_moderators(world: World, running: RunningBot) -> None:
    happened = await scripted_session(world, running)
    ix = await world.fake.slash("faq insights", {}, user_id=world.moderator, channel_id=world.support_id)
    assert (await world.fake.wait_for_callback(ix)).json["type"] == DEFERRED_CHANNEL_MESSAGE
    followup = await world.fake.wait_for_request("POST", rf"/webhooks/\d+/{ix.token}")
    (png,) = followup.files
    assert png.filename == "faq-insights.png" and png.data.startswith(PNG_SIGNATURE)
    (embed,) = followup.json["embeds"]
    assert embed["image"]["url"] == "attachment://faq-insights.png"
    shown = figures_in(embed["description"])
    assert shown == {k: happened[k] for k in shown}
    rate = round(100 * happened["answered"] / happened["questions"])
    assert f"answered **{rate}%**" in embed["description"]
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert "`expiry-rollover` · 1 use(s) · 👍 1 👎 1" in fields["Busiest entries"]
    assert fields["Most voted down"].startswith("`expiry-rollover`")
    assert "1×" in fields["Largest unanswered groups (/faq unanswered)"]

    refused = await world.fake.slash("faq insights", {"days": 7}, user_id=world.alice, channel_id=world.support_id)
    await world.fake.wait_for_callback(refused)
    assert refused.callback_type == CHANNEL_MESSAGE and refused.callback_data["flags"] & EPHEMERAL
    assert not refused.callback.files and not refused.callback_data.get("embeds")


async def test_the_weekly_digest_posts_to_the_log_channel_when_its_time_comes(
    world: World, start_bot: StartBot
) -> None:
    fake = world.fake
    log_channel = fake.add_channel(world.guild_id, "mod-log")
    monday_nine = next_slot(time.time(), "monday", 9)
    clock = ManualClock(monday_nine - 21 * 3600)  # Sunday noon
    running = await start_bot(log_channel_id=log_channel, wall_clock=clock)
    entry = running.services.engine.kb.entry("expiry-rollover")
    assert (await ask(world, running, world.alice, entry.question)).action == "answer"
    await asyncio.sleep(0)
    assert fake.find_requests("POST", rf"/channels/{log_channel}/messages") == []  # not before its time
    clock.move_to(monday_nine + 30)
    digest = await fake.wait_for_request("POST", rf"/channels/{log_channel}/messages")
    (embed,) = digest.json["embeds"]
    assert embed["title"] == "Weekly FAQ digest"
    assert embed["description"].startswith("answered 100% · helpful – · questions 1 (+1)")
    (png,) = digest.files
    assert png.data.startswith(PNG_SIGNATURE)
    assert digest.json["allowed_mentions"] == {"parse": []}
    sunday = dt.datetime.fromtimestamp(monday_nine, dt.UTC).date() - dt.timedelta(days=1)
    assert embed["footer"]["text"] == f"{sunday - dt.timedelta(days=6)} – {sunday} (UTC)"
    clock.move_to(monday_nine + 3600)  # an hour later: no second digest for the same week
    await running.services.decisions.submit(lambda: None)
    assert len(fake.find_requests("POST", rf"/channels/{log_channel}/messages")) == 1


async def test_forget_member_removes_a_members_words_from_the_running_bots_files(
    world: World, running: RunningBot, tmp_path
) -> None:
    await scripted_session(world, running)
    secret = "is there a connects quokka-lottery for zanzibar members?"
    assert (await ask(world, running, world.alice, secret)).action == "silent"  # queued for the moderators
    await running.services.feedback.submit(lambda: None)
    await running.services.decisions.submit(lambda: None)
    data = tmp_path / "data"
    needles = (secret.encode(), struct.pack(">q", world.alice), f"discord:{world.alice}".encode())
    assert all(n in stored_bytes(data) for n in needles[:2])
    forgotten = await asyncio.to_thread(
        bot, "kb", "forget-member", str(world.alice), "--config", str(tmp_path / "config.yaml")
    )
    assert forgotten.returncode == 0, forgotten.stderr
    after = stored_bytes(data)
    assert [n for n in needles if n in after] == []
    assert struct.pack(">q", world.bob) in after  # the others are still there
    # The bot keeps running on the same files: the next question is answered and recorded.
    entry = running.services.engine.kb.entry("boosted-proposals")
    assert (await ask(world, running, world.carol, entry.question)).action == "answer"


async def test_a_digest_discord_refuses_is_posted_an_hour_later(world: World, start_bot: StartBot) -> None:
    fake = world.fake
    log_channel = fake.add_channel(world.guild_id, "mod-log")
    monday_nine = next_slot(time.time(), "monday", 9)
    clock = ManualClock(monday_nine - 60)
    await start_bot(log_channel_id=log_channel, wall_clock=clock)
    fault = fake.refuse("POST", rf"/channels/{log_channel}/messages", 503, times=1)
    clock.move_to(monday_nine + 5)
    await fake.wait_for_request("POST", rf"/channels/{log_channel}/messages")
    assert len(fault.hits) == 1
    clock.move_to(monday_nine + 3600 + 5)  # the retry, still within the day
    posted = await fake.wait_for_request(
        "POST", rf"/channels/{log_channel}/messages", lambda r: r.response is not None and "id" in r.response
    )
    assert posted.json["embeds"][0]["title"] == "Weekly FAQ digest"
