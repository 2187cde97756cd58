"""Exactly once: many operators confirm the same credential at the same instant.

Each thread has its own database connection (peewee keeps one per thread) and
a barrier releases them together. Runs on SQLite and, in the PostgreSQL pass
(TEST_DATABASE_URL), on PostgreSQL.
"""

from __future__ import annotations

import threading

from portal.delivery import handover as delivery
from portal.models import (
    Application,
    ApplicationEvent,
    AuditEvent,
    Credential,
    Delivery,
    DeliveryPoint,
    StaffUser,
)
from portal.web.extensions import db
from tests.factories import (
    make_agency,
    make_application,
    make_delivery_point,
    make_program,
    make_staff,
)

THREADS = 24
ROUNDS = 20


def _confirm_together(app, credential_id: int, operator_ids: list[int], point_id: int):
    barrier = threading.Barrier(len(operator_ids))
    outcomes, errors = [], []

    def attempt(operator_id: int) -> None:
        # Each thread is a request: the app context is what lets the delivery
        # notice be handed to the (immediate) queue of this app.
        context = app.app_context()
        context.push()
        db.connect(reuse_if_open=True)
        try:
            credential = Credential.get_by_id(credential_id)
            operator = StaffUser.get_by_id(operator_id)
            point = DeliveryPoint.get_by_id(point_id)
            check = delivery.IdCheck.parse("ine", "4821")
            barrier.wait()
            outcomes.append(delivery.confirm_delivery(credential, operator, point, check))
        except Exception as error:  # noqa: BLE001 - collected, so the test reports it
            errors.append(error)
        finally:
            db.close()
            context.pop()

    threads = [threading.Thread(target=attempt, args=(i,)) for i in operator_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcomes, errors


def test_concurrent_confirmations_record_exactly_one_delivery_every_time(app):
    agency = make_agency()
    program = make_program(agency)
    point = make_delivery_point(program)
    operator_ids = [make_staff("entrega", agency=agency).id for _ in range(THREADS)]
    for _round in range(ROUNDS):
        application = make_application(program=program, status="aprobada")
        credential = delivery.issue_credential(application)
        outcomes, errors = _confirm_together(app, credential.id, operator_ids, point.id)
        assert errors == []
        assert len(outcomes) == THREADS
        winners = [o for o in outcomes if o.delivered]
        assert len(winners) == 1
        losers = [o for o in outcomes if not o.delivered]
        assert {o.verdict.code for o in losers} == {"entregada"}
        assert {o.delivery.id for o in losers} == {winners[0].delivery.id}
        assert Delivery.select().where(Delivery.application == application).count() == 1
        assert (
            ApplicationEvent.select()
            .where(
                (ApplicationEvent.application == application)
                & (ApplicationEvent.to_status == "entregada")
            )
            .count()
            == 1
        )
        assert Application.get_by_id(application.id).status == "entregada"
        attempts = AuditEvent.select().where(
            (AuditEvent.object_id == application.folio) & AuditEvent.action.startswith("entrega.")
        )
        assert attempts.count() == THREADS
