"""Rolls (padrones): reading, judging and writing uploaded rolls, and probable duplicates."""
