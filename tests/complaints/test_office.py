"""The agencies' queue of complaints: who sees which, assignment, answer,
escalation to the internal control body (by hand and by the daily task),
every action audited, the person notified."""

from __future__ import annotations

import datetime as dt
import io

import pytest

from portal.backoffice import audit
from portal.citizens.record import PRIVACY_VERSION
from portal.complaints import desk, tasks
from portal.models import AuditEvent, Complaint, Notice
from portal.rights.holidays import local_today
from portal.vocabulary import AuditAction, ViewReason
from tests.application_builders import png_bytes
from tests.factories import make_agency, make_citizen, make_program, make_staff
from tests.support.html import html, page_text

STORY = "En la entrega me dieron menos de lo que dice el programa."


@pytest.fixture
def program(app):
    return make_program()


@pytest.fixture
def reviewer(program):
    return make_staff("revisor", program.agency)


@pytest.fixture
def state_admin(app):
    return make_staff("admin_estatal")


def _file(program=None, citizen=None, subject="entrega") -> desk.Filed:
    return desk.file_complaint(
        desk.Filing("queja", subject, STORY, program.id if program else None), citizen=citizen
    )


def _actions(action) -> list[AuditEvent]:
    return list(AuditEvent.select().where(AuditEvent.action == action))


def test_the_agency_sees_its_complaints_by_due_date(client, login, program, reviewer):
    first = _file(program).complaint
    second = _file(program).complaint
    other = _file(make_program()).complaint
    state = _file(subject="oficina").complaint
    login(reviewer)
    table = page_text(html(client.get("/oficina/quejas")).find(id="resultados"))
    assert first.folio in table and second.folio in table
    assert other.folio not in table and state.folio not in table
    assert table.index(first.folio) < table.index(second.folio)


def test_the_state_level_sees_complaints_about_no_program_and_escalated_ones(
    client, login, program, reviewer, state_admin
):
    state = _file(subject="oficina").complaint
    agency = _file(program).complaint
    escalated = desk.escalate(_file(program).complaint.folio, reviewer)
    login(state_admin)
    open_ = page_text(html(client.get("/oficina/quejas")).find(id="resultados"))
    assert state.folio in open_ and agency.folio not in open_
    sent = page_text(html(client.get("/oficina/quejas?estado=turnadas")).find(id="resultados"))
    assert escalated.folio in sent
    assert client.get(f"/oficina/quejas/{agency.folio}").status_code == 404
    assert client.get(f"/oficina/quejas/{escalated.folio}").status_code == 200


def test_another_agency_gets_404_for_every_route(client, login, program):
    row = _file(program).complaint
    login(make_staff("admin_dependencia", make_agency()))
    for path in ("", "/adjunto"):
        assert client.get(f"/oficina/quejas/{row.folio}{path}").status_code == 404
    for action in ("asignar", "responder", "turnar"):
        assert client.post(f"/oficina/quejas/{row.folio}/{action}", data={}).status_code == 404
    assert Complaint.get_by_id(row.id).status == "recibida"


@pytest.mark.parametrize("role", ["entrega"])
def test_delivery_operators_and_citizens_cannot_open_the_queue(client, login, program, role):
    row = _file(program).complaint
    login(make_staff(role, program.agency))
    assert client.get("/oficina/quejas").status_code == 403
    assert client.get(f"/oficina/quejas/{row.folio}").status_code == 403
    client.get("/oficina/salir")


def test_a_citizen_cannot_open_the_office_pages(client, login, program):
    row = _file(program).complaint
    login(make_citizen())
    assert client.get("/oficina/quejas").status_code == 403
    assert client.post(f"/oficina/quejas/{row.folio}/turnar").status_code == 403


def test_anonymous_visitors_are_sent_to_staff_sign_in(client, app):
    assert client.get("/oficina/quejas").status_code in (302, 303)


def test_opening_a_complaint_is_audited(client, login, program, reviewer):
    citizen = make_citizen()
    row = _file(program, citizen).complaint
    login(reviewer)
    page = page_text(html(client.get(f"/oficina/quejas/{row.folio}")))
    assert STORY in page and citizen.full_name in page
    (entry,) = _actions(AuditAction.COMPLAINT_VIEW)
    assert entry.actor_id == reviewer.id and entry.object_id == str(row.id)


def test_the_person_reads_who_opened_their_complaint_in_my_data(client, login, program, reviewer):
    """A complaint filed signed in shows the person's record: the desk's reading
    is one of "Quién consultó sus datos"; an anonymous one names nobody."""
    citizen = make_citizen(privacy_version=PRIVACY_VERSION)
    row = _file(program, citizen).complaint
    anonymous = _file(program).complaint
    login(reviewer)
    client.get(f"/oficina/quejas/{row.folio}")
    client.get(f"/oficina/quejas/{anonymous.folio}")
    [view] = audit.views_of(citizen.id)
    assert (view.staff_name, view.reason) == (reviewer.name, ViewReason.QUEJA)
    assert len(_actions(AuditAction.RECORD_VIEW)) == 1
    login(citizen)
    page = page_text(html(client.get("/mis-datos")))
    assert "Atención de una queja o denuncia que usted presentó" in page


def test_staff_assign_answer_and_the_person_is_notified(client, login, program, reviewer):
    colleague = make_staff("revisor", program.agency, name="Ana Colega")
    citizen = make_citizen()
    row = _file(program, citizen).complaint
    login(reviewer)
    choices = html(client.get(f"/oficina/quejas/{row.folio}")).select(
        "select[name=assignee] option"
    )
    assert {int(o["value"]) for o in choices} == {reviewer.id, colleague.id}
    assigned = client.post(f"/oficina/quejas/{row.folio}/asignar", data={"assignee": colleague.id})
    assert assigned.status_code == 303
    assert Complaint.get_by_id(row.id).assigned_to_id == colleague.id
    answer = "Revisamos la entrega y le daremos la diferencia la próxima semana."
    answered = client.post(f"/oficina/quejas/{row.folio}/responder", data={"response": answer})
    assert answered.status_code == 303
    saved = Complaint.get_by_id(row.id)
    assert saved.status == "respondida" and saved.response == answer
    assert saved.responded_by_id == reviewer.id
    assert [e.details["de"] for e in _actions(AuditAction.COMPLAINT_ASIGNADA)] == ["recibida"]
    assert len(_actions(AuditAction.COMPLAINT_RESPONDIDA)) == 1
    kinds = [n.kind for n in Notice.select().where(Notice.citizen == citizen).order_by(Notice.id)]
    assert kinds == ["queja_recibida", "queja_respondida"]
    login(citizen)
    assert answer in page_text(html(client.get(f"/quejas/mias/{row.folio}")))
    # Answered once: a second answer is refused.
    login(reviewer)
    assert (
        client.post(f"/oficina/quejas/{row.folio}/responder", data={"response": answer}).status_code
        == 403
    )


def test_an_anonymous_person_reads_the_answer_with_folio_and_code(client, login, program, reviewer):
    filed = _file(program)
    desk.respond(
        filed.complaint.folio, reviewer, "Sancionamos a la persona y le repusimos el apoyo."
    )
    page = client.post(
        "/quejas/seguimiento", data={"folio": filed.complaint.folio, "code": filed.code}
    )
    assert "Sancionamos a la persona" in page_text(html(page).find(id="respuesta"))


@pytest.mark.parametrize(
    ("action", "data", "message"),
    [
        ("responder", {"response": ""}, "Escriba la respuesta"),
        ("responder", {"response": "breve"}, "entre 20 y 5000"),
        ("asignar", {"assignee": ""}, "Elija"),
        ("asignar", {"assignee": "abc"}, ""),
    ],
)
def test_bad_staff_input_answers_422_and_changes_nothing(
    client, login, program, reviewer, action, data, message
):
    row = _file(program).complaint
    login(reviewer)
    response = client.post(f"/oficina/quejas/{row.folio}/{action}", data=data)
    assert response.status_code == 422
    assert message in page_text(html(response).select_one(".error-summary"))
    assert Complaint.get_by_id(row.id).status == "recibida"


def test_a_complaint_cannot_be_assigned_to_staff_of_another_agency(
    client, login, program, reviewer
):
    row = _file(program).complaint
    stranger = make_staff("revisor", make_agency())
    login(reviewer)
    response = client.post(f"/oficina/quejas/{row.folio}/asignar", data={"assignee": stranger.id})
    assert response.status_code == 422
    assert Complaint.get_by_id(row.id).assigned_to_id is None
    with pytest.raises(desk.ComplaintRefused):
        desk.assign(row.folio, reviewer, stranger)


def test_escalating_by_hand_passes_it_to_the_state_level(
    client, login, program, reviewer, state_admin
):
    citizen = make_citizen()
    row = _file(program, citizen).complaint
    login(reviewer)
    assert client.post(f"/oficina/quejas/{row.folio}/turnar").status_code == 303
    saved = Complaint.get_by_id(row.id)
    assert saved.status == "turnada" and saved.escalated_at is not None
    (entry,) = _actions(AuditAction.COMPLAINT_TURNADA)
    assert entry.details == {"de": "recibida", "motivo": "manual"} and entry.actor_id == reviewer.id
    assert Notice.select().where(Notice.kind == "queja_turnada").count() == 1
    # The agency no longer answers it; the state level does.
    assert (
        client.post(f"/oficina/quejas/{row.folio}/responder", data={"response": STORY}).status_code
        == 403
    )
    login(state_admin)
    assert (
        client.post(f"/oficina/quejas/{row.folio}/responder", data={"response": STORY}).status_code
        == 303
    )
    assert Complaint.get_by_id(row.id).status == "respondida"


def test_the_daily_task_escalates_what_is_overdue_and_only_that(app, program, reviewer):
    overdue = _file(program).complaint
    assigned = desk.assign(_file(program).complaint.folio, reviewer, reviewer)
    answered = desk.respond(_file(program).complaint.folio, reviewer, STORY)
    fresh = _file(program).complaint
    past = local_today() - dt.timedelta(days=1)
    Complaint.update(due_on=past).where(
        Complaint.id.in_([overdue.id, assigned.id, answered.id])
    ).execute()
    assert tasks.escalate_overdue_complaints_every_morning.call_local() == 2
    status = {r.id: r.status for r in Complaint.select()}
    assert status == {
        overdue.id: "turnada",
        assigned.id: "turnada",
        answered.id: "respondida",
        fresh.id: "recibida",
    }
    assert {e.details["motivo"] for e in _actions(AuditAction.COMPLAINT_TURNADA)} == {"vencida"}
    assert {e.actor_kind for e in _actions(AuditAction.COMPLAINT_TURNADA)} == {"sistema"}
    assert desk.escalate_overdue(local_today(), batch=1) == 0  # nothing left, nothing twice


def test_staff_download_the_attachment(client, login, program, reviewer):
    response = client.post(
        "/quejas",
        data={
            "kind": "denuncia",
            "subject": "programa",
            "program": str(program.id),
            "description": STORY,
            "attachment": (io.BytesIO(png_bytes()), "foto.png"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    row = Complaint.get()
    login(reviewer)
    download = client.get(f"/oficina/quejas/{row.folio}/adjunto")
    assert download.status_code == 200 and download.mimetype == "image/png"
    assert download.headers["Cache-Control"] == "no-store"
    no_file = _file(program).complaint
    assert client.get(f"/oficina/quejas/{no_file.folio}/adjunto").status_code == 404


def test_a_state_level_complaint_goes_only_to_those_who_open_the_desk(state_admin):
    """The secretariat and the state counter do not open the complaints desk, so
    a complaint about no program is never assigned to them."""
    secretary, counter = make_staff("secretaria"), make_staff("ventanilla_estatal")
    complaint = _file(subject="oficina").complaint
    ids = {s.id for s in desk.assignees(complaint)}
    assert state_admin.id in ids
    assert secretary.id not in ids and counter.id not in ids
