"""The application domain: state machine, drafts, submission, decisions."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from portal.applications import workflow as apps
from portal.applications.workflow import TRANSITIONS
from portal.backoffice.audit import SYSTEM, Actor
from portal.models import (
    STATUSES,
    Application,
    ApplicationEvent,
    AuditEvent,
    Call,
    Document,
    Enrollment,
    utcnow,
)
from tests.application_builders import (
    citizen_actor,
    draft_for,
    jpeg_bytes,
    staff_actor,
    submitted,
    upload_all,
)
from tests.factories import (
    accept_documents,
    make_application,
    make_citizen,
    make_program,
    make_staff,
)

KINDS = {
    "ciudadano": Actor("ciudadano", 1),
    "personal": Actor("personal", None, "admin_estatal"),
    "sistema": SYSTEM,
}
MOVES = [(a, b, who) for a in STATUSES for b in STATUSES if a != b for who in KINDS]


@pytest.mark.parametrize(("from_status", "to_status", "who"), MOVES)
def test_transition_allows_exactly_the_listed_moves(app, from_status, to_status, who):
    application = make_application(status=from_status)
    if to_status == "en_espera":
        # One waits only when the call is full (test_waiting_list.py).
        Call.update(quota=Call.places_taken).where(Call.id == application.call_id).execute()
    allowed = who in TRANSITIONS.get((from_status, to_status), ())
    if allowed:
        apps.transition(application, to_status, KINDS[who], "motivo")
        fresh = Application.get_by_id(application.id)
        assert (fresh.status, fresh.version) == (to_status, 2)
        event = ApplicationEvent.get(ApplicationEvent.application == application)
        assert (event.from_status, event.to_status, event.actor_kind) == (
            from_status,
            to_status,
            who,
        )
        assert AuditEvent.select().where(AuditEvent.action == f"solicitud.{to_status}").count() == 1
    else:
        with pytest.raises(apps.TransitionNotAllowed):
            apps.transition(application, to_status, KINDS[who])
        fresh = Application.get_by_id(application.id)
        assert (fresh.status, fresh.version) == (from_status, 1)
        assert ApplicationEvent.select().count() == 0


def test_stale_version_is_a_conflict_and_changes_nothing(app):
    application = make_application(status="enviada")
    seen_by_other = Application.get_by_id(application.id)
    apps.transition(application, "en_revision", KINDS["personal"])
    with pytest.raises(apps.Conflict):
        apps.transition(seen_by_other, "cancelada", KINDS["ciudadano"])
    with pytest.raises(apps.Conflict):
        apps.transition(application, "aprobada", KINDS["personal"], expected_version=1)
    assert Application.get_by_id(application.id).status == "en_revision"


def test_every_status_change_writes_an_inbox_notice_and_outbox_per_channel(app):
    citizen = make_citizen(notify_channel="email")
    application = make_application(citizen, status="enviada")
    apps.transition(application, "en_revision", KINDS["personal"])
    notice = application.notices.get()
    assert notice.status == "en_revision" and application.folio in notice.title
    assert [row.channel for row in notice.deliveries] == ["email"]


def test_start_draft_is_idempotent_and_resumable(app):
    citizen, program = make_citizen(), make_program()
    key = uuid.uuid4().hex
    first = apps.start_draft(citizen, program, key)
    assert apps.start_draft(citizen, program, key).id == first.id
    # Another device (another form key) resumes the same draft.
    assert apps.start_draft(citizen, program, uuid.uuid4().hex).id == first.id
    assert Application.select().count() == 1
    assert first.status == "borrador" and first.folio.startswith("QRO-")


def test_another_persons_key_never_returns_their_draft(app):
    program = make_program()
    key = uuid.uuid4().hex
    apps.start_draft(make_citizen(), program, key)
    with pytest.raises(apps.NotFound):
        apps.start_draft(make_citizen(), program, key)


def test_submit_refuses_missing_documents_and_lists_them(app):
    citizen = make_citizen()
    draft = draft_for(
        citizen, make_program(requirements=("ine", "comprobante")), with_documents=False
    )
    with pytest.raises(apps.Refused) as refused:
        apps.submit(draft, citizen_actor(citizen))
    assert refused.value.reasons == [
        "Falta el documento «Ine».",
        "Falta el documento «Comprobante».",
    ]
    assert Application.get_by_id(draft.id).status == "borrador"


def test_submit_rechecks_eligibility_against_the_current_catalog(app):
    citizen = make_citizen(sex="H")
    program = make_program()
    draft = draft_for(citizen, program)
    # The rules changed after the draft was started.
    program.eligibility = [
        {"field": "sex", "op": "eq", "value": "M", "reason": "Es solo para mujeres."}
    ]
    program.version += 1
    program.updated_at = utcnow()
    program.save()
    with pytest.raises(apps.Refused) as refused:
        apps.submit(draft, citizen_actor(citizen))
    assert refused.value.reasons == ["Es solo para mujeres."]


def test_submit_refuses_a_closed_call_and_a_full_quota_waits(app):
    citizen = make_citizen()
    program = make_program()
    draft = draft_for(citizen, program)
    with pytest.raises(apps.Refused, match="no recibe solicitudes"):
        apps.submit(draft, citizen_actor(citizen), on=dt.date(2030, 1, 1))
    assert Application.get_by_id(draft.id).status == "borrador"
    call = program.calls.get()
    call.quota = 1
    call.save()
    make_application(program=program, status="aprobada")
    assert apps.submit(draft, citizen_actor(citizen)).status == "en_espera"


def test_submit_refuses_a_program_of_an_exclusion_group_already_received(app):
    citizen = make_citizen()
    cuidado = make_program(name="Apoyo para el Cuidado Infantil", exclusion_group="cuidados")
    contigo = make_program(name="Tarjeta Contigo", exclusion_group="cuidados")
    apps.approve(
        accept_documents(submitted(citizen, cuidado)), staff_actor(make_staff("admin_estatal"))
    )
    with pytest.raises(apps.Refused) as refused:
        submitted(citizen, contigo)
    assert refused.value.reasons == [
        "No se puede combinar con Apoyo para el Cuidado Infantil, que ya recibe."
    ]


def test_a_second_live_application_to_the_same_call_is_refused_by_the_database(app):
    citizen, program = make_citizen(), make_program()
    apps.submit(draft_for(citizen, program), citizen_actor(citizen))
    # A second draft that got past start_draft's check (made directly here).
    second = make_application(citizen, program, status="borrador", submitted_at=None)
    upload_all(second, citizen)
    with pytest.raises(apps.Refused, match="Ya tiene una solicitud en curso"):
        apps.submit(second, citizen_actor(citizen))
    assert Application.get_by_id(second.id).status == "borrador"
    # Nothing of the refused submission stays: the call holds one place.
    assert Call.get_by_id(second.call_id).places_taken == 1


def test_submit_twice_is_one_submission(app):
    citizen = make_citizen()
    application = submitted(citizen, make_program())
    again = apps.submit(Application.get_by_id(application.id), citizen_actor(citizen))
    assert again.version == application.version
    assert ApplicationEvent.select().count() == 1


def test_replacing_a_document_in_a_draft_keeps_only_the_new_version(app):
    # No reviewer has seen a draft's versions (docs/applications.md, "Document
    # versions and upload limits"); submitted applications keep them all.
    from portal.applications.documents import get_storage
    from portal.applications.uploads import inspect_upload

    citizen = make_citizen()
    draft = draft_for(citizen, make_program())
    requirement = apps.required_requirements(draft)[0]
    apps.add_document(
        draft,
        requirement,
        inspect_upload(jpeg_bytes(), "foto.jpg"),
        get_storage(),
        citizen_actor(citizen),
    )
    versions = list(
        Document.select().where(Document.application == draft).order_by(Document.version)
    )
    assert [(d.version, d.current) for d in versions] == [(2, True)]
    assert list(get_storage().blob_keys()) == [versions[0].storage_key]


def test_correction_loop_flags_exact_items_and_resubmits(app):
    from portal.applications.documents import get_storage
    from portal.applications.uploads import inspect_upload

    program = make_program(requirements=("ine", "comprobante"))
    citizen, staff = make_citizen(), make_staff(agency=program.agency)
    application = submitted(citizen, program)
    ine, comprobante = apps.required_requirements(application)
    apps.request_correction(
        application,
        staff_actor(staff),
        documents=[ine.id],
        fields=["postal_code"],
        message="La INE no se lee.",
    )
    assert apps.may_change_document(application, ine.id)
    assert not apps.may_change_document(application, comprobante.id)
    with pytest.raises(apps.Refused, match="Falta subir de nuevo «Ine»"):
        apps.resubmit(application, citizen_actor(citizen), {"postal_code": "76000"})
    apps.add_document(
        application,
        ine,
        inspect_upload(jpeg_bytes(), "ine.jpg"),
        get_storage(),
        citizen_actor(citizen),
    )
    with pytest.raises(apps.TransitionNotAllowed):
        apps.add_document(
            application,
            comprobante,
            inspect_upload(jpeg_bytes(), "c.jpg"),
            get_storage(),
            citizen_actor(citizen),
        )
    apps.resubmit(application, citizen_actor(citizen), {"postal_code": "76000", "email": "x"})
    fresh = Application.get_by_id(application.id)
    assert fresh.status == "enviada" and fresh.correction is None
    assert fresh.answers["postal_code"] == "76000"
    assert fresh.answers["email"] == citizen.email  # not flagged: not changed
    assert [e.to_status for e in apps.timeline(fresh)] == [
        "enviada",
        "requiere_correccion",
        "enviada",
    ]


@pytest.mark.parametrize(
    ("documents", "fields", "message", "error"),
    [
        ([], [], "Algo", "Indique qué"),
        ([], ["postal_code"], "  ", "Explique"),
        ([], ["curp"], "Algo", "No se puede pedir corregir"),
        ([999_999], [], "Algo", "no es de este programa"),
    ],
)
def test_request_correction_refuses_bad_requests(app, documents, fields, message, error):
    application = make_application(status="en_revision")
    with pytest.raises(apps.ApplicationError, match=error):
        apps.request_correction(
            application, KINDS["personal"], documents=documents, fields=fields, message=message
        )
    assert Application.get_by_id(application.id).status == "en_revision"


def test_approve_enrols_and_calls_the_hooks_in_the_same_transaction(app, monkeypatch):
    seen = []
    monkeypatch.setattr(
        apps, "on_approved", [lambda a: seen.append(Enrollment.get(Enrollment.application == a).id)]
    )
    application = make_application(status="en_revision")
    apps.approve(accept_documents(application), KINDS["personal"])
    assert len(seen) == 1 and application.status == "aprobada"


def test_a_failing_hook_undoes_the_approval(app, monkeypatch):
    def boom(application):
        raise RuntimeError("credencial")

    monkeypatch.setattr(apps, "on_approved", [boom])
    application = make_application(status="en_revision")
    with pytest.raises(RuntimeError):
        apps.approve(accept_documents(application), KINDS["personal"])
    assert Application.get_by_id(application.id).status == "en_revision"
    assert Enrollment.select().count() == 0


def test_second_program_of_the_same_exclusion_group_cannot_be_approved(app):
    citizen = make_citizen()
    cuidado = make_program(name="Apoyo para el Cuidado Infantil", exclusion_group="cuidados")
    contigo = make_program(name="Tarjeta Contigo", exclusion_group="cuidados")
    first = make_application(citizen, cuidado, status="en_revision")
    second = make_application(citizen, contigo, status="en_revision")
    apps.approve(accept_documents(first), KINDS["personal"])
    with pytest.raises(apps.ApprovalBlocked) as blocked:
        apps.approve(accept_documents(second), KINDS["personal"])
    assert [(b.text, b.overridable) for b in blocked.value.blockers] == [
        ("No se puede combinar con Apoyo para el Cuidado Infantil, que ya recibe.", False)
    ]
    assert Application.get_by_id(second.id).status == "en_revision"
    assert Enrollment.select().count() == 1


def test_reject_needs_a_reason_the_person_sees(app):
    application = make_application(status="en_revision")
    with pytest.raises(apps.ApplicationError):
        apps.reject(application, KINDS["personal"], " ")
    apps.reject(application, KINDS["personal"], "No vive en el estado.")
    assert Application.get_by_id(application.id).decision_reason == "No vive en el estado."
