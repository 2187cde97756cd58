"""The legend Mexican law requires on social-program material.

Ley General de Desarrollo Social, art. 28: program publicity and information
carry "Este programa es público, ajeno a cualquier partido político. Queda
prohibido el uso para fines distintos al desarrollo social." A state may set its
own wording (its social development law) with ``LEGAL_LEGEND``; the federal
wording is the default and the only one translated in English pages, since a
state's own text is legal wording that only the state may translate.
"""

from __future__ import annotations

from flask import current_app, has_app_context

from portal.messages import _l

FEDERAL = _l(
    "Este programa es público, ajeno a cualquier partido político. "
    "Queda prohibido el uso para fines distintos al desarrollo social."
)


def configured_legend() -> str:
    """The state's own wording (``LEGAL_LEGEND``), "" when it uses the federal one."""
    return current_app.config.get("LEGAL_LEGEND", "") if has_app_context() else ""


def legend_text() -> str:
    """The legend in the page's language (the state's wording as configured)."""
    return configured_legend() or str(FEDERAL)


def legend_is_translated() -> bool:
    """Whether the page shows the legend in its own language (else it is Spanish)."""
    return not (has_app_context() and current_app.config.get("LEGAL_LEGEND", ""))
