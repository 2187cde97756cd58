"""Proactive eligibility (issue 18, item 4): people who agreed to be told are
screened when a call opens or a program version is published, and get one
notice "Podría recibir …" per call (docs/outreach.md)."""
