"""The daily suspension racing staff's acceptance of the proof, and two runs of
the task racing each other: the end state is consistent on SQLite and, in the
PostgreSQL pass (TEST_DATABASE_URL), on PostgreSQL.

Each thread has its own database connection and a barrier releases them together.
"""

from __future__ import annotations

import threading

from portal.delivery import recertification
from portal.models import (
    Application,
    ApplicationEvent,
    DecisionTally,
    PlanTally,
    Recertification,
    StaffUser,
)
from portal.planning import tally
from portal.web.extensions import db
from tests.delivery.recertification_builders import make_renewing_beneficiary, overdue, present

ROUNDS = 6


def _together(app, *jobs):
    barrier = threading.Barrier(len(jobs))
    errors: list[BaseException] = []

    def run(job) -> None:
        context = app.app_context()
        context.push()
        db.connect(reuse_if_open=True)
        try:
            barrier.wait()
            job()
        except Exception as error:  # noqa: BLE001 - collected, so the test reports it
            errors.append(error)
        finally:
            db.close()
            context.pop()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


def _events(application_id: int, to: str) -> int:
    return (
        ApplicationEvent.select()
        .where(
            (ApplicationEvent.application == application_id) & (ApplicationEvent.to_status == to)
        )
        .count()
    )


def test_the_task_and_an_acceptance_racing_end_consistent(app):
    for _ in range(ROUNDS):
        _acceptance_round(app)


def _acceptance_round(app) -> None:
    application, *_, reviewer, row = make_renewing_beneficiary()
    # The person had been suspended, then presented the proof late; the
    # next morning's task and staff's acceptance arrive at once.
    recertification.suspend_overdue(overdue(row))
    present(Application.get_by_id(application.id), row)
    reviewer_id, application_id, row_id = reviewer.id, application.id, row.id

    def accept() -> None:
        recertification.accept(
            Application.get_by_id(application_id), row_id, StaffUser.get_by_id(reviewer_id)
        )

    def task() -> None:
        recertification.run_daily(overdue(row))

    assert _together(app, accept, task) == []
    fresh = Application.get_by_id(application_id)
    rows = list(Recertification.select().where(Recertification.application == application_id))
    assert Recertification.get_by_id(row_id).status == "aceptada"
    # One next due date, whoever created it; the benefit is not suspended
    # for a proof that was accepted.
    assert len(rows) == 2
    assert fresh.status == "aprobada"
    assert _events(application_id, "suspendida") == 1
    assert _events(application_id, "aprobada") == 1


def test_an_upload_and_the_task_racing_end_consistent(app):
    for _ in range(ROUNDS):
        _upload_round(app)


def _upload_round(app) -> None:
    application, *_, reviewer, row = make_renewing_beneficiary()
    application_id, row_id = application.id, row.id

    def upload() -> None:
        # Allowed before and after a suspension alike.
        present(Application.get_by_id(application_id), Recertification.get_by_id(row_id))

    def task() -> None:
        recertification.run_daily(overdue(row))

    assert _together(app, upload, task) == []
    fresh = Application.get_by_id(application_id)
    status = Recertification.get_by_id(row_id).status
    # Either the proof came first (no suspension) or the task did (suspended,
    # and the proof, still accepted while suspended, is in).
    assert status == "por_revisar"
    assert fresh.status in ("aprobada", "suspendida")
    assert _events(application_id, "suspendida") == (1 if fresh.status == "suspendida" else 0)


def test_two_runs_of_the_task_suspend_once(app):
    for _ in range(ROUNDS):
        _two_runs_round(app)


def _two_runs_round(app) -> None:
    application, *_, row = make_renewing_beneficiary()
    day = overdue(row)
    jobs = [lambda: recertification.run_daily(day) for _ in range(4)]
    assert _together(app, *jobs) == []
    assert Application.get_by_id(application.id).status == "suspendida"
    assert _events(application.id, "suspendida") == 1
    assert (
        Recertification.select().where(Recertification.application == application.id).count() == 1
    )


def test_suspending_and_lifting_keep_the_planning_figures_right(app):
    application, credential, point, operator, reviewer, row = make_renewing_beneficiary()
    tally.approved(Application.get_by_id(application.id))
    recertification.suspend_overdue(overdue(row))
    suspended = Application.get_by_id(application.id)
    present(suspended, row)
    recertification.accept(suspended, row.id, reviewer)
    program = Application.get_by_id(application.id).program

    kept_cells = {
        (c.year, c.quarter, c.municipality): (c.committed, c.spent)
        for c in PlanTally.select().where(PlanTally.program == program.id)
    }
    kept_decisions = sum(d.decisions for d in DecisionTally.select())
    tally.recount(program)
    counted_cells = {
        (c.year, c.quarter, c.municipality): (c.committed, c.spent)
        for c in PlanTally.select().where(PlanTally.program == program.id)
    }
    # The lifting is no second decision, and nothing committed moved.
    assert kept_decisions == sum(d.decisions for d in DecisionTally.select())
    assert kept_cells == counted_cells
