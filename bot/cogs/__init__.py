"""Discord cogs: each translates Discord events for one feature into core calls and back."""
