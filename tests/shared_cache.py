"""One embedding cache for the whole test run (and the CLI's own, so a warm checkout embeds nothing).

Embedding the knowledge base and its examples takes tens of seconds the first time; every test config
points here so that cost is paid once, not per test. Keys include the model and the text, so tests that
edit the knowledge base simply add rows.
"""

from pathlib import Path

EMBEDDING_CACHE = Path(__file__).resolve().parents[1] / "data" / "embeddings.sqlite3"
