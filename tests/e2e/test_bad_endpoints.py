"""`run` against an endpoint that is not Discord: a captive portal's HTML, JSON of another shape, a 404 page,
or a server that accepts the connection and never answers. Each is one log line, then the normal retry
(1, 2, 4 ... s). The endpoints are tiny HTTP servers on 127.0.0.1; the retry waits are injected."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web

from tests.e2e.conftest import ErrorLog, Pauses, StartBot, World, write_config
from tests.e2e.test_startup import run_until_retry_then_stop

PORTAL = "<html><head><title>Sign in to the hotel Wi-Fi</title></head><body>Accept the terms</body></html>"
ANSWERS = {
    "captive-portal": (200, "text/html", PORTAL),
    "wrong-json": (200, "application/json", '{"status": "ok", "items": []}'),
    "json-list": (200, "application/json", "[]"),
    "not-found-page": (404, "text/html", "<html><body>Not Found</body></html>"),
}


class TinyServer:
    """An HTTP server on 127.0.0.1 that answers every request the same way, or never."""

    def __init__(self, answer: tuple[int, str, str] | None) -> None:
        self.answer = answer
        self.hits = 0
        self.release = asyncio.Event()  # a server that never answers lets go at the end of the test
        self.runner: web.AppRunner | None = None
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        self.hits += 1
        if self.answer is None:
            await self.release.wait()
            return web.Response(status=503)
        status, content_type, body = self.answer
        return web.Response(status=status, body=body.encode(), headers={"Content-Type": content_type})

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self.handle)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}/api/v10"

    async def stop(self) -> None:
        self.release.set()
        if self.runner is not None:
            await self.runner.cleanup()


@pytest.fixture
async def serve() -> AsyncIterator:
    servers: list[TinyServer] = []

    async def start(answer: tuple[int, str, str] | None) -> TinyServer:
        server = TinyServer(answer)
        await server.start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        await server.stop()


def login_lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "bot.discord_bot" and "retrying in" in r.getMessage()]


@pytest.mark.parametrize("kind", list(ANSWERS))
async def test_an_endpoint_that_is_not_discord_is_one_line_then_the_normal_retry(
    start_bot: StartBot, serve, bot_errors: ErrorLog, caplog: pytest.LogCaptureFixture, kind: str
) -> None:
    server = await serve(ANSWERS[kind])
    pauses = Pauses(hold=True)
    handle = await start_bot(wait_ready=False, pause=pauses, api_base=server.url)
    await pauses.wait_for(1)
    pauses.release()
    await pauses.wait_for(2)
    assert pauses.delays == [1, 2] and not handle.task.done()
    lines = login_lines(caplog)
    assert len(lines) == 2 and all(r.exc_info is None and "\n" not in r.getMessage() for r in lines)
    first = lines[0].getMessage()
    assert server.url in first and "did not answer like Discord's API" in first and "discord.api_base" in first
    assert "retrying in 1 s (attempt 1)" in first
    await handle.bot.close()
    pauses.release()
    await asyncio.wait_for(handle.task, 10)


async def test_an_endpoint_that_never_answers_is_one_line_then_the_normal_retry(
    start_bot: StartBot, serve, caplog: pytest.LogCaptureFixture
) -> None:
    server = await serve(None)
    pauses = Pauses(hold=True)
    handle = await start_bot(wait_ready=False, pause=pauses, api_base=server.url, login_answer_seconds=0.2)
    await pauses.wait_for(1)
    (line,) = login_lines(caplog)
    assert "no answer within 0.2 s" in line.getMessage() and server.url in line.getMessage()
    assert "retrying in 1 s (attempt 1)" in line.getMessage() and server.hits == 1
    pauses.release()
    await pauses.wait_for(2)
    assert pauses.delays == [1, 2] and server.hits == 2
    await handle.bot.close()
    pauses.release()
    await asyncio.wait_for(handle.task, 10)


async def test_cli_run_against_a_captive_portal_logs_one_line_not_a_traceback(
    world: World, tmp_path: Path, serve
) -> None:
    server = await serve(ANSWERS["captive-portal"])
    config = write_config(world, tmp_path, api_base=server.url)
    text = await run_until_retry_then_stop(config, "did not answer like Discord", timeout=60)
    assert text.count("did not answer like Discord") == 1 and "retrying in 1 s" in text
