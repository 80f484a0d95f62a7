"""The bot's core: knowledge base, matcher, ledger and policies. Never imports discord."""
