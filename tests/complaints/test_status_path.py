"""The one status path of complaints, the deadline, the codes, and the public
counts the writes keep: rules that must hold for every sequence of actions."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.backoffice.audit import SYSTEM, Actor
from portal.complaints import desk
from portal.complaints.models import COMPLAINT_STATUSES
from portal.models import AuditEvent, Complaint, ComplaintTally, Notice
from portal.rights.holidays import add_business_days, local_today
from tests.factories import make_citizen, make_program, make_staff
from tests.support.html import html, page_text

STORY = "La oficina no me quiso recibir los documentos."
ACTIONS = ("asignar", "responder", "turnar", "vencer", "asignar_estatal", "responder_estatal")


def test_every_status_has_its_moves_and_answered_is_final():
    assert set(desk.TRANSITIONS) == set(COMPLAINT_STATUSES)
    assert desk.TRANSITIONS["respondida"] == frozenset()
    assert all("recibida" not in targets for targets in desk.TRANSITIONS.values())
    assert not desk.may_move("turnada", "asignada")


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=st.lists(st.tuples(st.integers(0, 2), st.sampled_from(ACTIONS)), max_size=12))
def test_no_sequence_of_actions_skips_the_status_path(app, steps):
    for model in (Notice, AuditEvent, Complaint, ComplaintTally):
        model.delete().execute()
    program = make_program()
    reviewer = make_staff("revisor", program.agency)
    state = make_staff("admin_estatal")
    rows = [
        desk.file_complaint(
            desk.Filing("queja", "programa", STORY, program.id), citizen=make_citizen()
        ).complaint
        for _ in range(3)
    ]
    history = {row.id: ["recibida"] for row in rows}
    for index, action in steps:
        row = rows[index]
        before = Complaint.get_by_id(row.id).status
        staff = state if action.endswith("estatal") else reviewer
        allowed = desk.may_answer(staff, Complaint.get_by_id(row.id))
        moved = False
        try:
            if action.startswith("asignar") and allowed:
                desk.assign(row.folio, staff, staff)
                moved = True
            elif action.startswith("responder") and allowed:
                desk.respond(row.folio, staff, STORY)
                moved = True
            elif action == "turnar":
                desk.escalate(row.folio, staff)
                moved = True
            elif action == "vencer":
                Complaint.update(due_on=local_today() - dt.timedelta(days=1)).where(
                    Complaint.id == row.id
                ).execute()
                moved = desk.escalate_overdue(local_today()) == 1
        except desk.ComplaintRefused:
            assert Complaint.get_by_id(row.id).status == before
        after = Complaint.get_by_id(row.id).status
        assert moved or after == before
        if moved:
            assert desk.may_move(before, after), (before, after)
            history[row.id].append(after)
    for row in rows:
        final = Complaint.get_by_id(row.id)
        path = history[row.id]
        assert all(desk.may_move(a, b) for a, b in zip(path, path[1:], strict=False))
        actions = [
            e.action
            for e in AuditEvent.select()
            .where(
                (AuditEvent.object_type == desk.COMPLAINT_OBJECT)
                & (AuditEvent.object_id == str(row.id))
                & AuditEvent.action.startswith("queja.")
            )
            .order_by(AuditEvent.id)
        ]
        assert actions == [desk.STATUS_ACTIONS[s] for s in path]
        assert (final.status == "respondida") == bool(final.response)
    counted = {(t.program_key, t.status): t.count for t in ComplaintTally.select() if t.count}
    assert counted == desk.recount()


@given(st.text(max_size=30))
def test_a_typed_code_is_read_without_spaces_dashes_or_case(text):
    code = desk.normal_code(text)
    assert code == code.upper() and code.isalnum() | (code == "")
    assert desk.normal_code(" - ".join(code.lower())) == code


def test_codes_are_random_and_of_the_plain_alphabet():
    codes = {desk.new_code() for _ in range(200)}
    assert len(codes) == 200
    assert all(len(c) == desk.CODE_LENGTH and set(c) <= set(desk.CODE_ALPHABET) for c in codes)


def test_the_deadline_is_configurable_in_business_days(app):
    app.config["COMPLAINT_RESPONSE_DAYS"] = 3
    row = desk.file_complaint(desk.Filing("denuncia", "oficina", STORY)).complaint
    assert row.due_on == add_business_days(local_today(), 3)


def test_the_digest_depends_on_the_folio_and_the_secret(app):
    digest = desk.code_digest("QRO-QJ-2026-000001", "ABCDEFGHJK")
    assert digest != desk.code_digest("QRO-QJ-2026-000002", "ABCDEFGHJK")
    app.config["SECRET_KEY"] = "otra-clave-secreta-de-pruebas-0123456789"
    assert digest != desk.code_digest("QRO-QJ-2026-000001", "ABCDEFGHJK")


def test_the_system_cannot_answer_a_complaint_without_text(app):
    row = desk.file_complaint(desk.Filing("denuncia", "oficina", STORY)).complaint
    with pytest.raises(desk.ComplaintRefused):
        desk.change_status(row.folio, "respondida", SYSTEM, response="  ")
    with pytest.raises(desk.ComplaintRefused):
        desk.change_status("QRO-QJ-2026-999999", "turnada", SYSTEM)
    assert Complaint.get_by_id(row.id).status == "recibida"


# Public statistics -------------------------------------------------------------------


def test_the_public_counts_suppress_small_cells_and_name_nobody(client, app):
    busy, quiet = make_program(name="Apoyo Grande"), make_program(name="Apoyo Chico")
    reviewer = make_staff("revisor", busy.agency)
    citizen = make_citizen(given_names="Rosalinda")
    for _ in range(6):
        desk.file_complaint(desk.Filing("queja", "programa", STORY, busy.id), citizen=citizen)
    desk.respond(Complaint.select().first().folio, reviewer, STORY)
    desk.file_complaint(desk.Filing("denuncia", "entrega", STORY, quiet.id))
    page = html(client.get("/quejas/estadisticas"))
    rows = {
        tr.th.get_text(strip=True): [td.get_text(strip=True) for td in tr.find_all("td")]
        for tr in page.select("tbody tr")
    }
    assert rows["Apoyo Grande"] == ["5", "0", "0", "<5", "6"]
    assert rows["Apoyo Chico"] == ["<5", "0", "0", "0", "<5"]
    text = page_text(page)
    assert "Rosalinda" not in text and STORY not in text and "QRO-QJ" not in text
    csv = client.get("/quejas/estadisticas.csv")
    assert csv.mimetype == "text/csv"
    assert "Apoyo Grande,5,0,0,<5,6" in csv.get_data(as_text=True)


def test_the_public_counts_page_with_no_complaints(client, app):
    assert "Aún no hay quejas" in page_text(html(client.get("/quejas/estadisticas")))


def test_an_actor_of_the_state_assigns_only_state_staff(app):
    row = desk.file_complaint(desk.Filing("queja", "oficina", STORY)).complaint
    state = make_staff("admin_estatal")
    agency_staff = make_staff("revisor")
    assert {p.id for p in desk.assignees(row)} == {state.id}
    with pytest.raises(desk.ComplaintRefused):
        desk.change_status(row.folio, "asignada", Actor.staff(state), assignee=agency_staff)


def test_the_open_data_page_links_the_public_counts(client, app):
    links = html(client.get("/datos-abiertos")).select('a[href="/quejas/estadisticas.csv"]')
    assert len(links) == 1
