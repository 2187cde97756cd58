"""Upload refusals keep the person's place: the same page, at the same document,
with the message and what to do; a body over the limit included, although it
is refused before it is read (portal/web/security.py, portal/web/errors.py)."""

from __future__ import annotations

import io
import uuid
from pathlib import Path

import pikepdf
import pytest

from portal.applications import workflow as apps
from portal.models import Application, Document, Recertification, Requirement
from tests.application_builders import MINIMAL_PDF, jpeg_bytes, png_bytes, staff_actor, submitted
from tests.backoffice.test_oficina_assisted import counter, start_at_the_counter  # noqa: F401
from tests.delivery.recertification_builders import make_renewing_beneficiary
from tests.factories import make_citizen, make_program, make_staff
from tests.support.html import html

MB = 1024 * 1024
TOO_LARGE = "El archivo pesa más de 1 MB, el máximo."


@pytest.fixture(autouse=True)
def one_megabyte(app):
    """A limit of 1 MB, the body refused unread above 2 MB, as create_app sets it."""
    app.config["MAX_UPLOAD_MB"] = 1
    app.config["MAX_CONTENT_LENGTH"] = 2 * MB


@pytest.fixture
def citizen(app):
    return make_citizen()


@pytest.fixture
def program(app):
    return make_program(requirements=("identificacion", "comprobante"))


def draft(citizen, program) -> Application:
    return apps.start_draft(citizen, program, uuid.uuid4().hex)


def over_the_body_limit() -> bytes:
    return b"%PDF-1.4\n" + b"0" * (3 * MB)


def upload(client, application, requirement, data: bytes, name="documento.pdf", **headers):
    return client.post(
        f"/mis-solicitudes/{application.folio}/requisitos/{requirement.id}",
        data={"document": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
        headers=headers,
    )


def at_requirement(response, requirement) -> tuple[str, object]:
    """The message shown at the requirement's field, and the field."""
    page = html(response)
    section = page.find("section", id=f"requisito-{requirement.id}")
    error = section.find(id=f"archivo-{requirement.id}-error")
    return (" ".join(error.get_text(" ").split()) if error else ""), section.find(
        "input", {"type": "file"}
    )


def plain_413(response) -> bool:
    """The generic page: nothing of the application (its folio is only in the
    language link, which repeats the address)."""
    page = html(response)
    return (
        response.status_code == 413
        and page.h1.get_text(strip=True) == "El archivo es demasiado grande"
        and page.find(class_="folio") is None
        and page.find("form", enctype="multipart/form-data") is None
    )


def nothing_written(app) -> bool:
    storage = Path(app.config["STORAGE_PATH"])
    files = storage.exists() and any(p.is_file() for p in storage.rglob("*"))
    return Document.select().count() == 0 and not files


# A body over the limit --------------------------------------------------------


def test_a_file_over_the_limit_comes_back_to_its_requirement(login, citizen, program, app):
    application = draft(citizen, program)
    first, second = apps.required_requirements(application)

    response = upload(login(citizen), application, second, over_the_body_limit())

    assert response.status_code == 413
    message, field = at_requirement(response, second)
    assert message == (
        "Error: El archivo pesa más de 1 MB, el máximo. Tome la foto con menos resolución o "
        "reduzca el PDF y vuelva a subirlo."
    )
    assert field["aria-invalid"] == "true"
    assert f"archivo-{second.id}-error" in field["aria-describedby"]
    assert at_requirement(response, first)[0] == ""
    page = html(response)
    assert page.h1.get_text().startswith("Documentos para")
    form = field.find_parent("form")
    assert form["action"].endswith(f"/requisitos/{second.id}#requisito-{second.id}")
    assert nothing_written(app)


def test_a_browser_multipart_over_the_limit_comes_back_to_its_requirement(
    login, citizen, program, app
):
    """The bytes a browser sends: a boundary, the CSRF token first, the file,
    and the headers saying the form was posted from this site."""
    app.config["WTF_CSRF_ENABLED"] = True
    application = draft(citizen, program)
    requirement = apps.required_requirements(application)[0]
    client = login(citizen)
    documents = f"http://localhost/mis-solicitudes/{application.folio}/documentos"
    token = html(client.get(documents)).find("input", {"name": "csrf_token"})["value"]
    boundary = "----WebKitFormBoundary7MA4YWxkTrZu0gW"
    body = (
        (
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="csrf_token"\r\n\r\n'
            f"{token}\r\n"
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="document"; filename="IMG_2041.jpg"\r\n'
            "Content-Type: image/jpeg\r\n\r\n"
        ).encode()
        + b"\xff\xd8\xff\xe0"
        + b"\x00" * (3 * MB)
        + f"\r\n--{boundary}--\r\n".encode()
    )

    response = client.post(
        f"/mis-solicitudes/{application.folio}/requisitos/{requirement.id}",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
        headers={
            "Origin": "http://localhost",
            "Referer": documents,
            "Sec-Fetch-Site": "same-origin",
        },
    )

    assert response.status_code == 413
    assert at_requirement(response, requirement)[0].startswith(f"Error: {TOO_LARGE}")
    assert nothing_written(app)


def _identification_to_correct(citizen, program):
    """A sent application whose identification the agency asked to upload again."""
    application = submitted(citizen, program)
    ident = apps.required_requirements(application)[0]
    apps.request_correction(
        application,
        staff_actor(make_staff("admin_estatal")),
        documents=[ident.id],
        fields=[],
        message="Suba otra vez la identificación.",
    )
    return application, ident


def test_a_file_over_the_limit_during_a_correction_comes_back_to_the_application(
    login, citizen, program, app
):
    application, ident = _identification_to_correct(citizen, program)
    before = Document.select().count()

    response = upload(login(citizen), application, ident, over_the_body_limit())

    assert response.status_code == 413
    assert at_requirement(response, ident)[0].startswith(f"Error: {TOO_LARGE}")
    assert html(response).find(class_="timeline") is not None  # the application's page
    assert Document.select().count() == before


def test_a_file_just_over_the_limit_but_read_gets_its_size_and_413(login, citizen, program, app):
    application = draft(citizen, program)
    requirement = apps.required_requirements(application)[0]
    data = MINIMAL_PDF[:-6] + b"0" * MB + b"%%EOF\n"

    response = upload(login(citizen), application, requirement, data)

    assert response.status_code == 413
    message = at_requirement(response, requirement)[0]
    assert "El archivo pesa 1.1 MB y el máximo es 1 MB. Tome la foto" in message
    assert nothing_written(app)


def test_another_persons_folio_over_the_limit_gets_the_plain_page(login, citizen, program, app):
    application = draft(citizen, program)
    requirement = apps.required_requirements(application)[0]

    response = upload(login(make_citizen()), application, requirement, over_the_body_limit())

    assert plain_413(response)


def test_a_signed_out_visitor_over_the_limit_gets_the_plain_page(client, citizen, program):
    application = draft(citizen, program)
    requirement = apps.required_requirements(application)[0]

    response = upload(client, application, requirement, over_the_body_limit())

    assert plain_413(response)


def test_staff_over_the_limit_on_a_citizen_page_get_the_plain_page(login, citizen, program):
    application = draft(citizen, program)
    requirement = apps.required_requirements(application)[0]

    response = upload(
        login(make_staff("admin_estatal")), application, requirement, over_the_body_limit()
    )

    assert plain_413(response)


@pytest.mark.parametrize(
    "headers",
    [{"Origin": "https://otro-sitio.example"}, {"Sec-Fetch-Site": "cross-site"}],
    ids=["origin", "sec-fetch-site"],
)
def test_a_post_from_another_site_over_the_limit_gets_the_plain_page(
    login, citizen, program, headers
):
    application = draft(citizen, program)
    requirement = apps.required_requirements(application)[0]

    response = upload(login(citizen), application, requirement, over_the_body_limit(), **headers)

    assert plain_413(response)


def test_a_sent_application_over_the_limit_gets_the_plain_page(login, citizen, program):
    application = submitted(citizen, program)  # no correction asked: nothing may change
    requirement = apps.required_requirements(application)[0]

    response = upload(login(citizen), application, requirement, over_the_body_limit())

    assert plain_413(response)


def test_the_plain_413_page_offers_to_go_back_to_the_page_of_this_site(client):
    response = client.post(
        "/",
        data={"f": (io.BytesIO(over_the_body_limit()), "a.pdf")},
        content_type="multipart/form-data",
        headers={"Referer": "http://localhost/programas?pagina=2"},
    )

    assert response.status_code == 413
    page = html(response)
    assert "El máximo es de 1 MB." in page.get_text()
    back = page.find("a", string="Volver")
    assert back["href"] == "/programas?pagina=2"
    assert page.find("a", string="Ir al inicio") is not None


def test_the_plain_413_page_never_sends_back_to_another_site(client):
    response = client.post(
        "/",
        data={"f": (io.BytesIO(over_the_body_limit()), "a.pdf")},
        content_type="multipart/form-data",
        headers={"Referer": "https://otro-sitio.example/programas"},
    )

    assert response.status_code == 413
    assert html(response).find("a", string="Volver") is None


def test_the_counter_gets_its_page_back_at_the_requirement(login, counter, app):  # noqa: F811
    client, _, application = start_at_the_counter(login, counter, "k-grande")
    requirement = application.program.requirements.first()

    response = client.post(
        f"/oficina/ventanilla/solicitudes/{application.folio}/requisitos/{requirement.id}",
        data={"document": (io.BytesIO(over_the_body_limit()), "escaneo.pdf")},
        content_type="multipart/form-data",
    )

    assert response.status_code == 413
    item = html(response).find(id=f"requisito-{requirement.id}")
    assert TOO_LARGE in item.find(id=f"doc-{requirement.id}-error").get_text()
    assert nothing_written(app)


def test_re_certification_gets_its_page_back_with_the_limit(login, app):
    application, *_, row = make_renewing_beneficiary()

    response = login(application.citizen).post(
        f"/mis-solicitudes/{application.folio}/recertificacion/{row.id}",
        data={"document": (io.BytesIO(over_the_body_limit()), "constancia.pdf")},
        content_type="multipart/form-data",
    )

    assert response.status_code == 413
    page = html(response)
    assert TOO_LARGE in page.find(id="archivo-recertificacion-error").get_text()
    assert Recertification.get_by_id(row.id).status == "pendiente"
    assert Document.select().count() == 0


def test_someone_elses_re_certification_over_the_limit_gets_the_plain_page(login):
    application, *_, row = make_renewing_beneficiary()

    response = login(make_citizen()).post(
        f"/mis-solicitudes/{application.folio}/recertificacion/{row.id}",
        data={"document": (io.BytesIO(over_the_body_limit()), "constancia.pdf")},
        content_type="multipart/form-data",
    )

    assert plain_413(response)


# Every other refusal ------------------------------------------------------------


def _encrypted_pdf() -> bytes:
    output = io.BytesIO()
    with pikepdf.Pdf.open(io.BytesIO(MINIMAL_PDF)) as document:
        document.save(output, encryption=pikepdf.Encryption(user="secreto", owner="secreto"))
    return output.getvalue()


@pytest.mark.parametrize(
    ("formats", "data", "name", "message"),
    [
        ("pdf,jpg,png", b"", "vacio.pdf", "El archivo está vacío; vuelva a elegirlo."),
        ("pdf,jpg,png", b"MZ\x90\x00" + b"\0" * 200, "foto.jpg", "no es ninguno de los dos"),
        ("pdf", jpeg_bytes(), "foto.jpg", "Este requisito solo acepta PDF."),
        ("jpg,png", MINIMAL_PDF, "acta.pdf", "Este requisito solo acepta fotos JPG o PNG."),
        ("pdf,jpg,png", jpeg_bytes()[:60], "cortada.jpg", "La imagen está dañada"),
        ("pdf,jpg,png", _encrypted_pdf(), "protegido.pdf", "protegido con contraseña"),
    ],
    ids=["empty", "disguised", "photo-for-pdf", "pdf-for-photo", "damaged", "encrypted"],
)
def test_each_refusal_comes_back_to_its_requirement_with_its_message(
    login, citizen, program, app, formats, data, name, message
):
    application = draft(citizen, program)
    first, second = apps.required_requirements(application)
    Requirement.update(formats=formats).where(Requirement.id == second.id).execute()

    response = upload(login(citizen), application, second, data, name)

    assert response.status_code == 422
    shown, field = at_requirement(response, second)
    assert message in shown
    assert field["aria-invalid"] == "true"
    assert nothing_written(app)


def test_a_missing_file_comes_back_to_its_requirement(login, citizen, program):
    application = draft(citizen, program)
    requirement = apps.required_requirements(application)[1]

    response = login(citizen).post(
        f"/mis-solicitudes/{application.folio}/requisitos/{requirement.id}", data={}
    )

    assert response.status_code == 422
    assert "Elija un archivo o tome una foto." in at_requirement(response, requirement)[0]


def test_too_many_versions_come_back_to_the_requirement_in_the_correction(
    login, citizen, program, app
):
    app.config["MAX_VERSIONS_PER_REQUIREMENT"] = 1
    application, ident = _identification_to_correct(citizen, program)
    before = Document.select().count()

    response = upload(login(citizen), application, ident, png_bytes(), "otra.png")

    assert response.status_code == 422
    assert "Ya llegó al máximo de versiones" in at_requirement(response, ident)[0]
    assert Document.select().count() == before


# What each requirement says it accepts ---------------------------------------------


def test_each_requirement_says_what_it_accepts(login, citizen, program):
    application = draft(citizen, program)
    first, second = apps.required_requirements(application)
    Requirement.update(formats="pdf").where(Requirement.id == first.id).execute()
    Requirement.update(formats="jpg,png").where(Requirement.id == second.id).execute()

    page = html(login(citizen).get(f"/mis-solicitudes/{application.folio}/documentos"))

    pdf_only = page.find(id=f"archivo-{first.id}")
    assert page.find(id=f"archivo-{first.id}-hint").get_text() == "Solo PDF; máximo 1 MB."
    assert pdf_only["accept"] == ".pdf,application/pdf"
    assert not pdf_only.has_attr("capture")  # the camera cannot make a PDF
    photos = page.find(id=f"archivo-{second.id}")
    assert page.find(id=f"archivo-{second.id}-hint").get_text() == "Foto JPG o PNG; máximo 1 MB."
    assert photos["accept"] == ".jpg,.jpeg,image/jpeg,.png,image/png"
    assert photos["capture"] == "environment"


def test_the_counter_page_says_what_each_requirement_accepts(login, counter):  # noqa: F811
    client, _, application = start_at_the_counter(login, counter, "k-formatos")
    requirement = application.program.requirements.first()
    Requirement.update(formats="pdf").where(Requirement.id == requirement.id).execute()

    page = html(client.get(f"/oficina/ventanilla/solicitudes/{application.folio}"))

    assert page.find(id=f"doc-{requirement.id}-hint").get_text() == "Solo PDF; máximo 1 MB."
    assert page.find(id=f"doc-{requirement.id}")["accept"] == ".pdf,application/pdf"


def test_re_certification_says_what_its_requirement_accepts(login):
    application, *_, row = make_renewing_beneficiary()
    Requirement.update(formats="pdf").where(Requirement.slug == "constancia-estudios").execute()

    page = html(
        login(application.citizen).get(f"/mis-solicitudes/{application.folio}/recertificacion")
    )

    assert page.find(id="archivo-recertificacion-hint").get_text() == "Solo PDF; máximo 1 MB."
    assert page.find(id="archivo-recertificacion")["accept"] == ".pdf,application/pdf"
