"""Logging in to an endpoint that may not be Discord: a captive portal, a wrong `discord.api_base`, a server
that never answers.

discord.py's login trusts what `GET /users/@me` returns: a 200 page of HTML becomes `TypeError: string
indices must be integers` inside `ClientUser`, JSON of another shape a `KeyError`, a 404 page an
`HTTPException`, and each ended `run` with a 43-line traceback. An endpoint that accepts the connection
and never answers held the bot for aiohttp's default 300 s with nothing logged. Here each becomes one
line and the bot's normal retry (see `SupportBot.login`).

Only the calls login makes before `setup_hook` (the user, the application) are bounded and judged this
way: once setup has started, the endpoint has answered like Discord, and an error there is the bot's own.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import discord

# What discord.py raises when a 200 answer is not the JSON it expects (HTML text, another shape).
NOT_DISCORD_SHAPE = (TypeError, KeyError, ValueError, AttributeError, IndexError)
# Discord answers the login calls in well under a second; past this the endpoint is not answering.
LOGIN_ANSWER_SECONDS = 30.0


class NoAnswer(TimeoutError):
    """The endpoint accepted the connection but did not answer the login within the time allowed."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"no answer within {seconds:g} s")


class NotDiscord(Exception):
    """The endpoint answered the login, but not as Discord's API does."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)


@contextlib.asynccontextmanager
async def answered_like_discord(seconds: float) -> AsyncIterator[asyncio.Timeout]:
    """Bound discord.py's login until setup starts (the caller then calls `reschedule(None)` on what this
    yields), and turn what an endpoint that is not Discord makes it raise into NoAnswer or NotDiscord.

    The login stays in the caller's task: discord.py's login sets up the client for that loop, and
    `wait_until_ready` callers expect that done when login starts."""
    deadline = asyncio.timeout(seconds)
    try:
        async with deadline:
            yield deadline
    except TimeoutError:
        if deadline.expired():
            raise NoAnswer(seconds) from None
        raise
    except discord.LoginFailure:
        raise
    except discord.HTTPException as exc:
        if deadline.when() is None or exc.status >= 500:  # after setup started, or a server error
            raise
        raise NotDiscord(f"HTTP {exc.status} {' '.join(str(exc.text or exc).split())[:120]}") from None
    except NOT_DISCORD_SHAPE as exc:
        if deadline.when() is None:
            raise
        detail = " ".join(str(exc).split())[:120]
        raise NotDiscord(f"an answer that is not the JSON Discord sends, {type(exc).__name__}: {detail}") from None
