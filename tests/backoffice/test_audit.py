"""The audit trail is append-only and any tampering is found."""

from __future__ import annotations

import pytest

from portal.backoffice import audit
from portal.models import AuditEvent


def _fill(n=5):
    actor = audit.Actor("personal", 7, "revisor", 3)
    for i in range(n):
        audit.record("solicitud.aprobada", actor, object_type="solicitud", object_id=f"QRO-26-X{i}")


def test_an_untouched_chain_verifies(app):
    _fill()
    assert audit.verify() is None


def test_an_altered_entry_is_caught(app):
    _fill()
    third = AuditEvent.select().order_by(AuditEvent.id).offset(2).get()
    AuditEvent.update(outcome="rechazado").where(AuditEvent.id == third.id).execute()
    problem = audit.verify()
    assert problem.entry_id == third.id and "alterado" in problem.problem


def test_a_deleted_entry_is_caught(app):
    _fill()
    rows = list(AuditEvent.select().order_by(AuditEvent.id))
    rows[1].delete_instance()
    problem = audit.verify()
    assert problem.entry_id == rows[2].id


@pytest.mark.parametrize(
    "details",
    [{"curp": "GOMA900517MQTRRN09"}, {"correo": "maria@example.org"}, {"tel": "4421234567"}],
)
def test_personal_data_never_enters_the_trail(app, details):
    with pytest.raises(ValueError):
        audit.record("ver_solicitud", details=details)
    assert AuditEvent.select().count() == 0
