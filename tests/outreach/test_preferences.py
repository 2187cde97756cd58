"""The person agrees to be told of programs, or withdraws it, on "Mis datos"."""

from __future__ import annotations

import pytest

from portal.citizens import consents
from portal.citizens import record as citizens
from portal.models import AuditEvent, Consent
from portal.vocabulary import AuditAction, ConsentPurpose
from tests.factories import make_citizen, make_staff
from tests.support.html import html

PAGE = "/mis-datos/avisos-de-programas"


@pytest.fixture
def person():
    return make_citizen(privacy_version=citizens.PRIVACY_VERSION)


def test_the_person_agrees_and_the_consent_is_dated_and_audited(login, person):
    client = login(person)
    page = html(client.get(PAGE))
    assert page.find("input", attrs={"name": "told", "value": "no"}).has_attr("checked")
    response = client.post(PAGE, data={"told": "si"})
    assert response.status_code == 303 and response.location.endswith("/mis-datos")
    consent = consents.in_force(person.id, ConsentPurpose.AVISOS_PROGRAMAS)
    assert consent is not None and consent.granted_by_id is None and consent.granted_at
    entry = AuditEvent.get(AuditEvent.action == AuditAction.CONSENT_GRANT)
    assert (entry.actor_kind, entry.actor_id) == ("ciudadano", person.id)
    page = html(client.get(PAGE))
    assert page.find("input", attrs={"name": "told", "value": "si"}).has_attr("checked")
    assert "Aceptó estos avisos el" in page.get_text()


def test_the_person_withdraws_and_the_row_is_kept_with_its_date(login, person):
    client = login(person)
    client.post(PAGE, data={"told": "si"})
    client.post(PAGE, data={"told": "no"})
    [row] = Consent.select().where(Consent.citizen == person.id)
    assert row.revoked_at is not None
    assert consents.in_force(person.id, ConsentPurpose.AVISOS_PROGRAMAS) is None


@pytest.mark.parametrize("told", ["", "quizas", "si' OR 1=1"])
def test_anything_but_yes_or_no_is_refused_and_nothing_changes(login, person, told):
    client = login(person)
    response = client.post(PAGE, data={"told": told} if told else {})
    assert response.status_code == 422
    assert html(response).find(id="told-error") is not None
    assert not Consent.select().exists()


def test_my_data_links_to_the_page(login, person):
    page = html(login(person).get("/mis-datos"))
    assert page.find("a", href=PAGE)


def test_only_a_signed_in_person_opens_it(client, login):
    assert client.get(PAGE).status_code == 302  # to the sign-in
    assert client.post(PAGE, data={"told": "si"}).status_code == 302
    assert not Consent.select().exists()


def test_staff_have_no_such_page(login):
    client = login(make_staff("ventanilla_estatal"))
    assert client.get(PAGE).status_code == 403
    assert client.post(PAGE, data={"told": "si"}).status_code == 403
    assert not Consent.select().exists()


def test_one_person_never_changes_anothers_consent(login, person):
    other = make_citizen()
    login(person).post(PAGE, data={"told": "si"})
    assert consents.in_force(other.id, ConsentPurpose.AVISOS_PROGRAMAS) is None
    assert Consent.get().citizen_id == person.id


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_person_who_has_not_accepted_the_current_privacy_notice_reads_it_first(login, method):
    """A consent is given knowing the notice in force: the page sends the person
    to it (and back after), and a post changes nothing."""
    person = make_citizen(privacy_version="")
    response = getattr(login(person), method)(PAGE, data={"told": "si"})
    assert response.status_code == 303
    assert response.location == "/mis-datos/aviso?next=/mis-datos/avisos-de-programas"
    assert not Consent.select().exists()
