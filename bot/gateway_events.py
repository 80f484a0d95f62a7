"""Gateway events discord.py cannot parse: skip the event, log one line per event type, keep serving.

discord.py reads gateway payloads unguarded (`data['position']` in `TextChannel._update`), and a parser's
exception propagates out of `DiscordWebSocket.received_message` and `poll_event` and ends
`Client.connect`: one malformed event (an unannounced API change, a Discord-compatible server that
leaves a field out) used to end the bot. The maintainers fix such parsers release by release (e.g.
Rapptz/discord.py#2422, KeyError 'animated'); disnake chose to hand these exceptions to the loop's
exception handler instead of letting them end the shard (DisnakeDev/disnake#401). This does the same
for the bot: each parser in `ConnectionState.parsers` (the dict the websocket dispatches through) is
wrapped so that an exception skips that one event.

What is lost is that event's effect on discord.py's cache (a channel's new name, say) until the next
update of the same object or the next fresh session. READY is not guarded: a session whose READY cannot be
read is no session, and ending the process lets the supervisor start a fresh one (deploy/).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

# Without READY there is no session to keep: let it end the connection (the supervisor restarts the bot).
UNGUARDED = frozenset({"READY"})

Parser = Callable[[Any], None]


class UnreadableEvents:
    """Count gateway events skipped because discord.py could not parse them, by event type."""

    def __init__(self) -> None:
        self.skipped: Counter[str] = Counter()

    def guard(self, event: str, parse: Parser) -> Parser:
        """Wrap one of discord.py's parsers: an exception skips the event instead of ending the connection."""

        def guarded(data: Any) -> None:
            try:
                parse(data)
            except Exception as exc:  # any parser bug: the event is lost, not the bot
                self._skipped(event, exc)

        guarded.__wrapped__ = parse  # type: ignore[attr-defined]
        return guarded

    def install(self, parsers: dict[str, Parser]) -> None:
        """Guard every parser in discord.py's `ConnectionState.parsers`, in place (once)."""
        for event, parse in list(parsers.items()):
            if event not in UNGUARDED and not hasattr(parse, "__wrapped__"):
                parsers[event] = self.guard(event, parse)

    def _skipped(self, event: str, error: Exception) -> None:
        self.skipped[event] += 1
        what = " ".join(f"{type(error).__name__}: {error}".split())
        if self.skipped[event] == 1:
            log.warning(
                "skipped a %s event discord.py could not read (%s); the bot carries on "
                "(later unreadable %s events are logged at debug level only)",
                event,
                what,
                event,
            )
        else:
            log.debug("skipped unreadable %s event #%d (%s)", event, self.skipped[event], what)
        log.debug("the %s event discord.py could not read", event, exc_info=error)
