"""Waiting lists (issue 16, item 9): a full call refuses no eligible person.

The submission waits (``en_espera``) with its own label, notice and timeline
entry, in the order the database found the call full; the person sees their
position; a freed place (cancellation, rejection, end of a benefit, a quota
raised) moves the first one up in that same transaction, through the one
status path, with a notice. The races are in test_applications_concurrency.py.
"""

from __future__ import annotations

import datetime as dt

import pytest

from portal.applications import workflow as apps
from portal.backoffice import audit
from portal.catalog import store
from portal.catalog.schema import Call as CallData
from portal.delivery import ending
from portal.models import Application, ApplicationEvent, AuditEvent, Call, Notice
from portal.web.database import write
from tests.application_builders import citizen_actor, draft_for, staff_actor, submitted
from tests.delivery.period_builders import make_beneficiary
from tests.factories import accept_documents, make_agency, make_citizen, make_program, make_staff
from tests.support.html import html, page_text


def _quota(program, quota):
    call = program.calls.get()
    call.quota = quota
    call.save()
    return call


def _full_program(quota=1, **fields):
    program = make_program(requirements=(), **fields)
    _quota(program, quota)
    for _ in range(quota):
        submitted(make_citizen(), program)
    return program


def _wait(program, citizen=None):
    citizen = citizen or make_citizen()
    application = submitted(citizen, program)
    assert application.status == "en_espera"
    return application


def _call(application):
    return Call.get_by_id(application.call_id)


def _state(application):
    call = _call(application)
    return (
        sorted(Application.select(Application.id, Application.status).tuples()),
        (call.places_taken, call.places_waiting, call.waiting_issued),
        ApplicationEvent.select().count(),
        Notice.select().count(),
    )


# Joining the list ------------------------------------------------------------------


def test_a_submission_into_a_full_call_waits_with_its_label_notice_and_timeline(app):
    program = _full_program()
    waiting = _wait(program)
    assert waiting.waiting_number == 1 and waiting.submitted_at is not None
    assert apps.STATUS_LABELS[waiting.status] == "En lista de espera"
    [event] = apps.timeline(waiting)
    assert (event.from_status, event.to_status) == ("borrador", "en_espera")
    assert "lista de espera" in event.reason
    notice = Notice.get(Notice.application == waiting)
    assert notice.title == f"Solicitud {waiting.folio}: En lista de espera"
    assert "en el lugar 1" in notice.body and program.name in notice.body
    assert AuditEvent.select().where(AuditEvent.action == "solicitud.en_espera").count() == 1
    call = _call(waiting)
    assert (call.places_taken, call.places_waiting, call.waiting_issued) == (1, 1, 1)


def test_positions_follow_the_order_of_submission_and_close_up_when_someone_leaves(app):
    program = _full_program()
    first, second, third = (_wait(program) for _ in range(3))
    assert [apps.waiting_position(a) for a in (first, second, third)] == [1, 2, 3]
    assert "en el lugar 3" in Notice.get(Notice.application == third).body
    apps.cancel(second, citizen_actor(second.citizen_id), "Ya no lo necesito.")
    assert apps.waiting_position(Application.get_by_id(third.id)) == 2
    assert apps.waiting_position(Application.get_by_id(second.id)) is None
    call = _call(first)
    # Leaving the list frees no place: nobody moves up, the counter follows.
    assert (call.places_taken, call.places_waiting) == (1, 2)


def test_staff_may_take_someone_off_the_list_at_the_counter(app):
    program = _full_program()
    waiting = _wait(program)
    staff = make_staff("revisor", program.agency)
    apps.cancel(waiting, staff_actor(staff), "La persona pidió retirarla en ventanilla.")
    assert Application.get_by_id(waiting.id).status == "cancelada"
    assert _call(waiting).places_waiting == 0


def test_a_person_waits_once_per_call(app):
    program = _full_program()
    citizen = make_citizen()
    _wait(program, citizen)
    with pytest.raises(apps.Refused, match="Ya tiene una solicitud en curso"):
        apps.start_draft(citizen, program, "otra-llave")


def test_a_waiting_application_cannot_be_reviewed_or_decided(app):
    program = _full_program()
    waiting = accept_documents(_wait(program))
    reviewer = staff_actor(make_staff("revisor", program.agency))
    before = _state(waiting)
    with pytest.raises(apps.TransitionNotAllowed):
        apps.approve(waiting, reviewer)
    with pytest.raises(apps.TransitionNotAllowed):
        apps.reject(waiting, reviewer, "No cumple.")
    with pytest.raises(apps.TransitionNotAllowed):
        apps.take(waiting, reviewer, waiting.version)
    with pytest.raises(apps.TransitionNotAllowed):
        apps.transition(waiting, "enviada", citizen_actor(waiting.citizen_id))
    assert _state(waiting) == before


def test_nobody_joins_the_list_while_a_place_is_free(app):
    program = make_program(requirements=())
    _quota(program, 2)
    draft = draft_for(make_citizen(), program)
    before = _state(draft)
    with pytest.raises(apps.PlacesLeft):
        apps.transition(draft, "en_espera", citizen_actor(draft.citizen_id))
    assert _state(draft) == before
    assert apps.submit(draft, citizen_actor(draft.citizen_id)).status == "enviada"


def test_a_call_without_quota_never_has_a_list(app):
    program = make_program(requirements=())
    Call.update(quota=None).where(Call.program == program).execute()
    sent = [submitted(make_citizen(), program) for _ in range(3)]
    assert {a.status for a in sent} == {"enviada"}


def test_refusals_for_a_closed_call_or_the_rules_stay(app):
    program = _full_program(
        eligibility=[{"field": "sex", "op": "eq", "value": "M", "reason": "Es solo para mujeres."}]
    )
    with pytest.raises(apps.Refused, match="Es solo para mujeres"):
        apps.start_draft(make_citizen(sex="H"), program, "llave")
    draft = draft_for(make_citizen(sex="M"), program)
    with pytest.raises(apps.Refused, match="no recibe solicitudes"):
        apps.submit(draft, citizen_actor(draft.citizen_id), on=dt.date(2030, 1, 1))
    assert Application.get_by_id(draft.id).status == "borrador"
    assert _call(draft).places_waiting == 0


# Moving up ---------------------------------------------------------------------------


def _promoted(application):
    fresh = Application.get_by_id(application.id)
    assert fresh.status == "enviada"
    event = apps.timeline(fresh)[-1]
    assert (event.from_status, event.to_status, event.actor_kind) == (
        "en_espera",
        "enviada",
        "sistema",
    )
    assert event.reason == apps.PROMOTED_REASON
    notice = Notice.select().where(Notice.application == fresh).order_by(Notice.id.desc()).first()
    assert "Se liberó un lugar" in notice.body
    return fresh


def test_a_cancellation_moves_the_first_waiting_up_with_a_notice(app):
    program = make_program(requirements=())
    _quota(program, 1)
    holder = submitted(make_citizen(), program)
    first, second = _wait(program), _wait(program)
    apps.cancel(holder, citizen_actor(holder.citizen_id), "Ya no.")
    _promoted(first)
    assert apps.waiting_position(Application.get_by_id(second.id)) == 1
    call = _call(first)
    assert (call.places_taken, call.places_waiting) == (1, 1)
    assert audit.verify() is None


def test_a_rejection_after_the_place_was_taken_moves_the_first_up(app):
    program = make_program(requirements=())
    _quota(program, 1)
    holder = submitted(make_citizen(), program)
    first = _wait(program)
    reviewer = staff_actor(make_staff("revisor", program.agency))
    apps.reject(holder, reviewer, "Los documentos no corresponden a la persona.")
    _promoted(first)


def test_ending_a_benefit_moves_the_first_up(app):
    application, _credential, _point, _operator = make_beneficiary()
    program = application.program
    _quota(program, _call(application).places_taken)
    first = _wait(program)
    supervisor = make_staff("supervisor", agency=program.agency)
    ending.end_benefit(application, supervisor, "voluntaria")
    assert Application.get_by_id(application.id).status == "cancelada"
    _promoted(first)


def test_a_quota_raised_moves_up_as_many_as_the_new_places(app):
    program = _full_program()
    waiting = [_wait(program) for _ in range(4)]
    call = _call(waiting[0])
    with write():
        store.save_calls(program, [CallData(opens=call.opens, closes=call.closes, quota=3)])
    assert [Application.get_by_id(a.id).status for a in waiting] == [
        "enviada",
        "enviada",
        "en_espera",
        "en_espera",
    ]
    call = _call(waiting[0])
    assert (call.places_taken, call.places_waiting) == (3, 2)
    assert apps.waiting_position(Application.get_by_id(waiting[3].id)) == 2


def test_a_quota_removed_moves_up_everyone_and_a_quota_lowered_nobody(app):
    program = _full_program(quota=2)
    waiting = [_wait(program) for _ in range(3)]
    call = _call(waiting[0])
    before = _state(waiting[0])
    with write():
        store.save_calls(program, [CallData(opens=call.opens, closes=call.closes, quota=1)])
    assert _state(waiting[0]) == before
    with write():
        store.save_calls(program, [CallData(opens=call.opens, closes=call.closes, quota=None)])
    assert {Application.get_by_id(a.id).status for a in waiting} == {"enviada"}
    assert _call(waiting[0]).places_waiting == 0


def test_a_failed_move_up_leaves_the_cancellation_undone_too(app, monkeypatch):
    """Moving up is in the cancellation's own transaction: all or nothing."""
    program = make_program(requirements=())
    _quota(program, 1)
    holder = submitted(make_citizen(), program)
    first = _wait(program)
    before = _state(first)

    real = apps.notices.status_changed

    def broken(application, reason=""):
        if reason == apps.PROMOTED_REASON:
            raise RuntimeError("el aviso de quien sube no se pudo guardar")
        return real(application, reason)

    monkeypatch.setattr(apps.notices, "status_changed", broken)
    with pytest.raises(RuntimeError):
        apps.cancel(holder, citizen_actor(holder.citizen_id), "Ya no.")
    assert _state(first) == before


# Pages -----------------------------------------------------------------------------


def test_the_application_page_shows_the_position(login):
    program = _full_program()
    _wait(program)
    second = _wait(program)
    page = html(login(second.citizen).get(f"/mis-solicitudes/{second.folio}"))
    box = page.select_one(".waiting-list")
    assert box is not None
    assert "Está en el lugar 2 de la lista de espera." in page_text(box)
    assert "Personas en la lista de espera de esta convocatoria: 2." in page_text(box)
    assert "En lista de espera" in page_text(page)


def test_the_receipt_of_a_waiting_application_says_so(login):
    program = _full_program()
    waiting = _wait(program)
    page = html(login(waiting.citizen).get(f"/mis-solicitudes/{waiting.folio}/comprobante"))
    assert "Recibimos su solicitud: está en la lista de espera." in page_text(page)
    assert "Está en el lugar 1 de la lista de espera." in page_text(page)


def test_a_submission_through_the_page_waits(login):
    program = _full_program()
    citizen = make_citizen()
    draft = draft_for(citizen, program)
    response = login(citizen).post(f"/mis-solicitudes/{draft.folio}/enviar")
    assert response.status_code == 303
    assert Application.get_by_id(draft.id).status == "en_espera"


def test_the_apply_page_of_a_full_call_lets_the_person_apply_and_says_they_will_wait(login):
    program = _full_program()
    response = login(make_citizen()).get(f"/programas/{program.slug}/solicitar")
    assert response.status_code == 200
    page = html(response)
    assert "quedará en la lista de espera" in page_text(page)
    assert page.select("form[action$='/solicitar']")


def test_the_program_page_of_a_full_call_offers_the_waiting_list(client):
    program = _full_program()
    page = html(client.get(f"/programas/{program.slug}"))
    assert "quedará en la lista de espera" in page_text(page)
    assert page.select(f"a[href$='/programas/{program.slug}/solicitar']")


def test_staff_see_each_calls_waiting_count_for_their_agency_only(login):
    program = _full_program(quota=2)
    for _ in range(3):
        _wait(program)
    other = make_program(make_agency(), name="Programa de otra dependencia")
    reviewer = make_staff("revisor", program.agency)
    response = login(reviewer).get("/oficina/convocatorias")
    assert response.status_code == 200
    page = html(response)
    rows = [[page_text(td) for td in tr.select("td")] for tr in page.select("tbody tr")]
    assert [(r[0], r[3], r[4], r[5]) for r in rows] == [(program.name, "2", "2", "3")]
    assert other.name not in page_text(page)


def test_the_staff_case_page_shows_the_place_on_the_list(login):
    program = _full_program()
    _wait(program)
    second = _wait(program)
    reviewer = make_staff("revisor", program.agency)
    page = html(login(reviewer).get(f"/oficina/solicitudes/{second.folio}"))
    assert "En lista de espera (lugar 2 de la lista de espera)" in page_text(page)


def test_delivery_operators_do_not_see_the_calls_page(login):
    operator = make_staff("entrega", make_agency())
    assert login(operator).get("/oficina/convocatorias").status_code == 403
