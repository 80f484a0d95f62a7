"""Which forum thread a labelled post came from, and which threads are kept aside from all tuning.

Real posts from one thread share their wording and their topic, so a post's thread-mates must never
train the head or the confidence model that decides it: cross-validation folds real posts by thread
(`thread_of`), not by post. A quarter of the threads (`is_kept_aside`, fixed before any tuning: the
first bits of sha256("kept-aside-v1" + thread)) are kept aside altogether: nothing is trained, no
threshold chosen and no feature designed on them, and `kb eval` reports them separately, decided by a
ranker that never saw them. They estimate how the bot does on real threads nobody here has read.
"""

from __future__ import annotations

import hashlib
import re

KEPT_ASIDE_SALT = "kept-aside-v1"
KEPT_ASIDE_ONE_IN = 4

_COMMUNITY = re.compile(r"community\.upwork\.com/t5/[^/]+/([^/]+)")
_HELP_ARTICLE = re.compile(r"/articles/(\d+)")


def thread_of(source: str | None) -> str | None:
    """A stable key for the thread (or help article) a post's source URL points into; None without one.

    Forum URLs of one thread differ in the message id, page, port and letter case; help-centre
    articles in their title slug.
    """
    if not source or not source.strip():
        return None
    url = re.sub(r"^https?://", "", source.strip().lower()).replace(":443", "").split("?")[0].split("#")[0]
    community = _COMMUNITY.search(url)
    if community:
        return f"community/{community.group(1)}"
    article = _HELP_ARTICLE.search(url)
    if article:
        return f"help/{article.group(1)}"
    return url.rstrip("/")


def is_kept_aside(thread: str | None) -> bool:
    """Whether a thread belongs to the part kept aside from every training and tuning step."""
    if thread is None:
        return False
    digest = hashlib.sha256(f"{KEPT_ASIDE_SALT}{thread}".encode()).hexdigest()
    return int(digest, 16) % KEPT_ASIDE_ONE_IN == 0
