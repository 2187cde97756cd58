"""Upload errors in Chromium keep the person's place: a file over the limit (the
body refused before it is read) and a photo where only a PDF is taken both come
back to the same requirement of the documents page, with the message; with
and without JavaScript."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from portal.applications import workflow as apps
from portal.models import Requirement
from portal.web.extensions import db
from tests.application_builders import jpeg_bytes
from tests.factories import make_citizen, make_program

from .conftest import assert_accessible, portal_of_its_own
from .test_applications_e2e import signed_in_context


@pytest.fixture(scope="module")
def portal(tmp_path_factory):
    """The portal with a 1 MB limit: bodies over 2 MB are refused unread."""
    with portal_of_its_own(tmp_path_factory.mktemp("upload-errors-e2e"), MAX_UPLOAD_MB=1) as served:
        yield served


@pytest.mark.parametrize("javascript", [True, False], ids=["con-js", "sin-js"])
def test_a_refused_upload_comes_back_to_its_requirement(browser, portal, tmp_path, javascript):
    app, base = portal
    with app.app_context():
        db.connect(reuse_if_open=True)
        citizen = make_citizen()
        program = make_program(requirements=("identificacion", "comprobante"))
        draft = apps.start_draft(citizen, program, f"e2e-{javascript}")
        first, second = apps.required_requirements(draft)
        Requirement.update(formats="pdf").where(Requirement.id == second.id).execute()
        folio, second_id = draft.folio, second.id
        db.close()
    context = signed_in_context(browser, app, base, citizen, javascript)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{base}/mis-solicitudes/{folio}/documentos")
    section = page.locator(f"#requisito-{second_id}")
    expect(section.locator(".hint").last).to_have_text("Solo PDF; máximo 1 MB.")
    if javascript:
        assert_accessible(page)

    big = tmp_path / "escaneo-enorme.pdf"
    big.write_bytes(b"%PDF-1.4\n" + b"0" * (3 * 1024 * 1024))
    section.locator("input[type=file]").set_input_files(str(big))
    section.get_by_role("button", name="Subir «Comprobante»").click()
    page.wait_for_url(f"**/requisitos/{second_id}#requisito-{second_id}")

    error = page.locator(f"#archivo-{second_id}-error")
    expect(error).to_contain_text("El archivo pesa más de 1 MB, el máximo. Reduzca el PDF")
    expect(error).to_be_in_viewport()
    expect(page.locator(f"#archivo-{second_id}")).to_have_attribute("aria-invalid", "true")
    expect(page.locator(".error-message")).to_have_count(1)
    if javascript:
        assert_accessible(page)

    photo = tmp_path / "foto.jpg"
    photo.write_bytes(jpeg_bytes())
    section = page.locator(f"#requisito-{second_id}")
    section.locator("input[type=file]").set_input_files(str(photo))
    section.get_by_role("button", name="Subir «Comprobante»").click()
    page.wait_for_load_state()
    expect(page.locator(f"#archivo-{second_id}-error")).to_contain_text(
        "Este requisito solo acepta PDF."
    )
    if javascript:
        assert_accessible(page)
    expect(page.locator(".tag-ok")).to_have_count(0)
    context.close()
