"""Benefit periods: the schedule in the catalog, the periods an enrollment is due,
one delivery per period at the point (item 1 and 4 of issue 16)."""

from __future__ import annotations

import datetime as dt
import threading

import pytest

from portal.catalog.schema import CatalogError, Schedule, parse_catalog
from portal.delivery import handover as delivery
from portal.delivery import periods
from portal.models import Application, ApplicationEvent, AuditEvent, Delivery, Notice
from portal.web.extensions import db
from tests.delivery.period_builders import confirm, make_beneficiary
from tests.support.html import html

D = dt.date


# The schedule -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("period", "count", "second"),
    [
        ("mensual", 12, (D(2026, 2, 1), D(2026, 2, 28))),
        ("bimestral", 6, (D(2026, 3, 1), D(2026, 4, 30))),
        ("trimestral", 4, (D(2026, 4, 1), D(2026, 6, 30))),
        ("semestral", 2, (D(2026, 7, 1), D(2026, 12, 31))),
        ("anual", 1, None),
        ("unico", 1, None),
    ],
)
def test_a_schedule_is_cut_into_numbered_periods(period, count, second):
    cut = periods.schedule_periods(Schedule(D(2026, 1, 1), D(2026, 12, 31)), period)
    assert [p.number for p in cut] == list(range(1, count + 1))
    assert cut[0].starts == D(2026, 1, 1) and cut[-1].ends == D(2026, 12, 31)
    if second:
        assert (cut[1].starts, cut[1].ends) == second
    # Periods follow one another with no gap and no overlap.
    for before, after in zip(cut, cut[1:], strict=False):
        assert after.starts == before.ends + dt.timedelta(days=1)


def test_a_month_end_start_keeps_to_each_months_last_day():
    cut = periods.schedule_periods(Schedule(D(2026, 1, 31), D(2026, 4, 29)), "mensual")
    assert [(p.starts, p.ends) for p in cut] == [
        (D(2026, 1, 31), D(2026, 2, 27)),
        (D(2026, 2, 28), D(2026, 3, 30)),
        (D(2026, 3, 31), D(2026, 4, 29)),
    ]


def test_a_list_of_dates_makes_one_period_per_date():
    schedule = Schedule(D(2026, 1, 1), D(2026, 6, 30), (D(2026, 1, 15), D(2026, 4, 10)))
    cut = periods.schedule_periods(schedule, "mensual")
    assert [(p.starts, p.ends) for p in cut] == [
        (D(2026, 1, 15), D(2026, 4, 9)),
        (D(2026, 4, 10), D(2026, 6, 30)),
    ]


def _catalog(schedule: str, period: str = "mensual") -> str:
    return f"""
agencies:
  - {{slug: sedesoq, name: Secretaría}}
programs:
  - slug: beca
    name: Beca
    agency: sedesoq
    summary: Una beca.
    population: Estudiantes.
    benefit: {{kind: cash, amount: 800, period: {period}, schedule: {schedule}}}
    eligibility: []
"""


def test_the_catalog_reads_a_schedule_and_writes_it_back():
    catalog = parse_catalog(_catalog("{starts: 2026-02-01, ends: 2026-06-30}"))
    benefit = catalog.programs[0].benefit
    assert benefit.schedule == Schedule(D(2026, 2, 1), D(2026, 6, 30))
    assert catalog.programs[0].to_dict()["benefit"]["schedule"] == {
        "starts": "2026-02-01",
        "ends": "2026-06-30",
    }


@pytest.mark.parametrize(
    ("schedule", "period", "field", "words"),
    [
        (
            "{starts: 2026-02-01, ends: 2026-06-30, dates: [2026-03-01, 2026-03-01]}",
            "mensual",
            "benefit.schedule.dates[1]",
            "se traslapan",
        ),
        (
            "{starts: 2026-02-01, ends: 2026-06-30, dates: [2026-04-01, 2026-03-01]}",
            "mensual",
            "benefit.schedule.dates[1]",
            "se traslapan",
        ),
        (
            "{starts: 2026-02-01, ends: 2026-06-30, dates: [2026-07-15]}",
            "mensual",
            "benefit.schedule.dates[0]",
            "fuera del calendario",
        ),
        (
            "{starts: 2026-06-01, ends: 2026-02-01}",
            "mensual",
            "benefit.schedule.ends",
            "termina antes de empezar",
        ),
        ("{starts: 'febrero 30', ends: 2026-06-30}", "mensual", "benefit.schedule.starts", "fecha"),
        ("{starts: 2026-02-01}", "mensual", "benefit.schedule.ends", "falta"),
        ("{starts: 2026-02-01, ends: 2036-02-01}", "mensual", "benefit.schedule", "a lo más"),
        (
            "{starts: 2026-02-01, ends: 2026-06-30, dates: [2026-03-01, 2026-04-01]}",
            "unico",
            "benefit.schedule.dates",
            "un solo pago",
        ),
        ("{starts: 2026-02-01, ends: 2026-06-30, every: 2}", "mensual", "every", "desconocida"),
    ],
)
def test_a_bad_schedule_is_refused_naming_the_field(schedule, period, field, words):
    with pytest.raises(CatalogError) as refused:
        parse_catalog(_catalog(schedule, period))
    problems = refused.value.problems
    assert any(field in p.path and words in p.message for p in problems), problems


def test_an_enrollment_is_due_the_periods_from_its_approval_on(app):
    application, *_ = make_beneficiary(months=6)
    enrollment = periods.enrollment_of(application)
    first = periods.program_periods(application.program)
    enrollment.started_on = first[2].starts + dt.timedelta(days=5)
    enrollment.ended_on = first[4].starts
    due = periods.enrollment_periods(enrollment, application.program)
    # From the period the approval fell in to the one the enrollment ended in.
    assert [p.number for p in due] == [3, 4, 5]


def test_a_program_without_a_schedule_has_one_period_from_the_approval(app):
    application, credential, point, operator = make_beneficiary()
    program = application.program
    program.benefit_schedule = {}
    program.save()
    standing = periods.standing(application)
    assert [(p.number, p.ends) for p in standing.periods] == [(1, None)]


# Delivering period by period ---------------------------------------------------


def test_the_scan_names_the_period_due_then_the_next_after_it_is_delivered(app):
    application, credential, point, operator = make_beneficiary()
    verdict = delivery.recheck(credential, operator)
    assert verdict.ok and verdict.period.number == 1
    assert confirm(credential, operator, point, period=1).delivered
    verdict = delivery.recheck(credential, operator)
    assert verdict.ok and verdict.period.number == 2
    outcome = confirm(credential, operator, point, period=2)
    assert outcome.delivered and outcome.delivery.period == 2
    assert outcome.delivery.amount == 1000
    # Period 3 has not started: period 2 is refused, and the next one named.
    again = delivery.recheck(credential, operator)
    assert again.code == "periodo_entregado" and again.delivery.period == 2
    assert again.next_period.number == 3
    assert Application.get_by_id(application.id).status == "aprobada"


def test_delivering_period_2_twice_is_refused_with_the_first_delivery(app):
    application, credential, point, operator = make_beneficiary()
    confirm(credential, operator, point, period=1)
    first = confirm(credential, operator, point, period=2)
    second = confirm(credential, operator, point, period=2)
    assert not second.delivered
    assert second.verdict.code == "periodo_entregado"
    assert second.delivery.id == first.delivery.id
    assert Delivery.select().where(Delivery.application == application).count() == 2
    refusal = (
        AuditEvent.select()
        .where((AuditEvent.object_id == application.folio) & (AuditEvent.outcome == "rechazada"))
        .get()
    )
    assert refusal.details["motivo"] == "periodo_entregado"


def test_a_form_showing_an_older_period_cannot_deliver_the_next_one(app):
    """Two operators saw period 1; one delivered it: the other's form for
    period 1 is refused, not turned into a delivery of period 2."""
    application, credential, point, operator = make_beneficiary()
    confirm(credential, operator, point, period=1)
    late = confirm(credential, operator, point, period=1)
    assert not late.delivered and late.verdict.code == "periodo_entregado"
    assert late.delivery.period == 1
    assert not Delivery.select().where(Delivery.period == 2).exists()


def test_a_period_number_never_shown_is_refused_and_nothing_is_written(app):
    application, credential, point, operator = make_beneficiary()
    with pytest.raises(delivery.DeliveryError):
        confirm(credential, operator, point, period=5)
    assert not Delivery.select().exists()


def test_every_period_but_the_last_keeps_the_application_approved_and_notifies(app):
    application, credential, point, operator = make_beneficiary()
    confirm(credential, operator, point, period=1)
    assert Application.get_by_id(application.id).status == "aprobada"
    notice = Notice.select().where(Notice.application == application).order_by(Notice.id.desc())
    assert "periodo 1" in notice.first().body


def test_the_last_period_completes_the_benefit_through_the_status_path(app):
    application, credential, point, operator = make_beneficiary(months=2)
    confirm(credential, operator, point, period=1)
    outcome = confirm(credential, operator, point, period=2)
    assert outcome.delivered
    assert Application.get_by_id(application.id).status == "entregada"
    assert (
        ApplicationEvent.select()
        .where(
            (ApplicationEvent.application == application)
            & (ApplicationEvent.to_status == "entregada")
        )
        .count()
        == 1
    )
    assert delivery.recheck(credential, operator).code == "entregada"


def test_the_credential_lasts_until_after_the_schedule_ends(app):
    application, credential, *_ = make_beneficiary(months=24)
    last = periods.program_periods(application.program)[-1]
    assert credential.expires_on > last.ends


def test_an_ended_enrollment_is_not_delivered(app):
    application, credential, point, operator = make_beneficiary()
    enrollment = periods.enrollment_of(application)
    enrollment.active = False
    enrollment.save()
    assert delivery.recheck(credential, operator).code == "inscripcion_terminada"


def test_twenty_racing_confirmations_of_period_2_deliver_it_once(app):
    application, credential, point, operator = make_beneficiary()
    confirm(credential, operator, point, period=1)
    from portal.models import StaffUser
    from tests.factories import make_staff

    operator_ids = [make_staff("entrega", agency=point.program.agency).id for _ in range(20)]
    barrier = threading.Barrier(len(operator_ids))
    outcomes, errors = [], []

    def attempt(operator_id: int) -> None:
        context = app.app_context()
        context.push()
        db.connect(reuse_if_open=True)
        try:
            who = StaffUser.get_by_id(operator_id)
            barrier.wait()
            outcomes.append(confirm(credential, who, point, period=2))
        except Exception as error:  # noqa: BLE001 - collected, so the test reports it
            errors.append(error)
        finally:
            db.close()
            context.pop()

    threads = [threading.Thread(target=attempt, args=(i,)) for i in operator_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    winners = [o for o in outcomes if o.delivered]
    assert len(winners) == 1
    assert {o.verdict.code for o in outcomes if not o.delivered} == {"periodo_entregado"}
    assert {o.delivery.id for o in outcomes if not o.delivered} == {winners[0].delivery.id}
    assert (
        Delivery.select()
        .where((Delivery.application == application) & (Delivery.period == 2))
        .count()
        == 1
    )


def test_the_database_refuses_a_second_row_for_one_period(app):
    from peewee import IntegrityError

    application, credential, point, operator = make_beneficiary()
    first = confirm(credential, operator, point, period=1).delivery
    with pytest.raises(IntegrityError), db.atomic():
        Delivery.create(
            application=application,
            period=1,
            operator=operator,
            point=point,
            id_type="ine",
            id_last4="0000",
        )
    assert Delivery.select().where(Delivery.application == application).count() == 1
    assert first.period == 1


# At the point -----------------------------------------------------------------


def test_the_operator_sees_the_period_confirms_it_and_cannot_confirm_it_twice(app, login):
    application, credential, point, operator = make_beneficiary()
    confirm(credential, operator, point, period=1)
    client = login(operator)
    page = client.post("/entrega/verificar", data={"codigo": application.folio})
    assert page.status_code == 200
    assert "Periodo 2" in html(page).select_one("#periodo-por-entregar").text
    form = {
        "credencial": credential.credential_id,
        "periodo": "2",
        "punto": point.id,
        "tipo_identificacion": "ine",
        "ultimos4": "4821",
        "revisada": "y",
    }
    done = client.post("/entrega/confirmar", data=form, follow_redirects=True)
    assert done.status_code == 200
    assert "periodo 2" in html(done).select_one("#veredicto").parent.text
    twice = client.post("/entrega/confirmar", data=form)
    assert twice.status_code == 409
    assert "Ya entregado" in html(twice).select_one("#veredicto").text
    assert Delivery.select().where(Delivery.period == 2).count() == 1


def test_a_bad_period_in_the_form_is_refused_with_a_message(app, login):
    application, credential, point, operator = make_beneficiary()
    client = login(operator)
    form = {
        "credencial": credential.credential_id,
        "periodo": "0",
        "punto": point.id,
        "tipo_identificacion": "ine",
        "ultimos4": "4821",
        "revisada": "y",
    }
    refused = client.post("/entrega/confirmar", data=form)
    assert refused.status_code == 422
    form["periodo"] = "4"
    stale = client.post("/entrega/confirmar", data=form)
    assert stale.status_code == 409
    assert "cambió" in stale.get_data(as_text=True)
    assert not Delivery.select().exists()
