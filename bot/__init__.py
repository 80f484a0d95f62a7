"""Connects support bot: answers Connects questions and explains ledger charges."""
