"""Demo data: every role has an account, personas exist, the population is valid."""

from __future__ import annotations

from stdnum.mx import curp as stdnum_curp

from portal import demo
from portal.models import Application, Citizen, Enrollment, StaffUser

from .factories import make_agency, make_program


def test_demo_data_command_is_idempotent_and_covers_every_role(app):
    agency = make_agency(slug="sedesoq")
    make_program(agency)
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo-data", "--citizens", "200"])
    assert first.exit_code == 0, first.output
    counts = (Citizen.select().count(), Application.select().count(), StaffUser.select().count())
    second = runner.invoke(args=["demo-data", "--citizens", "200"])
    assert second.exit_code == 0, second.output
    assert (Citizen.select().count(), Application.select().count(), StaffUser.select().count()) == counts
    roles = {s.role for s in StaffUser.select()}
    assert roles == {"revisor", "entrega", "admin_dependencia", "admin_estatal"}


def test_personas_become_citizen_records(app):
    created = demo.create_personas()
    assert created == len(demo.load_personas()) >= 6
    assert demo.create_personas() == 0


def test_population_is_deterministic_and_respects_the_one_enrollment_rule(app):
    program = make_program()
    counts = demo.generate_population(300, seed=7)
    assert counts["citizens"] == 300 and counts["applications"] > 50
    for citizen in Citizen.select().limit(50):
        assert stdnum_curp.is_valid(citizen.curp)
    active = Enrollment.select().where(Enrollment.active, Enrollment.program == program).count()
    approved = Application.select().where(Application.status.in_(["aprobada", "entregada"])).count()
    assert active == approved
    folios = [a.folio for a in Application.select()]
    assert len(folios) == len(set(folios))
