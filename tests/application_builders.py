"""Builders for the applications tests: real files and ready applications."""

from __future__ import annotations

import io
import uuid

from PIL import Image

from portal.applications import workflow as applications
from portal.applications.documents import get_storage
from portal.applications.uploads import inspect_upload
from portal.backoffice.audit import Actor

MINIMAL_PDF = (
    b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
    b"2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n"
    b"3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>\nendobj\n"
    b"trailer\n<< /Root 1 0 R >>\n%%EOF\n"
)


def jpeg_bytes(size=(64, 48), color=(200, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "JPEG")
    return out.getvalue()


def png_bytes(size=(16, 16)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (0, 90, 0)).save(out, "PNG")
    return out.getvalue()


citizen_actor = Actor.citizen
staff_actor = Actor.staff


def upload_all(application, citizen, data: bytes = MINIMAL_PDF, name: str = "doc.pdf"):
    for requirement in applications.required_requirements(application):
        clean = inspect_upload(data, name)
        applications.add_document(
            application, requirement, clean, get_storage(), citizen_actor(citizen)
        )


def draft_for(citizen, program, *, with_documents=True):
    draft = applications.start_draft(citizen, program, uuid.uuid4().hex)
    if with_documents:
        upload_all(draft, citizen)
    return draft


def submitted(citizen, program):
    return applications.submit(draft_for(citizen, program), citizen_actor(citizen))
