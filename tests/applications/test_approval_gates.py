"""Approval gates, the supervisor's override and the separation of duties.

Every refusal is checked three ways: a clear message on the re-rendered case
page, a 4xx status, and nothing changed in the database.
"""

from __future__ import annotations

import uuid

import pytest

from portal.applications import assistance
from portal.applications import workflow as apps
from portal.applications.documents import get_storage
from portal.applications.uploads import inspect_upload
from portal.backoffice.audit import Actor
from portal.models import (
    Application,
    ApplicationEvent,
    AuditEvent,
    Call,
    Credential,
    DuplicateCandidate,
    Enrollment,
    Notice,
)
from portal.rolls import duplicates
from portal.vocabulary import Assistance
from tests.application_builders import MINIMAL_PDF, draft_for, submitted
from tests.factories import (
    accept_documents,
    make_agency,
    make_application,
    make_citizen,
    make_delivery,
    make_delivery_point,
    make_program,
    make_staff,
)
from tests.support.html import html

WOMEN_ONLY = [{"field": "sex", "op": "eq", "value": "M", "reason": "Es solo para mujeres."}]
OVERRIDE_REASON = "La persona presentó el original en la oficina y se cotejó en persona."


@pytest.fixture
def supervisor(agency):
    return make_staff("supervisor", agency)


def _snapshot(application):
    fresh = Application.get_by_id(application.id)
    return (
        fresh.status,
        fresh.version,
        fresh.override_by_id,
        Enrollment.select().count(),
        Credential.select().count(),
        ApplicationEvent.select().count(),
        Notice.select().where(Notice.status == "aprobada").count(),
    )


def _reasons(response):
    return [li.text for li in html(response).select("#caso .reasons li")]


def _approve(client, application, **data):
    return client.post(
        f"/oficina/solicitudes/{application.folio}/aprobar",
        data={"version": Application.get_by_id(application.id).version, **data},
    )


def _override(client, application, reason=OVERRIDE_REASON):
    return client.post(
        f"/oficina/solicitudes/{application.folio}/aprobar-con-excepcion",
        data={"version": Application.get_by_id(application.id).version, "reason": reason},
    )


def _counter_filed(program, clerk):
    """An application a staff member filed for the person at the counter."""
    citizen = make_citizen()
    actor = Actor.staff(clerk)
    draft = apps.start_draft(citizen, program, uuid.uuid4().hex, assisted_by=clerk.id)
    for requirement in apps.required_requirements(draft):
        apps.add_document(
            draft, requirement, inspect_upload(MINIMAL_PDF, "doc.pdf"), get_storage(), actor
        )
    return apps.submit(draft, actor)


def test_approving_a_person_outside_the_population_group_is_refused(login, agency, reviewer):
    program = make_program(agency, eligibility=WOMEN_ONLY)
    application = accept_documents(make_application(make_citizen(sex="H"), program))
    before = _snapshot(application)
    response = _approve(login(reviewer), application)
    assert response.status_code == 422
    assert "No se puede aprobar todavía" in html(response).find(class_="notice-error").text
    assert _reasons(response) == ["Es solo para mujeres."]
    assert _snapshot(application) == before
    refused = AuditEvent.get(AuditEvent.action == "solicitud.aprobacion_rechazada")
    assert refused.object_id == application.folio and refused.outcome == "rechazada"


def test_approving_with_a_rejected_document_is_refused_and_the_person_told_why(
    login, program, reviewer
):
    application = submitted(make_citizen(), program)
    client = login(reviewer)
    documents = apps.current_documents(application)
    identification, proof = (documents[r.id] for r in apps.required_requirements(application))
    base = f"/oficina/solicitudes/{application.folio}/documentos"
    client.post(
        f"{base}/{identification.id}/dictamen",
        data={"version": application.version, "decision": "aceptado"},
    )
    client.post(
        f"{base}/{proof.id}/dictamen",
        data={"version": application.version, "decision": "rechazado", "reason": "Está borroso."},
    )
    before = _snapshot(application)
    response = _approve(client, application)
    assert response.status_code == 422
    assert _reasons(response) == ["El documento «Comprobante» fue rechazado: Está borroso."]
    assert _snapshot(application) == before
    notice = Notice.get(Notice.title.contains("documento rechazado"))
    assert notice.citizen_id == application.citizen_id
    assert "«Comprobante»" in notice.body and "Está borroso." in notice.body


def test_approving_before_every_document_is_accepted_is_refused(login, program, reviewer):
    application = submitted(make_citizen(), program)
    before = _snapshot(application)
    response = _approve(login(reviewer), application)
    assert response.status_code == 422
    assert _reasons(response) == [
        "Falta revisar el documento «Identificacion»: márquelo como aceptado antes de aprobar.",
        "Falta revisar el documento «Comprobante»: márquelo como aceptado antes de aprobar.",
    ]
    assert _snapshot(application) == before


def test_a_missing_document_blocks_the_approval(app, program, reviewer):
    application = make_application(program=program)
    with pytest.raises(apps.ApprovalBlocked) as blocked:
        apps.approve(application, Actor.staff(reviewer))
    assert [b.text for b in blocked.value.blockers] == [
        "Falta el documento «Identificacion».",
        "Falta el documento «Comprobante».",
    ]


def test_the_case_page_lists_what_blocks_the_approval(login, agency, reviewer):
    program = make_program(agency, eligibility=WOMEN_ONLY)
    application = make_application(make_citizen(sex="H"), program)
    page = html(login(reviewer).get(f"/oficina/solicitudes/{application.folio}"))
    assert [li.text for li in page.select("#caso .reasons li")] == [
        "Es solo para mujeres.",
        "Falta el documento «Identificacion».",
    ]
    assert not page.select("form[action$='aprobar-con-excepcion']")


def test_a_full_call_blocks_the_approval_and_admits_no_override(app, agency, supervisor):
    program = make_program(agency)
    call = program.calls.get()
    call.quota = 1
    call.save()
    make_application(program=program, status="aprobada")
    application = accept_documents(make_application(program=program))
    with pytest.raises(apps.ApprovalBlocked) as blocked:
        apps.approve(application, Actor.staff(supervisor), override_reason=OVERRIDE_REASON)
    assert [(b.text, b.overridable) for b in blocked.value.blockers] == [
        ("Ya se aprobaron los 1 lugares de esta convocatoria.", False)
    ]
    assert Application.get_by_id(application.id).status == "enviada"


def test_staff_who_filed_at_the_counter_cannot_decide_the_case(login, program, reviewer):
    application = _counter_filed(program, reviewer)
    accept_documents(application)
    before = _snapshot(application)
    client = login(reviewer)
    response = _approve(client, application)
    assert response.status_code == 403
    assert "otra persona de la dependencia" in html(response).find(class_="notice-error").text
    assert _snapshot(application) == before
    take = client.post(
        f"/oficina/solicitudes/{application.folio}/tomar", data={"version": before[1]}
    )
    assert take.status_code == 403 and _snapshot(application) == before
    page = html(client.get(f"/oficina/solicitudes/{application.folio}"))
    assert not page.select("form[action$='/aprobar']")


def test_another_reviewer_decides_what_a_colleague_filed(login, program, reviewer, agency):
    application = accept_documents(_counter_filed(program, reviewer))
    response = _approve(login(make_staff("revisor", agency)), application)
    assert response.status_code == 303
    assert Application.get_by_id(application.id).status == "aprobada"


@pytest.mark.parametrize("act", list(Assistance))
def test_any_help_at_the_counter_bars_the_decision(app, program, reviewer, act):
    application = accept_documents(submitted(make_citizen(), program))
    actor = Actor.staff(reviewer)
    assistance.note(application.citizen_id, actor, act, application.id)
    for decide in (
        lambda: apps.approve(application, actor),
        lambda: apps.reject(application, actor, "No cumple."),
        lambda: apps.request_correction(application, actor, fields=["phone"], message="Revise."),
    ):
        with pytest.raises(apps.SeparationOfDuties):
            decide()
    assert Application.get_by_id(application.id).status == "enviada"


def test_a_supervisor_approves_with_a_written_exception(login, agency, supervisor):
    program = make_program(agency, eligibility=WOMEN_ONLY)
    citizen = make_citizen(sex="H")
    application = accept_documents(make_application(citizen, program))
    response = _override(login(supervisor), application)
    assert response.status_code == 303
    fresh = Application.get_by_id(application.id)
    assert fresh.status == "aprobada" and fresh.override_by_id == supervisor.id
    assert fresh.override_reason == OVERRIDE_REASON
    assert Enrollment.get(Enrollment.application == application.id).active
    audit = AuditEvent.get(AuditEvent.action == "solicitud.excepcion")
    assert audit.actor_id == supervisor.id and audit.details == {"impedimentos": 1}
    event = ApplicationEvent.get(
        (ApplicationEvent.application == application.id)
        & (ApplicationEvent.to_status == "aprobada")
    )
    assert OVERRIDE_REASON in event.reason and "excepción" in event.reason
    notice = Notice.get((Notice.application == application.id) & (Notice.status == "aprobada"))
    assert OVERRIDE_REASON in notice.body
    page = html(login(supervisor).get(f"/oficina/solicitudes/{application.folio}"))
    assert "Aprobada con excepción" in page.text and OVERRIDE_REASON in page.text


def test_the_person_sees_the_exception_on_their_timeline(login, agency, supervisor):
    program = make_program(agency, eligibility=WOMEN_ONLY)
    citizen = make_citizen(sex="H")
    application = accept_documents(make_application(citizen, program))
    apps.approve(application, Actor.staff(supervisor), override_reason=OVERRIDE_REASON)
    page = login(citizen).get(f"/mis-solicitudes/{application.folio}").get_data(as_text=True)
    assert OVERRIDE_REASON in page


def test_a_reviewer_cannot_override(login, agency, reviewer):
    program = make_program(agency, eligibility=WOMEN_ONLY)
    application = accept_documents(make_application(make_citizen(sex="H"), program))
    before = _snapshot(application)
    assert _override(login(reviewer), application).status_code == 403
    with pytest.raises(apps.SeparationOfDuties):
        apps.approve(application, Actor.staff(reviewer), override_reason=OVERRIDE_REASON)
    assert _snapshot(application) == before


def test_a_supervisor_of_another_agency_cannot_override(login, agency):
    program = make_program(agency, eligibility=WOMEN_ONLY)
    application = accept_documents(make_application(make_citizen(sex="H"), program))
    before = _snapshot(application)
    outsider = make_staff("supervisor", make_agency())
    assert _override(login(outsider), application).status_code == 404
    with pytest.raises(apps.NotFound):
        apps.approve(application, Actor.staff(outsider), override_reason=OVERRIDE_REASON)
    assert _snapshot(application) == before


def test_a_supervisor_who_reviewed_the_case_cannot_override_it(login, agency, supervisor):
    program = make_program(agency, eligibility=WOMEN_ONLY)
    application = make_application(make_citizen(sex="H"), program)
    client = login(supervisor)
    client.post(
        f"/oficina/solicitudes/{application.folio}/tomar", data={"version": application.version}
    )
    accept_documents(application)
    before = _snapshot(application)
    response = _override(client, application)
    assert response.status_code == 403
    assert "revisó esta solicitud" in html(response).find(class_="notice-error").text
    assert _snapshot(application) == before


def test_a_supervisor_who_filed_at_the_counter_cannot_override(app, agency, supervisor):
    program = make_program(agency, eligibility=WOMEN_ONLY)
    application = accept_documents(_counter_filed(program, supervisor))
    with pytest.raises(apps.SeparationOfDuties):
        apps.approve(application, Actor.staff(supervisor), override_reason=OVERRIDE_REASON)


def test_an_exception_needs_a_written_reason(login, agency, supervisor):
    program = make_program(agency, eligibility=WOMEN_ONLY)
    application = accept_documents(make_application(make_citizen(sex="H"), program))
    before = _snapshot(application)
    response = _override(login(supervisor), application, reason="porque sí")
    assert response.status_code == 422
    assert "20 a 1000 caracteres" in response.get_data(as_text=True)
    assert _snapshot(application) == before


def test_no_exception_passes_a_second_program_of_an_exclusion_group(app, agency, supervisor):
    citizen = make_citizen()
    first = make_program(agency, exclusion_group="cuidados")
    second = make_program(agency, exclusion_group="cuidados")
    apps.approve(accept_documents(make_application(citizen, first)), Actor.staff(supervisor))
    application = accept_documents(make_application(citizen, second))
    with pytest.raises(apps.ApprovalBlocked):
        apps.approve(application, Actor.staff(supervisor), override_reason=OVERRIDE_REASON)
    assert Enrollment.select().count() == 1


def test_staff_of_another_agency_cannot_decide_even_through_the_domain(app, program):
    application = accept_documents(make_application(program=program))
    outsider = Actor.staff(make_staff("revisor", make_agency()))
    for decide in (
        lambda: apps.approve(application, outsider),
        lambda: apps.reject(application, outsider, "No cumple."),
        lambda: apps.take(application, outsider, application.version),
    ):
        with pytest.raises(apps.NotFound):
            decide()
    assert Application.get_by_id(application.id).status == "enviada"


def test_cancelling_an_approval_revokes_its_credential(app, program, reviewer):
    application = accept_documents(submitted(make_citizen(), program))
    apps.approve(application, Actor.staff(reviewer))
    apps.cancel(application, Actor.staff(reviewer), "Registro duplicado.")
    credential = Credential.get(Credential.application == application.id)
    assert credential.revoked_at is not None and credential.reason == "Registro duplicado."


def test_a_delivery_is_a_status_change_with_its_notice(app, agency):
    point = make_delivery_point(make_program(agency))
    delivery = make_delivery(point)
    notice = Notice.get(Notice.application == delivery.application_id)
    assert notice.status == "entregada" and point.name in notice.body
    assert AuditEvent.select().where(AuditEvent.action == "solicitud.entregada").count() == 1


def test_cancelling_an_approved_application_ends_its_enrollment(app, program, reviewer):
    application = accept_documents(submitted(make_citizen(), program))
    apps.approve(application, Actor.staff(reviewer))
    apps.cancel(application, Actor.staff(reviewer), "Baja a petición de la persona.")
    enrollment = Enrollment.get(Enrollment.application == application.id)
    assert not enrollment.active and enrollment.end_reason == "Baja a petición de la persona."
    assert AuditEvent.select().where(AuditEvent.action == "inscripcion.baja").count() == 1


def test_a_citizen_cannot_cancel_an_approved_application(app, program, reviewer):
    citizen = make_citizen()
    application = accept_documents(submitted(citizen, program))
    apps.approve(application, Actor.staff(reviewer))
    with pytest.raises(apps.TransitionNotAllowed):
        apps.cancel(application, Actor.citizen(citizen))


def _pair(a, b):
    low, high = sorted((a.id, b.id))
    return DuplicateCandidate.create(citizen_a=low, citizen_b=high, score=95.0, kind="nombre")


def test_a_merge_cancels_the_duplicate_approval_through_the_state_table(app, program, reviewer):
    survivor, twin = make_citizen(), make_citizen()
    kept = submitted(survivor, program)
    duplicate = accept_documents(submitted(twin, program))
    apps.approve(duplicate, Actor.staff(reviewer))
    duplicates.merge(
        _pair(survivor, twin).id,
        survivor.id,
        Actor.staff(reviewer),
        reviewer.id,
        reason="Misma persona.",
    )
    fresh = Application.get_by_id(duplicate.id)
    assert fresh.status == "cancelada" and fresh.citizen_id == survivor.id
    assert Application.get_by_id(kept.id).status == "enviada"
    events = [e.to_status for e in apps.timeline(fresh)]
    assert events == ["enviada", "aprobada", "cancelada"]
    assert (
        AuditEvent.select()
        .where(
            (AuditEvent.action == "solicitud.cancelada") & (AuditEvent.object_id == duplicate.folio)
        )
        .exists()
    )
    enrollment = Enrollment.get(Enrollment.application == duplicate.id)
    assert not enrollment.active and "duplicado" in enrollment.end_reason
    assert Notice.select().where(Notice.citizen == survivor.id).count() >= 3


def test_a_merge_keeps_one_draft_per_call(app, program, reviewer):
    """Both records had started a draft for the same call: the survivor's stays,
    the other is cancelled on its timeline (one draft per person and call)."""
    survivor, twin = make_citizen(), make_citizen()
    kept = draft_for(survivor, program)
    other = draft_for(twin, program)
    duplicates.merge(
        _pair(survivor, twin).id,
        survivor.id,
        Actor.staff(reviewer),
        reviewer.id,
        reason="Misma persona.",
    )
    assert Application.get_by_id(kept.id).status == "borrador"
    fresh = Application.get_by_id(other.id)
    assert fresh.status == "cancelada" and fresh.citizen_id == survivor.id
    assert Call.get_by_id(kept.call_id).places_taken == 0


def test_a_merge_never_moves_a_benefit_outside_its_rules(app, agency, reviewer):
    program = make_program(agency, eligibility=WOMEN_ONLY)
    woman, recorded_as_man = make_citizen(sex="M"), make_citizen(sex="H")
    apps.approve(accept_documents(make_application(woman, program)), Actor.staff(reviewer))
    pair = _pair(woman, recorded_as_man)
    with pytest.raises(duplicates.MergeError, match="no cumple las reglas"):
        duplicates.merge(
            pair.id, recorded_as_man.id, Actor.staff(reviewer), reviewer.id, reason="Misma persona."
        )
    assert Enrollment.get().citizen_id == woman.id and Enrollment.get().active
    assert DuplicateCandidate.get_by_id(pair.id).status == "pendiente"


def test_a_merge_refuses_to_undo_a_delivery(app, agency, reviewer):
    point = make_delivery_point(make_program(agency))
    delivered = make_delivery(point)
    application = Application.get_by_id(delivered.application_id)
    survivor = make_citizen()
    make_application(survivor, application.program, status="enviada")
    pair = _pair(survivor, application.citizen)
    with pytest.raises(duplicates.MergeError, match="ya recibió"):
        duplicates.merge(
            pair.id, survivor.id, Actor.staff(reviewer), reviewer.id, reason="Misma persona."
        )
    assert Application.get_by_id(application.id).status == "entregada"


def test_an_htmx_panel_of_staff_who_filed_the_case_reloads_with_the_refusal(
    login, program, reviewer
):
    application = accept_documents(_counter_filed(program, reviewer))
    before = _snapshot(application)
    client = login(reviewer)
    response = client.post(
        f"/oficina/solicitudes/{application.folio}/aprobar",
        data={"version": before[1]},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 403 and response.headers["HX-Refresh"] == "true"
    assert _snapshot(application) == before
    page = html(client.get(f"/oficina/solicitudes/{application.folio}"))
    assert "otra persona de la dependencia" in page.find(class_="flashes").text
