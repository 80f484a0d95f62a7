"""Discord's one escaping helper: text a member or an import controls, made inert in Discord markdown.

Everything shown in Discord that did not come from the knowledge base goes through here: ledger names,
ids, jobs, notes and billing methods, references members type, members' questions in the unanswered
queue, actors in the edit history, the log channel's lines, the audit view. `md_text` is for running
text, `md_code` for an identifier shown as code, `md_block` for several lines shown back as a code block
(what a moderator typed in a form), `md_marked` for the core's Marked words (bot.core.untrusted: the core
marks, each front end escapes).

Why not `discord.utils.escape_markdown` alone: it escapes a masked link with one backslash before a
greedy match, so the second of two links in one string stays live ("\\[a](x) and [b](y)"). Here every
markdown character is escaped on its own, control characters are shown (a newline could otherwise
start a line that looks like the bot's own), and mentions are broken by discord.py's `escape_mentions`
as well (the messages never ping anyway: allowed_mentions is none). A URL keeps working as a plain,
visible link; only its markdown characters get a backslash.
"""

from __future__ import annotations

import re

from discord.utils import escape_mentions

from bot.core.untrusted import Marked, visible

# Every character Discord's markdown gives a meaning to anywhere in a line: emphasis, code, spoilers,
# masked links, mentions and custom emoji (<...>), and the backslash itself.
_MARKDOWN = re.compile(r"([\\*_~|`\[\]()<])")
# ...and what means something only at the start of a line (headings, quotes, lists, subtext): a value
# may be placed there, and it holds no newline of its own once control characters are made visible.
_LINE_START = re.compile(r"^(\s*(?:\d+(?=\.))?)([#>+.-])")
# A code span cannot hold its own delimiter and has no escapes: a backtick becomes a look-alike.
_BACKTICK_LOOKALIKE = "\u02cb"


def md_text(value: object) -> str:
    """Untrusted text for Discord markdown: shown exactly as written, never as formatting or a link."""
    escaped = _MARKDOWN.sub(r"\\\1", visible(str(value)))
    return escape_mentions(_LINE_START.sub(r"\1\\\2", escaped))


def md_code(value: object) -> str:
    """An untrusted identifier as an inline code span that nothing in it can close."""
    inner = visible(str(value)).replace("`", _BACKTICK_LOOKALIKE)
    return f"`{inner or ' '}`"


def md_block(value: object) -> str:
    """Untrusted lines as a code block that nothing in them can close: lines kept, other controls shown."""
    lines = (visible(line).replace("`" * 3, _BACKTICK_LOOKALIKE * 3) for line in str(value).split("\n"))
    return "```\n" + "\n".join(lines) + "\n```"


def md_marked(text: Marked) -> str:
    """The core's words for Discord: its own words as they are, the untrusted parts through `md_text`."""
    return text.render(md_text)
