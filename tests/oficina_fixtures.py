"""Fixtures shared by the back-office tests: the agency, its two-document program
and its reviewer serve every test (loaded by conftest)."""

from __future__ import annotations

import pytest

from tests.factories import make_agency, make_program, make_staff


@pytest.fixture
def agency():
    return make_agency(slug="sedesoq")


@pytest.fixture
def program(agency):
    return make_program(agency, requirements=("identificacion", "comprobante"))


@pytest.fixture
def reviewer(agency):
    return make_staff("revisor", agency)
