"""Ending a person's benefit, with a cause from the one catalog of end causes.

Staff (a supervisor or the agency's administrator) end an enrollment from the
case page. The cause's code goes to the audit trail, its text (plus the
details written) to the person's notice and timeline. Everything goes through
the one status path: an approved application is cancelled by
``workflow.cancel`` (which ends the enrollment, frees the call's place and
revokes the QR in the same transaction); an application whose benefit was
already delivered keeps its status and only its enrollment ends
(``workflow.end_enrollment``). Either way the person is notified and the
delivery point refuses the code from then on (``inscripcion_terminada``).
"""

from __future__ import annotations

from portal.applications import notices
from portal.applications import workflow as applications
from portal.backoffice.audit import Actor
from portal.delivery import periods
from portal.messages import Refusal, _l, spanish
from portal.models import Application, Enrollment, StaffUser
from portal.vocabulary import ApplicationStatus as S
from portal.web.database import write

# The catalog of end causes: the code audited, the text the person reads.
END_CAUSES = {
    "fin_programa": _l("Terminó el programa"),
    "ya_no_cumple": _l("Ya no cumple las reglas del programa"),
    "voluntaria": _l("La persona pidió dejar el programa"),
    "fallecimiento": _l("Fallecimiento de la persona beneficiaria"),
    "duplicado": _l("Registro duplicado"),
}
MAX_DETAILS = 500


class EndingError(Refusal, ValueError):
    """A benefit that cannot be ended so; ``field`` names the form field at fault."""

    def __init__(self, message, field: str) -> None:
        super().__init__(message)
        self.field = field


def active_enrollment(application: Application) -> Enrollment | None:
    enrollment = periods.enrollment_of(application)
    return enrollment if enrollment is not None and enrollment.active else None


def end_benefit(
    application: Application, staff: StaffUser, cause: str, details: str = ""
) -> Enrollment:
    """End the application's active enrollment for ``cause`` (a key of
    :data:`END_CAUSES`); raises :class:`EndingError` and writes nothing when
    the cause is unknown, the details too long, or nothing is active."""
    details = details.strip()
    if cause not in END_CAUSES:
        raise EndingError(_l("Elija la causa de la baja."), "causa")
    if len(details) > MAX_DETAILS:
        raise EndingError(
            _l("El detalle admite a lo más %(n)s caracteres.", n=MAX_DETAILS), "detalle"
        )
    reason = spanish(END_CAUSES[cause]) + (f". {details}" if details else "")
    actor = Actor.staff(staff)
    with write():
        enrollment = active_enrollment(application)
        if enrollment is None or application.status not in (S.APROBADA, S.ENTREGADA, S.SUSPENDIDA):
            raise EndingError(_l("Esta persona ya no está inscrita en el programa."), "causa")
        if application.status in (S.APROBADA, S.SUSPENDIDA):
            applications.cancel(application, actor, reason, cause=cause)
        else:
            applications.end_enrollment(enrollment, actor, reason, cause=cause)
    notices.wake()
    return Enrollment.get_by_id(enrollment.id)
