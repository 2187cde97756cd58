"""Fixtures shared by the back-office tests: a module imports ``fresh_user`` and sets
``pytestmark = pytest.mark.usefixtures("fresh_user")``. The agency, its
two-document program and its reviewer serve every test (loaded by conftest)."""

from __future__ import annotations

import pytest
from flask import g

from .factories import make_agency, make_program, make_staff


def _forget_cached_user() -> None:
    # The app fixture keeps one app context for the whole test, so flask-login's
    # user cached on ``g`` would leak from one client's request into another's.
    # In production every request has its own context; make tests match.
    g.pop("_login_user", None)


@pytest.fixture
def fresh_user(app):
    app.before_request(_forget_cached_user)
    return app


@pytest.fixture
def agency():
    return make_agency(slug="sedesoq")


@pytest.fixture
def program(agency):
    return make_program(agency, requirements=("identificacion", "comprobante"))


@pytest.fixture
def reviewer(agency):
    return make_staff("revisor", agency)
