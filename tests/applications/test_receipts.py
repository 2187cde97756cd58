"""The citizen's receipt: what was sent, what happens next, how to follow it, and
its print versions (letter or A4, and the 80 mm slip of kiosks)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from portal.applications import workflow as apps
from portal.applications.documents import get_storage
from portal.applications.uploads import inspect_upload
from portal.models import Document
from tests.application_builders import MINIMAL_PDF, citizen_actor, draft_for, jpeg_bytes, submitted
from tests.conftest import sign_in_as
from tests.factories import make_agency, make_citizen, make_program, make_staff
from tests.support.html import html

STATIC = Path(__file__).resolve().parents[2] / "static" / "css"
RECEIPT = "/mis-solicitudes/{folio}/comprobante"
PRINTED = "/mis-solicitudes/{folio}/comprobante?imprimir=1"
SLIP = "/mis-solicitudes/{folio}/comprobante/80mm"


def text_of(page) -> str:
    """The text as read, spaces collapsed."""
    return " ".join(page.get_text().split())


@pytest.fixture
def sent(app):
    """A submitted application with an ID as a PDF and a proof of address as a phone photo."""
    citizen = make_citizen(notify_channel="email", email="maria@example.org")
    program = make_program(
        make_agency(name="Secretaría de Desarrollo Social"),
        name="Apoyo Alimentario",
        requirements=("identificacion", "comprobante"),
    )
    draft = draft_for(citizen, program, with_documents=False)
    identification, proof = apps.required_requirements(draft)
    for requirement, data, name in (
        (identification, MINIMAL_PDF, "ine-de-maria.pdf"),
        (proof, jpeg_bytes((640, 480)), "IMG_20261201.jpg"),
    ):
        apps.add_document(
            draft, requirement, inspect_upload(data, name), get_storage(), citizen_actor(citizen)
        )
    return citizen, apps.submit(draft, citizen_actor(citizen))


def test_the_receipt_lists_each_document_sent_by_name_kind_and_size(login, sent):
    citizen, application = sent
    page = html(login(citizen).get(RECEIPT.format(folio=application.folio)))
    items = [text_of(li) for li in page.find("ul", class_="sent-documents").find_all("li")]
    assert items[0] == "Identificacion: Documento PDF, 1 KB"
    assert re.fullmatch(r"Comprobante: Foto JPG, \d+ KB", items[1])
    # Nothing internal: no file names, storage keys or document ids.
    shown = str(page)
    for document in Document.select().where(Document.application == application.id):
        assert document.filename not in shown and document.storage_key not in shown
        assert f"/documentos/{document.id}" not in shown


def test_the_receipt_says_what_happens_next_and_roughly_when(login, sent):
    citizen, application = sent
    page = text_of(html(login(citizen).get(RECEIPT.format(folio=application.folio))))
    assert "Secretaría de Desarrollo Social revisará sus datos y sus documentos." in page
    assert "recibe solicitudes hasta el 31 de diciembre de 2027" in page
    assert "le pediremos que lo corrija" in page


def test_the_receipt_says_how_to_follow_the_application(login, sent):
    citizen, application = sent
    page = html(login(citizen).get(RECEIPT.format(folio=application.folio)))
    follow = page.find("ul", class_="follow")
    assert follow.find("a", href="/mis-solicitudes").get_text().endswith("/mis-solicitudes")
    assert (
        f"En una oficina de Secretaría de Desarrollo Social: diga su folio, {application.folio}."
        in text_of(follow)
    )
    # The e-mail is shown masked: the receipt may be lost.
    assert "Le enviaremos un correo a m•••@example.org" in text_of(follow)
    assert "maria@example.org" not in str(page)
    folio = page.find(class_="folio")
    assert folio.get_text() == application.folio


@pytest.mark.parametrize(
    ("channel", "contact", "said"),
    [
        ("sms", {"phone": "4421234567"}, "al teléfono que termina en 4567"),
        ("portal", {}, "aparecen en «Avisos» cuando entra al portal"),
        # E-mail chosen but none given: nothing is sent outside, the receipt says so.
        ("email", {"email": ""}, "aparecen en «Avisos» cuando entra al portal"),
    ],
)
def test_the_receipt_names_the_notices_the_person_chose(login, channel, contact, said):
    citizen = make_citizen(notify_channel=channel, **contact)
    application = submitted(citizen, make_program())
    page = text_of(html(login(citizen).get(RECEIPT.format(folio=application.folio))))
    assert said in page


def test_a_waiting_application_says_what_happens_when_a_place_frees(login):
    program = make_program()
    call = program.calls.get()
    call.quota = 1
    call.save()
    submitted(make_citizen(), program)
    citizen = make_citizen()
    waiting = submitted(citizen, program)
    assert waiting.status == "en_espera"
    page = text_of(html(login(citizen).get(SLIP.format(folio=waiting.folio))))
    assert "Cuando se libere un lugar avanzará sola, en orden" in page
    assert "Está en el lugar 1 de la lista de espera." in page


def test_the_print_link_opens_a_print_version_without_javascript(login, sent):
    citizen, application = sent
    client = login(citizen)
    page = html(client.get(RECEIPT.format(folio=application.folio)))
    link = page.find("a", string="Imprimir comprobante")
    assert link["href"] == PRINTED.format(folio=application.folio)
    printed = html(client.get(link["href"]))
    # Nothing of the site around the receipt, and the print styles for every medium.
    assert printed.find("nav") is None and printed.find("header") is None
    assert printed.find(class_="receipt").find(class_="folio").get_text() == application.folio
    sheets = [s for s in printed.find_all("link", rel="stylesheet") if "print" in s["href"]]
    assert sheets and not sheets[0].get("media")
    assert "Para imprimir use «Imprimir» en el menú de su navegador." in text_of(printed)
    assert printed.find("a", string="Volver")["href"] == RECEIPT.format(folio=application.folio)


def test_the_80mm_link_opens_the_slip(login, sent):
    citizen, application = sent
    client = login(citizen)
    page = html(client.get(RECEIPT.format(folio=application.folio)))
    link = page.find("a", string="Imprimir comprobante (80 mm)")
    assert link["href"] == SLIP.format(folio=application.folio)
    slip = html(client.get(link["href"]))
    assert "paper-80mm" in slip.body["class"]
    assert any("receipt-80mm" in s["href"] for s in slip.find_all("link", rel="stylesheet"))
    assert "Identificacion: Documento PDF, 1 KB" in text_of(slip)
    assert slip.find("img") is None
    # Not a kiosk: no sign-out on the slip, the person keeps browsing.
    assert slip.find("form") is None


def test_on_a_kiosk_the_slip_comes_first_and_ends_the_visit(app, login, sent):
    app.config["KIOSK_MODE"] = True
    citizen, application = sent
    client = login(citizen)
    links = html(client.get(RECEIPT.format(folio=application.folio))).find(class_="receipt-actions")
    assert links.find("a")["href"] == SLIP.format(folio=application.folio)
    slip = html(client.get(SLIP.format(folio=application.folio)))
    leave = slip.find("form", attrs={"data-after-print": True})
    assert leave["action"] == "/salir" and leave.find("button").get_text() == "Terminar y salir"
    response = client.post(leave["action"], data={"csrf_token": "x"})
    # The kiosk reset: back to the start with nothing of the person left.
    assert response.status_code == 303 and response.location.endswith("/")
    assert "storage" in response.headers["Clear-Site-Data"]
    assert client.get(SLIP.format(folio=application.folio)).status_code == 302


@pytest.mark.parametrize("url", [RECEIPT, PRINTED, SLIP], ids=["page", "print", "80mm"])
def test_only_the_owner_opens_the_receipt(app, sent, url):
    citizen, application = sent
    path = url.format(folio=application.folio)
    anonymous = app.test_client().get(path)
    assert anonymous.status_code == 302 and "/entrar" in anonymous.location
    for visitor, status in (
        (citizen, 200),
        (make_citizen(), 404),
        (make_staff("revisor", application.program.agency), 403),
    ):
        client = app.test_client()
        sign_in_as(client, visitor)
        assert client.get(path).status_code == status, visitor


@pytest.mark.parametrize("url", [RECEIPT, PRINTED, SLIP], ids=["page", "print", "80mm"])
def test_a_draft_has_no_receipt_yet(login, url):
    citizen = make_citizen()
    draft = draft_for(citizen, make_program())
    response = login(citizen).get(url.format(folio=draft.folio))
    assert response.status_code == 303
    assert response.location.endswith(f"/mis-solicitudes/{draft.folio}")


def _print_rules(css: str) -> str:
    """The body of the stylesheet's ``@media print`` block."""
    start = css.index("@media print {") + len("@media print {")
    depth, end = 1, start
    while depth:
        depth += {"{": 1, "}": -1}.get(css[end], 0)
        end += 1
    return css[start : end - 1]


def test_the_print_stylesheet_hides_the_site_and_prints_black_on_white():
    rules = _print_rules((STATIC / "print.css").read_text())
    hidden = rules[: rules.index("display: none")]
    for selector in (".site-header", ".site-footer", "nav", "button", ".button", ".no-print"):
        assert re.search(rf"(^|[\s,]){re.escape(selector)}\s*[,{{]", hidden), selector
    assert "color: #000" in rules and "background: #fff" in rules


def test_the_slip_stylesheet_sets_80mm_paper():
    css = (STATIC / "receipt-80mm.css").read_text()
    assert re.search(r"@page\s*{\s*size:\s*80mm", css)
    assert "max-width: 80mm" in css
