"""The app-command error handler: routing, and answering an interaction exactly once."""

from __future__ import annotations

from unittest.mock import MagicMock

import pytest
from discord import app_commands

from bot.cogs.errors import ErrorHandler, explain
from bot.core.errors import EntryNotFound, PermissionDenied
from bot.ui.replies import APOLOGY, safe_send
from tests.cogs.helpers import make_interaction


def invoke_error(exc: Exception) -> app_commands.CommandInvokeError:
    command = MagicMock(spec=app_commands.Command)
    command.name = "ask"
    return app_commands.CommandInvokeError(command, exc)


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (
            invoke_error(EntryNotFound("proposl-cost", ("proposal-cost",))),
            "There is no FAQ entry `proposl-cost`. Did you mean `proposal-cost`?",
        ),
        (
            invoke_error(PermissionDenied("only moderators can edit entries")),
            "You can't do that: only moderators can edit entries",
        ),
        (app_commands.MissingAnyRole([1, 2]), "You don't have the role this command needs."),
        (app_commands.NoPrivateMessage(), "This command only works in a server."),
        (app_commands.CheckFailure(), "You can't use this command here."),
        (invoke_error(ZeroDivisionError()), None),
        (app_commands.AppCommandError("odd"), None),
    ],
)
def test_explain_routes_user_mistakes_and_leaves_the_rest_unexpected(error, expected) -> None:
    assert explain(error) == expected


async def test_user_mistake_is_one_ephemeral_response(bot) -> None:
    handler = ErrorHandler(bot)
    interaction = make_interaction(done=False)
    await handler.on_app_command_error(interaction, invoke_error(EntryNotFound("x")))
    interaction.response.send_message.assert_awaited_once_with(content="There is no FAQ entry `x`.", ephemeral=True)
    interaction.followup.send.assert_not_awaited()


async def test_after_a_response_the_handler_uses_a_followup(bot) -> None:
    handler = ErrorHandler(bot)
    interaction = make_interaction(done=True)
    await handler.on_app_command_error(interaction, invoke_error(ZeroDivisionError("boom")))
    interaction.response.send_message.assert_not_awaited()
    interaction.followup.send.assert_awaited_once_with(content=APOLOGY, ephemeral=True)


async def test_unexpected_errors_are_logged_with_traceback(bot, caplog: pytest.LogCaptureFixture) -> None:
    handler = ErrorHandler(bot)
    try:
        raise ZeroDivisionError("boom")
    except ZeroDivisionError as exc:
        error = invoke_error(exc)
    await handler.on_app_command_error(make_interaction(), error)
    (record,) = [r for r in caplog.records if r.levelname == "ERROR"]
    assert record.exc_info is not None and record.exc_info[0] is ZeroDivisionError


async def test_safe_send_passes_only_what_was_given() -> None:
    interaction = make_interaction(done=False)
    await safe_send(interaction, "hello", ephemeral=False)
    interaction.response.send_message.assert_awaited_once_with(content="hello", ephemeral=False)
