"""The legend the law requires on program pages, receipts, credentials and notices."""

from __future__ import annotations

import pytest

from portal.applications import notices
from portal.applications import workflow as applications
from portal.backoffice.audit import Actor
from portal.models import Application, Outbox
from portal.rights.legend import FEDERAL
from tests.factories import (
    accept_documents,
    make_application,
    make_citizen,
    make_program,
    make_staff,
)
from tests.support.html import html, page_text

LEGEND = FEDERAL.source
FOOTER = "Los programas sociales son gratuitos. Nadie puede pedirle dinero ni su voto a cambio."


def _legend(response) -> str:
    found = html(response).select_one(".legal-legend")
    assert found is not None, "no legend on the page"
    return page_text(found)


@pytest.fixture
def approved(app):
    program = make_program()
    citizen = make_citizen()
    reviewer = make_staff("revisor", program.agency)
    application = make_application(citizen, program, status="en_revision")
    applications.approve(
        accept_documents(application), Actor.staff(reviewer), expected_version=application.version
    )
    return Application.get_by_id(application.id), citizen, program


def test_program_pages_carry_the_legend_and_the_footer_sentence_stays(client, approved):
    _, _, program = approved
    for path in (f"/programas/{program.slug}", "/programas"):
        response = client.get(path)
        assert _legend(response) == LEGEND
        assert FOOTER in page_text(html(response).select_one(".site-footer"))


def test_the_receipt_the_credential_and_the_notices_carry_the_legend(client, login, approved):
    application, citizen, _ = approved
    login(citizen)
    for path in (
        f"/mis-solicitudes/{application.folio}/comprobante",
        f"/mis-solicitudes/{application.folio}/credencial",
        "/avisos",
    ):
        assert _legend(client.get(path)) == LEGEND, path
    receipt = html(client.get(f"/mis-solicitudes/{application.folio}/comprobante"))
    assert receipt.select_one("article.receipt .legal-legend") is not None  # it prints
    credential = html(client.get(f"/mis-solicitudes/{application.folio}/credencial"))
    assert credential.select_one("section.credential .legal-legend") is not None


def test_notices_sent_by_email_carry_the_legend(app):
    citizen = make_citizen(notify_channel="email", email="ana@example.org")
    application = make_application(citizen)
    notice = notices.status_changed(application)
    row = Outbox.get(Outbox.notice == notice)
    message = notices._message(row, "https://portal.example")
    assert LEGEND in message.body


def test_the_state_sets_its_own_wording(client, app, approved):
    _, _, program = approved
    app.config["LEGAL_LEGEND"] = "Este programa es público. Texto de la ley estatal."
    page = html(client.get(f"/programas/{program.slug}"))
    legend = page.select_one(".legal-legend")
    assert page_text(legend) == "Este programa es público. Texto de la ley estatal."
    # A state's own legal wording is shown as written, in Spanish, whatever the language.
    assert legend["lang"] == "es-MX"


def test_english_pages_show_the_federal_legend_in_english(client, approved):
    _, _, program = approved
    client.get("/idioma/en?next=/")
    response = client.get(f"/programas/{program.slug}")
    assert html(response).html["lang"] == "en"
    assert _legend(response).startswith("This program is public")
