"""Discord presentation: embed builders, views and the one safe way to answer an interaction."""
