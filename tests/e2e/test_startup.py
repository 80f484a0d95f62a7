"""Start-up and shutdown: intents, config checks, close code 4014, and `python -m bot run` as a process."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import signal
import sys
from pathlib import Path

import pytest

from bot.core.channel.feedback import FeedbackStore
from bot.discord_bot import MessageContentIntentDisabled
from tests.e2e.conftest import REPO, RunningBot, StartBot, World, write_config

GUILDS, GUILD_MESSAGES, MEMBERS, MESSAGE_CONTENT = 1 << 0, 1 << 9, 1 << 1, 1 << 15
SECRET = "fake-token.SECRET-VALUE-0123456789"
ISO_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00 ")


async def test_identify_asks_for_exactly_the_intents_needed(world: World, running: RunningBot) -> None:
    assert world.fake.intents == GUILDS | GUILD_MESSAGES | MESSAGE_CONTENT
    assert not world.fake.intents & MEMBERS
    assert world.fake.requests[0].authorization == "Bot fake-token-for-tests"


async def test_heartbeats_are_acknowledged_and_the_bot_keeps_answering(world: World, start_bot: StartBot) -> None:
    world.fake.heartbeat_interval_ms = 20
    running = await start_bot()
    await world.fake.wait_for_heartbeats(5)
    assert not running.bot.is_closed()
    msg = await world.fake.post_message(
        world.support_id, world.alice, running.services.engine.kb.entry("taxes-vat").question
    )
    assert (await running.outcome(msg["id"])).action == "answer"


async def test_unknown_configured_ids_are_warned_about_not_fatal(
    world: World, start_bot: StartBot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="bot.discord_bot")
    running = await start_bot(support_channel_ids=[world.support_id, 424242], manager_role_ids=[535353])
    warnings = [r.getMessage() for r in caplog.records if r.name == "bot.discord_bot"]
    assert warnings == [
        "config check: discord.support_channel_ids: channel 424242 not found in the servers the bot is in",
        "config check: discord.manager_role_ids: role 535353 not found in the servers the bot is in",
    ]
    msg = await world.fake.post_message(world.support_id, world.alice, "How do I buy Connects?")
    assert (await running.outcome(msg["id"])).action != "ignored"  # still serving


async def test_no_support_channel_is_warned_about_at_start(
    world: World, start_bot: StartBot, caplog: pytest.LogCaptureFixture
) -> None:
    # config.yaml as shipped names no support channel: the bot would never answer unprompted, so say so.
    caplog.set_level(logging.WARNING, logger="bot.discord_bot")
    running = await start_bot(support_channel_ids=[])
    warnings = [r.getMessage() for r in caplog.records if r.name == "bot.discord_bot"]
    assert warnings == [
        "discord.support_channel_ids is empty: the bot answers in no channel, only /ask "
        "(add your support channels' ids to config.yaml)"
    ]
    msg = await world.fake.post_message(world.support_id, world.alice, "How do I buy Connects?")
    assert (await running.outcome(msg["id"])).action == "ignored"


async def test_refused_message_content_intent_is_a_clear_error(world: World, start_bot: StartBot) -> None:
    world.fake.refuse_privileged_intents = True
    handle = await start_bot(wait_ready=False)
    with pytest.raises(MessageContentIntentDisabled) as caught:
        await asyncio.wait_for(handle.task, 10)
    assert "4014" in str(caught.value)
    assert "Privileged Gateway Intents > MESSAGE CONTENT INTENT" in str(caught.value)


async def run_cli(config: Path, token: str | None) -> asyncio.subprocess.Process:
    env = {k: v for k, v in os.environ.items() if k != "DISCORD_TOKEN"}
    if token is not None:
        env["DISCORD_TOKEN"] = token
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        "--config",
        str(config),
        cwd=REPO,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def test_cli_run_answers_then_stops_cleanly_on_sigterm(world: World, tmp_path: Path) -> None:
    config = write_config(world, tmp_path)
    proc = await run_cli(config, SECRET)
    try:
        await asyncio.wait_for(world.fake.connected.wait(), 30)
        await world.fake.wait_for_request("PUT", r"/applications/\d+/guilds/\d+/commands", timeout=30)
        question = "How many Connects does a proposal cost, and why is it different between jobs?"
        msg = await world.fake.post_message(world.support_id, world.alice, question)
        reply = await world.fake.wait_for_reply_to(int(msg["id"]), timeout=30)
        assert reply.json["embeds"][0]["footer"]["text"].startswith("proposal-cost · ")
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 0, err.decode()
    assert SECRET not in (out + err).decode()
    # The post record was written in the background; shutdown waited for it.
    store = FeedbackStore(tmp_path / "data" / "feedback.sqlite3")
    try:
        post = store.post_for_message(int(reply.response["id"]))
    finally:
        store.close()
    assert post is not None and post.entry_id == "proposal-cost" and post.question == question


async def read_until(stream: asyncio.StreamReader | None, text: str) -> list[str]:
    """Read lines until one contains text (or the stream ends); return the lines read."""
    assert stream is not None
    lines: list[str] = []
    while line := (await stream.readline()).decode():
        lines.append(line)
        if text in line:
            break
    return lines


async def test_cli_run_with_discord_unreachable_says_so_in_one_line_and_stops_on_sigterm(
    world: World, tmp_path: Path
) -> None:
    config = write_config(world, tmp_path)
    await world.fake.stop()  # nothing listens at the configured address
    text = await run_until_retry_then_stop(config, "reach Discord")
    assert text.count("reach Discord") == 1 and "retrying in 1 s" in text


async def run_until_retry_then_stop(config: Path, line: str, *, timeout: float = 30) -> str:
    """Run `python -m bot run` until stderr shows `line`, stop it with SIGTERM while it waits to try again,
    check it stopped cleanly with no traceback or token, and return what it wrote to stderr."""
    proc = await run_cli(config, SECRET)
    try:
        first = await asyncio.wait_for(read_until(proc.stderr, line), timeout)
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = await asyncio.wait_for(proc.communicate(), 30)
    text = "".join(first) + err.decode()
    assert proc.returncode == 0, text
    assert "Traceback" not in text and SECRET not in text + out.decode()
    assert all(ISO_TIME.match(line) for line in text.splitlines()), text  # the time on every line of the log
    return text


async def test_cli_run_reports_the_intent_switch_in_one_line(world: World, tmp_path: Path) -> None:
    world.fake.refuse_privileged_intents = True
    proc = await run_cli(write_config(world, tmp_path), SECRET)
    out, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 1
    lines = [line for line in err.decode().splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and "MESSAGE CONTENT INTENT" in lines[0]
    assert SECRET not in (out + err).decode()


async def test_cli_run_without_token_prints_one_line_and_exits_2(tmp_path: Path) -> None:
    proc = await run_cli(tmp_path / "absent.yaml", None)
    out, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 2
    assert out == b""
    lines = err.decode().splitlines()
    assert len(lines) == 1 and "DISCORD_TOKEN" in lines[0] and lines[0].startswith("error:")


async def test_cli_run_bad_config_names_the_key(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("discord:\n  support_channel_ids: [general]\n", encoding="utf-8")
    proc = await run_cli(config, SECRET)
    out, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 2 and out == b""
    (line,) = err.decode().splitlines()
    assert "discord.support_channel_ids[0]" in line and SECRET not in line
