"""A damaged history or feedback database switches that part off; the bot keeps answering and says so once.

Before, `python -m bot run` refused to start with a 33-39 line traceback when either file was damaged.
"""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

from discord.utils import escape_markdown

from bot.ui.escape import md_text
from tests.e2e.conftest import RunningBot, StartBot, World, write_config
from tests.e2e.test_startup import SECRET, read_until, run_cli

EPHEMERAL = 1 << 6
QUESTION = "How many Connects does a proposal cost, and why is it different between jobs?"


def damage(tmp_path: Path) -> tuple[Path, Path]:
    """Garbage where the feedback database is, and the first 1 KB of a real history (a truncated copy)."""
    data = tmp_path / "data"
    data.mkdir(parents=True, exist_ok=True)
    feedback, history = data / "feedback.sqlite3", data / "knowledge-history.sqlite3"
    feedback.write_bytes(b"not a database at all\n" * 300)
    history.write_bytes(b"SQLite format 3\x00" + bytes(range(256)) * 4)
    return feedback, history


async def ask(world: World, running: RunningBot) -> dict:
    msg = await world.fake.post_message(world.support_id, world.alice, QUESTION)
    assert (await running.outcome(msg["id"])).entry_id == "proposal-cost"
    (reply,) = world.fake.replies_to(int(msg["id"]))
    return reply.response


async def test_the_bot_answers_with_votes_and_history_off_and_tells_the_log_channel_once(
    world: World, start_bot: StartBot, tmp_path: Path
) -> None:
    feedback, history = damage(tmp_path)
    log_channel = world.fake.add_channel(world.guild_id, "kb-log")
    running = await start_bot(log_channel_id=log_channel)

    answer = await ask(world, running)
    notices = await asyncio.wait_for(_two_posts(world, log_channel), 5)
    # The paths are escaped: an underscore in a folder name must not turn into italics.
    assert notices == [
        "⚠️ "
        + escape_markdown(
            f"Votes and the unanswered queue are off: the feedback database {feedback} is not a SQLite "
            "database (damaged, or another kind of file). The bot keeps answering."
        ),
        "⚠️ "
        + escape_markdown(
            f"Changes to the FAQ (from Discord or on disk) are off: the knowledge history {history} is not a "
            "SQLite database (damaged, or another kind of file). The bot keeps answering."
        ),
    ]

    # A moderator's command and a member's vote each get the reason as one ephemeral message.
    ix = await world.fake.slash(
        "faq history", {"id": "taxes-vat"}, user_id=world.moderator, channel_id=world.support_id
    )
    await world.fake.wait_for_callback(ix)
    assert ix.callback_data["flags"] & EPHEMERAL
    assert ix.callback_data["content"] == md_text(
        f"the knowledge history {history} is not a SQLite database (damaged, or another kind of file)"
    )
    vote = await world.fake.click(int(answer["id"]), "fb:helpful:proposal-cost", user_id=world.bob)
    await world.fake.wait_for_callback(vote)
    assert vote.callback_data["content"].startswith(md_text(f"the feedback database {feedback} is not a SQLite"))

    await ask(world, running)  # still answering; nothing more was posted to the log channel
    assert len(world.fake.find_requests("POST", rf"/channels/{log_channel}/messages")) == 2


async def _two_posts(world: World, channel: int) -> list[str]:
    while len(posts := world.fake.find_requests("POST", rf"/channels/{channel}/messages")) < 2:
        await world.fake.wait_for_request("POST", rf"/channels/{channel}/messages", since=len(world.fake.requests))
    return [p.json["content"] for p in posts]


async def test_cli_run_starts_on_damaged_databases_with_one_line_each(world: World, tmp_path: Path) -> None:
    feedback, history = damage(tmp_path)
    proc = await run_cli(write_config(world, tmp_path), SECRET)
    try:
        lines = await asyncio.wait_for(read_until(proc.stderr, "Changes to the FAQ"), 60)
        await asyncio.wait_for(world.fake.connected.wait(), 30)
        msg = await world.fake.post_message(world.support_id, world.alice, QUESTION)
        reply = await world.fake.wait_for_reply_to(int(msg["id"]), timeout=30)
        assert reply.json["embeds"][0]["footer"]["text"].startswith("proposal-cost · ")
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(proc.communicate(), 30)
    text = "".join(lines) + err.decode()
    assert proc.returncode == 0, text
    assert "Traceback" not in text
    assert text.count(f"the feedback database {feedback} is not a SQLite database") == 1
    assert text.count(f"the knowledge history {history} is not a SQLite database") == 1
