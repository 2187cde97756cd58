"""The reviewer's case page shows who applied for a child (the guardian).

Name, what they are to the child and the CURP masked as the page shows the
applicant's; the view of the guardian's record is audited like the child's,
so the guardian reads it in /mis-datos ("Quién consultó sus datos").
"""

from __future__ import annotations

import datetime as dt

import pytest

from portal.applications import guardian as guardians
from portal.citizens import curp as curp_rules
from portal.citizens import record as citizens
from portal.eligibility.household import born_years_ago
from portal.models import Application, AuditEvent
from portal.vocabulary import AuditAction
from tests.factories import (
    make_agency,
    make_application,
    make_citizen,
    make_program,
    make_staff,
    valid_curp,
)
from tests.support.html import html

TODAY = dt.date.today()


@pytest.fixture
def agency(app):
    return make_agency(slug="sedesoq")


@pytest.fixture
def guardian(app):
    return make_citizen(
        curp=valid_curp(dt.date(1988, 3, 9), "H"),
        birth_date=dt.date(1988, 3, 9),
        sex="H",
        given_names="Jorge",
        first_surname="Luna",
        second_surname="Paz",
        privacy_version=citizens.PRIVACY_VERSION,
    )


@pytest.fixture
def application(agency, guardian):
    born = born_years_ago(7, TODAY)
    child = make_citizen(
        curp=valid_curp(born, "M"), birth_date=born, given_names="Ana", origin="tutor"
    )
    return make_application(
        child, make_program(agency), guardian=guardian, guardian_relation="hija_hijo"
    )


def _views_of(citizen_id: int) -> list[AuditEvent]:
    return list(
        AuditEvent.select().where(
            (AuditEvent.action == AuditAction.RECORD_VIEW)
            & (AuditEvent.object_id == str(citizen_id))
        )
    )


def test_the_case_page_shows_the_guardian_with_the_curp_masked(
    login, agency, guardian, application
):
    page = html(
        login(make_staff("revisor", agency)).get(f"/oficina/solicitudes/{application.folio}")
    )
    section = page.find(id="quien-solicito").find_parent("section")
    text = section.get_text(" ", strip=True)
    assert "Jorge Luna Paz" in text
    assert "Padre" in text
    assert curp_rules.mask(guardian.curp) in text
    assert guardian.curp not in page.get_text()


def test_the_state_admin_sees_the_guardians_whole_curp(login, guardian, application):
    page = html(login(make_staff("admin_estatal")).get(f"/oficina/solicitudes/{application.folio}"))
    assert guardian.curp in page.find(id="quien-solicito").find_parent("section").get_text()


def test_opening_the_case_records_a_view_of_the_guardians_record(
    login, agency, guardian, application
):
    reviewer = make_staff("revisor", agency, name="Laura Méndez")
    client = login(reviewer)
    assert client.get(f"/oficina/solicitudes/{application.folio}").status_code == 200
    views = _views_of(guardian.id)
    assert [(v.actor_id, v.details) for v in views] == [
        (reviewer.id, {"motivo": "revision", "folio": application.folio})
    ]
    assert len(_views_of(application.citizen_id)) == 1


def test_the_guardian_reads_the_view_in_their_data_page(login, agency, guardian, application):
    reviewer = make_staff("revisor", agency, name="Laura Méndez")
    login(reviewer).get(f"/oficina/solicitudes/{application.folio}")
    page = html(login(guardian).get("/mis-datos"))
    assert "Laura Méndez" in page.find(id="consultas").find_next("table").get_text()


def test_another_agencys_reviewer_gets_404_and_no_view_of_the_guardian(
    login, guardian, application
):
    client = login(make_staff("revisor", make_agency()))
    assert client.get(f"/oficina/solicitudes/{application.folio}").status_code == 404
    assert _views_of(guardian.id) == []


def test_an_application_of_ones_own_shows_no_guardian(login, agency):
    application = make_application(make_citizen(), make_program(agency))
    page = html(
        login(make_staff("revisor", agency)).get(f"/oficina/solicitudes/{application.folio}")
    )
    assert page.find(id="quien-solicito") is None
    assert guardians.shown_guardian(application, whole_curp=False) is None


@pytest.mark.parametrize(
    ("relation", "sex", "said"),
    [
        ("hija_hijo", "M", "Madre"),
        ("hija_hijo", "H", "Padre"),
        ("hija_hijo", "X", "Madre o padre"),
        ("nieta_nieto", "M", "Abuela"),
        ("nieta_nieto", "H", "Abuelo"),
    ],
)
def test_what_the_guardian_is_to_the_child(app, agency, relation, sex, said):
    person = make_citizen(birth_date=dt.date(1960, 1, 2), sex=sex)
    application = make_application(
        make_citizen(birth_date=born_years_ago(5, TODAY)),
        make_program(agency),
        guardian=person,
        guardian_relation=relation,
    )
    shown = guardians.shown_guardian(Application.get_by_id(application.id), whole_curp=False)
    assert shown is not None
    assert (shown.relation, shown.citizen_id) == (said, person.id)


def test_the_record_export_of_either_person_lists_the_application_for_the_child(
    application, guardian
):
    """The guardian's and the child's data export both say who applied for whom
    (names only: neither gets the other's CURP)."""
    from portal.citizens import record_export

    child = application.citizen
    for person in (guardian, child):
        data = record_export.personal_data(person)
        assert data["solicitudes_por_menores"] == [
            {
                "folio": application.folio,
                "programa": application.program.name,
                "solicita": "Jorge Luna Paz",
                "para": child.full_name,
                "parentesco": "Padre",
            }
        ]
        text = record_export.to_csv(data)
        assert "Jorge Luna Paz" in text and "Padre" in text
        other = child if person is guardian else guardian
        assert other.curp not in text
    stranger = make_citizen()
    assert record_export.personal_data(stranger)["solicitudes_por_menores"] == []
