"""Assisted mode: staff register a person without a digital ID and apply for them."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest

from portal.applications.models import Assistance
from portal.citizens.models import IdentityCheck
from portal.models import Application, ApplicationEvent, AuditEvent, Citizen, Document
from tests.application_builders import MINIMAL_PDF, submitted
from tests.factories import (
    make_agency,
    make_citizen,
    make_enrollment,
    make_municipality,
    make_program,
    make_staff,
    valid_curp,
)
from tests.support.html import html


@pytest.fixture
def counter():
    agency = make_agency(slug="sedesoq")
    program = make_program(agency, requirements=("identificacion",))
    make_municipality()
    return make_staff("revisor", agency), program


# A voter card's CIC: nine digits, the same shape for everyone.
CIC = "123456789"


def look_up(client, citizen):
    """Find the person by CURP: this staff session now serves them."""
    return client.post("/oficina/ventanilla", data={"curp": citizen.curp})


def check_id(client, citizen, id_type="ine", id_number=CIC):
    """Look the person up and record the ID they showed (needed before acting for them)."""
    look_up(client, citizen)
    return client.post(
        "/oficina/ventanilla/persona",
        data={"id_type": id_type, "id_number": id_number},
    )


def apply_for(client, citizen, program, key):
    return client.post(
        "/oficina/ventanilla/persona/solicitar",
        data={"program": program.slug, "idempotency_key": key},
    )


def start_at_the_counter(login, counter, key):
    """The counter's reviewer, signed in, checks a new person's ID and applies
    for them: the client, the response and the application started."""
    reviewer, program = counter
    citizen = make_citizen()
    client = login(reviewer)
    check_id(client, citizen)
    response = apply_for(client, citizen, program, key)
    return client, response, Application.get(Application.citizen == citizen.id)


def upload_scan(client, application, scan: bytes):
    """Upload ``scan`` for the first requirement of the application's program."""
    requirement = application.program.requirements.first()
    return client.post(
        f"/oficina/ventanilla/solicitudes/{application.folio}/requisitos/{requirement.id}",
        data={"document": (io.BytesIO(scan), "escaneo.pdf")},
        content_type="multipart/form-data",
    )


# A clave de elector for someone born on 17 May 1990, a woman (as _register's data).
VOTER_KEY = "GMGZRS90051722M100"


def _register(client, curp_value, **changes):
    data = {
        "curp": curp_value,
        "given_names": "Rosa",
        "first_surname": "Gómez",
        "second_surname": "",
        "birth_date": "1990-05-17",
        "sex": "M",
        "municipality": "22014",
        "id_type": "ine",
        "id_number": VOTER_KEY,
        **changes,
    }
    return client.post("/oficina/ventanilla/registro", data=data)


def test_unknown_curp_leads_to_registration_with_id_check(login, counter):
    reviewer, _ = counter
    client = login(reviewer)
    curp = valid_curp(dt.date(1990, 5, 17), "M")
    response = client.post("/oficina/ventanilla", data={"curp": curp.lower()})
    assert response.location.endswith("/oficina/ventanilla/registro")
    assert (
        html(client.get("/oficina/ventanilla/registro")).find("input", id="curp")["value"] == curp
    )
    response = _register(client, curp)
    assert response.status_code == 303
    citizen = Citizen.get(Citizen.curp == curp)
    assert citizen.origin == "assisted"
    check = IdentityCheck.get(IdentityCheck.citizen == citizen)
    assert (check.id_type, check.id_number, check.staff_id) == ("ine", VOTER_KEY, reviewer.id)
    trail = " ".join(str(e.details) + e.object_id for e in AuditEvent.select())
    assert curp not in trail and VOTER_KEY not in trail


def test_who_registers_a_person_is_noted_as_having_helped_them(login, counter):
    reviewer, _ = counter
    curp = valid_curp(dt.date(1990, 5, 17), "M")
    assert _register(login(reviewer), curp).status_code == 303
    citizen = Citizen.get(Citizen.curp == curp)
    assert [(a.staff_id, a.act, a.application_id) for a in citizen.assistance] == [
        (reviewer.id, "registro", None)
    ]
    actions = [e.action for e in AuditEvent.select().order_by(AuditEvent.id)]
    assert actions[-2:] == ["ventanilla.registrar", "ventanilla.identificacion"]


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"birth_date": "1991-05-17"}, "no coincide con la de la CURP"),
        ({"sex": "H"}, "no coincide con el de la CURP"),
        ({"id_number": ""}, "Escriba el número de la identificación."),
        ({"id_number": "0000"}, "no es un número de identificación: cópielo"),
        ({"id_number": "12345"}, "clave de elector (18 caracteres"),
        ({"id_number": "GMGZRS90133122M100"}, "fecha de nacimiento (AAMMDD)"),
        ({"id_number": "GMGZRS91051722M100"}, "no corresponde a la fecha de nacimiento"),
        ({"id_number": "GMGZRS90051722H100"}, "no corresponde al sexo"),
        ({"id_type": "pasaporte", "id_number": "12345"}, "una letra y 8 dígitos"),
        ({"curp": "GOMA900517"}, "18 caracteres"),
    ],
)
def test_registration_refuses_bad_data_and_writes_nothing(login, counter, changes, message):
    client = login(counter[0])
    response = _register(client, valid_curp(dt.date(1990, 5, 17), "M"), **changes)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert Citizen.select().count() == 0 and IdentityCheck.select().count() == 0
    assert not Assistance.select().exists()


def test_invalid_curp_lookup_has_a_message(login, counter):
    response = login(counter[0]).post("/oficina/ventanilla", data={"curp": "ABC"})
    assert response.status_code == 422 and "18 caracteres" in response.get_data(as_text=True)


def test_existing_person_needs_an_id_check_before_acting(login, counter):
    reviewer, program = counter
    citizen = make_citizen()
    client = login(reviewer)
    assert look_up(client, citizen).location.endswith("/oficina/ventanilla/persona")
    page = html(client.get("/oficina/ventanilla/persona"))
    assert page.find("select", id="id_type") and not page.find("select", id="program")
    refused = apply_for(client, citizen, program, "k1")
    assert refused.status_code == 303 and Application.select().count() == 0
    assert check_id(client, citizen, "pasaporte", "G12345678").status_code == 303
    assert html(client.get("/oficina/ventanilla/persona")).find("select", id="program")


def test_staff_apply_upload_and_submit_for_the_person_marked_assisted(login, counter):
    reviewer, _ = counter
    client, response, application = start_at_the_counter(login, counter, "k-assist")
    assert response.location.endswith(f"/oficina/ventanilla/solicitudes/{application.folio}")
    assert application.assisted_by_id == reviewer.id
    response = upload_scan(client, application, MINIMAL_PDF)
    assert response.status_code == 303
    assert Document.get(Document.application == application.id).uploaded_by_staff_id == reviewer.id
    assert (
        client.post(f"/oficina/ventanilla/solicitudes/{application.folio}/enviar").status_code
        == 303
    )
    application = Application.get_by_id(application.id)
    assert application.status == "enviada"
    event = ApplicationEvent.get(
        (ApplicationEvent.application == application.id) & (ApplicationEvent.to_status == "enviada")
    )
    assert event.assisted and event.actor_staff_id == reviewer.id


def test_a_submission_at_the_counter_into_a_full_call_waits_and_says_the_place(login, counter):
    """Issue 16, item 9: the counter files into a full call as the person would."""
    _, program = counter
    call = program.calls.get()
    call.quota = 1
    call.save()
    submitted(make_citizen(), program)
    client, _, application = start_at_the_counter(login, counter, "k-espera")
    upload_scan(client, application, MINIMAL_PDF)
    response = client.post(f"/oficina/ventanilla/solicitudes/{application.folio}/enviar")
    assert response.status_code == 303
    assert Application.get_by_id(application.id).status == "en_espera"
    page = html(client.get(response.location)).get_text(" ", strip=True)
    assert "quedó en el lugar 1 de la lista de espera" in page
    event = ApplicationEvent.get(ApplicationEvent.application == application.id)
    assert event.to_status == "en_espera" and event.assisted


def test_a_bad_scan_is_refused_with_a_message(login, counter):
    client, _, application = start_at_the_counter(login, counter, "k2")
    response = upload_scan(client, application, b"<html>no</html>")
    assert response.status_code == 422 and Document.select().count() == 0


def test_the_counter_refuses_a_scan_over_the_upload_limit(login, counter, app):
    app.config["MAX_UPLOAD_MB"] = 1
    client, _, application = start_at_the_counter(login, counter, "k-big")
    response = upload_scan(
        client, application, MINIMAL_PDF[:-6] + b"0" * (1024 * 1024) + b"%%EOF\n"
    )
    assert response.status_code == 413
    assert "el máximo es 1 MB" in html(response).get_text()
    assert Document.select().count() == 0
    storage = Path(app.config["STORAGE_PATH"])
    assert not storage.exists() or not any(p.is_file() for p in storage.rglob("*"))


def test_staff_cannot_apply_to_another_agencys_program(login, counter):
    reviewer, _ = counter
    foreign = make_program()
    citizen = make_citizen()
    client = login(reviewer)
    check_id(client, citizen)
    apply_for(client, citizen, foreign, "k3")
    assert Application.select().count() == 0


def test_registering_a_curp_that_has_a_record_is_refused(login, counter):
    # One record per CURP: the person's later digital-ID sign-in finds this one.
    existing = make_citizen()
    response = _register(
        login(counter[0]), existing.curp, birth_date=existing.birth_date.isoformat()
    )
    assert response.status_code == 422
    assert "Ya hay un expediente con esa CURP" in response.get_data(as_text=True)
    assert Citizen.select().where(Citizen.curp == existing.curp).count() == 1
    assert not Assistance.select().exists()
    assert not AuditEvent.select().where(AuditEvent.action == "ventanilla.registrar").exists()


def test_the_application_page_shows_each_document_review_with_its_reason(login, counter):
    reviewer, program = counter
    citizen = make_citizen()
    application = submitted(citizen, program)
    Document.update(status="rechazado", review_reason="No se lee <la fecha>.").where(
        Document.application == application
    ).execute()
    client = login(reviewer)
    check_id(client, citizen)
    page = html(client.get(f"/oficina/ventanilla/solicitudes/{application.folio}"))
    item = page.find("li", class_="requirement")
    assert "Rechazado Motivo: No se lee <la fecha>." in " ".join(item.get_text(" ").split())


def test_starting_for_a_program_not_offered_is_refused_on_the_field(login, counter):
    reviewer, program = counter
    other = make_program(make_agency(slug="otra"))
    citizen = make_citizen()
    client = login(reviewer)
    check_id(client, citizen)
    response = apply_for(client, citizen, other, "k-otra")
    assert response.status_code == 422
    error = html(response).select_one("#program-error")
    assert error is not None and "Elija un programa de su dependencia." in error.get_text()
    assert not Application.select().where(Application.citizen == citizen.id).exists()


def test_a_refusal_of_the_rules_is_shown_on_the_persons_page_and_nothing_starts(login, counter):
    reviewer, program = counter
    citizen = make_citizen()
    make_enrollment(citizen, program)  # already receives it
    client = login(reviewer)
    check_id(client, citizen)
    response = apply_for(client, citizen, program, "k-ya")
    assert response.status_code == 422
    page = html(response)
    assert page.select_one("#program-error") is not None
    assert page.select_one(".error-summary") is not None
    assert not Application.select().where(Application.citizen == citizen.id).exists()
