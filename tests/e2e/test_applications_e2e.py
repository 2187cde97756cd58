"""Applying in Chromium: documents as a phone photo and a PDF, the folio, the
e-mail, a correction request and the resubmission; with and without JavaScript."""

from __future__ import annotations

import io
import socket

import pytest
from aiosmtpd.controller import Controller
from PIL import Image

from portal.applications import workflow as apps
from portal.backoffice.audit import Actor
from portal.models import Application
from portal.territory.catalog import load_seed
from portal.web.extensions import db
from tests.application_builders import MINIMAL_PDF
from tests.conftest import sign_in_as
from tests.factories import make_citizen, make_program

from .conftest import assert_accessible, portal_of_its_own


class Mailbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope.content.decode())
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def mailbox():
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield box, controller.port
    controller.stop()


@pytest.fixture(scope="module")
def portal(tmp_path_factory, mailbox):
    """The portal on its own database, sending mail to the local SMTP server
    from the request thread (QUEUE_IMMEDIATE) so the test can read it."""
    with portal_of_its_own(
        tmp_path_factory.mktemp("apps-e2e"), QUEUE_IMMEDIATE=True, MAIL_PORT=mailbox[1]
    ) as served:
        yield served


def phone_photo(path):
    """A JPEG as a phone camera writes it: large, with EXIF."""
    image = Image.new("RGB", (1600, 1200), (180, 160, 140))
    exif = Image.Exif()
    exif[0x010F] = "Telefono de prueba"  # Make
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    path.write_bytes(out.getvalue())
    return path


def signed_in_context(browser, app, base, citizen, javascript):
    client = app.test_client()
    with app.app_context():
        sign_in_as(client, citizen)
    cookie = client.get_cookie("vu_sesion")
    context = browser.new_context(java_script_enabled=javascript)
    context.add_cookies([{"name": "vu_sesion", "value": cookie.value, "url": base}])
    return context


@pytest.mark.parametrize("javascript", [True, False], ids=["con-js", "sin-js"])
def test_apply_with_photo_and_pdf_then_correct_and_resubmit(
    browser, portal, mailbox, tmp_path, javascript
):
    app, base = portal
    box, _port = mailbox
    with app.app_context():
        db.connect(reuse_if_open=True)
        load_seed()  # the corrected postal code is checked against SEPOMEX's catalog
        citizen = make_citizen(notify_channel="email", email="persona.demo@example.org")
        program = make_program(
            name="Apoyo de prueba e2e", requirements=("identificacion", "comprobante")
        )
        slug = program.slug
        db.close()
    context = signed_in_context(browser, app, base, citizen, javascript)
    page = context.new_page()
    page.set_default_timeout(15_000)

    def check_accessible():
        # axe runs as JavaScript: the run with JavaScript checks the same pages.
        if javascript:
            assert_accessible(page)

    # Discover the program in the catalog, then apply from its page.
    page.goto(f"{base}/programas/{slug}")
    check_accessible()
    page.get_by_role("link", name="Solicitar este apoyo").click()
    page.wait_for_url(f"**/programas/{slug}/solicitar")
    check_accessible()
    page.get_by_role("button", name="Mis datos son correctos: continuar").click()
    page.wait_for_url("**/documentos")
    check_accessible()

    page.locator("input[name=document]").nth(0).set_input_files(
        str(phone_photo(tmp_path / "ine.jpg"))
    )
    page.get_by_role("button", name="Subir «Identificacion»").click()
    page.wait_for_load_state()
    check_accessible()
    pdf = tmp_path / "comprobante.pdf"
    pdf.write_bytes(MINIMAL_PDF)
    page.locator("input[name=document]").nth(1).set_input_files(str(pdf))
    page.get_by_role("button", name="Subir «Comprobante»").click()
    page.wait_for_load_state()
    assert page.locator(".tag-ok").count() == 2
    check_accessible()

    page.get_by_role("button", name="Enviar solicitud").click()
    page.wait_for_url("**/comprobante")
    folio = page.locator(".receipt .folio").inner_text()
    assert folio.startswith("QRO-")
    check_accessible()
    assert any(
        folio in message and "persona.demo@example.org" in message for message in box.messages
    )

    with app.app_context():
        db.connect(reuse_if_open=True)
        application = Application.get(Application.folio == folio)
        identificacion = apps.required_requirements(application)[0]
        apps.request_correction(
            application,
            Actor("personal", None, "admin_estatal"),
            documents=[identificacion.id],
            fields=["postal_code"],
            message="La foto de la identificación está borrosa.",
        )
        db.close()

    page.goto(f"{base}/mis-solicitudes/{folio}")
    assert page.get_by_text("La foto de la identificación está borrosa.").count() >= 1
    check_accessible()
    page.locator(".correction input[name=document]").set_input_files(
        str(phone_photo(tmp_path / "ine2.jpg"))
    )
    page.get_by_role("button", name="Subir «Identificacion»").click()
    page.wait_for_load_state()
    check_accessible()
    page.get_by_label("Código postal").fill("76000")
    page.get_by_role("button", name="Enviar corrección").click()
    page.wait_for_load_state()
    assert (
        page.locator(".notice-ok").first.inner_text()
        == "Enviamos su corrección. La dependencia la revisará."
    )
    check_accessible()
    timeline = page.locator(".timeline").inner_text()
    assert "Requiere corrección" in timeline and timeline.count("Enviada") == 2

    page.goto(f"{base}/avisos")
    assert folio in page.locator("main").inner_text()
    check_accessible()
    page.goto(f"{base}/mis-solicitudes")
    check_accessible()
    context.close()
