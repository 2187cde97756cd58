"""The state counter in Chromium (issue 18, item 6): a clerk of the state's
counter registers a person, takes down their phone with their consent, applies
for a program of another agency, sends it and prints the 80 mm receipt; an
approved person's QR credential prints on A4 and 80 mm. axe (zero violations)
runs on every page of the journey."""

from __future__ import annotations

import datetime as dt

import pytest

from portal.delivery import handover as delivery
from portal.models import Application, Citizen, Consent
from portal.web.extensions import db
from tests.application_builders import MINIMAL_PDF
from tests.factories import (
    make_agency,
    make_application,
    make_citizen,
    make_municipality,
    make_program,
    make_staff,
    valid_curp,
)

from .conftest import assert_accessible, portal_of_its_own

PASSWORD = "contraseña-de-prueba-segura"  # tests.factories.make_staff's


@pytest.fixture(scope="module")
def portal(tmp_path_factory):
    with portal_of_its_own(tmp_path_factory.mktemp("state-counter-e2e")) as served:
        app, _ = served
        with app.app_context():
            db.connect(reuse_if_open=True)
            make_municipality()
            make_program(make_agency(slug="sedesoq", name="Secretaría de Desarrollo Social"))
            school = make_program(
                make_agency(slug="seduc", name="Secretaría de Educación"), name="Beca Escolar"
            )
            clerk = make_staff("ventanilla_estatal", email="ventanilla@estado.example.org")
            approved_person = make_citizen(origin="assisted")
            approved = make_application(approved_person, school, status="aprobada")
            delivery.issue_credential(approved)
            db.close()
        yield app, served[1], clerk.email, approved_person.curp, approved.folio


@pytest.fixture
def page(browser, portal):
    context = browser.new_context()
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    yield tab
    context.close()


def _sign_in(page, base, email):
    page.goto(base + "/oficina/entrar")
    page.get_by_label("Correo").fill(email)
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Entrar").click()
    page.wait_for_url(lambda url: "/oficina/entrar" not in url)


def test_state_counter_registers_with_phone_and_consent_applies_elsewhere_and_prints(
    page, portal, tmp_path
):
    app, base, email, _, _ = portal
    curp = valid_curp(dt.date(1990, 5, 17), "M")
    _sign_in(page, base, email)
    page.goto(base + "/oficina/ventanilla")
    assert_accessible(page)
    page.get_by_label("CURP de la persona").fill(curp)
    page.get_by_role("button", name="Buscar").click()
    assert page.url.endswith("/oficina/ventanilla/registro")
    page.get_by_label("Nombre(s)").fill("Rosa")
    page.get_by_label("Primer apellido").fill("Gómez")
    page.get_by_label("Fecha de nacimiento").fill("1990-05-17")
    page.get_by_label("Sexo").select_option("M")
    page.get_by_label("Número o folio de la identificación").fill("GMGZRS90051722M100")
    assert_accessible(page)
    page.get_by_role("button", name="Crear expediente").click()
    assert page.url.endswith("/oficina/ventanilla/persona")
    assert_accessible(page)

    # Contact data: a phone that is not a Mexican mobile is refused on its field.
    page.get_by_role("link", name="Anotar teléfono, correo y domicilio").click()
    page.get_by_label("Por mensaje de texto (SMS)").check()
    page.get_by_label("Teléfono celular").fill("55 1234")
    page.get_by_label("La persona acepta que guardemos").check()
    page.get_by_role("button", name="Guardar datos de contacto").click()
    assert page.locator("#phone-error").is_visible()
    assert_accessible(page)
    page.get_by_label("Teléfono celular").fill("442 123 4567")
    page.get_by_label("La persona acepta que guardemos").check()
    page.get_by_role("button", name="Guardar datos de contacto").click()
    assert page.url.endswith("/oficina/ventanilla/persona")
    assert "Teléfono guardado." in page.locator("main").inner_text()
    assert_accessible(page)

    # Another agency's program: the state counter serves them all.
    page.get_by_label("Programa").select_option(label="Beca Escolar · Secretaría de Educación")
    page.get_by_role("button", name="Empezar solicitud").click()
    assert page.get_by_role("heading", level=1).inner_text().startswith("Beca Escolar")
    assert_accessible(page)
    scan = tmp_path / "identificacion.pdf"
    scan.write_bytes(MINIMAL_PDF)
    page.locator("input[type=file]").first.set_input_files(str(scan))
    page.get_by_role("button", name="Subir").first.click()
    page.get_by_role("button", name="Enviar solicitud").click()
    assert "enviada" in page.locator("main").inner_text()
    assert_accessible(page)
    page.get_by_role("link", name="Imprimir comprobante (80 mm)").click()
    folio = page.locator(".receipt .folio").inner_text()
    assert_accessible(page)

    with app.app_context():
        db.connect(reuse_if_open=True)
        citizen = Citizen.get(Citizen.curp == curp)
        application = Application.get(Application.folio == folio)
        assert (citizen.phone, citizen.notify_channel) == ("4421234567", "sms")
        assert Consent.select().where(Consent.citizen == citizen.id).count() == 1
        assert application.program.agency.slug == "seduc"
        assert application.status == "enviada"
        db.close()


def test_the_state_counter_prints_an_approved_persons_qr_on_a4_and_80mm(page, portal):
    _, base, email, curp, folio = portal
    _sign_in(page, base, email)
    page.goto(base + "/oficina/ventanilla")
    page.get_by_label("CURP de la persona").fill(curp)
    page.get_by_role("button", name="Buscar").click()
    page.get_by_label("Número o folio de la identificación").fill("123456789")
    page.get_by_role("button", name="Registrar identificación").click()
    page.goto(f"{base}/oficina/ventanilla/solicitudes/{folio}")
    page.get_by_role("link", name="Imprimir credencial QR en hoja A4").click()
    assert page.locator(".qr-box svg").is_visible()
    assert_accessible(page)
    page.go_back()
    page.get_by_role("link", name="Imprimir credencial QR (80 mm)").click()
    box = page.locator(".qr-box svg").bounding_box()
    assert box is not None and box["width"] <= 302
    assert_accessible(page)
