"""Budgets per program and fiscal year (issue 16, item 6): the form, its bad
input, the audit trail, the figures and the warning on the approve step."""

from __future__ import annotations

import datetime as dt

import pytest
from peewee import IntegrityError

from portal.models import Application, AuditEvent, Budget
from portal.planning import budget as budgets
from portal.planning import goals
from portal.web.extensions import db
from tests.factories import (
    accept_documents,
    make_agency,
    make_application,
    make_citizen,
    make_staff,
)
from tests.planning.builders import AMOUNT, approve, deliver, monthly_program
from tests.support.html import html, page_text

YEAR = dt.date.today().year


def _url(program, year=YEAR):
    return f"/oficina/planeacion/{program.slug}/{year}/presupuesto"


def _error(response, field):
    found = html(response).select_one(f"#{field}-error")
    return found.get_text(" ", strip=True) if found else ""


def test_an_agency_admin_sets_the_budget_and_it_is_audited(app, login):
    program = monthly_program()
    admin = make_staff("admin_dependencia", program.agency)
    client = login(admin)
    response = client.post(_url(program), data={"aprobado": "$1,500,000", "modificado": ""})
    assert response.status_code == 303
    saved = Budget.get((Budget.program == program.id) & (Budget.year == YEAR))
    assert (saved.approved, saved.modified, saved.updated_by_id) == (1_500_000, None, admin.id)
    response = client.post(_url(program), data={"aprobado": "1500000", "modificado": "1,800,000"})
    assert response.status_code == 303
    assert Budget.get_by_id(saved.id).in_force == 1_800_000
    entries = list(
        AuditEvent.select().where(AuditEvent.action == "presupuesto.cambio").order_by(AuditEvent.id)
    )
    assert [e.details["modificado"] for e in entries] == [None, 1_800_000]
    assert entries[1].details["antes"] == [1_500_000, None]
    assert entries[1].object_id == f"{program.slug}/{YEAR}"
    page = html(client.get(_url(program)))
    assert len(page.select("#cambios li")) == 2


def test_saving_the_same_budget_and_goal_again_changes_and_audits_nothing(app):
    # demo-data runs again on every `make run`: its plans must not grow the
    # audit trail, and an admin pressing save twice made no second change.
    program = monthly_program()
    admin = make_staff("admin_dependencia", program.agency)
    first = budgets.set_budget(program, YEAR, 900_000, None, admin)
    again = budgets.set_budget(program, YEAR, 900_000, None, admin)
    assert again.id == first.id and again.updated_at == first.updated_at
    goals.set_goal(program, YEAR, 300, admin)
    goals.set_goal(program, YEAR, 300, admin)
    assert AuditEvent.select().where(AuditEvent.action == "presupuesto.cambio").count() == 1
    assert AuditEvent.select().where(AuditEvent.action == "meta.cambio").count() == 1
    # A different figure is a change again.
    budgets.set_budget(program, YEAR, 900_000, 950_000, admin)
    goals.set_goal(program, YEAR, 310, admin)
    assert AuditEvent.select().where(AuditEvent.action == "presupuesto.cambio").count() == 2
    assert AuditEvent.select().where(AuditEvent.action == "meta.cambio").count() == 2


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        ({"aprobado": "-5"}, "aprobado", "negativo"),
        ({"aprobado": "100", "modificado": "-1"}, "modificado", "negativo"),
        ({"aprobado": "mucho"}, "aprobado", "número"),
        ({"aprobado": "10.50"}, "aprobado", "entero"),
        ({"aprobado": ""}, "aprobado", "presupuesto aprobado"),
        ({"aprobado": "1" + "0" * 15}, "aprobado", "demasiado grande"),
    ],
)
def test_bad_budget_input_is_refused_naming_the_field(app, login, data, field, words):
    program = monthly_program()
    client = login(make_staff("admin_dependencia", program.agency))
    response = client.post(_url(program), data=data)
    assert response.status_code == 422
    assert words in _error(response, field)
    assert Budget.select().count() == 0
    assert AuditEvent.select().where(AuditEvent.action == "presupuesto.cambio").count() == 0


def test_a_budget_below_what_was_spent_is_refused_and_nothing_changes(app, login):
    program = monthly_program()
    admin = make_staff("admin_dependencia", program.agency)
    budgets.set_budget(program, YEAR, 10 * AMOUNT, None, admin)
    deliver(approve(program))
    client = login(admin)
    response = client.post(_url(program), data={"aprobado": "10000", "modificado": "999"})
    assert response.status_code == 422
    assert "menor que lo ya ejercido" in _error(response, "modificado")
    response = client.post(_url(program), data={"aprobado": "999"})
    assert response.status_code == 422
    assert "menor que lo ya ejercido" in _error(response, "aprobado")
    saved = Budget.get(Budget.program == program.id)
    assert (saved.approved, saved.modified) == (10 * AMOUNT, None)
    # Exactly what was spent is allowed.
    response = client.post(_url(program), data={"aprobado": "10000", "modificado": "1000"})
    assert response.status_code == 303


def test_a_budget_of_ten_digits_is_saved_and_audited(app, login):
    """1,500,000,000 pesos: the audit trail's phone check once took it for a phone."""
    program = monthly_program()
    client = login(make_staff("admin_dependencia", program.agency))
    response = client.post(_url(program), data={"aprobado": "1,500,000,000"})
    assert response.status_code == 303
    assert Budget.get(Budget.program == program.id).approved == 1_500_000_000
    entry = AuditEvent.get(AuditEvent.action == "presupuesto.cambio")
    assert entry.details["aprobado"] == 1_500_000_000


def test_the_state_admin_sets_any_agencys_budget_and_other_agencies_get_404(app, login):
    program = monthly_program()
    outsider = make_staff("admin_dependencia", make_agency())
    assert login(outsider).post(_url(program), data={"aprobado": "5"}).status_code == 404
    state = make_staff("admin_estatal")
    assert login(state).post(_url(program), data={"aprobado": "5000"}).status_code == 303
    assert Budget.get(Budget.program == program.id).updated_by_id == state.id


def test_the_database_refuses_a_negative_budget(app):
    program = monthly_program()
    with pytest.raises(IntegrityError), db.atomic():
        Budget.create(program=program, year=YEAR, approved=-1)
    with pytest.raises(IntegrityError), db.atomic():
        Budget.create(program=program, year=YEAR, approved=1, modified=-1)


def test_figures_are_committed_and_spent_from_the_data(app):
    program = monthly_program(months=1)
    admin = make_staff("admin_dependencia", program.agency)
    budgets.set_budget(program, YEAR, 5 * AMOUNT, None, admin)
    first, second = approve(program), approve(program)
    deliver(first)
    figures = budgets.figures_of(program.id, YEAR)
    assert (figures.committed, figures.spent) == (AMOUNT, AMOUNT)
    assert figures.available == 3 * AMOUNT
    assert figures.spent_share == 20.0
    assert second.status == "aprobada"


def _case(client, application):
    return html(client.get(f"/oficina/solicitudes/{application.folio}"))


def test_the_approve_step_warns_when_approving_would_exceed_the_budget(app, login):
    program = monthly_program(months=1)
    admin = make_staff("admin_dependencia", program.agency)
    budgets.set_budget(program, YEAR, AMOUNT, None, admin)
    reviewer = make_staff("revisor", program.agency)
    approve(program, reviewer=reviewer)  # the whole budget is committed
    waiting = accept_documents(make_application(make_citizen(), program, status="en_revision"))
    client = login(reviewer)
    warning = _case(client, waiting).select_one("#aviso-presupuesto")
    assert warning is not None
    assert "rebasará su presupuesto" in page_text(warning)
    assert "$1,000" in page_text(warning)
    # A warning, not a block: the reviewer may still approve.
    response = client.post(
        f"/oficina/solicitudes/{waiting.folio}/aprobar", data={"version": waiting.version}
    )
    assert response.status_code in (302, 303)
    assert Application.get_by_id(waiting.id).status == "aprobada"


def test_no_warning_while_the_approval_fits_the_budget(app, login):
    program = monthly_program(months=1)
    admin = make_staff("admin_dependencia", program.agency)
    budgets.set_budget(program, YEAR, 2 * AMOUNT, None, admin)
    reviewer = make_staff("revisor", program.agency)
    approve(program, reviewer=reviewer)
    waiting = make_application(make_citizen(), program, status="en_revision")
    assert _case(login(reviewer), waiting).select_one("#aviso-presupuesto") is None
    # Without a budget for the year there is nothing to warn about.
    Budget.delete().execute()
    assert budgets.approval_warning(waiting) is None
