"""Privacy notice versions: which one the person accepted and when, and asking
again only when a new version changes a purpose."""

from __future__ import annotations

import datetime as dt

import pytest

from portal.citizens import record
from portal.messages import _l
from portal.rights import privacy
from portal.rights.privacy import NoticeVersion
from tests.factories import make_citizen
from tests.support.html import html, page_text


def test_the_current_version_is_the_one_the_record_stores():
    assert privacy.current().version == record.PRIVACY_VERSION


@pytest.fixture
def reworded(monkeypatch):
    """A version that rewords the notice and keeps its purposes."""
    first = privacy.VERSIONS[-1]
    later = NoticeVersion(
        "2099-01", dt.date(2099, 1, 1), first.purposes, _l("Redacción más clara.")
    )
    monkeypatch.setattr(privacy, "VERSIONS", (first, later))
    monkeypatch.setattr(record, "PRIVACY_VERSION", later.version)
    return first, later


@pytest.fixture
def new_purpose(monkeypatch):
    """A version that adds a purpose."""
    first = privacy.VERSIONS[-1]
    later = NoticeVersion(
        "2099-02",
        dt.date(2099, 2, 1),
        (*first.purposes, _l("Invitarle a encuestas de satisfacción.")),
        _l("Agrega las encuestas de satisfacción."),
    )
    monkeypatch.setattr(privacy, "VERSIONS", (first, later))
    monkeypatch.setattr(record, "PRIVACY_VERSION", later.version)
    return first, later


def test_nobody_who_has_not_accepted_goes_on_without_accepting():
    assert privacy.asks_again("")
    assert privacy.asks_again("1999-01")  # a version the portal never published


def test_a_version_that_only_rewords_does_not_ask_again(reworded):
    first, _ = reworded
    assert not privacy.asks_again(first.version)


def test_a_version_that_changes_a_purpose_asks_again(new_purpose):
    first, later = new_purpose
    assert privacy.asks_again(first.version)
    assert not privacy.asks_again(later.version)
    assert privacy.changes_since(first.version) == [later]


def test_my_data_shows_the_version_accepted_and_when(client, login):
    citizen = make_citizen()
    record.accept_privacy(citizen)
    login(citizen)
    section = html(client.get("/mis-datos")).find(id="aviso").parent
    text = page_text(section)
    assert f"versión {record.PRIVACY_VERSION} el" in text
    assert "Saber a qué programas sociales tiene derecho." in text


def test_a_person_is_asked_again_when_a_purpose_changed_and_sees_what_changed(
    client, login, new_purpose
):
    first, later = new_purpose
    citizen = make_citizen()
    record.accept_privacy(citizen, first.version)
    login(citizen)
    response = client.get("/mis-datos/editar")
    assert response.status_code == 303 and "/mis-datos/aviso" in response.headers["Location"]
    notice = page_text(html(client.get("/mis-datos/aviso")))
    assert "Agrega las encuestas de satisfacción." in notice
    assert client.post("/mis-datos/aviso", data={"accept": "y"}).status_code == 303
    assert client.get("/mis-datos/editar").status_code == 200
    citizen = type(citizen).get_by_id(citizen.id)
    assert citizen.privacy_version == later.version


def test_a_person_is_not_asked_again_for_a_rewording(client, login, reworded):
    first, later = reworded
    citizen = make_citizen()
    record.accept_privacy(citizen, first.version)
    login(citizen)
    assert client.get("/mis-datos/editar").status_code == 200
    text = page_text(html(client.get("/mis-datos")).find(id="aviso").parent)
    assert f"La versión vigente es la {later.version}" in text


def test_the_public_notice_lists_its_versions(client):
    text = page_text(html(client.get("/privacidad")))
    assert f"Versión {record.PRIVACY_VERSION}, publicada el" in text
