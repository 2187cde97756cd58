"""Builders for the secretariat's tests: its staff, obligations."""

from __future__ import annotations

import datetime as dt

from portal.models import StaffUser
from portal.rights.holidays import local_today
from portal.secretariat import calendar
from tests.factories import make_agency, make_program, make_staff


def make_secretariat(**overrides) -> StaffUser:
    """A member of the coordinating secretariat: state level, no agency."""
    member = make_staff("admin_estatal", **overrides)
    StaffUser.update(role="secretaria", agency=None).where(StaffUser.id == member.id).execute()
    return StaffUser.get_by_id(member.id)


def make_obligation(agency=None, *, days=10, remind_days=5, creator=None, **overrides):
    agency = agency or make_agency()
    fields = {
        "agency_id": agency.id,
        "program_id": None,
        "kind": "avance_trimestral",
        "title": "Avance del tercer trimestre",
        "due_on": local_today() + dt.timedelta(days=days),
        "remind_days": remind_days,
    }
    fields.update(overrides)
    return calendar.create_obligation(creator or make_secretariat(), **fields)


def agency_world():
    """Two agencies, each with a program and an administrator."""
    a, b = make_agency(), make_agency()
    return {
        "a": a,
        "b": b,
        "program_a": make_program(a),
        "program_b": make_program(b),
        "admin_a": make_staff("admin_dependencia", a),
        "admin_b": make_staff("admin_dependencia", b),
    }
