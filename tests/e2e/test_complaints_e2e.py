"""Complaints in Chromium, with and without JavaScript, axe clean: an anonymous
person files a complaint about a program from the footer link, notes the folio
and code, follows it; the agency's reviewer finds it in the queue, assigns it
and answers; the person reads the answer with folio and code; the public
counts show it. A 20 MB attachment comes back on the form with the message."""

from __future__ import annotations

import pytest

from portal.models import Complaint
from tests.application_builders import png_bytes
from tests.factories import make_program, make_staff

from .conftest import assert_accessible, portal_of_its_own
from .test_rights_e2e import _context, _in_app

JS = pytest.mark.parametrize("javascript", [True, False], ids=["con-js", "sin-js"])
STORY = "En el módulo de entrega me pidieron una cooperación de 200 pesos."


@pytest.fixture(scope="module")
def portal(tmp_path_factory):
    with portal_of_its_own(
        tmp_path_factory.mktemp("complaints-e2e"), QUEUE_IMMEDIATE=True
    ) as served:
        yield served


def _axe(page, javascript: bool) -> None:
    """axe runs in the page: only where JavaScript is on (the same pages, the
    same markup, are then checked without it for behaviour)."""
    if javascript:
        assert_accessible(page)


@JS
def test_file_anonymously_follow_and_staff_answers(browser, portal, javascript, tmp_path):
    app, base = portal
    program, reviewer = _in_app(
        app,
        lambda: (
            (p := make_program(name=f"Apoyo Alimentario {javascript}")),
            make_staff("revisor", p.agency),
        ),
    )
    context = browser.new_context(java_script_enabled=javascript)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(base + "/")
    page.locator("footer").get_by_role("link", name="Quejas y denuncias").click()
    page.wait_for_url("**/quejas")
    _axe(page, javascript)
    page.get_by_label("Queja: algo que le hicieron").check()
    page.get_by_label("Una entrega de apoyos").check()
    page.get_by_label("Programa", exact=True).select_option(label=program.name)
    page.get_by_label("¿Qué pasó?").fill(STORY)
    page.get_by_label("¿Dónde pasó? (opcional)").fill("Módulo de entrega de Corregidora")
    photo = tmp_path / "prueba.png"
    photo.write_bytes(png_bytes())
    page.get_by_label("Prueba o documento (opcional)").set_input_files(str(photo))
    page.get_by_role("button", name="Enviar").click()
    page.locator("#codigo").wait_for()
    folio = page.locator("#folio").inner_text()
    code = page.locator("#codigo").inner_text()
    _axe(page, javascript)

    # Following it: first a wrong code, then the right one.
    page.get_by_role("link", name="Seguir una queja").click()
    page.get_by_label("Folio").fill(folio)
    page.get_by_label("Código de seguimiento").fill("AAAAAAAAAA")
    page.get_by_role("button", name="Ver en qué va").click()
    page.locator(".error-summary").wait_for()
    assert "no coinciden" in page.locator(".error-summary").inner_text()
    _axe(page, javascript)
    page.get_by_label("Código de seguimiento").fill(code)
    page.get_by_role("button", name="Ver en qué va").click()
    assert page.locator("#estado").inner_text() == "Recibida"
    _axe(page, javascript)

    # The agency's reviewer assigns and answers.
    staff_context, desk = _context(browser, app, base, reviewer, javascript)
    desk.goto(base + "/oficina/quejas")
    _axe(desk, javascript)
    desk.get_by_role("link", name=folio).click()
    assert STORY in desk.content()
    _axe(desk, javascript)
    desk.get_by_label("Asignar a").select_option(label=reviewer.name)
    desk.get_by_role("button", name="Asignar").click()
    desk.locator("#estado", has_text="En atención").wait_for()
    desk.get_by_label("Respuesta para la persona").fill(
        "Suspendimos a la persona del módulo y le devolveremos su dinero."
    )
    desk.get_by_role("button", name="Enviar la respuesta").click()
    desk.locator("#estado", has_text="Respondida").wait_for()
    _axe(desk, javascript)
    staff_context.close()

    page.goto(base + "/quejas/seguimiento")
    page.get_by_label("Folio").fill(folio)
    page.get_by_label("Código de seguimiento").fill(code)
    page.get_by_role("button", name="Ver en qué va").click()
    assert "devolveremos su dinero" in page.locator("#respuesta").inner_text()

    page.goto(base + "/quejas/estadisticas")
    assert page.get_by_role("row", name=program.name).is_visible()
    _axe(page, javascript)
    context.close()


@JS
def test_a_20_mb_attachment_comes_back_with_the_message(browser, portal, javascript, tmp_path):
    app, base = portal
    before = _in_app(app, lambda: Complaint.select().count())
    context = browser.new_context(java_script_enabled=javascript)
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto(base + "/quejas")
    page.get_by_label("Denuncia: una irregularidad").check()
    page.get_by_label("Una oficina de atención").check()
    page.get_by_label("¿Qué pasó?").fill(STORY)
    big = tmp_path / "grande.pdf"
    big.write_bytes(b"%PDF-1.4\n" + b"0" * (20 * 1024 * 1024))
    page.get_by_label("Prueba o documento (opcional)").set_input_files(str(big))
    with page.expect_response(lambda r: r.url.endswith("/quejas")) as answer:
        page.get_by_role("button", name="Enviar").click()
    assert answer.value.status == 413
    error = page.locator("#attachment-field .error-message")
    error.wait_for()
    assert "no se guardó" in error.inner_text()
    _axe(page, javascript)
    assert _in_app(app, lambda: Complaint.select().count()) == before
    context.close()
