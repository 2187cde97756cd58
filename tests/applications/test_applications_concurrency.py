"""Simultaneous requests: the database lets exactly one through.

Each thread has its own connection (peewee keeps one per thread), as two web
workers would. Run on SQLite by default and on PostgreSQL in the second pass.
"""

from __future__ import annotations

import threading

import pytest

from portal.applications import workflow as apps
from portal.models import Application, Call, Enrollment
from portal.web.extensions import db
from tests.application_builders import citizen_actor, draft_for, staff_actor
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


def test_concurrent_submissions_of_one_draft_leave_one_live_application(app):
    citizen = make_citizen()
    program = make_program(requirements=())
    draft = apps.start_draft(citizen, program, "una-llave")
    db.close()
    # The same draft sent from several tabs at the same moment.
    outcomes = run_together(
        app,
        lambda _: apps.submit(Application.get_by_id(draft.id), citizen_actor(citizen)),
        range(THREADS),
    )
    db.connect(reuse_if_open=True)
    # One moves it; the others find it sent already, or changed under them.
    assert all(isinstance(o, (Application, apps.Conflict)) for o in outcomes), outcomes
    assert Application.get_by_id(draft.id).status == "enviada"
    assert Call.get_by_id(draft.call_id).places_taken == 1


PLACES = 5
APPLICANTS = 16


def test_more_concurrent_submissions_than_places_fill_exactly_the_quota(app):
    program = make_program()
    call = program.calls.get()
    call.quota = PLACES
    call.save()
    people = [make_citizen() for _ in range(APPLICANTS)]
    drafts = [draft_for(person, program) for person in people]
    documents = {d.id: sorted(doc.id for doc in d.documents) for d in drafts}
    db.close()
    outcomes = run_together(app, lambda d: apps.submit(d, citizen_actor(d.citizen_id)), drafts)
    db.connect(reuse_if_open=True)
    sent = [o for o in outcomes if isinstance(o, Application)]
    refused = [o for o in outcomes if not isinstance(o, Application)]
    assert len(sent) == PLACES, outcomes
    # Everyone else is told why, in plain words; nothing of theirs is lost.
    assert all(isinstance(o, apps.Refused) for o in refused), refused
    assert {r.message for r in refused} == {"Ya no hay lugares en esta convocatoria."}
    live = Application.select().where(Application.status.in_(apps.LIVE_STATUSES))
    assert live.count() == PLACES
    assert Call.get_by_id(call.id).places_taken == PLACES
    left = Application.select().where(Application.status == "borrador")
    assert left.count() == APPLICANTS - PLACES
    for draft in left:
        assert sorted(doc.id for doc in draft.documents) == documents[draft.id]
        assert not draft.events.exists()


def test_a_place_freed_by_a_withdrawal_goes_to_the_next_person(app):
    program = make_program(requirements=())
    call = program.calls.get()
    call.quota = 1
    call.save()
    first, second = make_citizen(), make_citizen()
    sent = apps.submit(apps.start_draft(first, program, "a"), citizen_actor(first))
    # The call is full: a draft can no longer be started...
    with pytest.raises(apps.Refused, match="no hay lugares"):
        apps.start_draft(second, program, "b")
    apps.cancel(sent, citizen_actor(first), "Ya no lo necesito.")
    assert Call.get_by_id(call.id).places_taken == 0
    # ... until the place is given back.
    apps.submit(apps.start_draft(second, program, "b"), citizen_actor(second))
    assert Call.get_by_id(call.id).places_taken == 1


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


def test_concurrent_start_posts_with_different_keys_create_one_draft(app):
    """Item 19: 30 parallel starts (new tabs, devices: each its own form key)
    once made 6 drafts. The database holds one per person and call, and every
    post gets that draft."""
    citizen = make_citizen()
    program = make_program()
    db.close()
    outcomes = run_together(
        app,
        lambda key: apps.start_draft(citizen, program, key).id,
        [f"llave-{n}" for n in range(THREADS)],
    )
    db.connect(reuse_if_open=True)
    assert all(isinstance(o, int) for o in outcomes), outcomes
    assert len(set(outcomes)) == 1, outcomes
    assert Application.select().count() == 1
