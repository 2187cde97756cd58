"""Fixtures shared by the back-office tests: a module imports ``fresh_user`` and sets
``pytestmark = pytest.mark.usefixtures("fresh_user")``."""

from __future__ import annotations

import pytest
from flask import g


def _forget_cached_user() -> None:
    # The app fixture keeps one app context for the whole test, so flask-login's
    # user cached on ``g`` would leak from one client's request into another's.
    # In production every request has its own context; make tests match.
    g.pop("_login_user", None)


@pytest.fixture
def fresh_user(app):
    app.before_request(_forget_cached_user)
    return app
