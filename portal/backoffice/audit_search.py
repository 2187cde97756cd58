"""Searching the audit trail and exporting it, for state admins.

A person is found by their record id or by the folio of any of their
applications: entries name people by record id and applications by folio or
id, never by CURP. The export goes through :mod:`portal.web.exports`, so no cell
can run as a formula.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from peewee import SQL, Expression, fn

from portal.models import Application, AuditEvent
from portal.web.exports import csv_lines


@dataclass(frozen=True)
class AuditFilter:
    citizen_id: int | None = None
    folio: str = ""
    staff_id: int | None = None
    action: str = ""
    since: dt.date | None = None
    until: dt.date | None = None


def _person_condition(citizen_id: int | None, folio: str) -> Expression | None:
    applications = Application.select(Application.id, Application.folio)
    if citizen_id is not None:
        applications = applications.where(Application.citizen == citizen_id)
    if folio:
        applications = applications.where(Application.folio == folio.strip().upper())
    refs = set()
    for application in applications:
        refs.update({application.folio, str(application.id)})
    condition = (AuditEvent.object_type == "solicitud") & AuditEvent.object_id.in_(sorted(refs))
    if folio:
        # An entry may name a folio whose application is gone; match it as written.
        condition |= AuditEvent.object_id == folio.strip().upper()
    if citizen_id is not None:
        condition |= (AuditEvent.object_type == "ciudadano") & (
            AuditEvent.object_id == str(citizen_id)
        )
        condition |= (AuditEvent.actor_kind == "ciudadano") & (AuditEvent.actor_id == citizen_id)
    return condition


def search(f: AuditFilter):
    """Entries matching every given filter, newest first.

    Entries about an application the person has not sent yet stay out: staff
    see an application, and what points to it, once it is submitted.
    """
    query = AuditEvent.select().where(~_about_a_draft())
    if f.citizen_id is not None or f.folio:
        query = query.where(_person_condition(f.citizen_id, f.folio))
    if f.staff_id is not None:
        query = query.where(
            (AuditEvent.actor_kind == "personal") & (AuditEvent.actor_id == f.staff_id)
        )
    if f.action:
        query = query.where(AuditEvent.action == f.action)
    if f.since:
        query = query.where(_from_day(f.since))
    if f.until:
        query = query.where(~_from_day(f.until + dt.timedelta(days=1)))
    return query.order_by(AuditEvent.id.desc())


def _about_a_draft() -> Expression:
    """The entry names an application that is still a draft (by folio, on its unique index)."""
    drafts = Application.select(SQL("1")).where(
        (Application.folio == AuditEvent.object_id) & Application.submitted_at.is_null()
    )
    return (AuditEvent.object_type == "solicitud") & fn.EXISTS(drafts)


def _from_day(day: dt.date) -> Expression:
    """Entries written on ``day`` or later, as a range of ids.

    The trail is appended in time order, so the first entry of the day bounds
    the ids: one look-up on the created_at index, after which a date filter
    reads the trail by id like the others, not every entry since that date.
    """
    start = dt.datetime.combine(day, dt.time.min)
    first = (
        AuditEvent.select(AuditEvent.id)
        .where(AuditEvent.created_at >= start)
        .order_by(AuditEvent.created_at, AuditEvent.id)
        .limit(1)
        .scalar()
    )
    if first is None:
        last = AuditEvent.select(fn.MAX(AuditEvent.id)).scalar() or 0
        return AuditEvent.id > last
    return AuditEvent.id >= first


def actions() -> list[str]:
    """The actions the trail holds, one index look-up each (a skip scan):
    DISTINCT would read every entry of the trail on each page."""
    cursor = AuditEvent._meta.database.execute_sql(
        "WITH RECURSIVE found(action) AS ("
        " SELECT MIN(action) FROM audit_event"
        " UNION ALL"
        " SELECT (SELECT MIN(action) FROM audit_event WHERE action > found.action)"
        " FROM found WHERE found.action IS NOT NULL)"
        " SELECT action FROM found WHERE action IS NOT NULL"
    )
    return [row[0] for row in cursor]


COLUMNS = (
    "id",
    "created_at",
    "actor_kind",
    "actor_id",
    "role",
    "agency_id",
    "object_type",
    "object_id",
    "action",
    "outcome",
    "request_id",
    "details",
    "hash",
)


def to_csv(entries: Iterable[AuditEvent]) -> Iterator[str]:
    """CSV lines, streamed: an export of a year's trail never sits in memory."""
    return csv_lines(COLUMNS, (_row(entry) for entry in entries))


def _row(entry: AuditEvent) -> list:
    row = [getattr(entry, column) for column in COLUMNS]
    row[1] = entry.created_at.isoformat(timespec="seconds") + "Z"
    row[11] = json.dumps(entry.details, ensure_ascii=False, sort_keys=True)
    return row
