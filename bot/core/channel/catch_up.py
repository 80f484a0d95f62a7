"""Catching up after a session Discord could not resume, without answering anything twice.

After a short drop Discord resumes the session and replays what was missed. After a longer outage or a
gateway restart it invalidates the session (op 9, d=false): the bot identifies afresh (READY, not
RESUMED) and nothing posted meanwhile is ever delivered. A restarted process is in the same place.
So on every READY the Discord side reads each support channel and active thread after the newest
message handled there, within `catch_up.max_age_minutes` and `max_messages`, and hands each message
to the support desk as if it had just arrived.

`HandledMessages` is what keeps that from answering twice: every message the listener or a catch-up
takes on is claimed first (a second claim of the same id is refused, so a message that arrives live
while a catch-up reads the same channel is handled once), and the newest handled id per channel is
kept on disk (handled_store.py, saved at most every second), so a restart starts from there. A message
the bot already replied to is skipped as well (its reply is in the history read back), which covers a
crash before the last save.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from bot.core.channel.handled_store import ANYWHERE, HandledStore

log = logging.getLogger(__name__)

# Message ids claimed in this process, newest kept: far more than one catch-up and its live overlap.
REMEMBERED_CLAIMS = 20_000
# The newest handled message per channel is written at most this often (and at every catch-up and at
# shutdown): a write per message cost 30-100 us on the event loop; a crash loses at most this much, and
# what the bot replied to in it is still skipped (its reply is in the history read back).
SAVE_EVERY_SECONDS = 1.0


@dataclass(frozen=True)
class CandidateMessage:
    """One message read back from a channel's history: what deciding to hand it on needs."""

    message_id: int
    author_id: int
    author_is_bot: bool
    replied_to_message_id: int | None = None  # the message this one replies to, if any


class HandledMessages:
    """Claims (this process) and the newest handled message per channel (on disk, if a store is given)."""

    def __init__(self, store: HandledStore | None = None, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.store = store
        self._clock = clock
        self._claimed: OrderedDict[int, None] = OrderedDict()
        self._newest: dict[int, int] = store.load() if store is not None else {}
        self._unsaved: set[int] = set()  # channels whose newest handled message is not on disk yet
        self._saved_at = clock()

    @classmethod
    def open(cls, path: Path) -> HandledMessages:
        """Open the store at path; a file that cannot be used costs one warning and persistence, not the bot."""
        try:
            return cls(HandledStore(path))
        except (sqlite3.Error, OSError) as exc:
            log.warning(
                "cannot use %s (%s): catching up after an outage works, after a restart it starts from now",
                path,
                " ".join(str(exc).split()),
            )
            return cls(None)

    def claim(self, message_id: int) -> bool:
        """Take a message on; False if it was already taken (by the listener or a catch-up)."""
        if message_id in self._claimed:
            return False
        self._claimed[message_id] = None
        if len(self._claimed) > REMEMBERED_CLAIMS:
            self._claimed.popitem(last=False)
        return True

    def handled(self, channel_id: int, message_id: int) -> None:
        """Record that a message was decided (answered or not): a catch-up starts after it."""
        if message_id <= self._newest.get(channel_id, 0) and message_id <= self._newest.get(ANYWHERE, 0):
            return
        self._newest[channel_id] = max(message_id, self._newest.get(channel_id, 0))
        self._newest[ANYWHERE] = max(message_id, self._newest.get(ANYWHERE, 0))
        self._unsaved.update((channel_id, ANYWHERE))
        if self._clock() - self._saved_at >= SAVE_EVERY_SECONDS:
            self.save()

    def caught_up(self, upto: int) -> None:
        """Everything before message id `upto` (a time) was read: channels with no message of their own start there."""
        if upto > self._newest.get(ANYWHERE, 0):
            self._newest[ANYWHERE] = upto
            self._unsaved.add(ANYWHERE)
        self.save()

    @property
    def anything_handled(self) -> bool:
        """Whether this bot has handled a message before (or caught up): a new install has nothing to catch up."""
        return bool(self._newest)

    def start_after(self, channel_id: int, oldest: int) -> int | None:
        """The message id to read a channel after, never older than `oldest`; None: nothing to catch up.

        A channel with a handled message starts after it; one without (a thread opened while the bot was
        away) after the newest message handled anywhere, or the last catch-up. A bot that has never
        handled anything has nothing to catch up: a new install does not answer the past.
        """
        start = self._newest.get(channel_id, self._newest.get(ANYWHERE))
        return None if start is None else max(start, oldest)

    def save(self) -> None:
        """Write what changed since the last save (one transaction); a failure is one warning, kept for later."""
        self._saved_at = self._clock()
        if self.store is None or not self._unsaved:
            return
        try:
            self.store.advance({channel: self._newest[channel] for channel in self._unsaved})
        except sqlite3.Error as exc:
            log.warning("cannot record the last handled messages in %s (%s)", self.store.path, exc)
            return
        self._unsaved.clear()

    def close(self) -> None:
        """Save what is unsaved and close the file."""
        self.save()
        if self.store is not None:
            self.store.close()


def to_hand_on(messages: Iterable[CandidateMessage], *, bot_user_id: int) -> list[CandidateMessage]:
    """The messages read back that the desk should see, oldest first: not the bot's, not ones it replied to.

    Everything else (other bots, chatter, replies to other members) still goes to the desk, whose
    policy decides as it does for a live message.
    """
    ordered = sorted(messages, key=lambda m: m.message_id)
    replied = {m.replied_to_message_id for m in ordered if m.author_id == bot_user_id}
    return [m for m in ordered if m.author_id != bot_user_id and m.message_id not in replied]


def late_note(waited_seconds: float, *, threshold_seconds: float) -> str | None:
    """What to say above a reply that comes late, when that helps the member: only past the threshold.

    A reply a minute late reads like any other; one a quarter of an hour late, under a question the
    member may think was ignored, says why.
    """
    if waited_seconds < threshold_seconds:
        return None
    minutes = round(waited_seconds / 60)
    ago = f" ({minutes} minutes ago)" if minutes >= 2 else ""
    return f"Sorry for the wait: I was offline when you asked{ago}."
