"""The reporting calendar: what each agency owes the secretariat and by when.

The secretariat sets an obligation (a quarterly progress report, a roll
update, the year's operating rules) for one agency, and optionally one of its
programs, with a due date and how many days before it the agency is reminded.
Dates are the state's wall-clock days (America/Mexico_City): an obligation due
on the 31st is overdue from 00:00 of the 1st in Querétaro, whatever the UTC
time says.

:func:`send_reminders` runs on the queue every morning: it claims each due
reminder once (``reminded_at`` set by a conditional update in the transaction
that writes the notices), so a second run, or two consumers at once, never
send it twice.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from portal.backoffice import audit
from portal.backoffice.audit import Actor
from portal.messages import Message, Refusal, _l
from portal.models import Agency, Program, ReportObligation, StaffUser, utcnow
from portal.rights.holidays import local_today
from portal.secretariat import inbox
from portal.secretariat.models import OBLIGATION_KINDS
from portal.vocabulary import AuditAction, Role
from portal.web.database import write
from portal.web.formatting import local_date
from portal.web.values import long_date

KINDS: dict[str, Message] = {
    "avance_trimestral": _l("Avance físico-financiero trimestral"),
    "actualizacion_padron": _l("Actualización del padrón"),
    "reglas_operacion": _l("Reglas de operación del año"),
}
assert set(KINDS) == set(OBLIGATION_KINDS)
# Days before the due date the reminder goes out, unless the secretariat says.
DEFAULT_REMIND_DAYS = 5
MAX_REMIND_DAYS = 60
MAX_TITLE = 200
# How far ahead an obligation may be set: the current and the next fiscal year.
MAX_YEARS_AHEAD = 2
# The staff of an agency who answer for its reports.
AGENCY_REPORTERS = (Role.ADMIN_DEPENDENCIA,)


class CalendarError(Refusal, ValueError):
    """Refused calendar input; ``field`` names the form field at fault."""

    def __init__(self, message: Message, field: str) -> None:
        super().__init__(message)
        self.field = field


class Standing(StrEnum):
    """Where an obligation stands on a given day."""

    CUMPLIDA = "cumplida"
    VENCIDA = "vencida"
    POR_VENCER = "por_vencer"  # within its reminder days
    PENDIENTE = "pendiente"


STANDINGS: dict[str, Message] = {
    Standing.CUMPLIDA: _l("Cumplida"),
    Standing.VENCIDA: _l("Vencida"),
    Standing.POR_VENCER: _l("Por vencer"),
    Standing.PENDIENTE: _l("Pendiente"),
}


def state_day(moment: dt.datetime) -> dt.date:
    """The state's calendar day at ``moment`` (naive UTC, or aware in any zone)."""
    return local_date(moment)


def standing(due_on: dt.date, remind_days: int, done: bool, today: dt.date) -> Standing:
    """Done, overdue (the due day has passed), due soon (on or after the reminder
    day) or pending; ``today`` is the state's day (:func:`state_day`)."""
    if done:
        return Standing.CUMPLIDA
    if today > due_on:
        return Standing.VENCIDA
    if today >= due_on - dt.timedelta(days=remind_days):
        return Standing.POR_VENCER
    return Standing.PENDIENTE


def standing_of(obligation: ReportObligation, today: dt.date | None = None) -> Standing:
    return standing(
        obligation.due_on,
        obligation.remind_days,
        obligation.done_at is not None,
        today or local_today(),
    )


@dataclass(frozen=True)
class Shown:
    """An obligation as a page lists it."""

    obligation: ReportObligation
    agency: Agency
    program: Program | None
    standing: Standing


def create_obligation(
    staff: StaffUser,
    *,
    agency_id: int | None,
    program_id: int | None,
    kind: str,
    title: str,
    due_on: dt.date | None,
    remind_days: int | None,
    today: dt.date | None = None,
    request_id: str = "",
) -> ReportObligation:
    """Set a reporting obligation for an agency (and optionally one of its programs)."""
    today = today or local_today()
    agency = Agency.get_or_none(Agency.id == agency_id) if agency_id else None
    if agency is None:
        raise CalendarError(_l("Elija la dependencia que debe entregar."), "dependencia")
    program = None
    if program_id:
        program = Program.get_or_none((Program.id == program_id) & (Program.agency == agency.id))
        if program is None:
            raise CalendarError(_l("Elija un programa de esa dependencia."), "programa")
    if kind not in KINDS:
        raise CalendarError(_l("Elija qué debe entregar."), "tipo")
    title = (title or "").strip()
    if not title:
        raise CalendarError(_l("Escriba un nombre para la entrega."), "titulo")
    if len(title) > MAX_TITLE:
        raise CalendarError(_l("El nombre es demasiado largo."), "titulo")
    if audit.holds_personal_data(title):
        raise CalendarError(
            _l("El nombre no debe llevar datos personales (CURP, correo o teléfono)."), "titulo"
        )
    if due_on is None:
        raise CalendarError(_l("Escriba la fecha límite."), "fecha_limite")
    if due_on < today:
        raise CalendarError(
            _l("La fecha límite ya pasó: elija hoy o un día después."), "fecha_limite"
        )
    if due_on.year > today.year + MAX_YEARS_AHEAD:
        raise CalendarError(_l("La fecha límite está demasiado lejos."), "fecha_limite")
    if remind_days is None:
        remind_days = DEFAULT_REMIND_DAYS
    if not 0 <= remind_days <= MAX_REMIND_DAYS:
        raise CalendarError(
            _l("El aviso va de 0 a 60 días antes de la fecha límite."), "aviso_dias"
        )
    with write():
        obligation = ReportObligation.create(
            agency=agency.id,
            program=program.id if program else None,
            kind=kind,
            title=title,
            due_on=due_on,
            remind_days=remind_days,
            remind_on=due_on - dt.timedelta(days=remind_days),
            created_by=staff.id,
            created_at=utcnow(),
        )
        audit.record(
            AuditAction.OBLIGATION_CREATE,
            Actor.staff(staff),
            object_type="obligacion",
            object_id=obligation.id,
            details={
                "dependencia": agency.id,
                "programa": program.id if program else None,
                "tipo": kind,
                "fecha_limite": due_on.isoformat(),
                "aviso_dias": remind_days,
            },
            request_id=request_id,
        )
    return obligation


def complete(
    obligation: ReportObligation, actor: Actor, *, request_id: str = "", how: str = "manual"
) -> bool:
    """Mark the obligation done (once); False when it already was. ``how`` says
    whether staff marked it or an accepted submission did (portal/secretariat/validation.py)."""
    with write():
        changed = (
            ReportObligation.update(done_at=utcnow(), done_by=actor.id if actor.is_staff else None)
            .where((ReportObligation.id == obligation.id) & ReportObligation.done_at.is_null())
            .execute()
        )
        if changed:
            audit.record(
                AuditAction.OBLIGATION_DONE,
                actor,
                object_type="obligacion",
                object_id=obligation.id,
                details={"como": how},
                request_id=request_id,
            )
    return bool(changed)


# Reading ------------------------------------------------------------------------------

LISTED = 200


def _shown(rows, today: dt.date) -> list[Shown]:
    rows = list(rows)
    agencies = {a.id: a for a in Agency.select().where(Agency.id.in_({r.agency_id for r in rows}))}
    program_ids = {r.program_id for r in rows if r.program_id}
    programs = (
        {p.id: p for p in Program.select().where(Program.id.in_(program_ids))}
        if program_ids
        else {}
    )
    return [
        Shown(
            row,
            agencies[row.agency_id],
            programs.get(row.program_id) if row.program_id else None,
            standing_of(row, today),
        )
        for row in rows
    ]


def obligations_of(agency_id: int | None, today: dt.date | None = None) -> list[Shown]:
    """An agency's obligations (every agency's for ``None``): those still open by
    due date, then the latest done ones."""
    today = today or local_today()
    base = ReportObligation.select()
    if agency_id is not None:
        base = base.where(ReportObligation.agency == agency_id)
    open_ = base.where(ReportObligation.done_at.is_null()).order_by(
        ReportObligation.due_on, ReportObligation.id
    )
    done = base.where(ReportObligation.done_at.is_null(False)).order_by(
        ReportObligation.done_at.desc()
    )
    return _shown(open_.limit(LISTED), today) + _shown(done.limit(LISTED), today)


def overdue(today: dt.date | None = None) -> list[Shown]:
    """The state-wide board: every agency's open obligations past their due day,
    the oldest first (the index on the due day)."""
    today = today or local_today()
    rows = (
        ReportObligation.select()
        .where((ReportObligation.due_on < today) & ReportObligation.done_at.is_null())
        .order_by(ReportObligation.due_on, ReportObligation.id)
        .limit(LISTED)
    )
    return _shown(rows, today)


def find_for(obligation_id: int, agency_id: int | None) -> ReportObligation | None:
    """The obligation, if the agency (``None``: the secretariat) may see it."""
    query = ReportObligation.select().where(ReportObligation.id == obligation_id)
    if agency_id is not None:
        query = query.where(ReportObligation.agency == agency_id)
    return query.first()


# Reminders ----------------------------------------------------------------------------


def _reporters(agency_id: int) -> list[StaffUser]:
    return list(
        StaffUser.select().where(
            (StaffUser.agency == agency_id)
            & StaffUser.role.in_(AGENCY_REPORTERS)
            & (StaffUser.active == True)  # noqa: E712 - peewee builds SQL from ==
        )
    )


def reminder_text(obligation: ReportObligation) -> tuple[str, str]:
    """The reminder's title and body, in Spanish (the staff inbox's language)."""
    title = f"Recordatorio: {obligation.title}"
    body = (
        f"Su dependencia debe entregar «{obligation.title}» a la Secretaría a más tardar "
        f"el {long_date(obligation.due_on)}."
    )
    return title, body


def send_reminders(today: dt.date | None = None) -> int:
    """Send the reminders due by ``today`` (the state's day), each exactly once;
    returns how many obligations were reminded."""
    today = today or local_today()
    due = list(
        ReportObligation.select(ReportObligation.id)
        .where(
            (ReportObligation.remind_on <= today)
            & ReportObligation.reminded_at.is_null()
            & ReportObligation.done_at.is_null()
        )
        .order_by(ReportObligation.remind_on)
        .limit(500)
    )
    sent = 0
    for candidate in due:
        with write():
            claimed = (
                ReportObligation.update(reminded_at=utcnow())
                .where(
                    (ReportObligation.id == candidate.id) & ReportObligation.reminded_at.is_null()
                )
                .execute()
            )
            if not claimed:
                continue  # another run has it
            obligation = ReportObligation.get_by_id(candidate.id)
            title, body = reminder_text(obligation)
            people = inbox.notify(
                _reporters(obligation.agency_id),
                "recordatorio",
                title,
                body,
                f"/oficina/secretaria/calendario#obligacion-{obligation.id}",
            )
            audit.record(
                AuditAction.OBLIGATION_REMIND,
                object_type="obligacion",
                object_id=obligation.id,
                details={"personas": people},
            )
        sent += 1
    if sent:
        inbox.wake()
    return sent
