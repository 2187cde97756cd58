"""The statistics summaries: kept current by imports, rebuilt after any other
change to enrollments, and always equal to counting the enrollments directly."""

from __future__ import annotations

import datetime as dt
import sqlite3
import time
from collections import Counter

import pytest

from portal.models import BeneficiaryCell, Enrollment, StatsState
from portal.rolls import writing as padron
from portal.transparency import public as transparency
from portal.web.database import is_sqlite
from portal.web.extensions import db
from tests.factories import make_citizen, make_municipality, make_program
from tests.padron_builders import person, write_roll


@pytest.fixture(autouse=True)
def place(app):
    make_municipality("22014", "Querétaro")
    make_municipality("22016", "San Juan del Río")


def direct_cells() -> Counter:
    """What the summary must hold, counted the slow way."""
    counts: Counter = Counter()
    for e in Enrollment.select().where(Enrollment.active):
        c = e.citizen
        born = (
            c.birth_date
            if isinstance(c.birth_date, dt.date)
            else dt.date.fromisoformat(str(c.birth_date))
        )
        counts[(e.program_id, c.municipality_id or "", c.sex, born.year)] += 1
    return counts


def summary_cells() -> Counter:
    return Counter(
        {
            (c.program_id, c.municipality, c.sex, c.birth_year): c.beneficiaries
            for c in BeneficiaryCell.select()
        }
    )


def enroll(citizen, program, **overrides):
    fields = {"citizen": citizen, "program": program, "exclusion_key": program.exclusion_key,
              "source": "solicitud", "started_on": dt.date(2026, 1, 10)}  # fmt: skip
    return Enrollment.create(**{**fields, **overrides})


def import_roll(tmp_path, program, rows, name="p.csv"):
    path = write_roll(tmp_path / name, rows)
    batch, _ = padron.prepare_batch(path, name, program)
    return padron.run_batch(batch.id, path)


def test_first_read_builds_the_summary_from_the_enrollments(app):
    program = make_program()
    enroll(make_citizen(municipality="22014"), program)
    enroll(make_citizen(sex="H", birth_date=dt.date(1950, 1, 2)), program)
    assert StatsState.select().count() == 0
    stats = transparency.compute_stats()
    assert stats.total() == 2
    assert summary_cells() == direct_cells()
    assert stats.enrolled_by_month == Counter({"2026-01": 2})


def test_import_adds_its_counts_without_a_rebuild(app, tmp_path, monkeypatch):
    program = make_program()
    existing = make_citizen(municipality="22016")
    enroll(existing, make_program())
    transparency.compute_stats()
    # A person already recorded is counted under the record's municipality.
    known = person(0)
    known[0], known[4], known[6] = existing.curp, "17/05/1990", "22014"
    rows = [known, *(person(n, municipality="22014") for n in range(1, 6))]
    monkeypatch.setattr(transparency, "refresh_summary", lambda: pytest.fail("rebuilt"))
    batch = import_roll(tmp_path, program, rows)
    assert batch.accepted == 6
    assert summary_cells() == direct_cells()
    assert transparency.summary_is_current()
    assert transparency.compute_stats().enrolled_by_month == Counter({"2026-01": 1, "2026-02": 6})


def test_any_other_change_to_enrollments_rebuilds_the_summary(app):
    program = make_program()
    first = enroll(make_citizen(), program)
    assert transparency.compute_stats().total() == 1
    enroll(make_citizen(sex="H"), program)
    assert transparency.compute_stats().total() == 2
    Enrollment.update(active=False).where(Enrollment.id == first.id).execute()
    assert transparency.compute_stats().total() == 1
    assert summary_cells() == direct_cells()


def test_import_over_a_stale_summary_leaves_the_rebuild_to_the_next_read(app, tmp_path):
    program = make_program()
    transparency.compute_stats()
    enroll(make_citizen(), program)  # changes the table behind the summary's back
    import_roll(tmp_path, program, [person(n) for n in range(3)])
    assert not transparency.summary_is_current()
    assert transparency.compute_stats().total() == 4
    assert summary_cells() == direct_cells()


def test_refresh_command_rebuilds_after_a_citizen_moves(app):
    program = make_program()
    citizen = make_citizen(municipality="22014")
    enroll(citizen, program)
    transparency.compute_stats()
    citizen.municipality = "22016"
    citizen.save()
    result = app.test_cli_runner().invoke(args=["estadisticas", "refresh"])
    assert result.exit_code == 0, result.output
    assert "Resúmenes reconstruidos: 1 celdas" in result.output
    assert list(summary_cells()) == [(program.id, "22016", "M", 1990)]


def test_office_statistics_only_count_the_agencys_programs(app):
    mine, theirs = make_program(), make_program()
    enroll(make_citizen(), mine)
    enroll(make_citizen(), theirs)
    enroll(make_citizen(), theirs, started_on=dt.date(2025, 12, 1))
    stats = transparency.compute_stats(agency_id=mine.agency_id)
    assert stats.total() == 1
    assert stats.enrolled_by_month == Counter({"2026-01": 1})


def test_statistics_do_not_wait_for_an_import_holding_the_database(app):
    if not is_sqlite():
        pytest.skip("PostgreSQL readers never wait for writers")
    program = make_program()
    enroll(make_citizen(), program)
    transparency.compute_stats()
    enroll(make_citizen(sex="H"), program)
    other = sqlite3.connect(db.database)
    other.execute("BEGIN IMMEDIATE")  # what a running roll import holds
    try:
        start = time.perf_counter()
        stats = transparency.compute_stats()
        assert time.perf_counter() - start < 2
        assert stats.total() == 1  # the summaries as they were
    finally:
        other.rollback()
        other.close()
    assert transparency.compute_stats().total() == 2
