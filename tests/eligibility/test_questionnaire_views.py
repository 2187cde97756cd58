"""The needs questionnaire at /cuestionario: without JavaScript, with htmx, resumed, signed in."""

from __future__ import annotations

import datetime as dt

import pytest

from portal.catalog.store import load_catalog
from portal.eligibility import answers as store
from portal.models import Citizen, Enrollment, Program, ResumeCode, utcnow
from tests.catalog_builders import demo_catalog
from tests.factories import make_citizen
from tests.support.html import html

# A woman of 40 in Querétaro city, living alone on a low income, with a child of 2.
ANSWERS = {
    "birth_date": "1986-04-10",
    "sex": "M",
    "municipality": "22014",
    "household_size": "2",
    "household_income_monthly": "4000",
    "children_ages": "2",
    "student_level": "ninguno",
    "employment": "empleo_informal",
    "disability": "no",
    "indigenous": "no",
    "pregnant": "no",
}


@pytest.fixture
def demo(app):
    load_catalog(demo_catalog())
    # Pages for a signed-in person show a sign-out form; the sign-in area
    # (another branch) serves it. Stand in for it until it is merged.
    if "auth.sign_out" not in app.view_functions:
        app.add_url_rule("/salir", "auth.sign_out", lambda: "", methods=["POST"])


def answer_all(client, answers=ANSWERS, base="/cuestionario", **overrides) -> list[str]:
    """Answer every question asked, as a browser without JavaScript would; the fields asked.

    ``base`` is where the questionnaire is: the citizen's, or one at the counter."""
    asked = []
    location = client.get(f"{base}/siguiente").headers["Location"]
    while "/pregunta/" in location:
        field = location.rsplit("/", 1)[1]
        asked.append(field)
        data = overrides.get(field) or {"answer": answers[field]}
        response = client.post(location, data=data)
        assert response.status_code == 303, (field, response.get_data(as_text=True)[:500])
        location = client.get(response.headers["Location"]).headers["Location"]
    assert location == f"{base}/revisar"
    return asked


def test_start_page_offers_to_begin_and_to_resume(client, demo):
    page = html(client.get("/cuestionario"))
    assert page.h1.get_text(strip=True) == "¿Qué apoyos puedo recibir?"
    assert page.find("a", string="Comenzar")["href"] == "/cuestionario/siguiente"
    assert page.select_one("form[action='/cuestionario/retomar'] input[name=code]")


def test_one_question_per_page_with_a_back_link(client, demo):
    first = client.get("/cuestionario/siguiente").headers["Location"]
    page = html(client.get(first))
    assert len(page.select("form[method=post] [name=answer]")) >= 1
    assert page.select_one(".back-link")["href"] == "/cuestionario"
    client.post(first, data={"answer": ANSWERS[first.rsplit("/", 1)[1]]})
    second = client.get("/cuestionario/siguiente").headers["Location"]
    assert second != first
    assert html(client.get(second)).select_one(".back-link")["href"] == first


def test_the_whole_journey_without_javascript(client, demo):
    asked = answer_all(client)
    assert len(asked) == len(set(asked)) <= 10
    review = html(client.get("/cuestionario/revisar"))
    changes = [a["href"] for a in review.select(".summary-action a")]
    assert changes == [f"/cuestionario/pregunta/{field}" for field in asked]
    results = html(client.get("/cuestionario/resultados"))
    headings = [h.get_text(" ", strip=True) for h in results.select("h2")]
    assert any(h.startswith("Puede recibir") for h in headings)
    assert any(h.startswith("No cumple") for h in headings)
    eligible = results.find("h2", id="puede").find_next("ul")
    names = [a.get_text(strip=True) for a in eligible.select("h3 a")]
    assert "Mujeres Emprendedoras" in names
    assert "Tarjeta Contigo" in names  # $2,000 per person is under $3,000
    assert "$1,500 cada dos meses" in eligible.get_text(" ", strip=True)
    no = results.find("h2", id="no-cumple").find_next("ul").get_text(" ", strip=True)
    assert "Es para personas de 65 años o más." in no or "65" in no


def test_dont_know_leaves_programs_in_maybe_with_the_missing_answer(client, demo):
    answer_all(client, household_income_monthly={"dont_know": "y"})
    results = html(client.get("/cuestionario/resultados"))
    maybe = results.find("h2", id="podria")
    assert maybe is not None
    text = maybe.find_next("ul").get_text(" ", strip=True)
    assert "Tarjeta Contigo" in text
    assert "ingreso mensual del hogar" in text


def test_changing_an_answer_goes_back_through_what_is_still_needed(client, demo):
    answer_all(client)
    page = html(client.get("/cuestionario/pregunta/sex"))
    assert page.select_one("input[name=answer][value=M]").has_attr("checked")
    response = client.post("/cuestionario/pregunta/sex", data={"answer": "H"})
    assert response.status_code == 303
    results = html(client.get("/cuestionario/resultados"))
    eligible = results.find("h2", id="puede").find_next("ul").get_text(" ", strip=True)
    assert "Mujeres Emprendedoras" not in eligible


@pytest.mark.parametrize(
    ("field", "data", "message"),
    [
        ("birth_date", {"answer": "ayer"}, "Escriba la fecha como año-mes-día"),
        ("birth_date", {"answer": ""}, "Responda la pregunta para continuar."),
        ("birth_date", {"answer": "2999-01-01"}, "La fecha no puede ser posterior a hoy."),
        ("sex", {"answer": "Z"}, "Elija una de las opciones."),
        ("sex", {"answer": "no-se"}, "Elija o escriba una respuesta."),
        ("municipality", {"answer": "09015"}, "Elija una de las opciones."),
        ("household_size", {"answer": "-3"}, "Escriba un número entero"),
        ("household_income_monthly", {"answer": "9000", "dont_know": "y"}, "no las dos"),
        ("children_ages", {"answer": "2, 40"}, "de 0 a 17"),
        ("children_ages", {"answer": "3", "none": "y"}, "no las dos"),
    ],
)
def test_bad_answers_are_refused_in_plain_spanish_and_not_saved(client, demo, field, data, message):
    response = client.post(f"/cuestionario/pregunta/{field}", data=data)
    assert response.status_code == 422
    page = html(response)
    summary = page.select_one(".error-summary")
    assert message in summary.get_text(" ", strip=True)
    assert summary.select_one("a")["href"] == "#answer"
    assert message in page.select_one(".field-error .error-message").get_text(" ", strip=True)
    with client.session_transaction() as session:
        assert field not in session.get("answers", {})


def test_unknown_question_is_not_found(client, demo):
    assert client.get("/cuestionario/pregunta/curp").status_code == 404
    assert client.post("/cuestionario/pregunta/age", data={"answer": "3"}).status_code == 404


def test_review_and_results_need_answers_first(client, demo):
    assert client.get("/cuestionario/revisar").headers["Location"] == "/cuestionario"
    assert client.get("/cuestionario/resultados").headers["Location"] == "/cuestionario"


def test_with_htmx_only_the_question_panel_is_sent(client, demo):
    headers = {"HX-Request": "true"}
    first = client.get("/cuestionario/siguiente").headers["Location"]
    fragment = html(client.get(first, headers=headers))
    assert fragment.find("html") is None and fragment.find("header") is None
    panel = fragment.select_one("#panel")
    assert panel.select_one("form")["hx-target"] == "#panel"
    bad = client.post(first, data={"answer": ""}, headers=headers)
    assert bad.status_code == 422
    assert html(bad).find("html") is None
    assert html(bad).select_one("#panel .error-summary")
    good = client.post(first, data={"answer": ANSWERS[first.rsplit("/", 1)[1]]}, headers=headers)
    assert good.status_code == 303
    assert "HX-Request" in good.headers.get("Vary", "") or good.status_code == 303


def test_csrf_is_required_for_answers(app, client, demo):
    app.config["WTF_CSRF_ENABLED"] = True
    response = client.post("/cuestionario/pregunta/sex", data={"answer": "M"})
    assert response.status_code == 400
    with client.session_transaction() as session:
        assert "sex" not in session.get("answers", {})


# Resume codes


def test_answers_can_be_saved_and_resumed_with_a_code(app, client, demo):
    asked = answer_all(client)
    response = client.post("/cuestionario/guardar")
    assert response.headers["Location"] == "/cuestionario/codigo"
    shown = html(client.get("/cuestionario/codigo")).select_one(".code").get_text(strip=True)
    assert len(shown) == 9 and shown[4] == "-"
    other = app.test_client()
    resumed = other.post("/cuestionario/retomar", data={"code": shown.lower().replace("-", " ")})
    assert resumed.headers["Location"] == "/cuestionario/revisar"
    review = html(other.get("/cuestionario/revisar"))
    assert [a["href"].rsplit("/", 1)[1] for a in review.select(".summary-action a")] == asked
    assert ResumeCode.get().expires_at > utcnow() + dt.timedelta(days=6)


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Escriba el código"),
        ("ABC", "tiene 8 letras"),
        ("0000-IIII", "El código no lleva 0, I"),
        ("2222-2222", "No encontramos respuestas con ese código"),
    ],
)
def test_bad_resume_codes_are_refused(client, demo, typed, message):
    response = client.post("/cuestionario/retomar", data={"code": typed})
    assert response.status_code == 422
    assert message in html(response).select_one(".error-summary").get_text(" ", strip=True)


def test_expired_codes_no_longer_work_and_are_pruned(client, demo):
    long_ago = utcnow() - dt.timedelta(days=31)
    old = store.save_for_later({"sex": "M"}, ["sex"], now=long_ago)
    response = client.post("/cuestionario/retomar", data={"code": old})
    assert response.status_code == 422
    store.save_for_later({"sex": "H"}, ["sex"])
    assert not ResumeCode.select().where(ResumeCode.code == old).exists()


# Signed-in citizens


def test_signed_in_citizens_are_not_asked_what_their_record_says(login, demo):
    citizen = make_citizen(birth_date=dt.date(1950, 2, 1), sex="M")
    client = login(citizen)
    asked = answer_all(client)
    assert not {"birth_date", "sex", "municipality"} & set(asked)
    assert client.get("/cuestionario/pregunta/birth_date").status_code == 404
    saved = Citizen.get_by_id(citizen.id).profile
    assert set(asked) <= set(saved)
    assert "birth_date" not in saved
    review = html(client.get("/cuestionario/revisar"))
    assert "De su expediente" in review.get_text()
    results = html(client.get("/cuestionario/resultados"))
    eligible = results.find("h2", id="puede").find_next("ul").get_text(" ", strip=True)
    assert "Apoyo a Personas Adultas Mayores" in eligible


def test_a_signed_in_citizens_first_question_is_question_one(login, demo):
    # Birth date, sex and municipality come from the record: no step back to them.
    client = login(make_citizen())
    first = client.get("/cuestionario/siguiente").headers["Location"]
    page = html(client.get(first))
    assert page.select_one(".back-link")["href"] == "/cuestionario"
    assert page.select_one(".caption").get_text(strip=True) == "Pregunta 1"


def test_answers_given_before_signing_in_move_to_the_record(client, login, demo):
    client.post("/cuestionario/pregunta/household_size", data={"answer": "3"})
    citizen = make_citizen()
    with client.session_transaction() as session:
        session["_user_id"] = citizen.get_id()
    # The test's app context outlives requests; forget the anonymous user
    # flask-login cached in it, as a new request in production would.
    client.get("/cuestionario/revisar")
    assert Citizen.get_by_id(citizen.id).profile["household_size"] == 3
    with client.session_transaction() as session:
        assert "answers" not in session


def test_programs_already_received_show_as_such(login, demo):
    citizen = make_citizen(birth_date=dt.date(1950, 2, 1))
    program = Program.get(Program.slug == "adultos-mayores")
    Enrollment.create(citizen=citizen, program=program, exclusion_key="programa:adultos-mayores")
    client = login(citizen)
    answer_all(client)
    no = html(client.get("/cuestionario/resultados")).find("h2", id="no-cumple").find_next("ul")
    assert "Ya recibe este programa." in no.get_text(" ", strip=True)


def test_signed_in_citizens_have_no_code_to_save(login, demo):
    client = login(make_citizen())
    answer_all(client)
    response = client.post("/cuestionario/guardar")
    assert response.headers["Location"] == "/cuestionario/revisar"
    assert ResumeCode.select().count() == 0
