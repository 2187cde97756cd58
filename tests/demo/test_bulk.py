"""The bulk registry loader (executemany on SQLite, COPY on PostgreSQL) writes
the same rows as ``Citizen.insert_many``, skips people already there, and
resumes an interrupted run."""

from __future__ import annotations

import datetime as dt
from itertools import islice

from stdnum.mx import curp as stdnum_curp

from portal.catalog.store import load_catalog
from portal.demo import data as demo
from portal.demo.synthetic import generate_citizens
from portal.models import Citizen
from portal.web.database import write
from tests.catalog_builders import demo_catalog

N = 120


def _rows() -> list[dict]:
    rows = list(Citizen.select().order_by(Citizen.curp).dicts())
    for row in rows:
        del row["id"]
    return rows


def test_bulk_rows_are_the_rows_insert_many_writes(app):
    demo.load_municipalities()
    people = list(generate_citizens(N, seed=11))
    demo._insert_new(((p, None) for p in people), set())
    by_insert_many = _rows()
    with write():
        Citizen.delete().execute()

    assert demo.bulk_insert_registry(iter(people)) == N

    by_bulk = _rows()
    assert len(by_bulk) == N
    for bulk, reference in zip(by_bulk, by_insert_many, strict=True):
        # Both were written "now": only the moment differs.
        for moment in ("created_at", "updated_at"):
            assert isinstance(bulk.pop(moment), dt.datetime)
            reference.pop(moment)
        assert bulk == reference
    assert all(stdnum_curp.is_valid(row["curp"]) for row in by_bulk)
    assert {row["origin"] for row in by_bulk} == {"import"}
    assert all(row["profile"] == {} for row in by_bulk)


def test_bulk_load_skips_who_is_there_and_resumes(app):
    demo.load_municipalities()
    people = list(generate_citizens(N, seed=12))
    # An interrupted run left the first 50 (and someone else has one of the CURPs).
    assert demo.bulk_insert_registry(islice(people, 50)) == 50
    assert demo.bulk_insert_registry(iter(people)) == N - 50
    assert demo.bulk_insert_registry(iter(people)) == 0
    assert Citizen.select().count() == N
    assert len({c.curp for c in Citizen.select()}) == N


def test_bulk_load_in_several_chunks(app, monkeypatch):
    demo.load_municipalities()
    monkeypatch.setattr(demo, "BULK_CHUNK", 7)
    people = list(generate_citizens(50, seed=13))
    assert demo.bulk_insert_registry(iter(people)) == 50
    assert demo.bulk_insert_registry(iter(people)) == 0
    assert Citizen.select().count() == 50


def test_demo_data_beyond_the_pool_goes_through_the_bulk_loader(app, monkeypatch):
    """The registry-only people of ``demo-data --citizens N`` are bulk rows,
    after the people who answered the questionnaire."""
    load_catalog(demo_catalog())
    demo.create_staff()
    monkeypatch.setattr(demo, "DEFAULT_CITIZENS", 40)
    counts = demo.generate_population(300, seed=5)
    assert counts["citizens"] == 300 == Citizen.select().count()
    answered = sum(1 for c in Citizen.select() if c.profile)
    assert 0 < answered <= 40
    again = demo.generate_population(300, seed=5)
    assert again["citizens"] == 0
    assert Citizen.select().count() == 300
