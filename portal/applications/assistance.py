"""Who helped whom at the counter, for the separation of duties.

A staff member who registered a person, answered the questionnaire with them,
filed an application or uploaded a document for them may not decide that
person's applications, nor override a gate on them: the one who prepares a
case never judges it. :func:`note` runs inside the transaction of the act it
records; :func:`helpers_of` is what ``portal.applications.workflow`` asks before a
decision.
"""

from __future__ import annotations

from peewee import IntegrityError

from portal.backoffice.audit import Actor
from portal.models import Application, ApplicationEvent, Assistance, Document
from portal.vocabulary import Assistance as Act
from portal.web.database import write


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


def helpers_of(application: Application) -> set[int]:
    """Staff ids who prepared this application or the person's record and answers."""
    helpers = {
        staff_id
        for (staff_id,) in Assistance.select(Assistance.staff)
        .where(
            (Assistance.citizen == application.citizen_id)
            & (Assistance.application.is_null() | (Assistance.application == application.id))
        )
        .tuples()
    }
    if application.assisted_by_id:
        helpers.add(application.assisted_by_id)
    helpers |= {
        staff_id
        for (staff_id,) in Document.select(Document.uploaded_by_staff)
        .where((Document.application == application.id) & Document.uploaded_by_staff.is_null(False))
        .tuples()
    }
    helpers |= {
        staff_id
        for (staff_id,) in ApplicationEvent.select(ApplicationEvent.actor_staff)
        .where(
            (ApplicationEvent.application == application.id)
            & (ApplicationEvent.assisted == True)  # noqa: E712
            & ApplicationEvent.actor_staff.is_null(False)
        )
        .tuples()
    }
    return helpers


def reviewers_of(application: Application) -> set[int]:
    """Staff ids who reviewed it: held the case, judged a document or made a decision."""
    reviewers = {application.assigned_to_id} if application.assigned_to_id else set()
    reviewers |= {
        staff_id
        for (staff_id,) in Document.select(Document.reviewed_by)
        .where((Document.application == application.id) & Document.reviewed_by.is_null(False))
        .tuples()
    }
    reviewers |= {
        staff_id
        for (staff_id,) in ApplicationEvent.select(ApplicationEvent.actor_staff)
        .where(
            (ApplicationEvent.application == application.id)
            & (ApplicationEvent.assisted == False)  # noqa: E712
            & ApplicationEvent.actor_staff.is_null(False)
        )
        .tuples()
    }
    return reviewers
