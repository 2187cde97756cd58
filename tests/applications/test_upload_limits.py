"""Upload caps (versions per requirement, bytes per application and per
person) and which replaced versions are deleted."""

from __future__ import annotations

import io
import random

import pytest
from PIL import Image

from portal.applications import workflow as apps
from portal.applications.documents import get_storage
from portal.applications.upload_limits import Limits
from portal.applications.uploads import UploadRejected, inspect_upload
from portal.models import Document
from tests.application_builders import draft_for, jpeg_bytes, staff_actor, submitted
from tests.applications.test_applications_views import sign_in_pages, upload
from tests.factories import make_citizen, make_program, make_staff

__all__ = ["sign_in_pages"]  # the shell's sign-out links need it (autouse)

KB = 1024


def noise_png(kilobytes: int, seed: int = 0) -> bytes:
    """A PNG of random pixels: it does not compress, so its size is known."""
    side = int((kilobytes * KB / 3) ** 0.5)
    rng = random.Random(seed)
    image = Image.frombytes("RGB", (side, side), rng.randbytes(side * side * 3))
    output = io.BytesIO()
    image.save(output, "PNG")
    return output.getvalue()


def add(application, requirement, data, citizen):
    clean = inspect_upload(data, "doc.png" if data.startswith(b"\x89PNG") else "doc.jpg")
    return apps.add_document(
        application, requirement, clean, get_storage(), apps.Actor.citizen(citizen)
    )


def blobs() -> list[str]:
    return list(get_storage().blob_keys())


@pytest.fixture
def limits(app):
    def configure(versions=5, application_mb=30, citizen_mb=80):
        app.config.update(
            MAX_VERSIONS_PER_REQUIREMENT=versions,
            MAX_APPLICATION_UPLOAD_MB=application_mb,
            MAX_CITIZEN_UPLOAD_MB=citizen_mb,
        )

    return configure


def test_the_limits_come_from_the_configuration(app, limits):
    limits(versions=3, application_mb=7, citizen_mb=9)
    with app.app_context():
        assert Limits.current() == Limits(3, 7 * 1024 * KB, 9 * 1024 * KB)


# What is kept -----------------------------------------------------------------


def test_a_version_replaced_in_a_draft_is_deleted_with_its_file(app):
    citizen = make_citizen()
    draft = draft_for(citizen, make_program(), with_documents=False)
    (requirement,) = apps.required_requirements(draft)
    first = add(draft, requirement, jpeg_bytes(color=(1, 2, 3)), citizen)
    second = add(draft, requirement, jpeg_bytes(color=(4, 5, 6)), citizen)

    assert [d.id for d in Document.select()] == [second.id]
    assert second.version == 2 and second.current
    assert not get_storage().exists(first.storage_key)
    assert blobs() == [second.storage_key]
    third = add(draft, requirement, jpeg_bytes(color=(7, 8, 9)), citizen)
    assert third.version == 3
    assert blobs() == [third.storage_key]


def test_versions_a_reviewer_has_seen_are_kept(app):
    citizen = make_citizen()
    application = submitted(citizen, make_program(requirements=("a", "b")))
    flagged, other = apps.required_requirements(application)
    reviewer = staff_actor(make_staff("admin_estatal"))
    old = Document.get(Document.requirement == flagged)
    apps.review_document(application, old, "rechazado", reviewer, reason="No se lee.")
    apps.request_correction(application, reviewer, documents=[flagged.id], message="Otra foto.")

    new = add(application, flagged, jpeg_bytes(), citizen)

    versions = Document.select().where(Document.requirement == flagged).order_by(Document.version)
    assert [(d.version, d.current) for d in versions] == [(1, False), (2, True)]
    assert get_storage().exists(old.storage_key) and get_storage().exists(new.storage_key)


def test_an_unreviewed_version_flagged_in_a_correction_is_kept(app):
    citizen = make_citizen()
    application = submitted(citizen, make_program())
    (flagged,) = apps.required_requirements(application)
    reviewer = staff_actor(make_staff("admin_estatal"))
    apps.request_correction(application, reviewer, documents=[flagged.id], message="Otra.")
    add(application, flagged, jpeg_bytes(), citizen)
    assert Document.select().where(Document.requirement == flagged).count() == 2
    assert len(blobs()) == 2


# The caps ---------------------------------------------------------------------


def test_versions_beyond_the_cap_are_refused_and_nothing_is_written(app, limits):
    limits(versions=1)
    citizen = make_citizen()
    application = submitted(citizen, make_program())
    (flagged,) = apps.required_requirements(application)
    reviewer = staff_actor(make_staff("admin_estatal"))
    apps.request_correction(application, reviewer, documents=[flagged.id], message="Otra.")
    before_rows, before_blobs = list(Document.select().tuples()), blobs()

    with pytest.raises(UploadRejected) as refused:
        add(application, flagged, jpeg_bytes(), citizen)

    assert refused.value.code == "too_many_versions"
    assert refused.value.message.startswith(
        "Ya llegó al máximo de versiones de este documento (1)."
    )
    assert list(Document.select().tuples()) == before_rows
    assert blobs() == before_blobs


def test_an_application_beyond_its_bytes_is_refused_and_nothing_is_written(app, limits):
    limits(application_mb=1)
    citizen = make_citizen()
    draft = draft_for(citizen, make_program(requirements=("a", "b")), with_documents=False)
    first, second = apps.required_requirements(draft)
    add(draft, first, noise_png(600), citizen)
    before_rows, before_blobs = list(Document.select().tuples()), blobs()

    with pytest.raises(UploadRejected) as refused:
        add(draft, second, noise_png(600, seed=1), citizen)

    assert refused.value.code == "application_quota"
    assert "esta solicitud ya suman el máximo de 1 MB" in refused.value.message
    assert list(Document.select().tuples()) == before_rows
    assert blobs() == before_blobs
    # Replacing a document of the draft frees its old size: still within the cap.
    add(draft, first, noise_png(600, seed=2), citizen)


def test_a_refused_replacement_keeps_the_version_it_would_have_replaced(app, limits):
    limits(application_mb=1)
    citizen = make_citizen()
    draft = draft_for(citizen, make_program(requirements=("a", "b")), with_documents=False)
    first, second = apps.required_requirements(draft)
    small = add(draft, first, jpeg_bytes(), citizen)
    add(draft, second, noise_png(600), citizen)

    with pytest.raises(UploadRejected):
        add(draft, first, noise_png(600, seed=3), citizen)

    kept = Document.get(Document.requirement == first)
    assert (kept.id, kept.current) == (small.id, True)
    assert get_storage().get(small.storage_key) == get_storage().get(kept.storage_key)
    assert len(blobs()) == 2


def test_a_person_beyond_their_bytes_is_refused(app, limits):
    limits(application_mb=10, citizen_mb=1)
    citizen = make_citizen()
    one = draft_for(citizen, make_program(), with_documents=False)
    other = draft_for(citizen, make_program(), with_documents=False)
    add(one, apps.required_requirements(one)[0], noise_png(600), citizen)
    with pytest.raises(UploadRejected) as refused:
        add(other, apps.required_requirements(other)[0], noise_png(600, seed=1), citizen)
    assert refused.value.code == "citizen_quota"
    assert refused.value.message.startswith("Sus documentos en el portal ya suman el máximo")
    # Someone else is not affected.
    stranger = make_citizen()
    theirs = draft_for(stranger, make_program(), with_documents=False)
    add(theirs, apps.required_requirements(theirs)[0], noise_png(600, seed=2), stranger)


def test_the_upload_page_refuses_beyond_the_cap_with_422(app, login, limits):
    limits(application_mb=1)
    citizen = make_citizen()
    draft = draft_for(citizen, make_program(requirements=("a", "b")), with_documents=False)
    first, second = apps.required_requirements(draft)
    client = login(citizen)
    assert upload(client, draft, first, noise_png(600), "a.png").status_code == 303
    before = blobs()

    response = upload(client, draft, second, noise_png(600, seed=1), "b.png")

    assert response.status_code == 422
    assert "ya suman el máximo de 1 MB" in response.get_data(as_text=True)
    assert Document.select().count() == 1
    assert blobs() == before


def test_parallel_uploads_of_one_person_never_exceed_the_cap(app, limits):
    """Six uploads of about 300 KB at the same moment against a 1 MB cap for
    the person: exactly three fit, on SQLite and on PostgreSQL."""
    from portal.web.extensions import db
    from tests.applications.test_applications_concurrency import run_together

    limits(application_mb=10, citizen_mb=1)
    citizen = make_citizen()
    drafts = [draft_for(citizen, make_program(), with_documents=False) for _ in range(6)]
    files = [inspect_upload(noise_png(300, seed=n), f"{n}.png") for n in range(len(drafts))]
    work = [(d, apps.required_requirements(d)[0], f) for d, f in zip(drafts, files, strict=True)]
    db.close()

    def send(item):
        draft, requirement, clean = item
        return apps.add_document(
            draft, requirement, clean, get_storage(), apps.Actor.citizen(citizen)
        )

    outcomes = run_together(app, send, work)
    db.connect(reuse_if_open=True)
    refused = [o for o in outcomes if isinstance(o, UploadRejected)]
    assert len(refused) == 3, outcomes
    assert all(r.code == "citizen_quota" for r in refused)
    assert Document.select().count() == 3
    assert sum(d.size for d in Document.select()) <= 1024 * KB
    assert len(blobs()) == 3
