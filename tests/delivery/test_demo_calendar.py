"""The demo's benefits over time: every cash program has a payment schedule and
a delivery date and place for each of its periods."""

from __future__ import annotations

from portal.catalog.store import load_catalog
from portal.delivery import periods
from portal.demo import data as demo
from portal.models import AuditEvent, DeliveryDate, Program
from tests.catalog_builders import demo_catalog


def test_every_demo_cash_program_has_a_schedule_and_a_calendar(app):
    load_catalog(demo_catalog())
    demo.create_staff()
    set_dates = demo.create_calendars()
    cash = list(Program.select().where(Program.benefit_kind == "cash"))
    assert cash
    for program in cash:
        schedule = periods.program_periods(program)
        assert schedule, program.slug
        dates = DeliveryDate.select().where(DeliveryDate.program == program)
        assert sorted(d.period for d in dates) == [p.number for p in schedule], program.slug
        for date, period in zip(dates.order_by(DeliveryDate.period), schedule, strict=True):
            assert period.starts <= date.day <= period.ends
    assert set_dates == DeliveryDate.select().count()
    audited = AuditEvent.select().count()
    # Run again (demo-data is idempotent): nothing changes, nothing is audited.
    demo.create_calendars()
    assert AuditEvent.select().count() == audited
