"""Simultaneous requests: the database lets exactly one through.

Each thread has its own connection (peewee keeps one per thread), as two web
workers would. Run on SQLite by default and on PostgreSQL in the second pass.
"""

from __future__ import annotations

import threading

from portal.applications import workflow as apps
from portal.models import Application, Enrollment
from portal.web.extensions import db
from tests.application_builders import citizen_actor, staff_actor
from tests.factories import (
    accept_documents,
    make_application,
    make_citizen,
    make_program,
    make_staff,
)

THREADS = 12


def run_together(app, work, items):
    """Call ``work(item)`` for every item in its own thread, all released at once."""
    barrier = threading.Barrier(len(items))
    outcomes: list = [None] * len(items)

    def runner(index, item):
        with app.app_context():
            db.connect(reuse_if_open=True)
            try:
                barrier.wait()
                outcomes[index] = work(item)
            except Exception as exc:  # noqa: BLE001 - the outcome is what is tested
                outcomes[index] = exc
            finally:
                db.close()

    threads = [threading.Thread(target=runner, args=(i, item)) for i, item in enumerate(items)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def test_concurrent_submissions_leave_exactly_one_live_application(app):
    citizen = make_citizen()
    program = make_program(requirements=())
    # Drafts from several devices or tabs, all sent at the same moment.
    drafts = [
        make_application(citizen, program, status="borrador", submitted_at=None)
        for _ in range(THREADS)
    ]
    db.close()
    outcomes = run_together(app, lambda d: apps.submit(d, citizen_actor(citizen)), drafts)
    db.connect(reuse_if_open=True)
    refused = [o for o in outcomes if isinstance(o, apps.Refused)]
    assert len(refused) == THREADS - 1, outcomes
    assert all("Ya tiene una solicitud en curso" in r.message for r in refused)
    live = Application.select().where(Application.status.in_(apps.LIVE_STATUSES))
    assert live.count() == 1


def test_concurrent_approvals_in_one_exclusion_group_enrol_once(app):
    citizen = make_citizen()
    staff = staff_actor(make_staff("admin_estatal"))
    programs = [
        make_program(name=f"Programa de cuidados {n}", exclusion_group="cuidados") for n in range(2)
    ]
    applications = [
        accept_documents(make_application(citizen, p, status="en_revision")) for p in programs
    ]
    db.close()
    outcomes = run_together(app, lambda a: apps.approve(a, staff), applications)
    db.connect(reuse_if_open=True)
    # The loser is refused by the gate when the winner committed first, and by
    # the database's unique index when both passed the gate at once.
    refused = (apps.DuplicateEnrollment, apps.ApprovalBlocked)
    assert sum(isinstance(o, refused) for o in outcomes) == 1, outcomes
    assert Enrollment.select().count() == 1
    statuses = sorted(Application.select(Application.status).tuples())
    assert statuses == [("aprobada",), ("en_revision",)]


def test_concurrent_posts_of_one_start_form_create_one_draft(app):
    citizen = make_citizen()
    program = make_program()
    db.close()
    outcomes = run_together(
        app, lambda key: apps.start_draft(citizen, program, key).id, ["misma-llave"] * THREADS
    )
    db.connect(reuse_if_open=True)
    assert len(set(outcomes)) == 1, outcomes
    assert Application.select().count() == 1
