"""Issue 21: the questionnaire's pages cost the same on a registry of 10 or of millions.

`/cuestionario/resultados` served 3 requests a second on a registry of a
million people. Every step of the questionnaire (start, next question, a
question's GET and POST, check your answers, results), anonymous or signed in,
must run the same SQL statements whatever the number of citizens, applications
and enrollments: only look-ups by key and reads of the catalog (its size is
the catalog's, not the registry's). Counted with peewee's query hook, not timed.
"""

from __future__ import annotations

import pytest
from peewee import SqliteDatabase

from portal.applications.folio import new_folio
from portal.catalog.store import load_catalog
from portal.models import Application, Call, Citizen, Enrollment, Program, utcnow
from portal.web.extensions import db
from tests.catalog_builders import demo_catalog
from tests.conftest import sign_in_as
from tests.eligibility.test_questionnaire_views import ANSWERS
from tests.factories import make_citizen, make_enrollment, make_municipality, valid_curp

# Everything answered but the household's size, so "next" asks it.
ALMOST = {k: v for k, v in ANSWERS.items() if k != "household_size"}
STORED = {
    "household_income_monthly": 4000,
    "children_ages": [2],
    "student_level": "ninguno",
    "employment": "empleo_informal",
    "disability": False,
    "indigenous": False,
    "pregnant": False,
}
STEPS = (
    ("GET", "/cuestionario", None),
    ("GET", "/cuestionario/siguiente", None),
    ("GET", "/cuestionario/pregunta/household_size", None),
    ("POST", "/cuestionario/pregunta/household_size", {"answer": "2"}),
    ("GET", "/cuestionario/revisar", None),
    ("GET", "/cuestionario/resultados", None),
)


@pytest.fixture
def demo(app):
    load_catalog(demo_catalog())
    if "auth.sign_out" not in app.view_functions:
        app.add_url_rule("/salir", "auth.sign_out", lambda: "", methods=["POST"])


def grow_registry(count: int) -> None:
    """``count`` more people, each with a live application and an enrollment."""
    municipality = make_municipality()
    first = Citizen.select().count()
    rows = [
        {
            # Born in 1980 in the CURP too: the factories' CURPs (1990) wrap around
            # after 13,824 people, so a long suite could reach these numbers.
            "curp": valid_curp(utcnow().date().replace(year=1980), n=first + i),
            "given_names": "Persona",
            "first_surname": "Registro",
            "birth_date": utcnow().date().replace(year=1980),
            "sex": "M",
            "municipality": municipality.code,
            "profile": {"household_size": 3},
        }
        for i in range(count)
    ]
    with db.atomic():
        for start in range(0, count, 500):
            Citizen.insert_many(rows[start : start + 500]).execute()
    citizens = [c.id for c in Citizen.select(Citizen.id).order_by(Citizen.id.desc()).limit(count)]
    program = Program.get(Program.slug == "tarjeta-contigo")
    call = program.calls.get()
    other = Program.get(Program.slug != program.slug)
    with db.atomic():
        for start in range(0, count, 500):
            chunk = citizens[start : start + 500]
            Application.insert_many(
                [
                    {
                        "folio": new_folio("QRO", 2026),
                        "citizen": cid,
                        "program": program.id,
                        "call": call.id,
                        "status": "enviada",
                        "submitted_at": utcnow(),
                        "municipality": municipality.code,
                    }
                    for cid in chunk
                ]
            ).execute()
            Enrollment.insert_many(
                [
                    {
                        "citizen": cid,
                        "program": other.id,
                        "exclusion_key": other.exclusion_key,
                        "benefit_amount": other.benefit_amount,
                    }
                    for cid in chunk
                ]
            ).execute()
        Call.update(places_taken=Call.places_taken + len(citizens)).where(
            Call.id == call.id
        ).execute()


def statements_of_each_step(app, signed_in: bool) -> list[list[tuple[str, tuple]]]:
    """The SQL of each step, for a new person (anonymous, or a citizen with an enrollment)."""
    client = app.test_client()
    if signed_in:
        citizen = make_citizen(profile=STORED)
        make_enrollment(citizen, Program.get(Program.slug == "tarjeta-contigo"))
        sign_in_as(client, citizen)
    else:
        with client.session_transaction() as session:
            session["answers"] = dict(ALMOST)
    client.get("/cuestionario/resultados")  # the first request compiles the catalog
    steps = []
    for method, url, data in STEPS:
        seen: list[tuple[str, tuple]] = []
        db.obj.query_hooks.append(
            lambda event, seen=seen: seen.append((event.sql, tuple(event.params or ())))
        )
        try:
            response = client.open(url, method=method, data=data)
        finally:
            db.obj.query_hooks.pop()
        assert response.status_code in (200, 303), (url, response.status_code)
        steps.append(seen)
    return steps


@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "citizen"])
def test_each_step_runs_the_same_queries_for_10_or_2000_people(app, demo, signed_in):
    grow_registry(10)
    few = statements_of_each_step(app, signed_in)
    grow_registry(1_990)
    assert Citizen.select().count() >= 2_000
    assert Application.select().count() >= 2_000
    many = statements_of_each_step(app, signed_in)

    for (method, url, _), small, large in zip(STEPS, few, many, strict=True):
        assert [sql for sql, _ in large] == [sql for sql, _ in small], (method, url)
        # Nothing on the way reads applications, or counts or scans people or enrollments.
        for sql, params in large:
            lowered = sql.lower()
            assert '"application"' not in lowered, (url, sql)
            if '"citizen"' in lowered or '"enrollment"' in lowered:
                assert "count(" not in lowered, (url, sql)
                assert '"citizen_id" = ' in lowered or '"id" = ' in lowered, (url, sql)
                assert_uses_an_index(sql, params)


def assert_uses_an_index(sql: str, params: tuple) -> None:
    """On SQLite, the plan of a read of people or enrollments searches an index, never scans."""
    if not isinstance(db.obj, SqliteDatabase) or not sql.lstrip().upper().startswith("SELECT"):
        return
    plan = [row[-1] for row in db.execute_sql(f"EXPLAIN QUERY PLAN {sql}", params).fetchall()]
    assert not [step for step in plan if step.startswith("SCAN")], (sql, plan)


def test_results_show_places_left_from_the_calls_counter(app, demo, client):
    """The results mark a full call from ``Call.places_taken`` (catalog.store.quota_used),
    not by counting applications."""
    program = Program.get(Program.slug == "tarjeta-contigo")
    call = program.calls.get()
    with client.session_transaction() as session:
        session["answers"] = {**ALMOST, "household_size": "2"}
    page = client.get("/cuestionario/resultados").get_data(as_text=True)
    assert "Lugares ocupados: lista de espera" not in page
    Call.update(places_taken=call.quota).where(Call.id == call.id).execute()
    page = client.get("/cuestionario/resultados").get_data(as_text=True)
    # A full call still takes applications: they wait (issue 16, item 9).
    assert "Lugares ocupados: lista de espera" in page
    assert Application.select().count() == 0


def test_a_kept_results_card_follows_the_catalog(app, demo, client):
    """A card's parts are drawn once per program of the compiled catalog
    (portal/web/drawings.py): a renamed program shows its new name at once."""
    import dataclasses

    with client.session_transaction() as session:
        session["answers"] = {**ALMOST, "household_size": "2"}
    first = client.get("/cuestionario/resultados").get_data(as_text=True)
    again = client.get("/cuestionario/resultados").get_data(as_text=True)
    assert _cards(again) == _cards(first) and ">Tarjeta Contigo<" in _cards(first)
    catalog = demo_catalog()
    renamed = tuple(
        dataclasses.replace(p, name="Tarjeta Contigo Renovada")
        if p.slug == "tarjeta-contigo"
        else p
        for p in catalog.programs
    )
    load_catalog(dataclasses.replace(catalog, programs=renamed))
    page = client.get("/cuestionario/resultados").get_data(as_text=True)
    assert ">Tarjeta Contigo Renovada<" in page and ">Tarjeta Contigo<" not in page


def _cards(page: str) -> str:
    """The results' program cards (the page around them holds tokens)."""
    return "".join(
        part.split("</ul>\n", 1)[0] for part in page.split('<ul class="program-list">')[1:]
    )
