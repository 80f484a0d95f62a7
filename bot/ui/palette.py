"""Discord's dark palette, shared by the bot's charts (no discord import: the CLI's report draws them too)."""

BACKGROUND = (43, 45, 49)
GRID = (70, 73, 80)
TEXT = (219, 222, 225)
MUTED = (148, 155, 164)
