"""Transparency: statistics and open data, with nothing personal in them."""
