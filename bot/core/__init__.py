"""The bot's core, one package per capability; never imports discord.

knowledge/  load and validate the YAML, moderators' writes, history, watching
matching/   text, index, embeddings, decide answer / suggest / silent, evaluation
channel/    when to speak, cooldowns, feedback and the unanswered queue
ledger/     store, import, access rules, explanations
errors.py, safe_yaml.py, sqlite_wal.py are shared by all four.
"""
