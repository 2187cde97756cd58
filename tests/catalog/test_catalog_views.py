"""The public catalog pages and the catalog and eligibility commands."""

from __future__ import annotations

import json

import pytest

from portal.catalog.store import load_catalog
from portal.models import Call, Program, ProgramVersion
from portal.web.extensions import db
from tests.catalog_builders import DEMO_CATALOG, demo_catalog
from tests.factories import make_application, make_citizen
from tests.support.html import html


@pytest.fixture
def demo(app):
    load_catalog(demo_catalog())


def _titles(response) -> list[str]:
    return [a.get_text(strip=True) for a in html(response).select(".program-card h3 a")]


def test_catalog_lists_every_program_and_is_cacheable(client, demo):
    response = client.get("/programas")
    assert response.status_code == 200
    assert len(_titles(response)) == len(demo_catalog().programs)
    assert response.headers["Cache-Control"] == "public, max-age=300"
    assert "Set-Cookie" not in response.headers


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("q=cuidado+ninos", ["Apoyo para el Cuidado Infantil"]),
        ("q=BECA+universitaria", ["Beca Universitaria"]),
        ("grupo=mujeres", ["Embarazo Saludable", "Mujeres Emprendedoras"]),
        ("dependencia=dif&grupo=discapacidad", ["Apoyo a Personas con Discapacidad"]),
        ("q=zzzz", []),
    ],
)
def test_catalog_search_and_filters(client, demo, query, expected):
    names = _titles(client.get(f"/programas?{query}"))
    for name in expected:
        assert any(name in n for n in names), (name, names)
    assert len(names) == len(expected)


def test_catalog_open_calls_filter(client, demo):
    Program.update(active=True).execute()
    assert len(_titles(client.get("/programas?abiertas=1"))) >= 10


def test_catalog_search_with_htmx_returns_only_the_results(client, demo):
    response = client.get("/programas?q=beca", headers={"HX-Request": "true"})
    page = html(response)
    assert page.find("html") is None
    assert page.select_one("#resultados") is not None
    assert "HX-Request" in response.headers["Vary"]


def test_program_page_shows_benefit_rules_calls_documents_and_points(client, demo):
    page = html(client.get("/programas/tarjeta-contigo"))
    text = page.get_text(" ", strip=True)
    assert page.h1.get_text(strip=True) == "Tarjeta Contigo"
    assert "$1,500 cada dos meses" in text
    assert "Es para personas de 18 a 64 años." in text
    assert "Apoyo para el Cuidado Infantil" in text  # same exclusion group
    assert "Identificación oficial vigente" in text
    assert "Lugares: 25,000. Quedan 25,000." in text
    assert "Centro de Desarrollo Comunitario San Juan del Río" in text
    link = page.find("a", string="Solicitar este apoyo")
    assert link["href"] == "/programas/tarjeta-contigo/solicitar"


def _queries_of(client, url):
    """The SQL statements one GET of ``url`` runs (a peewee query hook)."""
    seen: list[str] = []
    hooks = db.obj.query_hooks
    hooks.append(lambda event: seen.append(event.sql))
    try:
        assert client.get(url).status_code == 200
    finally:
        hooks.pop()
    return seen


def _apply(program, call, n):
    for _ in range(n):
        make_application(make_citizen(municipality=None), program, call=call, status="enviada")


def test_program_page_reads_places_left_from_the_counter_in_constant_queries(client, demo):
    """Issue 21: the places-left count grew with the call (3 req/s at 1M people).
    The page's queries are the same for 10 or 500 applications, and none of
    them reads applications or citizens."""
    program = Program.get(Program.slug == "tarjeta-contigo")
    call = program.calls.get()
    _apply(program, call, 10)
    client.get("/programas/tarjeta-contigo")  # the first request compiles the catalog
    few = _queries_of(client, "/programas/tarjeta-contigo")
    _apply(program, call, 490)
    many = _queries_of(client, "/programas/tarjeta-contigo")
    assert len(many) == len(few), many
    assert not [q for q in many if '"application"' in q or '"citizen"' in q], many
    text = html(client.get("/programas/tarjeta-contigo")).get_text(" ", strip=True)
    assert "Lugares: 25,000. Quedan 24,500." in text


def test_program_page_with_a_full_call_offers_the_waiting_list(client, demo):
    """Issue 16, item 9: a full call still takes applications; they wait."""
    program = Program.get(Program.slug == "tarjeta-contigo")
    Call.update(places_taken=Call.quota).where(Call.program == program).execute()
    page = html(client.get("/programas/tarjeta-contigo"))
    text = page.get_text(" ", strip=True)
    assert "Quedan 0." in text and "quedará en la lista de espera" in text
    assert page.find("a", string="Solicitar este apoyo")


def test_program_page_links_to_apply_when_the_applications_area_exists(app, demo):
    page = html(app.test_client().get("/programas/adultos-mayores"))
    link = page.find("a", string="Solicitar este apoyo")
    assert link["href"] == "/programas/adultos-mayores/solicitar"


def test_unknown_and_inactive_programs_are_not_found(client, demo):
    assert client.get("/programas/no-existe").status_code == 404
    Program.update(active=False).where(Program.slug == "adultos-mayores").execute()
    assert client.get("/programas/adultos-mayores").status_code == 404


# Commands


def test_catalog_load_command_is_idempotent(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["catalog", "load", str(DEMO_CATALOG)])
    assert first.exit_code == 0, first.output
    assert "programas nuevos: 12" in first.output
    versions = ProgramVersion.select().count()
    second = runner.invoke(args=["catalog", "load", str(DEMO_CATALOG)])
    assert second.exit_code == 0
    assert "programas nuevos: 0, actualizados: 0, sin cambios: 12" in second.output
    assert ProgramVersion.select().count() == versions


def test_catalog_load_reports_file_program_and_field(app, tmp_path):
    bad = tmp_path / "malo.yaml"
    text = DEMO_CATALOG.read_text(encoding="utf-8").replace(
        "{field: age, op: between, value: [18, 64]", "{field: age, op: entre, value: [18, 64]", 1
    )
    bad.write_text(text, encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["catalog", "load", str(bad)])
    assert result.exit_code == 1
    assert (
        'malo.yaml: programa "tarjeta-contigo": eligibility[1].op: operador desconocido "entre"'
        in result.output
    )
    assert Program.select().count() == 0


def test_catalog_load_refuses_broken_yaml(app, tmp_path):
    bad = tmp_path / "roto.yaml"
    bad.write_text("agencies: [\n", encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["catalog", "load", str(bad)])
    assert result.exit_code == 1
    assert "roto.yaml" in result.output and "YAML inválido" in result.output


PERSON = {"birth_date": "1950-03-01", "sex": "M", "municipality": "22014", "disability": False}


def _lines(output: str) -> list[list[dict]]:
    return [json.loads(line) for line in output.splitlines() if line.strip()]


def test_eligibility_check_with_a_catalog_file(app, tmp_path):
    profiles = tmp_path / "perfiles.jsonl"
    profiles.write_text(
        json.dumps(PERSON) + "\n" + json.dumps({"sex": "H"}) + "\n", encoding="utf-8"
    )
    result = app.test_cli_runner().invoke(
        args=[
            "eligibility",
            "check",
            str(profiles),
            "--catalog",
            str(DEMO_CATALOG),
            "--on",
            "2026-06-01",
        ]
    )
    assert result.exit_code == 0, result.output
    first, second = _lines(result.output)
    by_program = {r["program"]: r for r in first}
    assert by_program["adultos-mayores"] == {
        "program": "adultos-mayores",
        "status": "eligible",
        "reasons": [],
        "missing": [],
        "call_open": True,
    }
    assert by_program["apoyo-discapacidad"]["status"] == "not_eligible"
    assert {r["program"] for r in second} == {p.slug for p in demo_catalog().programs}


def test_eligibility_check_uses_the_database_without_a_catalog(app, tmp_path):
    load_catalog(demo_catalog())
    profiles = tmp_path / "perfil.json"
    profiles.write_text(json.dumps(PERSON), encoding="utf-8")
    result = app.test_cli_runner().invoke(
        args=["eligibility", "check", str(profiles), "--on", "2026-06-01"]
    )
    assert result.exit_code == 0, result.output
    (only,) = _lines(result.output)
    assert {r["program"]: r["status"] for r in only}["adultos-mayores"] == "eligible"


def test_eligibility_check_refuses_bad_profiles(app, tmp_path):
    profiles = tmp_path / "perfiles.jsonl"
    profiles.write_text('{"sex": "M"}\n{"household_size": "muchos"}\n', encoding="utf-8")
    result = app.test_cli_runner().invoke(
        args=["eligibility", "check", str(profiles), "--catalog", str(DEMO_CATALOG)]
    )
    assert result.exit_code == 1
    assert "perfiles.jsonl: línea 2: household_size: Escriba un número entero" in result.output


def test_demo_data_loads_the_catalog_and_can_run_twice(app):
    runner = app.test_cli_runner()
    # A small town: what this checks is the catalog, loaded twice.
    assert runner.invoke(args=["demo-data", "--citizens", "300"]).exit_code == 0
    again = runner.invoke(args=["demo-data", "--citizens", "300"])
    assert "programas: 0 nuevos, 0 actualizados, 12 sin cambios" in again.output
