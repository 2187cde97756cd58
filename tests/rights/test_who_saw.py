"""Who saw my data: every staff view of a person's record shows in /mis-datos,
with who, which agency, when and why, in plain Spanish (the gaps filled here:
probable duplicates compared side by side, documents opened, ARCO requests)."""

from __future__ import annotations

from flask_babel import force_locale

from portal.backoffice import audit
from portal.citizens.views.profile import VIEW_REASONS
from portal.models import DuplicateCandidate
from portal.vocabulary import ViewReason
from tests.factories import make_application, make_citizen, make_staff
from tests.support.html import html, page_text


def _views_table(client):
    return html(client.get("/mis-datos")).find(id="consultas").find_next("table")


def test_every_reason_to_open_a_record_reads_in_plain_spanish_and_english(app):
    assert set(VIEW_REASONS) == set(ViewReason)
    with app.test_request_context():
        for label in VIEW_REASONS.values():
            assert label.source and " " in label.source
            with force_locale("en"):
                assert str(label) != label.source, label.source


def test_comparing_probable_duplicates_is_a_view_of_each_record_shown(client, login):
    first, second = make_citizen(), make_citizen()
    DuplicateCandidate.create(citizen_a=first, citizen_b=second, score=93.0, kind="nombre")
    admin = make_staff("admin_estatal")
    login(admin)
    assert client.get("/oficina/duplicados").status_code == 200
    for person in (first, second):
        (view,) = audit.views_of(person.id)
        assert view.reason == ViewReason.DUPLICADOS and view.staff_name == admin.name
    login(first)
    row = page_text(_views_table(client))
    assert "Revisión de registros que podrían ser de la misma persona" in row
    assert admin.name in row and "Gobierno del estado" in row


def test_a_document_opened_in_review_says_so(client, login):
    citizen = make_citizen()
    application = make_application(citizen)
    reviewer = make_staff("revisor")
    audit.record_view(reviewer, citizen, ViewReason.REVISION, application, document_id=7)
    login(citizen)
    row = page_text(_views_table(client))
    assert "Revisión de su solicitud" in row and application.folio in row
    assert "abrió un documento" in row


def test_an_empty_duplicates_page_records_nobody(client, login):
    login(make_staff("admin_estatal"))
    assert client.get("/oficina/duplicados").status_code == 200
    assert audit.views_of(make_citizen().id) == []
