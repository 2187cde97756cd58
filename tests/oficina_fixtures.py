"""Fixtures shared by the back-office tests: ``pytestmark = pytest.mark.usefixtures(
"sign_in_endpoints")`` in a module that imports this one."""

from __future__ import annotations

import pytest
from flask import g

from .support.signin import add_sign_in_endpoints


def _forget_cached_user() -> None:
    # The app fixture keeps one app context for the whole test, so flask-login's
    # user cached on ``g`` would leak from one client's request into another's.
    # In production every request has its own context; make tests match.
    g.pop("_login_user", None)


@pytest.fixture
def sign_in_endpoints(app):
    add_sign_in_endpoints(app)
    app.before_request(_forget_cached_user)
    return app
