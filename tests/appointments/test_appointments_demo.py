"""The demo's offices and slots: opened through the staff's path, once."""

from __future__ import annotations

from portal.appointments.demo import create_demo
from portal.appointments.models import Office, Slot
from portal.catalog.store import load_catalog
from portal.demo import data as demo
from portal.models import AuditEvent, DeliveryPoint
from tests.catalog_builders import demo_catalog


def test_the_demo_opens_slots_at_offices_and_points_once(app):
    demo.load_municipalities()
    load_catalog(demo_catalog())
    demo.create_staff()
    made = create_demo()
    assert made > 0
    assert Office.select().where(Office.active).count() == 3
    assert Slot.select().where(Slot.office.is_null(False)).count() > 0
    points = {s.point_id for s in Slot.select(Slot.point).where(Slot.point.is_null(False))}
    assert points and points <= {p.id for p in DeliveryPoint.select()}
    before = (Slot.select().count(), AuditEvent.select().count())
    assert create_demo() == 0
    assert (Slot.select().count(), AuditEvent.select().count()) == before
