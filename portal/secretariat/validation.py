"""The validation module: what an agency submits goes to the secretariat's queue.

A :class:`~portal.models.Submission` has a kind (a program version, a roll, a
quarterly report), the id of what it names in the owning area (``ref_id``),
the agency and its items. Its status moves only through :func:`move`, along
:data:`TRANSITIONS`: sent, under review, then accepted or returned; a returned
submission is sent again by the agency. The validator judges every item,
accepting it or returning it with a comment; one returned item returns the
whole submission.

The owning area decides what acceptance does: it registers a function in
:data:`on_accepted` for its kind, and :func:`decide` calls it in the same
transaction as the acceptance. This module registers the roll and the
quarterly report (both complete the calendar's obligation they answer);
``program_version`` has no hook yet: the rule editor (portal/catalog) will
register the one that publishes the version.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from portal.backoffice import audit
from portal.backoffice.audit import Actor
from portal.messages import Message, Refusal, _l
from portal.models import (
    Agency,
    ImportBatch,
    Program,
    ReportObligation,
    StaffUser,
    Submission,
    SubmissionItem,
    utcnow,
)
from portal.planning import progress
from portal.secretariat import calendar, inbox
from portal.secretariat.models import SUBMISSION_KINDS
from portal.vocabulary import AuditAction, Role
from portal.vocabulary import SubmissionStatus as S
from portal.web.database import write

KINDS: dict[str, Message] = {
    "program_version": _l("Versión de un programa"),
    "roll": _l("Padrón"),
    "quarterly_report": _l("Informe trimestral"),
}
assert set(KINDS) == set(SUBMISSION_KINDS)
STATUSES: dict[str, Message] = {
    S.ENVIADA: _l("Enviada"),
    S.EN_REVISION: _l("En revisión"),
    S.ACEPTADA: _l("Aceptada"),
    S.DEVUELTA: _l("Devuelta con comentarios"),
}
TRANSITIONS: dict[str, frozenset[str]] = {
    S.ENVIADA: frozenset({S.EN_REVISION, S.ACEPTADA, S.DEVUELTA}),
    S.EN_REVISION: frozenset({S.ACEPTADA, S.DEVUELTA}),
    S.DEVUELTA: frozenset({S.ENVIADA}),
    S.ACEPTADA: frozenset(),
}
OPEN = (S.ENVIADA, S.EN_REVISION)
VERDICTS = ("aceptado", "devuelto")
MAX_COMMENT = 2000
MAX_ITEMS = 50

# kind -> functions(submission, actor) run when a submission of that kind is accepted.
on_accepted: dict[str, list[Callable[[Submission, Actor], None]]] = {k: [] for k in KINDS}
# kind -> functions(submission, actor, comments) run when one is returned, with the
# validators' comments on the returned items.
on_returned: dict[str, list[Callable[[Submission, Actor, str], None]]] = {k: [] for k in KINDS}


class ValidationError(Refusal, ValueError):
    """Refused; ``field`` names the form field at fault ("" for the whole form)."""

    def __init__(self, message: Message, field: str = "") -> None:
        super().__init__(message)
        self.field = field


def allowed(current: str, new: str) -> bool:
    return new in TRANSITIONS.get(current, frozenset())


def register(kind: str, hook: Callable[[Submission, Actor], None]) -> None:
    """Run ``hook`` whenever a submission of ``kind`` is accepted (once per hook)."""
    if kind not in on_accepted:
        raise ValueError(f"unknown submission kind {kind!r}")
    if hook not in on_accepted[kind]:
        on_accepted[kind].append(hook)


def register_returned(kind: str, hook: Callable[[Submission, Actor, str], None]) -> None:
    """Run ``hook`` whenever a submission of ``kind`` is returned (once per hook)."""
    if kind not in on_returned:
        raise ValueError(f"unknown submission kind {kind!r}")
    if hook not in on_returned[kind]:
        on_returned[kind].append(hook)


def move(submission: Submission, new: str, actor: Actor, *, request_id: str = "") -> Submission:
    """The one change of a submission's status; refuses a move outside
    :data:`TRANSITIONS` and one another request made first. Runs inside the
    caller's transaction when there is one."""
    current = submission.status
    if not allowed(current, new):
        raise ValidationError(_l("Este envío ya no puede pasar a ese estado."))
    with write():
        changes: dict = {"status": new}
        if new in (S.ACEPTADA, S.DEVUELTA):
            changes.update(decided_by=actor.id, decided_at=utcnow())
        if new == S.ENVIADA:
            changes.update(submitted_by=actor.id, submitted_at=utcnow(), decided_at=None)
        moved = (
            Submission.update(**changes)
            .where((Submission.id == submission.id) & (Submission.status == current))
            .execute()
        )
        if not moved:
            raise ValidationError(_l("Otra persona cambió este envío; vuelva a abrirlo."))
        audit.record(
            AuditAction(f"validacion.{new}"),
            actor,
            object_type="envio",
            object_id=submission.id,
            details={"tipo": submission.kind, "referencia": submission.ref_id, "antes": current},
            request_id=request_id,
        )
    return Submission.get_by_id(submission.id)


def _secretariat() -> list[StaffUser]:
    return list(
        StaffUser.select().where(
            (StaffUser.role == Role.SECRETARIA) & (StaffUser.active == True)  # noqa: E712
        )
    )


def _agency_staff(agency_id: int) -> list[StaffUser]:
    return list(
        StaffUser.select().where(
            (StaffUser.agency == agency_id)
            & StaffUser.role.in_(calendar.AGENCY_REPORTERS)
            & (StaffUser.active == True)  # noqa: E712
        )
    )


def link_of(submission: Submission) -> str:
    return f"/oficina/secretaria/validacion/{submission.id}"


def submit(
    kind: str,
    ref_id: int,
    agency: Agency,
    items: Iterable[tuple[str, Mapping]],
    actor: Actor,
    *,
    title: str,
    obligation: ReportObligation | None = None,
    request_id: str = "",
) -> Submission:
    """Send something of ``kind`` to the secretariat's queue, with its items
    (label, content). A returned one of the same kind and reference is sent
    again with the new items; one still open is refused."""
    if kind not in KINDS:
        raise ValidationError(_l("Ese tipo de envío no existe."))
    items = list(items)
    if not items or len(items) > MAX_ITEMS:
        raise ValidationError(_l("El envío debe tener de 1 a 50 partes."))
    with write():
        earlier = (
            Submission.select()
            .where((Submission.kind == kind) & (Submission.ref_id == ref_id))
            .order_by(Submission.id.desc())
            .first()
        )
        if earlier is not None and earlier.status in OPEN:
            raise ValidationError(_l("Esto ya está en la fila de la Secretaría."))
        if earlier is not None and earlier.status == S.DEVUELTA:
            SubmissionItem.delete().where(SubmissionItem.submission == earlier.id).execute()
            submission = move(earlier, S.ENVIADA, actor, request_id=request_id)
        else:
            submission = Submission.create(
                kind=kind,
                ref_id=ref_id,
                agency=agency.id,
                obligation=obligation.id if obligation else None,
                title=title[:200],
                submitted_by=actor.id,
                submitted_at=utcnow(),
            )
            audit.record(
                AuditAction.SUBMISSION_ENVIADA,
                actor,
                object_type="envio",
                object_id=submission.id,
                details={"tipo": kind, "referencia": ref_id},
                request_id=request_id,
            )
        for position, (label, content) in enumerate(items):
            SubmissionItem.create(
                submission=submission.id,
                position=position,
                label=label[:200],
                content=dict(content),
            )
        inbox.notify(
            _secretariat(),
            "envio",
            f"Nuevo envío para validar: {submission.title}",
            f"{agency.name} envió «{submission.title}» a validación.",
            link_of(submission),
        )
    inbox.wake()
    return submission


def take(submission: Submission, actor: Actor, *, request_id: str = "") -> Submission:
    """The validator starts reviewing: the agency sees it is under review."""
    return move(submission, S.EN_REVISION, actor, request_id=request_id)


@dataclass(frozen=True)
class Verdict:
    verdict: str
    comment: str = ""


def decide(
    submission: Submission,
    verdicts: Mapping[int, Verdict],
    actor: Actor,
    *,
    request_id: str = "",
) -> Submission:
    """Judge every item: accepted, or returned with a comment. All accepted
    accepts the submission (and runs its kind's hooks); any returned returns it.
    Refusals name the item's field (``veredicto_<id>``, ``comentario_<id>``)."""
    items = list(SubmissionItem.select().where(SubmissionItem.submission == submission.id))
    for item in items:
        found = verdicts.get(item.id)
        if found is None or found.verdict not in VERDICTS:
            raise ValidationError(
                _l("Elija si acepta o devuelve esta parte."), f"veredicto_{item.id}"
            )
        comment = (found.comment or "").strip()
        if found.verdict == "devuelto" and not comment:
            raise ValidationError(
                _l("Escriba qué debe corregir la dependencia."), f"comentario_{item.id}"
            )
        if len(comment) > MAX_COMMENT:
            raise ValidationError(_l("El comentario es demasiado largo."), f"comentario_{item.id}")
        if audit.holds_personal_data(comment):
            raise ValidationError(
                _l("El comentario no debe llevar datos personales (CURP, correo o teléfono)."),
                f"comentario_{item.id}",
            )
    returned = any(verdicts[item.id].verdict == "devuelto" for item in items)
    new = S.DEVUELTA if returned else S.ACEPTADA
    if not allowed(submission.status, new):
        raise ValidationError(_l("Este envío ya fue decidido."))
    with write():
        for item in items:
            chosen = verdicts[item.id]
            SubmissionItem.update(
                verdict=chosen.verdict, comment=(chosen.comment or "").strip()
            ).where(SubmissionItem.id == item.id).execute()
        decided = move(submission, new, actor, request_id=request_id)
        if new == S.ACEPTADA:
            for hook in on_accepted[decided.kind]:
                hook(decided, actor)
        else:
            comments = "; ".join(
                f"{item.label}: {(verdicts[item.id].comment or '').strip()}"
                for item in items
                if verdicts[item.id].verdict == "devuelto"
            )
            for returned_hook in on_returned[decided.kind]:
                returned_hook(decided, actor, comments)
        shown = STATUSES[new]
        inbox.notify(
            _agency_staff(decided.agency_id),
            "validacion",
            f"{decided.title}: {shown}",
            f"La Secretaría revisó «{decided.title}»: {shown}.",
            link_of(decided),
        )
    inbox.wake()
    return decided


# Reading ------------------------------------------------------------------------------

LISTED = 200


def queue(agency_id: int | None) -> list[Submission]:
    """The secretariat's queue (``None``: what is open, the oldest first) or one
    agency's submissions, the latest first."""
    if agency_id is None:
        return list(
            Submission.select()
            .where(Submission.status.in_(OPEN))
            .order_by(Submission.submitted_at, Submission.id)
            .limit(LISTED)
        )
    return list(
        Submission.select()
        .where(Submission.agency == agency_id)
        .order_by(Submission.submitted_at.desc(), Submission.id.desc())
        .limit(LISTED)
    )


def find_for(submission_id: int, agency_id: int | None) -> Submission | None:
    query = Submission.select().where(Submission.id == submission_id)
    if agency_id is not None:
        query = query.where(Submission.agency == agency_id)
    return query.first()


def items_of(submission: Submission) -> list[SubmissionItem]:
    return list(
        SubmissionItem.select()
        .where(SubmissionItem.submission == submission.id)
        .order_by(SubmissionItem.position)
    )


# The kinds this package wires ---------------------------------------------------------


def submit_quarterly_report(
    obligation: ReportObligation, quarter: int | None, actor: Actor, *, request_id: str = ""
) -> Submission:
    """Send a quarterly progress obligation with a snapshot of the program's
    figures for ``quarter`` of the due date's year (portal/planning/progress.py)."""
    if obligation.kind != "avance_trimestral" or obligation.program_id is None:
        raise ValidationError(_l("Esta entrega no es el avance trimestral de un programa."))
    if quarter not in (1, 2, 3, 4):
        raise ValidationError(_l("Elija el trimestre que informa."), "trimestre")
    program = Program.get_by_id(obligation.program_id)
    year = obligation.due_on.year
    shown = progress.report(program, year).quarters[quarter - 1]
    figures = {
        "anio": year,
        "trimestre": quarter,
        "personas_atendidas": shown.served,
        "meta": shown.goal,
        "ejercido": shown.spent,
        "presupuesto": shown.budget,
        "comprometido": shown.committed,
        "entregas": shown.deliveries,
        "entregas_a_tiempo": shown.on_time,
    }
    items = [
        (
            "Avance físico",
            {k: figures[k] for k in ("anio", "trimestre", "personas_atendidas", "meta")},
        ),
        (
            "Avance financiero",
            {
                k: figures[k]
                for k in ("anio", "trimestre", "ejercido", "presupuesto", "comprometido")
            },
        ),
        (
            "Entregas",
            {k: figures[k] for k in ("anio", "trimestre", "entregas", "entregas_a_tiempo")},
        ),
    ]
    return submit(
        "quarterly_report",
        obligation.id,
        Agency.get_by_id(obligation.agency_id),
        items,
        actor,
        title=f"{obligation.title} (trimestre {quarter})",
        obligation=obligation,
        request_id=request_id,
    )


def finished_rolls(agency_id: int) -> list[tuple[ImportBatch, Program]]:
    """The agency's finished roll imports, the latest first (what it may send)."""
    rows = (
        ImportBatch.select(ImportBatch, Program)
        .join(Program)
        .where((Program.agency == agency_id) & (ImportBatch.status == "terminado"))
        .order_by(ImportBatch.id.desc())
        .limit(50)
    )
    return [(row, row.program) for row in rows]


def submit_roll(
    batch_id: int | None,
    agency: Agency,
    actor: Actor,
    *,
    obligation: ReportObligation | None = None,
    request_id: str = "",
) -> Submission:
    """Send one of the agency's finished roll imports with its totals."""
    found = next((b for b, _ in finished_rolls(agency.id) if b.id == batch_id), None)
    if found is None:
        raise ValidationError(_l("Elija un padrón terminado de su dependencia."), "padron")
    totals = {
        "filas": found.total_rows,
        "aceptadas": found.accepted,
        "rechazadas": found.rejected,
        "personas_nuevas": found.new_citizens,
    }
    return submit(
        "roll",
        found.id,
        agency,
        [("Totales del padrón", totals)],
        actor,
        title=obligation.title if obligation else f"Padrón {found.id}",
        obligation=obligation,
        request_id=request_id,
    )


def _complete_obligation(submission: Submission, actor: Actor) -> None:
    if submission.obligation_id is not None:
        obligation = ReportObligation.get_by_id(submission.obligation_id)
        calendar.complete(obligation, actor, how="validacion")


register("roll", _complete_obligation)
register("quarterly_report", _complete_obligation)
