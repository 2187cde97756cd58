"""The budget and progress figures kept by the writes (issue 16, item 6).

Every figure is made through the real path (approval, delivery, end of the
enrollment, rejection, a roll published) and compared with what the data say,
counted again from scratch by ``tally.recount``.
"""

from __future__ import annotations

import datetime as dt

import pytest

from portal.applications import workflow as apps
from portal.backoffice.audit import Actor
from portal.delivery import ending, handover, periods
from portal.models import Application, DecisionTally, PlanTally, utcnow
from portal.planning import tally
from portal.rolls import writing
from tests.factories import (
    make_application,
    make_citizen,
    make_delivery_point,
    make_municipality,
    make_staff,
)
from tests.padron_builders import person, write_roll
from tests.planning.builders import (
    AMOUNT,
    approve,
    committed_by_year,
    decisions,
    deliver,
    due_by_year,
    kept,
    monthly_program,
)


def _recounted(program):
    tally.recount(program)
    return kept(program), decisions(program)


def test_approval_commits_the_benefit_of_every_period_due_in_its_year_and_quarter(app):
    program = monthly_program()
    approve(program)
    approve(program)
    expected = {year: 2 * amount for year, amount in due_by_year(program).items()}
    assert committed_by_year(program) == expected
    first = periods.program_periods(program)[0]
    cell = (first.starts.year, tally.quarter_of(first.starts), "22014")
    assert kept(program)[cell][0] >= 2 * AMOUNT  # this month's period, both people


def test_a_delivery_moves_its_period_from_committed_to_spent_once(app):
    program = monthly_program()
    application = approve(program)
    before = sum(committed_by_year(program).values())
    point = make_delivery_point(program)
    operator = make_staff("entrega", program.agency)
    assert deliver(application, point, operator).delivered
    again = deliver(application, point, operator)
    assert not again.delivered  # the same period cannot be delivered twice
    cells = kept(program)
    assert sum(v[0] for v in cells.values()) == before - AMOUNT
    assert sum(v[1] for v in cells.values()) == AMOUNT  # spent
    assert sum(v[2] for v in cells.values()) == 1  # one person served
    assert sum(v[3] for v in cells.values()) == 1  # one delivery
    assert sum(v[4] for v in cells.values()) == 1  # on time: by the period's last day


def test_a_delivery_after_its_period_ended_is_not_on_time(app, monkeypatch):
    program = monthly_program()
    application = approve(program)
    first = periods.program_periods(program)[0]
    late = dt.datetime.combine(first.ends + dt.timedelta(days=3), dt.time(12))
    monkeypatch.setattr(handover, "utcnow", lambda: late)
    assert deliver(application).delivered
    cells = kept(program)
    assert sum(v[3] for v in cells.values()) == 1
    assert sum(v[4] for v in cells.values()) == 0


def test_ending_the_enrollment_takes_back_what_was_still_committed(app):
    program = monthly_program()
    application = approve(program)
    deliver(application)
    supervisor = make_staff("supervisor", program.agency)
    ending.end_benefit(Application.get_by_id(application.id), supervisor, "voluntaria")
    cells = kept(program)
    assert sum(v[0] for v in cells.values()) == 0
    assert sum(v[1] for v in cells.values()) == AMOUNT  # what was paid stays spent


def test_decisions_are_counted_by_the_days_they_took(app):
    program = monthly_program()
    reviewer = make_staff("revisor", program.agency)
    ten_days_ago = utcnow() - dt.timedelta(days=10)
    approve(program, reviewer=reviewer, submitted_at=ten_days_ago)
    other = make_application(make_citizen(), program, status="en_revision", submitted_at=utcnow())
    apps.reject(other, Actor.staff(reviewer), "No cumple.", expected_version=other.version)
    today = utcnow().date()
    quarter = tally.quarter_of(today)
    assert decisions(program) == {(today.year, quarter, 10): 1, (today.year, quarter, 0): 1}


def test_the_kept_figures_equal_a_recount_from_scratch(app):
    program = monthly_program()
    reviewer = make_staff("revisor", program.agency)
    supervisor = make_staff("supervisor", program.agency)
    point = make_delivery_point(program)
    operator = make_staff("entrega", program.agency)
    other_place = make_municipality("22016", "San Juan del Río")
    people = [approve(program, reviewer=reviewer) for _ in range(3)]
    people.append(approve(program, make_citizen(municipality=other_place), reviewer=reviewer))
    for application in people[:3]:
        deliver(application, point, operator)
    ending.end_benefit(Application.get_by_id(people[1].id), supervisor, "voluntaria")
    ending.end_benefit(Application.get_by_id(people[3].id), supervisor, "duplicado")
    refused = make_application(make_citizen(), program, status="en_revision")
    apps.reject(refused, Actor.staff(reviewer), "No cumple.", expected_version=refused.version)
    kept_cells, kept_decisions = kept(program), decisions(program)
    assert kept_cells and kept_decisions
    assert _recounted(program) == (kept_cells, kept_decisions)


def test_a_failed_approval_leaves_the_figures_as_they_were(app, monkeypatch):
    program = monthly_program()

    def broken_key(*args, **kwargs):
        raise handover.DeliveryError("sin llave")

    monkeypatch.setattr(handover, "_new_credential", broken_key)
    with pytest.raises(handover.DeliveryError):
        approve(program)
    assert PlanTally.select().count() == 0
    assert DecisionTally.select().count() == 0


def test_a_published_roll_commits_its_enrollments(app, tmp_path):
    make_municipality("22014", "Querétaro")
    program = monthly_program(months=12)
    rows = [[*person(n)[:-1], dt.date.today().isoformat()] for n in range(3)]
    path = write_roll(tmp_path / "padron.csv", rows)
    batch, pending = writing.prepare_batch(path, path.name, program)
    assert pending
    writing.run_batch(batch.id, path, today=dt.date.today(), parallel=False)
    assert sum(committed_by_year(program).values()) > 0
    kept_cells = kept(program)
    assert _recounted(program)[0] == kept_cells
