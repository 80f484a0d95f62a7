"""The escaping helpers: the core's marked words, Discord's md_* helpers, the console's `shown`."""

from __future__ import annotations

import pytest
from discord.utils import escape_markdown

from bot.cli.safe_text import shown, shown_marked
from bot.core.untrusted import join, say, visible
from bot.ui.escape import md_block, md_code, md_marked, md_text
from tests.hostile_text import LINK, REFERENCE, markdown_problems, terminal_problems, unescaped

TWO_LINKS = "[a](https://evil.example/1) and [b](https://evil.example/2)"


def test_visible_shows_every_control_character_and_keeps_the_rest() -> None:
    text = "a\nb\r\tc\x1b[2J\x07\x9b\u202eevil\u2066\u200b\ufeff é 👍"
    assert visible(text) == "a\\nb\\r\\tc\\x1b[2J\\x07\\x9b\\u202eevil\\u2066\\u200b\\ufeff é 👍"
    assert terminal_problems(shown(text)) == []


def test_say_marks_every_value_untrusted_and_keeps_the_template_as_the_bot_s_words() -> None:
    text = say("**{name}** paid {n}.", name="*x*", n=6) + " Next." + say(" Note: {note}", note="[a](b)")
    assert text.plain == "***x*** paid 6. Next. Note: [a](b)"
    assert md_marked(text) == "**\\*x\\*** paid 6. Next. Note: \\[a\\]\\(b\\)"
    assert shown_marked(say("{a}", a="x\ny")) == "x\\ny"
    assert join("\n\n", [say("{a}", a="1"), say("{a}", a="2")]).plain == "1\n\n2"
    with pytest.raises(TypeError):
        f"{text}"  # an f-string would drop the marks


@pytest.mark.parametrize(
    "hostile",
    [
        LINK,
        REFERENCE,
        TWO_LINKS,
        "<@123456789012345678> <@&123456789012345678> @everyone @here <#123456789012345678>",
        "# heading",
        "-# subtext",
        "> quote",
        "1. list",
        "line\n# forged heading",
        "trailing backslash \\",
        "``double`` `single",
    ],
)
def test_md_text_and_md_code_leave_nothing_live_and_show_the_same_words(hostile: str) -> None:
    for rendered in (md_text(hostile), f"before {md_code(hostile)} after", f"`{md_text('a')}` {md_text(hostile)}"):
        assert markdown_problems(rendered) == [], rendered
    assert unescaped(md_text(hostile)) == visible(hostile)
    assert "\n" not in md_text(hostile) and "\n" not in md_code(hostile)


def test_discord_py_escape_markdown_alone_leaves_the_second_link_live() -> None:
    # Why bot.ui.escape escapes character by character.
    assert markdown_problems(escape_markdown(TWO_LINKS)) != []
    assert markdown_problems(md_text(TWO_LINKS)) == []


def test_md_block_keeps_lines_and_cannot_be_closed_from_inside() -> None:
    typed = "first line\n```\n" + LINK + "\n```\x1b[2J"
    block = md_block(typed)
    assert block.startswith("```\n") and block.endswith("\n```") and block.count("```") == 2
    assert markdown_problems("Your answer was:\n" + block) == []
    assert block.splitlines()[1:3] == ["first line", "\u02cb\u02cb\u02cb"]
