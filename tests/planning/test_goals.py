"""Goals and indicators (MIR) per program and year (issue 16, item 7): the
forms and their bad input, and the values computed for each quarter."""

from __future__ import annotations

import datetime as dt

import pytest
from peewee import IntegrityError

from portal.models import AuditEvent, Goal, Indicator, utcnow
from portal.planning import goals as mir
from portal.planning import progress
from portal.web.extensions import db
from tests.factories import make_municipality, make_staff
from tests.planning.builders import AMOUNT, approve, deliver, monthly_program
from tests.support.html import html

YEAR = dt.date.today().year
QUARTER = (dt.date.today().month - 1) // 3 + 1


def _url(program, what="metas"):
    return f"/oficina/planeacion/{program.slug}/{YEAR}/{what}"


def _error(response, field):
    found = html(response).select_one(f"#{field}-error")
    return found.get_text(" ", strip=True) if found else ""


def test_an_agency_admin_sets_the_goal_of_the_program_and_of_a_municipality(app, login):
    make_municipality("22014", "Querétaro")
    program = monthly_program()
    client = login(make_staff("admin_dependencia", program.agency))
    assert client.post(_url(program), data={"personas": "1,200"}).status_code == 303
    assert (
        client.post(_url(program), data={"personas": "300", "municipio": "22014"}).status_code
        == 303
    )
    assert client.post(_url(program), data={"personas": "1500"}).status_code == 303
    assert mir.goals_of(program, YEAR) == {"": 1500, "22014": 300}
    assert AuditEvent.select().where(AuditEvent.action == "meta.cambio").count() == 3
    page = html(client.get(_url(program)))
    assert "Querétaro" in page.select_one("#tabla-metas").get_text()


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        ({"personas": "0"}, "personas", "al menos una persona"),
        ({"personas": "-3"}, "personas", "al menos una persona"),
        ({"personas": "muchas"}, "personas", "número"),
        ({"personas": ""}, "personas", "cuántas personas"),
        ({"personas": "10", "municipio": "99999"}, "municipio", "municipio"),
    ],
)
def test_a_bad_goal_is_refused_naming_the_field(app, login, data, field, words):
    program = monthly_program()
    response = login(make_staff("admin_dependencia", program.agency)).post(_url(program), data=data)
    assert response.status_code == 422
    assert words in _error(response, field)
    assert Goal.select().count() == 0


GOOD = {"nombre": "Cobertura", "formula": "cobertura", "frecuencia": "trimestral", "objetivo": "90"}


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"formula": "suma_libre"}, "formula", "fórmulas que el portal sabe calcular"),
        ({"formula": "decididas_en_plazo"}, "dias", "plazo en días"),
        ({"formula": "decididas_en_plazo", "dias": "0"}, "dias", "plazo en días"),
        ({"frecuencia": "diaria"}, "frecuencia", "frecuencia"),
        ({"objetivo": ""}, "objetivo", "meta del indicador"),
        ({"objetivo": "-1"}, "objetivo", "entre 0"),
        ({"linea_base": "abc"}, "linea_base", "número"),
        ({"nombre": ""}, "nombre", "nombre"),
    ],
)
def test_a_bad_indicator_is_refused_naming_the_field(app, login, changes, field, words):
    program = monthly_program()
    client = login(make_staff("admin_dependencia", program.agency))
    response = client.post(_url(program, "indicadores"), data={**GOOD, **changes})
    assert response.status_code == 422
    assert words in _error(response, field)
    assert Indicator.select().count() == 0
    assert AuditEvent.select().where(AuditEvent.action == "indicador.alta").count() == 0


def test_an_indicator_is_added_once_by_name(app, login):
    program = monthly_program()
    client = login(make_staff("admin_dependencia", program.agency))
    data = {**GOOD, "formula": "decididas_en_plazo", "dias": "30", "linea_base": "62.5"}
    assert client.post(_url(program, "indicadores"), data=data).status_code == 303
    saved = Indicator.get()
    assert (saved.formula, saved.days, saved.baseline, saved.target) == (
        "decididas_en_plazo", 30, 62.5, 90.0,
    )  # fmt: skip
    again = client.post(_url(program, "indicadores"), data=data)
    assert again.status_code == 422 and "Ya hay un indicador" in _error(again, "nombre")
    assert Indicator.select().count() == 1


def test_the_database_refuses_a_goal_of_zero_and_a_formula_outside_the_set(app):
    program = monthly_program()
    with pytest.raises(IntegrityError), db.atomic():
        Goal.create(program=program, year=YEAR, people=0)
    with pytest.raises(IntegrityError), db.atomic():
        Indicator.create(
            program=program, year=YEAR, name="x", formula="suma", frequency="anual", target=1
        )


def test_indicator_values_are_computed_from_the_figures_for_the_quarter(app):
    program = monthly_program()
    admin = make_staff("admin_dependencia", program.agency)
    mir.set_goal(program, YEAR, 4, admin)
    reviewer = make_staff("revisor", program.agency)
    quick = approve(program, reviewer=reviewer)
    approve(program, reviewer=reviewer, submitted_at=utcnow() - dt.timedelta(days=40))
    deliver(quick)
    for name, formula, days in (
        ("Cobertura", "cobertura", None),
        ("Puntualidad", "puntualidad", None),
        ("Costo", "costo_por_beneficiario", None),
        ("En plazo", "decididas_en_plazo", 30),
    ):
        mir.add_indicator(program, YEAR, admin, name=name, formula=formula,
                          frequency="trimestral", target=50, days=days)  # fmt: skip
    found = progress.report(program, YEAR)
    values = {i.name: v for i, v, _measured in found.quarters[QUARTER - 1].values}
    assert values == {"Cobertura": 25.0, "Puntualidad": 100.0, "Costo": float(AMOUNT),
                      "En plazo": 50.0}  # fmt: skip


def test_a_semestral_indicator_is_measured_at_the_second_and_fourth_quarters(app):
    program = monthly_program()
    admin = make_staff("admin_dependencia", program.agency)
    mir.add_indicator(program, YEAR, admin, name="Puntualidad", formula="puntualidad",
                      frequency="semestral", target=95)  # fmt: skip
    found = progress.report(program, YEAR, today=dt.date(YEAR, 12, 31))
    assert [q.values[0][2] for q in found.quarters] == [False, True, False, True]
    annual = progress.report(program, YEAR, today=dt.date(YEAR, 12, 31))
    assert annual.quarters[3].started


def test_no_value_without_what_it_needs(app):
    program = monthly_program()
    admin = make_staff("admin_dependencia", program.agency)
    indicator = mir.add_indicator(program, YEAR, admin, name="Cobertura", formula="cobertura",
                                  frequency="anual", target=90)  # fmt: skip
    empty = mir.ToDate(served=0, spent=0, deliveries=0, on_time=0, decided=0, decided_within={})
    assert mir.value(indicator, empty, goal=None) is None
    assert mir.shown_value(indicator, None) == "—"
