"""The bundled demo ledger (profiles.yaml + entries.csv), loaded into a fresh ledger database."""
