"""A program's roll in the layout of the federal single roll (Padrón Único de
Beneficiarios), as CSV or as the pipe-delimited text file the layout asks for.

One record per enrollment and benefit period: every period the enrollment is
due (``portal/delivery/periods.py``) that has started, paid or not, and any
period already paid. A period belongs to the fiscal year of its payment once
paid and to the year it starts in while pending; ``year`` keeps one fiscal
year (the usual report), None keeps them all. The fields and their codes are
``portal/rolls/federal_layout.py``; docs/federal-roll.md explains each.

Streamed: one query over the program's enrollments, their people and their
deliveries (a server-side cursor on PostgreSQL, ``exports.stream_rows``),
grouped by enrollment as it is read, so at most one enrollment's deliveries
(bounded by ``schema.MAX_PERIODS``) are held at once and a roll of a million
people never sits in memory. The file holds CURPs and names: it is a
back-office download for the program's agency and the state (audited by the
caller), never part of the open data.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from itertools import groupby
from operator import itemgetter

from peewee import JOIN

from portal.catalog.schema import payment_method_of
from portal.catalog.store import federal_roll_of
from portal.delivery import periods
from portal.delivery.ending import END_CAUSES
from portal.messages import Refusal, _l, spanish
from portal.models import Citizen, Delivery, DeliveryDate, DeliveryPoint, Enrollment, Program
from portal.rolls import federal_layout as layout
from portal.web.exports import CHUNK_CHARS, csv_lines, stream_rows
from portal.web.tables import tuples

MEDIA_TYPES = {"csv": "text/csv", "txt": "text/plain"}
FIRST_YEAR = 2000
_END_CAUSE_TEXTS = [
    (spanish(text), layout.END_CAUSE_CODES[key]) for key, text in END_CAUSES.items()
]
_LENGTH = {c.name: c.length for c in layout.COLUMNS}

# The columns the query reads, in this order (positions below).
(ENROLLMENT, APPLICATION, ACTIVE, AMOUNT, STARTED, ENDED, END_REASON, CURP, GIVEN, FIRST,
 SECOND, BORN, SEX, HOME, PERIOD, PAID_AMOUNT, DELIVERED_AT, POINT_MUNICIPALITY) = range(18)  # fmt: skip


class FederalRollError(Refusal, ValueError):
    """An export that cannot be made so; ``field`` names the form field at fault."""

    def __init__(self, message, field: str) -> None:
        super().__init__(message)
        self.field = field


def _day(value) -> dt.date | None:
    """A date column as the driver gives it: a date (PostgreSQL) or ISO text (SQLite)."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def end_cause_code(reason: str) -> str:
    """The code of the catalog cause an enrollment's end reason starts with."""
    for text, code in _END_CAUSE_TEXTS:
        if reason.startswith(text):
            return code
    return layout.OTHER_END_CAUSE


class Export:
    """One program's federal roll in one format; :meth:`chunks` writes it."""

    def __init__(self, program: Program, fmt: str, year: int | None, today: dt.date) -> None:
        federal = federal_roll_of(program)
        if federal is None:
            raise FederalRollError(
                _l(
                    "El programa «%(name)s» no tiene clave para el padrón federal: agréguela "
                    "en su catálogo (federal_roll.program_code).",
                    name=program.name,
                ),
                "programa",
            )
        if fmt not in layout.FORMATS:
            raise FederalRollError(_l("Elija el formato: CSV o texto delimitado."), "formato")
        if year is not None and not FIRST_YEAR <= year <= today.year + 1:
            raise FederalRollError(
                _l(
                    "El ejercicio debe ser un año entre %(first)s y %(last)s.",
                    first=FIRST_YEAR,
                    last=today.year + 1,
                ),
                "ejercicio",
            )
        self.program = program
        self.fmt = fmt
        self.year = year
        self.today = today
        self.federal = federal
        self.records_written = 0

    @property
    def filename(self) -> str:
        year = self.year if self.year is not None else "todos"
        return f"padron-federal-{self.federal.program_code}-{self.program.slug}-{year}.{self.fmt}"

    @property
    def media_type(self) -> str:
        return MEDIA_TYPES[self.fmt]

    def chunks(self) -> Iterator[str]:
        """The file's text in chunks of whole records."""
        records = self._counted(self.records())
        if self.fmt == "csv":
            return csv_lines(layout.NAMES, records)
        return _delimited(records)

    def _counted(self, records: Iterator[list[str]]) -> Iterator[list[str]]:
        for record in records:
            self.records_written += 1
            yield record

    def records(self) -> Iterator[list[str]]:
        """Every record, in enrollment and period order, as the layout's strings."""
        program = self.program
        schedule = periods.program_periods(program)
        planned = _planned_places(program)
        kind = layout.BENEFIT_KIND_CODES[program.benefit_kind]
        method = layout.PAYMENT_METHOD_CODES[payment_method_of(program.benefit_kind, self.federal)]
        cash = program.benefit_kind == "cash"
        codes = (
            layout.text(self.federal.program_code, _LENGTH["CD_PROGRAMA"]),
            layout.text(self.federal.intra_program_code, _LENGTH["CD_INTRAPROGRAMA"]),
        )
        for _enrollment, group in groupby(stream_rows(_query(program)), key=itemgetter(0)):
            rows = list(group)
            first = rows[0]
            paid = {row[PERIOD]: row for row in rows if row[PERIOD] is not None}
            started = _day(first[STARTED])
            ended = _day(first[ENDED])
            assert started is not None  # a required column
            if schedule:
                due = [p for p in schedule if p.overlaps(started, ended)]
            else:
                due = [periods.Period(1, started, None)]
            active = bool(first[ACTIVE])
            person = _person(first, started, active, ended)
            amount = first[AMOUNT] if first[AMOUNT] is not None else program.benefit_amount
            for period in due:
                delivery = paid.get(period.number)
                paid_on = _day(delivery[DELIVERED_AT]) if delivery else None
                if paid_on is None and not period.has_started(self.today):
                    continue  # not due yet
                fiscal = paid_on.year if paid_on else period.starts.year
                if self.year is not None and fiscal != self.year:
                    continue
                if delivery is not None:
                    place = delivery[POINT_MUNICIPALITY] or ""
                    pesos = delivery[PAID_AMOUNT] if delivery[PAID_AMOUNT] is not None else amount
                else:
                    place = planned.get((period.number, first[HOME] or "")) or planned.get(
                        (period.number, ""), ""
                    )
                    pesos = amount
                yield [
                    str(first[ENROLLMENT]),
                    *codes,
                    *person,
                    kind,
                    str(pesos) if cash and pesos is not None else "",
                    str(period.number),
                    layout.date_value(period.starts),
                    layout.date_value(period.ends),
                    layout.PAID if paid_on else layout.PENDING,
                    layout.date_value(paid_on),
                    f"{paid_on.month:02d}" if paid_on else "",
                    method,
                    place[:2],
                    place[2:],
                    "",
                ]


def _person(row: tuple, started: dt.date, active: bool, ended: dt.date | None) -> list[str]:
    """The fields from NB_CURP to FH_BAJA: the same in every period of an enrollment."""
    curp = str(row[CURP]).upper()
    return [
        curp,
        layout.text(row[FIRST], _LENGTH["NB_PRIMER_AP"]),
        layout.text(row[SECOND], _LENGTH["NB_SEGUNDO_AP"]),
        layout.text(row[GIVEN], _LENGTH["NB_NOMBRE"]),
        layout.date_value(_day(row[BORN])),
        str(row[SEX]),
        curp[11:13],
        "",  # ID_HOGAR: the portal keeps no households
        layout.date_value(started),
        layout.ACTIVE if active else layout.ENDED,
        "" if active else end_cause_code(row[END_REASON] or ""),
        "" if active else layout.date_value(ended),
    ]


def _query(program: Program):
    """The program's enrollments with their person and deliveries, one row per
    delivery (or one for an enrollment with none), in enrollment order."""
    return (
        Enrollment.select(
            Enrollment.id,
            Enrollment.application,
            Enrollment.active,
            Enrollment.benefit_amount,
            Enrollment.started_on,
            Enrollment.ended_on,
            Enrollment.end_reason,
            Citizen.curp,
            Citizen.given_names,
            Citizen.first_surname,
            Citizen.second_surname,
            Citizen.birth_date,
            Citizen.sex,
            Citizen.municipality,
            Delivery.period,
            Delivery.amount,
            Delivery.delivered_at,
            DeliveryPoint.municipality,
        )
        .join(Citizen, on=(Enrollment.citizen == Citizen.id))
        .switch(Enrollment)
        .join(Delivery, JOIN.LEFT_OUTER, on=(Delivery.application == Enrollment.application))
        .join(DeliveryPoint, JOIN.LEFT_OUTER, on=(Delivery.point == DeliveryPoint.id))
        .where(Enrollment.program == program.id)
        .order_by(Enrollment.id, Delivery.period)
    )


def _planned_places(program: Program) -> dict[tuple[int, str], str]:
    """Where each pending period will be paid, from the delivery calendar:
    (period, municipality turn or "" for everyone) -> the point's municipality."""
    rows = (
        DeliveryDate.select(
            DeliveryDate.period, DeliveryDate.municipality, DeliveryPoint.municipality
        )
        .join(DeliveryPoint)
        .where(DeliveryDate.program == program.id)
    )
    return {(period, turn): place or "" for period, turn, place in tuples(rows)}


def _delimited(records: Iterator[list[str]]) -> Iterator[str]:
    """Records separated by ``|``, one a line (CRLF), no header: the layout's text file.
    Values never hold the delimiter or a line break (``layout.text`` cleans them)."""
    buffer = io.StringIO()
    for record in records:
        buffer.write(layout.DELIMITER.join(record))
        buffer.write("\r\n")
        if buffer.tell() > CHUNK_CHARS:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def export(program: Program, fmt: str = "csv", year: int | None = None,
           today: dt.date | None = None) -> Export:  # fmt: skip
    """The export of ``program``'s roll, checked; raises :class:`FederalRollError`."""
    return Export(program, fmt, year, today or dt.date.today())
