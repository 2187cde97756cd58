"""Law and trust in Chromium, with and without JavaScript, axe clean: the state
admin sets an electoral blackout and the program page shows the legend
prominently; a person files an ARCO request from /mis-datos, the office answers
it with a PDF, the person reads the answer; the counter files one for a person
without an account and prints the acknowledgement; a new privacy notice asks
again; a reviewer opens a case and the person sees it under "Quién consultó sus
datos"."""

from __future__ import annotations

import datetime as dt

import pytest

from portal.models import ArcoRequest, BlackoutPeriod
from portal.rights.holidays import local_today
from portal.web.extensions import db
from tests.application_builders import MINIMAL_PDF
from tests.conftest import sign_in_as
from tests.factories import (
    make_application,
    make_citizen,
    make_municipality,
    make_program,
    make_staff,
    valid_curp,
)

from .conftest import assert_accessible, portal_of_its_own

JS = pytest.mark.parametrize("javascript", [True, False], ids=["con-js", "sin-js"])


@pytest.fixture(scope="module")
def portal(tmp_path_factory):
    with portal_of_its_own(tmp_path_factory.mktemp("rights-e2e"), QUEUE_IMMEDIATE=True) as served:
        yield served


def _in_app(app, make):
    with app.app_context():
        db.connect(reuse_if_open=True)
        try:
            return make()
        finally:
            db.close()


def _context(browser, app, base, user, javascript):
    client = app.test_client()
    with app.app_context():
        sign_in_as(client, user)
    cookie = client.get_cookie("vu_sesion")
    context = browser.new_context(java_script_enabled=javascript)
    context.add_cookies([{"name": "vu_sesion", "value": cookie.value, "url": base}])
    page = context.new_page()
    page.set_default_timeout(15_000)
    return context, page


@JS
def test_state_admin_sets_a_blackout_and_the_program_page_shows_the_legend(
    browser, portal, javascript
):
    app, base = portal

    def world():
        make_municipality()
        BlackoutPeriod.delete().execute()
        return make_staff("admin_estatal"), make_program(name="Apoyo e2e de veda").slug

    admin, slug = _in_app(app, world)
    context, page = _context(browser, app, base, admin, javascript)
    page.goto(f"{base}/oficina/veda")
    if javascript:
        assert_accessible(page)
    today = local_today()
    page.get_by_label("Proceso electoral").fill("Proceso electoral local 2026-2027")
    page.get_by_label("Desde (incluido)").fill(today.isoformat())
    page.get_by_label("Hasta (incluido)").fill((today + dt.timedelta(days=20)).isoformat())
    page.get_by_role("button", name="Registrar la veda").click()
    page.wait_for_url("**/oficina/veda")
    assert page.get_by_text("Veda registrada.").is_visible()
    if javascript:
        assert_accessible(page)
    context.close()

    anonymous = browser.new_context(java_script_enabled=javascript)
    public = anonymous.new_page()
    public.goto(f"{base}/programas/{slug}")
    banner = public.locator(".blackout-banner")
    assert banner.is_visible()
    assert "ajeno a cualquier partido político" in banner.inner_text()
    assert public.locator("main .legal-legend").count() == 2  # prominent, and at the foot
    if javascript:
        assert_accessible(public)
    anonymous.close()
    _in_app(app, lambda: BlackoutPeriod.delete().execute())


@JS
def test_a_person_files_an_arco_request_and_reads_the_offices_answer(
    browser, portal, tmp_path, javascript
):
    app, base = portal
    citizen, office = _in_app(app, lambda: (make_citizen(), make_staff("admin_estatal")))
    context, page = _context(browser, app, base, citizen, javascript)
    page.goto(f"{base}/mis-datos")
    if javascript:
        assert_accessible(page)
    page.get_by_role("link", name="Ejercer sus derechos ARCO").click()
    page.wait_for_url("**/mis-datos/derechos")
    if javascript:
        assert_accessible(page)
    page.get_by_label("Rectificación").check()
    page.get_by_label("Describa su solicitud").fill("Mi segundo apellido lleva acento: Ruíz.")
    page.get_by_role("button", name="Enviar solicitud").click()
    page.wait_for_url("**/mis-datos/derechos/*-ARCO-*")
    folio = page.locator(".folio").first.inner_text()
    assert "Aún no respondemos" in page.content()
    if javascript:
        assert_accessible(page)

    staff_context, desk = _context(browser, app, base, office, javascript)
    desk.goto(f"{base}/oficina/derechos")
    if javascript:
        assert_accessible(desk)
    desk.get_by_role("link", name=folio).click()
    desk.wait_for_url(f"**/oficina/derechos/{folio}")
    if javascript:
        assert_accessible(desk)
    desk.get_by_label("Procede: haremos lo que pidió").check()
    desk.get_by_label("Respuesta para la persona").fill("Corregimos su segundo apellido.")
    answer = tmp_path / "respuesta.pdf"
    answer.write_bytes(MINIMAL_PDF)
    desk.get_by_label("Documento de respuesta en PDF (opcional)").set_input_files(str(answer))
    desk.get_by_role("button", name="Enviar la respuesta").click()
    desk.wait_for_url(f"**/oficina/derechos/{folio}")
    assert "Respuesta guardada" in desk.content()
    if javascript:
        assert_accessible(desk)
    staff_context.close()

    page.goto(f"{base}/mis-datos/derechos/{folio}")
    assert "Corregimos su segundo apellido." in page.content()
    assert page.get_by_role("link", name="Descargar el documento de respuesta (PDF)").is_visible()
    if javascript:
        assert_accessible(page)
    page.goto(f"{base}/mis-datos")
    assert (
        "Atención de su solicitud de derechos ARCO"
        in page.locator("#consultas + p + table").inner_text()
    )
    context.close()


@JS
def test_the_counter_files_a_request_for_a_person_without_an_account(browser, portal, javascript):
    app, base = portal
    clerk = _in_app(app, lambda: make_staff("revisor"))
    curp = valid_curp()
    context, page = _context(browser, app, base, clerk, javascript)
    page.goto(f"{base}/oficina/derechos/ventanilla")
    if javascript:
        assert_accessible(page)
    page.get_by_role("button", name="Registrar la solicitud").click()
    assert page.locator(".error-summary").is_visible()
    if javascript:
        assert_accessible(page)
    page.get_by_label("CURP de la persona").fill(curp)
    page.get_by_label("Identificación que presentó").select_option("pasaporte")
    page.get_by_label("Número o folio de la identificación").fill("G12345678")
    page.get_by_label("Acceso: saber qué datos suyos tenemos y para qué").check()
    page.get_by_label("Describa su solicitud").fill("Quiero saber qué datos míos tienen.")
    page.get_by_role("button", name="Registrar la solicitud").click()
    receipt = page.locator("article.receipt")
    receipt.wait_for()
    assert "Acuse de solicitud de derechos ARCO" in receipt.inner_text()
    assert receipt.locator(".legal-legend").is_visible()
    if javascript:
        assert_accessible(page)
    assert _in_app(app, lambda: ArcoRequest.select().where(ArcoRequest.curp == curp).count()) == 1
    context.close()


@JS
def test_a_new_purpose_asks_the_person_again_and_my_data_shows_what_they_accepted(
    browser, portal, monkeypatch, javascript
):
    from portal.citizens import record
    from portal.messages import _l
    from portal.rights import privacy

    app, base = portal
    first = privacy.VERSIONS[-1]
    later = privacy.NoticeVersion(
        "2099-02",
        dt.date(2099, 2, 1),
        (*first.purposes, _l("Invitarle a encuestas de satisfacción.")),
        _l("Agrega las encuestas de satisfacción."),
    )
    monkeypatch.setattr(privacy, "VERSIONS", (first, later))

    def world():
        citizen = make_citizen()
        record.accept_privacy(citizen, first.version)
        return citizen

    citizen = _in_app(app, world)
    context, page = _context(browser, app, base, citizen, javascript)
    page.goto(f"{base}/mis-datos/editar")
    page.wait_for_url("**/mis-datos/aviso**")
    assert "Agrega las encuestas de satisfacción." in page.content()
    if javascript:
        assert_accessible(page)
    page.get_by_role("checkbox").check()
    page.get_by_role("button", name="Aceptar y continuar").click()
    page.wait_for_url("**/mis-datos/editar")
    page.goto(f"{base}/mis-datos")
    consent = page.locator("#aviso + p").inner_text()
    assert "versión 2099-02 el" in consent
    if javascript:
        assert_accessible(page)
    page.goto(f"{base}/privacidad")
    assert "Versión 2099-02, publicada el" in page.content()
    if javascript:
        assert_accessible(page)
    context.close()


@JS
def test_a_reviewer_opens_a_case_and_the_person_sees_who_saw_their_data(
    browser, portal, javascript
):
    app, base = portal

    def world():
        program = make_program(name="Apoyo e2e de consultas")
        reviewer = make_staff("revisor", agency=program.agency, name="Rosa Revisora e2e")
        citizen = make_citizen()
        application = make_application(
            citizen, program, status="enviada", submitted_at=dt.datetime(2026, 12, 1, 16, 0)
        )
        return reviewer, citizen, application.folio, program.agency.name

    reviewer, citizen, folio, agency = _in_app(app, world)
    desk_context, desk = _context(browser, app, base, reviewer, javascript)
    desk.goto(f"{base}/oficina/solicitudes/{folio}")
    assert folio in desk.content()
    if javascript:
        assert_accessible(desk)
    desk_context.close()

    context, page = _context(browser, app, base, citizen, javascript)
    page.goto(f"{base}/mis-datos")
    table = page.locator("#consultas + p + table")
    row = table.locator("tbody tr", has_text=folio)
    assert row.count() == 1
    text = row.inner_text()
    assert "Rosa Revisora e2e" in text and agency in text
    assert "Revisión de su solicitud" in text
    if javascript:
        assert_accessible(page)
    context.close()
