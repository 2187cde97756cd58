"""Re-certification (issue 16, item 5, second half): due dates every N months
from the approval, the person's proof, staff's verdict, reminders, and the
suspension and its lifting, all through the one status path."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.applications import workflow
from portal.applications.uploads import UploadRejected
from portal.delivery import handover as delivery
from portal.delivery import recertification
from portal.models import (
    Application,
    ApplicationEvent,
    AuditEvent,
    Document,
    Enrollment,
    Notice,
    Outbox,
    Recertification,
)
from portal.rights import blackout
from tests.application_builders import png_bytes
from tests.delivery.period_builders import confirm
from tests.delivery.recertification_builders import (
    RULE,
    make_renewing_beneficiary,
    overdue,
    present,
)
from tests.factories import make_agency, make_staff

# Due-date arithmetic ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("started", "months", "number", "due"),
    [
        (dt.date(2026, 3, 15), 12, 1, dt.date(2027, 3, 15)),
        (dt.date(2026, 3, 15), 12, 2, dt.date(2028, 3, 15)),
        # Month ends: the 31st becomes the month's last day, and comes back.
        (dt.date(2026, 1, 31), 1, 1, dt.date(2026, 2, 28)),
        (dt.date(2026, 1, 31), 1, 2, dt.date(2026, 3, 31)),
        (dt.date(2026, 8, 31), 6, 1, dt.date(2027, 2, 28)),
        # Leap years: 29 February falls due on the 28th, and on the 29th in leap years.
        (dt.date(2028, 2, 29), 12, 1, dt.date(2029, 2, 28)),
        (dt.date(2028, 2, 29), 12, 4, dt.date(2032, 2, 29)),
        (dt.date(2027, 1, 31), 1, 1, dt.date(2027, 2, 28)),
        (dt.date(2028, 1, 31), 1, 1, dt.date(2028, 2, 29)),
    ],
)
def test_due_dates_count_from_the_approval(started, months, number, due):
    assert recertification.due_date(started, months, number) == due


def test_the_next_due_date_is_the_first_after_the_day_given():
    started = dt.date(2026, 3, 15)
    assert recertification.next_due(started, 12, started) == dt.date(2027, 3, 15)
    assert recertification.next_due(started, 12, dt.date(2027, 3, 15)) == dt.date(2028, 3, 15)
    # Accepted late: the following due date still counts from the approval.
    assert recertification.next_due(started, 12, dt.date(2027, 5, 1)) == dt.date(2028, 3, 15)


@pytest.mark.parametrize(("months", "number"), [(0, 1), (12, 0), (-1, 1)])
def test_due_date_refuses_nonsense(months, number):
    with pytest.raises(ValueError):
        recertification.due_date(dt.date(2026, 1, 1), months, number)


@settings(max_examples=300, deadline=None)
@given(
    started=st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2040, 12, 31)),
    months=st.integers(min_value=1, max_value=60),
    count=st.integers(min_value=1, max_value=30),
)
def test_due_dates_strictly_increase_every_n_months_from_the_approval(started, months, count):
    dues = [recertification.due_date(started, months, k) for k in range(1, count + 1)]
    assert all(a < b for a, b in zip([started, *dues], dues, strict=False))
    for k, due in enumerate(dues, 1):
        # Exactly k·N calendar months on, on the approval's day or the month's last.
        assert (due.year - started.year) * 12 + due.month - started.month == k * months
        assert due.day == started.day or (
            due.day < started.day and (due + dt.timedelta(1)).day == 1
        )
    # next_due walks the same sequence.
    for previous, following in zip(dues, dues[1:], strict=False):
        assert recertification.next_due(started, months, previous) == following


# The person's task -----------------------------------------------------------------------


def test_the_first_due_date_is_n_months_after_the_approval(app):
    application, *_, row = make_renewing_beneficiary()
    enrollment = Enrollment.get(Enrollment.application == application.id)
    assert row.due_on == recertification.due_date(enrollment.started_on, 12, 1)
    assert row.status == "pendiente"
    task = recertification.current_task(application)
    assert task is not None and task.requirement.slug == "constancia-estudios"
    assert recertification.task_text(task).startswith("Debe presentar «Constancia-estudios» antes")


def test_an_approval_creates_the_first_due_date(app):
    application, *_, row = make_renewing_beneficiary()
    Recertification.delete().execute()
    recertification.schedule_first(Application.get_by_id(application.id))
    assert Recertification.select().count() == 1


def test_a_due_date_is_never_created_twice(app):
    application, *_ = make_renewing_beneficiary()
    for _ in range(3):
        recertification.create_missing(dt.date.today())
        recertification.schedule_first(Application.get_by_id(application.id))
    assert Recertification.select().count() == 1


def test_the_database_refuses_a_second_row_for_the_same_due_date(app):
    from peewee import IntegrityError

    application, *_, row = make_renewing_beneficiary()
    with pytest.raises(IntegrityError):
        Recertification.create(
            enrollment=row.enrollment_id, application=application.id, due_on=row.due_on
        )


def test_the_proof_is_stored_disarmed_and_waits_for_review(app):
    application, *_, row = make_renewing_beneficiary()
    done = present(application, row)
    assert done.status == "por_revisar"
    document = Document.get_by_id(done.document_id)
    assert document.application_id == application.id and document.content_type == "application/pdf"
    assert AuditEvent.select().where(AuditEvent.action == "documento.subido").exists()


@pytest.mark.parametrize(
    ("data", "name", "code"),
    [
        (b"MZ\x90\x00not a document", "constancia.exe", "unknown_type"),
        (b"", "vacia.pdf", "empty"),
    ],
)
def test_a_bad_file_is_refused_and_nothing_is_written(app, data, name, code):
    application, *_, row = make_renewing_beneficiary()
    documents = Document.select().count()
    with pytest.raises(UploadRejected):
        present(application, row, data, name)
    assert Recertification.get_by_id(row.id).status == "pendiente"
    assert Document.select().count() == documents


def test_a_proof_for_another_persons_due_date_is_refused(app):
    application, *_, row = make_renewing_beneficiary()
    other, *_, other_row = make_renewing_beneficiary()
    with pytest.raises(recertification.NotYours):
        present(application, other_row)
    assert Recertification.get_by_id(other_row.id).status == "pendiente"


def test_a_second_proof_while_one_waits_or_after_acceptance_is_refused(app):
    application, *_, reviewer, row = make_renewing_beneficiary()
    present(application, row)
    with pytest.raises(recertification.RecertificationError, match="revisando"):
        present(application, row)
    recertification.accept(application, row.id, reviewer)
    with pytest.raises(recertification.RecertificationError, match="ya fue aceptado"):
        present(application, row)
    assert Document.select().count() == 1


# Staff's verdict -------------------------------------------------------------------------


def test_accepting_sets_the_next_due_date_and_tells_the_person(app):
    application, *_, reviewer, row = make_renewing_beneficiary()
    present(application, row)
    recertification.accept(application, row.id, reviewer)
    assert Recertification.get_by_id(row.id).status == "aceptada"
    following = Recertification.select().where(Recertification.id != row.id).get()
    enrollment = Enrollment.get_by_id(row.enrollment_id)
    assert following.due_on == recertification.due_date(enrollment.started_on, 12, 2)
    assert Document.get_by_id(present_id(row)).status == "aceptado"
    assert AuditEvent.select().where(AuditEvent.action == "recertificacion.aceptada").exists()
    assert Notice.select().where(Notice.body.contains("Aceptamos su documento")).exists()
    assert Application.get_by_id(application.id).status == "aprobada"


def present_id(row) -> int:
    return Recertification.get_by_id(row.id).document_id


def test_asking_a_correction_tells_the_person_why_and_lets_them_upload_again(app):
    application, *_, reviewer, row = make_renewing_beneficiary()
    present(application, row)
    recertification.ask_correction(
        application, row.id, reviewer, "La constancia es del ciclo pasado."
    )
    fresh = Recertification.get_by_id(row.id)
    assert fresh.status == "corregir" and fresh.reason == "La constancia es del ciclo pasado."
    assert Document.get_by_id(fresh.document_id).status == "rechazado"
    assert Notice.select().where(Notice.body.contains("ciclo pasado")).exists()
    assert present(application, fresh).status == "por_revisar"


@pytest.mark.parametrize("reason", ["", "   ", "x" * 501])
def test_a_correction_needs_a_reason(app, reason):
    application, *_, reviewer, row = make_renewing_beneficiary()
    present(application, row)
    with pytest.raises(recertification.BadReason):
        recertification.ask_correction(application, row.id, reviewer, reason)
    assert Recertification.get_by_id(row.id).status == "por_revisar"


def test_nothing_to_judge_before_the_proof_or_after_acceptance(app):
    application, *_, reviewer, row = make_renewing_beneficiary()
    with pytest.raises(recertification.RecertificationError, match="aún no sube"):
        recertification.accept(application, row.id, reviewer)
    present(application, row)
    recertification.accept(application, row.id, reviewer)
    with pytest.raises(recertification.RecertificationError, match="ya fue aceptada"):
        recertification.accept(application, row.id, reviewer)
    assert Recertification.select().count() == 2


def test_another_agencys_staff_cannot_judge_it(app):
    application, *_, row = make_renewing_beneficiary()
    present(application, row)
    stranger = make_staff("revisor", agency=make_agency())
    with pytest.raises(recertification.NotYours):
        recertification.accept(application, row.id, stranger)
    operator = make_staff("entrega", agency=application.program.agency)
    with pytest.raises(recertification.RecertificationError):
        recertification.accept(application, row.id, operator)
    assert Recertification.get_by_id(row.id).status == "por_revisar"


# Reminders -------------------------------------------------------------------------------


def test_one_reminder_goes_out_before_the_due_date(app):
    application, *_, row = make_renewing_beneficiary()
    application.citizen.notify_channel = "email"
    application.citizen.save()
    too_early = row.due_on - dt.timedelta(days=recertification.REMINDER_DAYS + 1)
    assert recertification.send_reminders(too_early) == 0
    near = row.due_on - dt.timedelta(days=recertification.REMINDER_DAYS)
    assert recertification.send_reminders(near) == 1
    assert recertification.send_reminders(near + dt.timedelta(days=1)) == 0
    notice = Notice.select().where(Notice.title.contains("re-certificación")).get()
    assert "Recordatorio" in notice.body and "Constancia-estudios" in notice.body
    assert Outbox.select().where(Outbox.notice == notice, Outbox.channel == "email").exists()


def test_no_reminder_once_the_proof_is_in(app):
    application, *_, row = make_renewing_beneficiary()
    present(application, row)
    assert recertification.send_reminders(row.due_on - dt.timedelta(days=5)) == 0


def test_a_blackout_does_not_hold_back_the_reminder_of_an_existing_obligation(app, monkeypatch):
    application, *_, row = make_renewing_beneficiary()
    # Even where a blackout holds back the notices people did not ask for.
    monkeypatch.setattr(blackout, "in_force", lambda *args, **kwargs: object())
    assert recertification.send_reminders(row.due_on - dt.timedelta(days=3)) == 1


# Suspension ------------------------------------------------------------------------------


def test_the_benefit_is_suspended_after_the_due_date_and_grace_days(app):
    application, credential, point, operator, reviewer, row = make_renewing_beneficiary()
    last_day = row.due_on + dt.timedelta(days=RULE["grace_days"])
    assert recertification.suspend_overdue(last_day) == 0
    assert recertification.suspend_overdue(overdue(row)) == 1
    fresh = Application.get_by_id(application.id)
    assert fresh.status == "suspendida"
    event = ApplicationEvent.select().order_by(ApplicationEvent.id.desc()).first()
    assert event.to_status == "suspendida" and event.actor_kind == "sistema"
    assert AuditEvent.select().where(AuditEvent.action == "solicitud.suspendida").exists()
    assert Notice.select().where(Notice.body.contains("está suspendido")).exists()
    # Nothing is delivered while suspended, with a clear reason.
    verdict = delivery.recheck(credential, operator)
    assert verdict.code == "suspendida" and "suspendido" in verdict.message


def test_running_the_task_twice_suspends_once(app):
    application, *_, row = make_renewing_beneficiary()
    assert recertification.run_daily(overdue(row)).suspended == 1
    assert recertification.run_daily(overdue(row)).suspended == 0
    events = ApplicationEvent.select().where(ApplicationEvent.to_status == "suspendida")
    assert events.count() == 1


def test_a_proof_waiting_for_review_is_not_suspended(app):
    application, *_, row = make_renewing_beneficiary()
    present(application, row)
    assert recertification.suspend_overdue(overdue(row)) == 0
    assert Application.get_by_id(application.id).status == "aprobada"


def test_an_accepted_proof_lifts_the_suspension_and_the_held_periods_are_delivered(app):
    application, credential, point, operator, reviewer, row = make_renewing_beneficiary()
    recertification.suspend_overdue(overdue(row))
    suspended = Application.get_by_id(application.id)
    present(suspended, row)
    recertification.accept(suspended, row.id, reviewer)
    fresh = Application.get_by_id(application.id)
    assert fresh.status == "aprobada"
    assert ApplicationEvent.select().order_by(ApplicationEvent.id.desc()).first().reason == (
        workflow.REINSTATED_REASON
    )
    assert Notice.select().where(Notice.body.contains("vuelve a entregarse")).exists()
    assert Recertification.select().where(Recertification.status == "pendiente").count() == 1
    # The periods held during the suspension are delivered once it is lifted.
    assert delivery.recheck(credential, operator).ok
    confirm(credential, operator, point)


def test_a_suspended_benefit_may_be_ended(app):
    from portal.delivery import ending

    application, *_, row = make_renewing_beneficiary()
    recertification.suspend_overdue(overdue(row))
    supervisor = make_staff("supervisor", agency=application.program.agency)
    ending.end_benefit(Application.get_by_id(application.id), supervisor, "ya_no_cumple")
    assert Application.get_by_id(application.id).status == "cancelada"
    assert not Enrollment.get(Enrollment.application == application.id).active
    # Nothing left to present: the task is gone from the person's page.
    assert recertification.current_task(Application.get_by_id(application.id)) is None


def test_an_image_proof_is_accepted_where_the_requirement_allows_it(app):
    application, *_, row = make_renewing_beneficiary()
    assert present(application, row, png_bytes(), "foto.png").status == "por_revisar"


def test_a_program_without_re_certification_creates_nothing(app):
    from tests.delivery.period_builders import make_beneficiary

    make_beneficiary()
    assert recertification.run_daily(dt.date.today()).created == 0
    assert Recertification.select().count() == 0


def test_the_command_runs_the_daily_task_by_hand(app):
    application, *_, row = make_renewing_beneficiary()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["recertification", "run", "--today", overdue(row).isoformat()])
    assert result.exit_code == 0, result.output
    assert "suspendidas: 1" in result.output
    assert Application.get_by_id(application.id).status == "suspendida"
    again = runner.invoke(args=["recertification", "run", "--today", overdue(row).isoformat()])
    assert "suspendidas: 0" in again.output
    bad = runner.invoke(args=["recertification", "run", "--today", "mañana"])
    assert bad.exit_code != 0
