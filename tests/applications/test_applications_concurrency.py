"""Simultaneous requests: the database lets exactly one through.

Each thread has its own connection (peewee keeps one per thread), as two web
workers would. Run on SQLite by default and on PostgreSQL in the second pass.
"""

from __future__ import annotations

import threading

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


def _call_with_quota(program, quota):
    call = program.calls.get()
    call.quota = quota
    call.save()
    return call


def test_more_concurrent_submissions_than_places_fill_the_quota_and_the_rest_wait_in_order(app):
    """Issue 16, item 9: nobody is refused for lack of places, nobody is lost,
    never more live than the quota; the others wait with numbers 1..n, each
    with its own position."""
    program = make_program()
    call = _call_with_quota(program, PLACES)
    people = [make_citizen() for _ in range(APPLICANTS)]
    drafts = [draft_for(person, program) for person in people]
    documents = {d.id: sorted(doc.id for doc in d.documents) for d in drafts}
    db.close()
    outcomes = run_together(app, lambda d: apps.submit(d, citizen_actor(d.citizen_id)), drafts)
    db.connect(reuse_if_open=True)
    assert all(isinstance(o, Application) for o in outcomes), outcomes
    statuses = sorted(o.status for o in outcomes)
    assert statuses == ["en_espera"] * (APPLICANTS - PLACES) + ["enviada"] * PLACES
    held = Application.select().where(Application.status.in_(apps.PLACE_STATUSES))
    assert held.count() == PLACES
    waiting = list(
        Application.select()
        .where(Application.status == "en_espera")
        .order_by(Application.waiting_number)
    )
    assert [a.waiting_number for a in waiting] == list(range(1, APPLICANTS - PLACES + 1))
    assert [apps.waiting_position(a) for a in waiting] == list(range(1, len(waiting) + 1))
    fresh = Call.get_by_id(call.id)
    assert (fresh.places_taken, fresh.places_waiting) == (PLACES, APPLICANTS - PLACES)
    # Nothing of anyone's is lost: their documents, one timeline entry each.
    for application in Application.select():
        assert sorted(doc.id for doc in application.documents) == documents[application.id]
        assert application.events.count() == 1


def test_concurrent_cancellations_move_up_exactly_as_many_in_order(app):
    """Places freed at once by separate transactions move one person each,
    the first of the list first; never more live than the quota."""
    program = make_program(requirements=())
    call = _call_with_quota(program, PLACES)
    people = [make_citizen() for _ in range(PLACES + 8)]
    sent = [apps.submit(apps.start_draft(p, program, f"k{p.id}"), citizen_actor(p)) for p in people]
    live = [a for a in sent if a.status == "enviada"]
    assert len(live) == PLACES
    leaving = live[:4]
    db.close()
    outcomes = run_together(
        app,
        lambda a: apps.cancel(Application.get_by_id(a.id), citizen_actor(a.citizen_id), "Ya no."),
        leaving,
    )
    db.connect(reuse_if_open=True)
    assert all(isinstance(o, Application) for o in outcomes), outcomes
    fresh = Call.get_by_id(call.id)
    assert (fresh.places_taken, fresh.places_waiting) == (PLACES, 8 - 4)
    promoted = Application.select().where(
        (Application.status == "enviada") & Application.waiting_number.is_null(False)
    )
    assert sorted(a.waiting_number for a in promoted) == [1, 2, 3, 4]
    assert Application.select().where(Application.status.in_(apps.PLACE_STATUSES)).count() == (
        PLACES
    )
    still = Application.select().where(Application.status == "en_espera")
    assert sorted(apps.waiting_position(a) for a in still) == [1, 2, 3, 4]


def test_cancellations_racing_with_waiting_people_leaving_keep_the_list_whole(app):
    """Live people cancel while waiting people leave the list, all at once:
    the places stay full while anyone waits, and the counters match the rows."""
    program = make_program(requirements=())
    call = _call_with_quota(program, 3)
    people = [make_citizen() for _ in range(10)]
    sent = [apps.submit(apps.start_draft(p, program, f"k{p.id}"), citizen_actor(p)) for p in people]
    live = [a for a in sent if a.status == "enviada"]
    waiting = [a for a in sent if a.status == "en_espera"]
    leaving = live[:2] + waiting[:3]

    def leave(application):
        # A waiting person may be moved up by a cancellation between reading
        # their application and cancelling it: they see the change and cancel
        # again, giving back that place (and the next person moves up).
        for _attempt in range(5):
            try:
                fresh = Application.get_by_id(application.id)
                return apps.cancel(fresh, citizen_actor(application.citizen_id), "Ya no.")
            except apps.Conflict:
                continue
        raise AssertionError("still changing")

    db.close()
    outcomes = run_together(app, leave, leaving)
    db.connect(reuse_if_open=True)
    assert all(isinstance(o, Application) for o in outcomes), outcomes
    fresh = Call.get_by_id(call.id)
    rows = Application.select().where(Application.status == "en_espera").count()
    assert fresh.places_waiting == rows == 10 - 3 - 5
    assert fresh.places_taken == 3
    assert Application.select().where(Application.status.in_(apps.PLACE_STATUSES)).count() == 3


def test_a_place_freed_by_a_withdrawal_goes_to_the_first_person_waiting(app):
    program = make_program(requirements=())
    call = _call_with_quota(program, 1)
    first, second = make_citizen(), make_citizen()
    sent = apps.submit(apps.start_draft(first, program, "a"), citizen_actor(first))
    # The call is full: a draft is still started, and its submission waits...
    waiting = apps.submit(apps.start_draft(second, program, "b"), citizen_actor(second))
    assert waiting.status == "en_espera" and apps.waiting_position(waiting) == 1
    apps.cancel(sent, citizen_actor(first), "Ya no lo necesito.")
    # ... until the place is given back: it moves up in that transaction.
    assert Application.get_by_id(waiting.id).status == "enviada"
    fresh = Call.get_by_id(call.id)
    assert (fresh.places_taken, fresh.places_waiting) == (1, 0)


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
