"""The application pages (apply, documents, receipt, corrections) name each
document and give its hint in the person's language, from the program's
translations, and in Spanish marked ``lang="es-MX"`` where it has none."""

from __future__ import annotations

import datetime as dt

from portal.models import Requirement
from portal.web.i18n import LANGUAGE_COOKIE
from tests.factories import make_application, make_citizen, make_program
from tests.support.html import html

ENGLISH = {
    "name": "Food Support",
    "summary": "Food every month.",
    "requirements": {
        "identificacion": {"name": "Official ID", "hint": "Voter card or passport."},
    },
}


def _program():
    program = make_program(
        name="Apoyo Alimentario", requirements=("identificacion", "curp"), i18n={"en": ENGLISH}
    )
    Requirement.update(hint="INE o pasaporte.").where(Requirement.program == program).execute()
    return program


def _in(client, lang):
    client.set_cookie(LANGUAGE_COOKIE, lang)
    return client


def _section(page, name):
    heading = None
    for h3 in page.find_all("h3"):
        if h3.span and h3.span.get_text() == name:
            heading = h3
    assert heading is not None, name
    return heading.parent


def test_the_apply_page_lists_the_documents_in_english(login):
    program = _program()
    client = _in(login(make_citizen()), "en")
    page = html(client.get(f"/programas/{program.slug}/solicitar"))
    assert page.h1.get_text() == "Apply for “Food Support”" and not page.h1.span
    items = {li.span.get_text(): li.span.get("lang") for li in page.select("ul li") if li.span}
    assert items["Official ID"] is None
    assert items["Curp"] == "es-MX"  # no translation: Spanish, marked


def test_the_documents_page_names_and_explains_each_document_in_english(login):
    citizen = make_citizen()
    program = _program()
    application = make_application(citizen, program, status="borrador")
    page = html(_in(login(citizen), "en").get(f"/mis-solicitudes/{application.folio}/documentos"))
    translated = _section(page, "Official ID")
    assert not translated.h3.span.get("lang")
    assert translated.find("p", class_="hint").get_text() == "Voter card or passport."
    assert translated.button.get_text() == "Upload “Official ID”"
    spanish = _section(page, "Curp")
    assert spanish.h3.span["lang"] == "es-MX"
    assert spanish.find("p", class_="hint")["lang"] == "es-MX"  # the hint is not translated
    assert spanish.button.span["lang"] == "es-MX"
    assert "Food Support" in page.h1.get_text()


def test_the_documents_page_in_spanish_has_no_lang_marks(login):
    citizen = make_citizen()
    application = make_application(citizen, _program(), status="borrador")
    page = html(_in(login(citizen), "es").get(f"/mis-solicitudes/{application.folio}/documentos"))
    section = _section(page, "Identificacion")
    assert not section.h3.span.get("lang") and section.button.get_text() == "Subir «Identificacion»"
    assert section.find("p", class_="hint").get_text() == "INE o pasaporte."


def test_a_refused_submission_names_the_missing_document_in_english(login):
    citizen = make_citizen()
    application = make_application(citizen, _program(), status="borrador")
    response = _in(login(citizen), "en").post(f"/mis-solicitudes/{application.folio}/enviar")
    assert response.status_code == 422
    text = html(response).get_text(" ", strip=True)
    assert "The document “Official ID” is missing." in text
    assert "«Identificacion»" not in text


def test_the_receipt_and_the_application_page_name_program_and_documents_in_english(login):
    citizen = make_citizen()
    application = make_application(
        citizen, _program(), status="enviada", submitted_at=dt.datetime(2026, 12, 1, 10, 0)
    )
    client = _in(login(citizen), "en")
    receipt = html(client.get(f"/mis-solicitudes/{application.folio}/comprobante"))
    program_cell = receipt.find("dt", string="Programme").find_next_sibling("dd")
    assert program_cell.get_text() == "Food Support" and not program_cell.get("lang")
    detail = html(client.get(f"/mis-solicitudes/{application.folio}"))
    names = [li.span for li in detail.find_all("li") if li.span and li.span.get_text()]
    shown = {span.get_text(): span.get("lang") for span in names}
    assert shown.get("Official ID", "absent") is None and shown.get("Curp") == "es-MX"


def test_a_correction_asks_for_the_document_by_its_english_name(login):
    citizen = make_citizen()
    program = _program()
    identification = Requirement.get(
        (Requirement.program == program) & (Requirement.slug == "identificacion")
    )
    application = make_application(
        citizen,
        program,
        status="requiere_correccion",
        correction={"documents": [identification.id], "fields": [], "message": "Se ve borrosa."},
    )
    page = html(_in(login(citizen), "en").get(f"/mis-solicitudes/{application.folio}"))
    section = page.find("section", class_="correction")
    assert section.h3.span.get_text() == "Official ID"
    assert section.button.get_text() == "Upload “Official ID”"
