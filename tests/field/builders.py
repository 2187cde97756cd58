"""Builders for the field-registration tests: a brigade's staff, program and records."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from flask import current_app

from portal.applications.documents import get_storage
from portal.applications.uploads import max_upload_bytes
from portal.field import sync
from tests.factories import make_agency, make_municipality, make_program, make_staff, valid_curp

CIC = "123456789"  # a voter card's CIC: nine digits, the same shape for everyone


def brigade(role: str = "revisor", **program_overrides):
    """A staff member on a brigade and a program of their agency that takes applications."""
    agency = make_agency()
    make_municipality()
    program = make_program(agency, requirements=("identificacion",), **program_overrides)
    return make_staff(role, agency), program


def person_record(program=None, **person) -> dict[str, Any]:
    """A record as the brigade page sends it, for a new person born 17/05/1990."""
    birth = person.pop("birth", dt.date(1990, 5, 17))
    values = {
        "curp": valid_curp(birth, "M"),
        "given_names": "Rosa",
        "first_surname": "Hernández",
        "second_surname": "Luna",
        "birth_date": birth.isoformat(),
        "sex": "M",
        "id_type": "ine",
        "id_number": CIC,
        **person,
    }
    data: dict[str, Any] = {
        "uuid": str(uuid.uuid4()),
        "device": "tableta-1",
        "person": values,
        "address": {"municipality": "22014"},
    }
    if program is not None:
        data["program"] = program.slug
    return data


def context(staff, today: dt.date | None = None) -> sync.Context:
    return sync.Context(
        staff=staff,
        today=today or dt.date.today(),
        storage=get_storage(),
        max_bytes=max_upload_bytes(current_app.config),
    )


def conflict_of(staff) -> str:
    """The UUID of a record of ``staff`` in conflict (a CURP that cannot be right)."""
    data = person_record(curp="GOMA850312MQTMRN09")
    sync.sync(data, [], context(staff))
    return data["uuid"]
