"""Everything the portal holds about one person, as data: for /mis-datos and
its JSON and CSV downloads.

The CSV goes through :mod:`portal.web.exports`, so no cell can run as a formula.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

from portal.citizens.models import ADDRESS_FIELDS, CorrectionRequest
from portal.models import Application, Citizen
from portal.web.exports import csv_text
from portal.web.formatting import wall_clock

RECORD_FIELDS = (
    "curp",
    "given_names",
    "first_surname",
    "second_surname",
    "birth_date",
    "sex",
    "email",
    "phone",
    "notify_channel",
    "language",
    *ADDRESS_FIELDS,
    "municipality",
    "state",
    "privacy_version",
    "privacy_accepted_at",
    "origin",
    "created_at",
    "updated_at",
)


# Sections other areas add to the export, by name: the delivery area's payment
# history (portal/delivery/periods.py). Each gives the person's rows.
more_sections: dict[str, Callable[[Citizen], list[dict[str, Any]]]] = {}


def _plain(value: Any) -> Any:
    # A moment on the state's clock with its offset ("2026-12-02T13:52:00-06:00"):
    # unambiguous for a program, and the hour the person lived it.
    if isinstance(value, dt.datetime):
        return wall_clock(value).isoformat(timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def personal_data(citizen: Citizen) -> dict[str, Any]:
    record = {
        name: _plain(getattr(citizen, name if name != "municipality" else "municipality_id"))
        for name in RECORD_FIELDS
    }
    return {
        "record": record,
        "identities": [
            {
                "issuer": i.issuer,
                "subject": i.subject,
                "created_at": _plain(i.created_at),
                "last_sign_in_at": _plain(i.last_sign_in_at),
            }
            for i in citizen.identities.order_by("id")
        ],
        "applications": [
            {
                "folio": a.folio,
                "program": a.program.name,
                "status": a.status,
                "submitted_at": _plain(a.submitted_at),
                "decided_at": _plain(a.decided_at),
            }
            for a in Application.select()
            .where(Application.citizen == citizen)
            .order_by(Application.id)
        ],
        "questionnaire": dict(citizen.profile or {}),
        "correction_requests": [
            {
                "field": c.field,
                "requested_value": c.requested_value,
                "reason": c.reason,
                "status": c.status,
                "created_at": _plain(c.created_at),
            }
            for c in CorrectionRequest.select()
            .where(CorrectionRequest.citizen == citizen)
            .order_by(CorrectionRequest.id)
        ],
        **{name: section(citizen) for name, section in more_sections.items()},
    }


def to_csv(data: dict[str, Any]) -> str:
    """One row per datum: section, item, field, value."""
    return csv_text(("seccion", "elemento", "dato", "valor"), _rows(data))


def _rows(data: dict[str, Any]) -> Iterator[tuple]:
    for name, value in data["record"].items():
        yield ("expediente", "", name, value)
    for section in ("identities", "applications", "correction_requests", *more_sections):
        for n, row in enumerate(data[section], start=1):
            for name, value in row.items():
                yield (section, n, name, value)
    for name, value in data["questionnaire"].items():
        yield ("questionnaire", "", name, value)
