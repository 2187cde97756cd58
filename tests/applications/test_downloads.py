"""Unicode file names: uploaded, then downloaded and previewed without 5xx.

The Flask test client accepts any header; gunicorn encodes headers as latin-1
and answers 500 when it cannot. So every header value is checked here the way
gunicorn would send it, and parsed back to the original name.
"""

from __future__ import annotations

import pytest
from werkzeug.http import parse_options_header

from portal.applications.documents import serve_document
from portal.models import Document
from portal.web.downloads import ascii_fallback, attachment_headers, content_disposition
from tests.application_builders import jpeg_bytes
from tests.applications.test_applications_views import sign_in_pages, start, upload
from tests.factories import make_citizen, make_program

__all__ = ["sign_in_pages"]  # the shell's sign-out links need it (autouse)

NAMES = [
    "Dvořák.jpg",
    "José 😀.jpg",
    "acta de nacimiento.pdf",
    'comillas "y" barra \\ punto;coma.png',
    "日本語.pdf",
    "Ñandú – ¿cómo?.pdf",
]


def sent_as_gunicorn_would(value: str) -> str:
    """gunicorn writes header values as latin-1; anything else is a 500."""
    return value.encode("latin-1").decode("latin-1")


def parsed_name(value: str) -> str:
    _, options = parse_options_header(value)
    return options["filename"]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("inline", [False, True])
def test_the_header_is_latin1_and_parses_back_to_the_name(name, inline):
    value = sent_as_gunicorn_would(content_disposition(name, inline=inline))
    assert value.startswith("inline;" if inline else "attachment;")
    assert value.isascii()
    assert parsed_name(value) == name


def test_the_ascii_fallback_keeps_what_it_can():
    assert ascii_fallback("Dvořák.jpg") == "Dvorak.jpg"
    assert ascii_fallback("José 😀.jpg") == "Jose _.jpg"
    assert ascii_fallback('a"b\\c.pdf') == "a_b_c.pdf"
    assert ascii_fallback("😀") == "_"
    value = content_disposition("José 😀.jpg")
    assert 'filename="Jose _.jpg"' in value
    assert "filename*=UTF-8''Jos%C3%A9%20%F0%9F%98%80.jpg" in value


def test_an_ascii_name_needs_no_extended_parameter():
    assert attachment_headers("acta.pdf") == {
        "Content-Disposition": 'attachment; filename="acta.pdf"'
    }


@pytest.mark.parametrize("name", ["Dvořák.jpg", "José 😀.jpg"])
def test_a_unicode_name_uploads_downloads_and_previews(app, login, name):
    citizen = make_citizen()
    program = make_program(requirements=("identificacion", "comprobante"))
    client = login(citizen)
    application, _ = start(client, program)
    requirement = program.requirements[0]
    assert upload(client, application, requirement, jpeg_bytes(), name).status_code == 303
    document = Document.get(Document.application == application)
    assert document.filename == name

    response = client.get(f"/mis-solicitudes/{application.folio}/documentos/{document.id}")
    assert response.status_code == 200
    header = sent_as_gunicorn_would(response.headers["Content-Disposition"])
    assert header.startswith("attachment;")
    assert parsed_name(header) == name

    with app.test_request_context():
        preview = serve_document(document, inline=True)
    header = sent_as_gunicorn_would(preview.headers["Content-Disposition"])
    assert header.startswith("inline;")
    assert parsed_name(header) == name
