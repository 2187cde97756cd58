"""Fixtures shared by the back-office tests (imported by their modules)."""

from __future__ import annotations

import pytest

from .support.signin import add_sign_in_endpoints


@pytest.fixture
def app(app):
    add_sign_in_endpoints(app)
    return app
