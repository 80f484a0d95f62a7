"""The fake Discord's interaction features other e2e suites rely on: modals, context menus, files,
followups, message edits, ephemeral pagination. A small demo cog is added to the real SupportBot."""

from __future__ import annotations

import io

import discord
from discord import app_commands
from discord.ext import commands

from tests.e2e.conftest import RunningBot, World
from tests.e2e.fake_discord import FakeUpload
from tests.e2e.payloads import DEFERRED_CHANNEL_MESSAGE, EPHEMERAL, MODAL, UPDATE_MESSAGE


class NoteModal(discord.ui.Modal, title="Add a note"):
    note: discord.ui.TextInput = discord.ui.TextInput(label="Note", custom_id="note-text")

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"noted: {self.note.value}", ephemeral=True)


class Pager(discord.ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=60)
        self.page = 1

    @discord.ui.button(label="Next", custom_id="demo:next")
    async def next_page(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        self.page += 1
        await interaction.response.edit_message(content=f"page {self.page}", view=self)


class DemoCog(commands.Cog):
    @app_commands.command(name="note")
    async def note(self, interaction: discord.Interaction) -> None:
        """Open a modal."""
        await interaction.response.send_modal(NoteModal())

    @app_commands.command(name="upload")
    async def upload(self, interaction: discord.Interaction, file: discord.Attachment) -> None:
        """Read an attachment and answer with a file, a followup and an edit."""
        data = await file.read()
        await interaction.response.defer(ephemeral=True, thinking=True)
        await interaction.edit_original_response(content=f"{file.filename}: {len(data)} bytes")
        await interaction.followup.send(file=discord.File(io.BytesIO(data.upper()), "out.csv"), ephemeral=True)

    @app_commands.command(name="export")
    async def export(self, interaction: discord.Interaction) -> None:
        """Answer with a file in the initial response (a multipart callback)."""
        await interaction.response.send_message(
            "here", file=discord.File(io.BytesIO(b"a,b\n"), "x.csv"), ephemeral=True
        )

    @app_commands.command(name="pages")
    async def pages(self, interaction: discord.Interaction) -> None:
        """Send an ephemeral paginated message."""
        await interaction.response.send_message("page 1", view=Pager(), ephemeral=True)


async def add_demo(running: RunningBot) -> None:
    bot = running.bot
    await bot.add_cog(DemoCog())

    @app_commands.context_menu(name="Quote")
    async def quote(interaction: discord.Interaction, message: discord.Message) -> None:
        await interaction.response.send_message(f"> {message.content}", ephemeral=True)

    @app_commands.context_menu(name="Who")
    async def who(interaction: discord.Interaction, member: discord.Member) -> None:
        await interaction.response.send_message(f"that is {member.name}", ephemeral=True)

    bot.tree.add_command(quote)
    bot.tree.add_command(who)
    await bot.sync_commands()


async def test_modal_submit_round_trip(world: World, running: RunningBot) -> None:
    await add_demo(running)
    opened = await world.fake.slash("note", user_id=world.moderator, channel_id=world.support_id)
    await world.fake.wait_for_callback(opened)
    assert opened.callback_type == MODAL and opened.callback_data["title"] == "Add a note"
    submitted = await world.fake.submit_modal(opened, {"Note": "check the agency billing entry"})
    await world.fake.wait_for_callback(submitted)
    assert submitted.callback_data["content"] == "noted: check the agency billing entry"
    assert submitted.callback_data["flags"] & EPHEMERAL


async def test_message_and_user_context_menus(world: World, running: RunningBot) -> None:
    await add_demo(running)
    msg = await world.fake.post_message(world.offtopic_id, world.alice, "my connects vanished")
    quoted = await world.fake.message_command("Quote", int(msg["id"]), user_id=world.moderator)
    await world.fake.wait_for_callback(quoted)
    assert quoted.callback_data["content"] == "> my connects vanished"
    who = await world.fake.user_command("Who", world.bob, user_id=world.moderator, channel_id=world.support_id)
    await world.fake.wait_for_callback(who)
    assert who.callback_data["content"] == "that is bob"


async def test_attachment_option_deferral_edit_and_file_followup(world: World, running: RunningBot) -> None:
    await add_demo(running)
    upload = FakeUpload("ledger.csv", b"id,connects\n1,-16\n")
    ix = await world.fake.slash("upload", {"file": upload}, user_id=world.moderator, channel_id=world.support_id)
    followup = await world.fake.wait_for_request("POST", rf"/webhooks/\d+/{ix.token}")
    assert ix.callback_type == DEFERRED_CHANNEL_MESSAGE and ix.callback_data["flags"] & EPHEMERAL
    (edit,) = world.fake.find_requests("PATCH", rf"/webhooks/\d+/{ix.token}/messages/@original")
    assert edit.json["content"] == f"ledger.csv: {len(upload.data)} bytes"
    (sent,) = followup.files
    assert (sent.filename, sent.data) == ("out.csv", b"ID,CONNECTS\n1,-16\n")
    assert followup.json["flags"] & EPHEMERAL and followup.json["attachments"][0]["filename"] == "out.csv"


async def test_ephemeral_pagination_edits_the_message(world: World, running: RunningBot) -> None:
    await add_demo(running)
    ix = await world.fake.slash("pages", user_id=world.moderator, channel_id=world.support_id)
    await world.fake.wait_for_callback(ix)
    message_id = int(ix.original_message["id"])
    click = await world.fake.click(message_id, "demo:next", user_id=world.moderator)
    await world.fake.wait_for_callback(click)
    assert click.callback_type == UPDATE_MESSAGE and click.callback_data["content"] == "page 2"
    assert world.fake.messages[message_id]["content"] == "page 2"


async def test_file_in_the_initial_response_is_a_multipart_callback(world: World, running: RunningBot) -> None:
    await add_demo(running)
    ix = await world.fake.slash("export", user_id=world.moderator, channel_id=world.support_id)
    callback = await world.fake.wait_for_callback(ix)
    assert callback.json["data"]["content"] == "here" and callback.json["data"]["flags"] & EPHEMERAL
    (sent,) = callback.files
    assert (sent.filename, sent.data) == ("x.csv", b"a,b\n")
    assert ix.original_message["attachments"][0]["filename"] == "x.csv"
