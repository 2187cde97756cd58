"""Demo data: every role has an account, personas exist, and the synthetic
population's cases are ones the portal itself could have made."""

from __future__ import annotations

import datetime as dt

import pytest
from stdnum.mx import curp as stdnum_curp

from portal.applications import assistance
from portal.applications import workflow as applications
from portal.backoffice import audit
from portal.catalog.store import load_catalog
from portal.delivery import periods
from portal.demo import data as demo
from portal.models import (
    Agency,
    Application,
    ApplicationEvent,
    AuditEvent,
    Citizen,
    CitizenFacts,
    Delivery,
    DeliveryDate,
    Enrollment,
    Goal,
    Program,
    StaffUser,
)
from portal.planning import budget as budgets
from portal.vocabulary import STAFF_ROLES, STATE_ROLES, ApplicationStatus, DocumentStatus
from tests.catalog_builders import demo_catalog
from tests.conftest import fresh_app

SMALL = 600
S = ApplicationStatus


@pytest.fixture(scope="class")
def population(template_database, tmp_path_factory):
    """The demo catalog, its staff and a small synthetic population, built once
    for the checks of TestThePopulation, which only read it."""
    for _app in fresh_app(template_database, tmp_path_factory.mktemp("demo")):
        load_catalog(demo_catalog())
        demo.create_staff()
        yield demo.generate_population(SMALL, seed=7)


def test_demo_data_command_is_idempotent_and_covers_every_role(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo-data", "--citizens", str(SMALL)])
    assert first.exit_code == 0, first.output

    def counts():
        return tuple(m.select().count() for m in (Citizen, Application, StaffUser, AuditEvent))

    before = counts()
    second = runner.invoke(args=["demo-data", "--citizens", str(SMALL)])
    assert second.exit_code == 0, second.output
    assert counts() == before
    # Every person of the demo, the personas included, is in the rule preview's facts.
    assert CitizenFacts.select().count() == Citizen.select().count()
    assert {s.role for s in StaffUser.select()} == set(STAFF_ROLES)
    for agency in Agency.select():
        roles = {s.role for s in StaffUser.select().where(StaffUser.agency == agency)}
        assert roles == set(STAFF_ROLES) - set(STATE_ROLES)


def test_personas_become_citizen_records(app):
    created = demo.create_personas()
    assert created == len(demo.load_personas()) >= 6
    assert demo.create_personas() == 0


class TestThePopulation:
    """Cases the portal itself could have made."""

    def test_no_active_enrollment_is_outside_its_programs_rules(self, population):
        today = dt.date.today()
        enrollments = list(Enrollment.select().where(Enrollment.active))
        assert len(enrollments) == population["enrollments"] > 0
        for enrollment in enrollments:
            citizen = Citizen.get_by_id(enrollment.citizen_id)
            program = Program.get_by_id(enrollment.program_id)
            assert applications.rule_reasons(citizen, program, today) == [], (
                program.slug,
                citizen.id,
            )

    def test_approved_and_delivered_cases_have_every_required_document_accepted(self, population):
        decided = Application.select().where(Application.status.in_([S.APROBADA, S.ENTREGADA]))
        assert decided.count() > 0
        for application in decided:
            assert applications.document_blockers(application) == []
            docs = applications.current_documents(application).values()
            assert {d.status for d in docs} == {DocumentStatus.ACEPTADO}
            assert application.override_by_id is None

    def test_every_status_history_follows_the_allowed_transitions(self, population):
        for application in Application.select():
            status = S.BORRADOR
            for event in applications.timeline(application):
                assert event.from_status == status
                move = (event.from_status, event.to_status)
                assert event.actor_kind in applications.TRANSITIONS[move], (application.folio, move)
                status = event.to_status
            assert status == application.status

    def test_decisions_are_made_by_the_programs_agency_and_never_by_who_helped_file(
        self, population
    ):
        decisions = (
            ApplicationEvent.select(ApplicationEvent, Application, Program, StaffUser)
            .join(Application)
            .join(Program)
            .switch(ApplicationEvent)
            .join(StaffUser)
            .where(ApplicationEvent.to_status.in_(list(applications.DECISIONS)))
        )
        assert decisions.count() > 0
        for event in decisions:
            application = event.application
            assert event.actor_staff.agency_id == application.program.agency_id
            assert event.actor_staff_id not in assistance.helpers_of(application)
        assert Application.select().where(Application.assisted_by.is_null(False)).count() > 0

    def test_every_agency_has_cases_at_every_step_and_every_program_beneficiaries(self, population):
        steps = set(demo.EVERY_STEP)
        for agency in Agency.select():
            reached = {
                a.status
                for a in Application.select(Application.status)
                .join(Program)
                .where(Program.agency == agency)
            }
            # A periodic benefit stays approved after its first period's delivery.
            if (
                Delivery.select()
                .join(Application)
                .join(Program)
                .where(Program.agency == agency)
                .exists()
            ):
                reached.add(S.ENTREGADA)
            assert steps <= reached, agency.slug
        for program in Program.select().where(Program.active):
            assert (
                Enrollment.select().where(Enrollment.program == program, Enrollment.active).exists()
            )

    def test_one_call_is_full_with_a_waiting_list_in_order(self, population):
        program = Program.get(Program.slug == demo.WAITING_LIST_PROGRAM)
        call = applications.open_call(program, dt.date.today())
        assert call.places_taken == call.quota
        assert call.places_waiting == population[S.EN_ESPERA] == demo.WAITING_LIST_PEOPLE
        waiting = list(
            Application.select()
            .where((Application.call == call) & (Application.status == S.EN_ESPERA))
            .order_by(Application.waiting_number)
        )
        assert [applications.waiting_position(a) for a in waiting] == list(
            range(1, demo.WAITING_LIST_PEOPLE + 1)
        )

    def test_the_audit_chain_verifies(self, population):
        assert AuditEvent.select().count() > population["applications"]
        assert audit.verify() is None

    def test_the_same_seed_plans_the_same_cases(self, population):
        pool = list(demo.generate_citizens(SMALL, seed=7))
        today = dt.date.today()
        first = demo.plan_population(pool, 7, today)
        again = demo.plan_population(pool, 7, today)
        assert first == again
        # Besides the plans, the people who joined the demo's waiting list.
        assert {p.key for p in first[1]} == {
            a.idempotency_key
            for a in Application.select(Application.idempotency_key)
            if not a.idempotency_key.startswith("demo-espera-")
        }
        for citizen in Citizen.select().limit(50):
            assert stdnum_curp.is_valid(citizen.curp)
        folios = [a.folio for a in Application.select(Application.folio)]
        assert len(folios) == len(set(folios))


def test_people_beyond_the_default_are_registry_rows_only(app, monkeypatch):
    load_catalog(demo_catalog())
    demo.create_staff()
    monkeypatch.setattr(demo, "DEFAULT_CITIZENS", 150)
    counts = demo.generate_population(400, seed=3)
    assert counts["citizens"] == Citizen.select().count() == 400
    answered = Citizen.select().where(Citizen.profile != {})
    assert 0 < answered.count() <= 150
    applicants = (
        Citizen.select().join(Application, on=(Application.citizen == Citizen.id)).distinct()
    )
    assert {c.id for c in applicants} <= {c.id for c in answered}


def test_the_demo_data_command_gives_every_cash_program_a_schedule_a_calendar_and_a_budget(app):
    """Issue 16's "Done when", over what ``demo-data`` itself makes (periods,
    calendar and planning were merged from three branches: the command runs
    them together)."""
    result = app.test_cli_runner().invoke(args=["demo-data", "--citizens", "60"])
    assert result.exit_code == 0, result.output
    year = dt.date.today().year
    cash = list(Program.select().where(Program.benefit_kind == "cash"))
    assert len(cash) >= 8
    for program in cash:
        schedule = periods.program_periods(program)
        assert schedule, program.slug
        dates = {d.period: d for d in DeliveryDate.select().where(DeliveryDate.program == program)}
        assert sorted(dates) == [p.number for p in schedule], program.slug
        for period in schedule:
            assert period.starts <= dates[period.number].day <= period.ends, program.slug
            assert dates[period.number].point.program_id == program.id
        budget = budgets.figures_of(program.id, year)
        assert budget.approved is not None and budget.approved > 0, program.slug
        assert budget.approved >= budget.spent, program.slug
        assert Goal.select().where((Goal.program == program.id) & (Goal.year == year)).exists()
