"""Who helped whom at the counter, for the separation of duties.

A staff member who registered a person, answered the questionnaire with them,
filed an application or uploaded a document for them may not decide that
person's applications, nor override a gate on them: the one who prepares a
case never judges it. :func:`note` runs inside the transaction of the act it
records; :func:`helpers_of` is what ``portal.applications.workflow`` asks before a
decision.
"""

from __future__ import annotations

from peewee import ForeignKeyField, IntegrityError

from portal.backoffice.audit import Actor
from portal.models import Application, ApplicationEvent, Assistance, Document
from portal.vocabulary import Assistance as Act
from portal.web.database import write
from portal.web.tables import Prepared, Slot


def note(citizen_id: int, actor: Actor, act: Act, application_id: int | None = None) -> None:
    """Record that staff ``actor`` did ``act`` for the person (once is enough)."""
    if not actor.is_staff or actor.id is None:
        return
    query = Assistance.select().where(
        (Assistance.citizen == citizen_id)
        & (Assistance.staff == actor.id)
        & (Assistance.act == act)
        & (
            Assistance.application.is_null()
            if application_id is None
            else (Assistance.application == application_id)
        )
    )
    if query.exists():
        return
    try:
        with write():
            Assistance.create(
                citizen=citizen_id, staff=actor.id, act=act, application=application_id
            )
    except IntegrityError:
        pass  # the same act noted at the same moment by another request


_HELPERS = Prepared(
    lambda: (
        Assistance.select(Assistance.staff)
        .where(
            (Assistance.citizen == Slot("citizen"))
            & (Assistance.application.is_null() | (Assistance.application == Slot("application")))
        )
        .tuples()
    )
)


def _on_case(document_staff: ForeignKeyField, assisted: bool) -> Prepared:
    """Staff named in ``document_staff`` of a case's documents, and staff who
    acted on its timeline for the person (``assisted``) or as staff."""
    on_documents = Document.select(document_staff).where(
        (Document.application == Slot("application")) & document_staff.is_null(False)
    )
    on_events = ApplicationEvent.select(ApplicationEvent.actor_staff).where(
        (ApplicationEvent.application == Slot("application"))
        & (ApplicationEvent.assisted == assisted)
        & ApplicationEvent.actor_staff.is_null(False)
    )
    return Prepared(lambda: (on_documents | on_events).tuples())


_UPLOADERS = _on_case(Document.uploaded_by_staff, assisted=True)
_REVIEWERS = _on_case(Document.reviewed_by, assisted=False)


def helpers_of(application: Application) -> set[int]:
    """Staff ids who prepared this application or the person's record and answers."""
    helpers = {
        staff_id
        for (staff_id,) in _HELPERS(citizen=application.citizen_id, application=application.id)
    }
    if application.assisted_by_id:
        helpers.add(application.assisted_by_id)
    return helpers | {staff_id for (staff_id,) in _UPLOADERS(application=application.id)}


def reviewers_of(application: Application) -> set[int]:
    """Staff ids who reviewed it: held the case, judged a document or made a decision."""
    reviewers = {application.assigned_to_id} if application.assigned_to_id else set()
    return reviewers | {staff_id for (staff_id,) in _REVIEWERS(application=application.id)}
