"""Demo data and the synthetic population."""
