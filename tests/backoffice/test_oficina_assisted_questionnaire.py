"""Assisted mode: counter staff answer the needs questionnaire with a person, into their record."""

from __future__ import annotations

import datetime as dt
import io

import pytest

from portal.applications import workflow as apps
from portal.applications.models import Assistance
from portal.catalog.store import load_catalog
from portal.models import (
    Agency,
    Application,
    ApplicationEvent,
    AuditEvent,
    Citizen,
    Enrollment,
    Program,
)
from tests.application_builders import MINIMAL_PDF
from tests.backoffice.test_oficina_assisted import check_id, look_up
from tests.catalog_builders import demo_catalog
from tests.conftest import sign_in_as
from tests.eligibility.test_questionnaire_views import ANSWERS, answer_all
from tests.factories import make_citizen, make_staff
from tests.support.html import html


@pytest.fixture
def reviewer(app):
    """A SEDESOQ reviewer, on the demo catalog (Tarjeta Contigo is SEDESOQ's)."""
    load_catalog(demo_catalog())
    return make_staff("revisor", Agency.get(Agency.slug == "sedesoq"))


@pytest.fixture
def person(app):
    # A woman of 40 in Querétaro city (the questionnaire views' ANSWERS): no digital ID.
    return make_citizen(birth_date=dt.date(1986, 4, 10), sex="M", origin="assisted")


@pytest.fixture
def counter(app, reviewer, person):
    """The reviewer's client, with the person's ID checked in this session."""
    client = app.test_client()
    sign_in_as(client, reviewer)
    check_id(client, person)
    return client


PERSON = "/oficina/ventanilla/persona"


def base(citizen) -> str:
    """The questionnaire of the person this session serves (no id in the URL)."""
    return f"{PERSON}/cuestionario"


def profile(citizen) -> dict:
    return Citizen.get_by_id(citizen.id).profile


def test_the_person_page_offers_the_questionnaire_and_counts_the_answers(counter, person):
    page = html(counter.get(PERSON))
    link = page.find("a", string="Contestar el cuestionario con la persona")
    assert link["href"] == f"{base(person)}/siguiente"
    assert "Tiene 0 respuestas guardadas." in page.get_text(" ", strip=True)
    counter.post(f"{base(person)}/pregunta/household_size", data={"answer": "2"})
    page = html(counter.get(PERSON))
    assert "Tiene 1 respuesta guardada." in page.get_text(" ", strip=True)
    assert page.find("a", string="Ver qué programas puede recibir")["href"] == (
        f"{base(person)}/resultados"
    )


def test_staff_answer_for_the_person_into_their_record_and_see_the_results(counter, person):
    asked = answer_all(counter, base=base(person))
    assert asked and not {"birth_date", "sex", "municipality"} & set(asked)
    saved = profile(person)
    assert set(asked) == set(saved)
    assert saved["household_size"] == 2 and saved["household_income_monthly"] == 4000

    review = html(counter.get(f"{base(person)}/revisar"))
    changes = [a["href"] for a in review.select(".summary-action a")]
    assert changes == [f"{base(person)}/pregunta/{field}" for field in asked]
    assert "$4,000 al mes" in review.get_text(" ", strip=True)
    assert "María Gómez Ruiz" in review.select_one(".caption").get_text()
    assert review.find("a", string="Ver los resultados")["href"] == f"{base(person)}/resultados"

    results = html(counter.get(f"{base(person)}/resultados"))
    eligible = results.find("h2", id="puede").find_next("ul")
    names = [a.get_text(strip=True) for a in eligible.select("h3 a")]
    assert "Tarjeta Contigo" in names and "Mujeres Emprendedoras" in names
    # Only the staff member's own agency's programs can be applied for from here.
    forms = eligible.select("form[method=post]")
    assert [f.select_one("input[name=program]")["value"] for f in forms] == ["tarjeta-contigo"]
    assert forms[0]["action"] == f"{PERSON}/solicitar"
    assert not eligible.find("a", string="Solicitar")
    no = results.find("h2", id="no-cumple").find_next("ul").get_text(" ", strip=True)
    assert "Es para personas de 65 años o más." in no


def _upload_all(client, application):
    for requirement in apps.required_requirements(application):
        response = client.post(
            f"/oficina/ventanilla/solicitudes/{application.folio}/requisitos/{requirement.id}",
            data={"document": (io.BytesIO(MINIMAL_PDF), "escaneo.pdf")},
            content_type="multipart/form-data",
        )
        assert response.status_code == 303


def test_an_application_refused_for_missing_answers_is_sent_after_the_questionnaire(
    counter, reviewer, person
):
    counter.post(
        f"{PERSON}/solicitar",
        data={"program": "tarjeta-contigo", "idempotency_key": "k-antes"},
    )
    application = Application.get(Application.citizen == person.id)
    _upload_all(counter, application)
    page_url = f"/oficina/ventanilla/solicitudes/{application.folio}"
    page = html(counter.get(page_url))
    link = page.find("a", string="Contestar el cuestionario con la persona")
    assert link["href"] == f"{base(person)}/siguiente"
    assert "ingreso mensual del hogar" in link.find_parent("div").get_text(" ", strip=True)

    refused = counter.post(f"{page_url}/enviar")
    assert refused.status_code == 422
    page = html(refused)
    assert "Nos faltan datos" in page.select_one(".notice-error").get_text()
    assert page.find("a", href=f"{base(person)}/siguiente")

    answer_all(counter, base=base(person))
    assert not html(counter.get(page_url)).find("a", href=f"{base(person)}/siguiente")
    # The results' button leads back to the same draft.
    results = html(counter.get(f"{base(person)}/resultados"))
    form = results.select_one("form:has(input[name=program][value=tarjeta-contigo])")
    data = {i["name"]: i["value"] for i in form.select("input[type=hidden]")}
    response = counter.post(form["action"], data=data)
    assert response.headers["Location"] == page_url

    assert counter.post(f"{page_url}/enviar").status_code == 303
    application = Application.get_by_id(application.id)
    assert application.status == "enviada" and application.assisted_by_id == reviewer.id
    event = ApplicationEvent.get(
        (ApplicationEvent.application == application.id) & (ApplicationEvent.to_status == "enviada")
    )
    assert event.assisted and event.actor_staff_id == reviewer.id


def test_the_results_start_an_assisted_application(counter, reviewer, person):
    answer_all(counter, base=base(person))
    results = html(counter.get(f"{base(person)}/resultados"))
    form = results.select_one("form:has(input[name=program][value=tarjeta-contigo])")
    data = {i["name"]: i["value"] for i in form.select("input[type=hidden]")}
    response = counter.post(form["action"], data=data)
    application = Application.get(Application.citizen == person.id)
    assert response.headers["Location"] == f"/oficina/ventanilla/solicitudes/{application.folio}"
    assert application.program.slug == "tarjeta-contigo"
    assert application.assisted_by_id == reviewer.id


def test_each_answer_is_audited_with_the_staff_member_and_no_value(counter, reviewer, person):
    asked = answer_all(counter, base=base(person))
    entries = list(
        AuditEvent.select()
        .where(AuditEvent.action == "ventanilla.cuestionario")
        .order_by(AuditEvent.id)
    )
    assert [e.details for e in entries] == [{"campo": field} for field in asked]
    assert {(e.actor_kind, e.actor_id, e.object_type, e.object_id) for e in entries} == {
        ("personal", reviewer.id, "ciudadano", str(person.id))
    }
    trail = " ".join(str(e.details) + e.object_id for e in AuditEvent.select())
    assert person.curp not in trail
    assert "4000" not in trail and "empleo_informal" not in trail


def test_who_answers_for_the_person_is_noted_as_having_helped_them(counter, reviewer, person):
    answer_all(counter, base=base(person))
    # Noted once, however many answers: enough to keep them from deciding this person's cases.
    assert [(a.staff_id, a.act) for a in Assistance.select()] == [(reviewer.id, "cuestionario")]


def test_the_person_finds_the_same_answers_when_signing_in(counter, login, person):
    asked = answer_all(counter, base=base(person))
    client = login(Citizen.get_by_id(person.id))
    assert client.get("/cuestionario/siguiente").headers["Location"] == "/cuestionario/revisar"
    review = html(client.get("/cuestionario/revisar"))
    rows = {
        row.dt.get_text(strip=True): row.select("dd")[0].get_text(strip=True)
        for row in review.select(".summary-row")
    }
    assert "$4,000 al mes" in rows.values()
    changes = [a["href"].rsplit("/", 1)[1] for a in review.select(".summary-action a")]
    assert sorted(changes) == sorted(asked)


def test_programs_the_person_already_receives_count_at_the_counter(counter, person):
    program = Program.get(Program.slug == "tarjeta-contigo")
    Enrollment.create(citizen=person, program=program, exclusion_key="programa:tarjeta-contigo")
    answer_all(counter, base=base(person))
    no = html(counter.get(f"{base(person)}/resultados")).find("h2", id="no-cumple")
    assert "Ya recibe este programa." in no.find_next("ul").get_text(" ", strip=True)


@pytest.mark.parametrize(
    ("field", "data", "message"),
    [
        ("household_size", {"answer": "muchos"}, "Escriba un número entero"),
        ("household_size", {"answer": ""}, "Responda la pregunta para continuar."),
        ("household_income_monthly", {"answer": "9000", "dont_know": "y"}, "no las dos"),
        ("children_ages", {"answer": "2, 40"}, "de 0 a 17"),
        ("employment", {"answer": "astronauta"}, "Elija una de las opciones."),
    ],
)
def test_bad_answers_are_refused_in_plain_spanish_and_not_saved(
    counter, person, field, data, message
):
    response = counter.post(f"{base(person)}/pregunta/{field}", data=data)
    assert response.status_code == 422
    summary = html(response).select_one(".error-summary")
    assert message in summary.get_text(" ", strip=True)
    assert profile(person) == {}
    assert not AuditEvent.select().where(AuditEvent.action == "ventanilla.cuestionario").exists()


@pytest.mark.parametrize("field", ["birth_date", "sex", "municipality", "curp", "age"])
def test_what_the_record_says_is_not_asked(counter, person, field):
    assert counter.get(f"{base(person)}/pregunta/{field}").status_code == 404
    response = counter.post(f"{base(person)}/pregunta/{field}", data={"answer": "H"})
    assert response.status_code == 404
    assert Citizen.get_by_id(person.id).sex == "M" and profile(person) == {}


@pytest.mark.parametrize(
    ("method", "page"),
    [
        ("GET", "/siguiente"),
        ("GET", "/pregunta/household_size"),
        ("POST", "/pregunta/household_size"),
        ("GET", "/revisar"),
        ("GET", "/resultados"),
    ],
)
def test_nothing_without_the_identity_check_in_this_session(app, reviewer, person, method, page):
    client = app.test_client()
    sign_in_as(client, reviewer)
    response = client.open(f"{base(person)}{page}", method=method, data={"answer": "2"})
    assert response.status_code == 303
    assert response.headers["Location"] == "/oficina/ventanilla"  # look the person up first
    look_up(client, person)
    response = client.open(f"{base(person)}{page}", method=method, data={"answer": "2"})
    assert response.status_code == 303
    assert response.headers["Location"] == PERSON  # then check their ID
    assert profile(person) == {}


def test_looking_up_another_person_ends_the_first_ones_questionnaire(counter, person):
    other = make_citizen()
    look_up(counter, other)
    response = counter.post(f"{base(person)}/pregunta/household_size", data={"answer": "2"})
    assert response.headers["Location"] == PERSON  # the other person, not yet checked
    assert profile(person) == {} and profile(other) == {}


@pytest.mark.parametrize("who", ["anonymous", "citizen", "entrega", "admin_estatal"])
def test_only_counter_staff_may_answer_for_a_person(app, reviewer, person, who):
    client = app.test_client()
    if who == "citizen":
        sign_in_as(client, person)
    elif who != "anonymous":
        agency = None if who == "admin_estatal" else Agency.get(Agency.slug == "sedesoq")
        sign_in_as(client, make_staff(who, agency))
    response = client.post(f"{base(person)}/pregunta/household_size", data={"answer": "2"})
    if who == "anonymous":
        assert response.status_code == 302 and "/oficina/entrar" in response.headers["Location"]
    else:
        assert response.status_code == 403
    assert profile(person) == {}


def test_no_counter_url_takes_a_record_id(counter, person):
    for url in (
        f"/oficina/ventanilla/personas/{person.id}",
        f"/oficina/ventanilla/personas/{person.id}/cuestionario/siguiente",
    ):
        assert counter.get(url).status_code == 404


def test_with_htmx_only_the_question_panel_is_sent(counter, person):
    headers = {"HX-Request": "true"}
    fragment = html(counter.get(f"{base(person)}/pregunta/household_size", headers=headers))
    assert fragment.find("html") is None and fragment.find("header") is None
    form = fragment.select_one("#panel form")
    assert form["hx-post"] == form["action"] == f"{base(person)}/pregunta/household_size"
    assert "María Gómez Ruiz" in fragment.select_one("#panel .caption").get_text()
    bad = counter.post(
        f"{base(person)}/pregunta/household_size", data={"answer": ""}, headers=headers
    )
    assert bad.status_code == 422 and html(bad).find("html") is None
    good = counter.post(
        f"{base(person)}/pregunta/household_size",
        data={"answer": ANSWERS["household_size"]},
        headers=headers,
    )
    assert good.status_code == 303 and good.headers["Location"] == f"{base(person)}/siguiente"


def test_the_first_question_leads_back_to_the_persons_record(counter, person):
    first = counter.get(f"{base(person)}/siguiente").headers["Location"]
    page = html(counter.get(first))
    assert page.select_one(".back-link")["href"] == PERSON


def test_csrf_is_required_for_answers(app, counter, person):
    app.config["WTF_CSRF_ENABLED"] = True
    response = counter.post(f"{base(person)}/pregunta/household_size", data={"answer": "2"})
    assert response.status_code == 400
    assert profile(person) == {}
