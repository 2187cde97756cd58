"""A CURP already proven (digital ID, counter check) is not asked for again as a document."""

from __future__ import annotations

import pytest

from portal.applications import workflow as apps
from portal.backoffice.audit import Actor
from portal.citizens.models import Identity, IdentityCheck
from portal.models import Document, Enrollment
from tests.factories import (
    make_application,
    make_citizen,
    make_document,
    make_program,
    make_staff,
)
from tests.support.html import html

PROVEN = "Su CURP ya está comprobada con su Llave Digital: no necesita subirla."
AT_COUNTER = "Su CURP ya se comprobó en la ventanilla con su identificación: no necesita subirla."


def digital_id_citizen():
    citizen = make_citizen()
    Identity.create(issuer="https://llave.example.org", subject=f"s-{citizen.id}", citizen=citizen)
    return citizen


def counter_checked_citizen():
    citizen = make_citizen(origin="assisted")
    IdentityCheck.create(citizen=citizen, id_type="pasaporte", id_number="G12345678")
    return citizen


def imported_citizen():
    return make_citizen(origin="import")


@pytest.mark.parametrize(
    ("person", "proof"),
    [
        (digital_id_citizen, apps.CURP_BY_DIGITAL_ID),
        (counter_checked_citizen, apps.CURP_BY_COUNTER),
        (imported_citizen, None),
    ],
)
def test_the_curp_document_is_asked_only_when_the_curp_is_not_proven(app, person, proof):
    citizen = person()
    application = make_application(citizen, make_program(requirements=("identificacion", "curp")))
    assert apps.curp_proof(citizen.id) == proof
    asked = [r.slug for r in apps.required_requirements(application)]
    assert asked == (["identificacion"] if proof else ["identificacion", "curp"])
    assert [r.slug for r in apps.missing_requirements(application)] == asked


def _documents_page(login, citizen):
    program = make_program(requirements=("identificacion", "curp"))
    application = make_application(citizen, program, status="borrador")
    return html(login(citizen).get(f"/mis-solicitudes/{application.folio}/documentos"))


def _asked(page) -> list[str]:
    return [section.h3.span.get_text() for section in page.select("section.requirement")]


def test_a_digital_id_citizen_is_not_asked_to_upload_the_curp(login):
    page = _documents_page(login, digital_id_citizen())
    assert _asked(page) == ["Identificacion"]
    assert PROVEN in page.get_text()


def test_a_person_checked_at_the_counter_is_not_asked_to_upload_the_curp(login):
    page = _documents_page(login, counter_checked_citizen())
    assert _asked(page) == ["Identificacion"]
    assert AT_COUNTER in page.get_text()


def test_a_person_without_a_proven_curp_is_asked_to_upload_it(login):
    page = _documents_page(login, imported_citizen())
    assert _asked(page) == ["Identificacion", "Curp"]
    assert "no necesita subirla" not in page.get_text()


def test_approval_never_demands_the_curp_document_of_a_proven_person(app):
    citizen = digital_id_citizen()
    program = make_program(requirements=("identificacion", "curp"))
    application = make_application(citizen, program, status="en_revision")
    for requirement in apps.required_requirements(application):  # the ID only
        make_document(application, requirement)
    assert Document.select().where(Document.application == application.id).count() == 1
    assert apps.approval_blockers(application) == []
    apps.approve(application, Actor.staff(make_staff("admin_estatal")))
    assert Enrollment.select().where(Enrollment.citizen == citizen.id).exists()


def test_approval_still_demands_the_curp_document_when_the_curp_is_not_proven(app):
    program = make_program(requirements=("identificacion", "curp"))
    application = make_application(imported_citizen(), program, status="en_revision")
    blockers = [str(b.text) for b in apps.approval_blockers(application)]
    assert "Falta el documento «Curp»." in blockers
