"""Placeholder; replaced by the real matcher."""
