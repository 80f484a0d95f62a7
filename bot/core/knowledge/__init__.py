"""The knowledge base: its data (model), loading and validation (loader, validate, files), moderators'
writes (store), their history and diffs (history, diff, review), and noticing edits on disk (watch)."""
