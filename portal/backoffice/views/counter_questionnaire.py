"""The needs questionnaire answered at the counter, for a person without a digital ID.

At ``/oficina/ventanilla/persona/cuestionario`` counter staff ask the questions
of the person they looked up by CURP and whose identity they checked in this
session (views/counter.py) and type the answers in. The steps
and pages are the citizen's own (views/questionnaire_flow.py), and the answers
go where the person's own would: ``Citizen.profile``, identity fields excepted.
So the person finds them when signing in with the digital ID, and the
eligibility check of an assisted application reads them.

Each answer saved writes an audit entry with the staff member and the field
name, never the value. The results offer to start the assisted application
for the programs of the staff member's agency the person may receive.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import Blueprint, g, url_for

from portal.backoffice.views import shared as staff
from portal.backoffice.views.counter import ASKED, COUNTER_STAFF, open_programs, verified_citizen
from portal.eligibility import answers, flow
from portal.models import Citizen
from portal.web.auth import staff_required

bp = Blueprint(
    "oficina_questionnaire",
    __name__,
    url_prefix="/oficina/ventanilla/persona/cuestionario",
)


class AssistedAnswers(flow.CitizenAnswers):
    """The person's record, written by the staff member at the counter."""

    asked_key = ASKED

    def save(self, field: str, stored: Any) -> None:
        answers.answer_at_counter(
            self.citizen_id, field, stored, staff.actor(), request_id=g.request_id
        )


@dataclass(frozen=True)
class CounterApply:
    """The results' button that starts the assisted application (views/oficina_assisted.py).

    Offered for the programs in ``idempotency_keys``: those of the staff member's
    agency taking applications today, each with its own key, as a form has.
    """

    url: str
    idempotency_keys: dict[str, str]


def _flow() -> tuple[flow.Flow, Citizen]:
    """The questionnaire of the person checked in this session (else to their page)."""
    citizen = verified_citizen()
    steps = flow.Flow(
        AssistedAnswers(citizen.id),
        blueprint=bp.name,
        start=url_for("oficina_assisted.person"),
        url_args={},
    )
    return steps, citizen


@bp.get("/siguiente")
@staff_required(*COUNTER_STAFF)
def next_step():
    steps, _citizen = _flow()
    return flow.next_step(steps)


@bp.route("/pregunta/<field>", methods=["GET", "POST"])
@staff_required(*COUNTER_STAFF)
def question(field: str):
    steps, citizen = _flow()
    return flow.question(steps, field, person=citizen)


@bp.get("/revisar")
@staff_required(*COUNTER_STAFF)
def review():
    steps, citizen = _flow()
    return flow.review(steps, person=citizen)


@bp.get("/resultados")
@staff_required(*COUNTER_STAFF)
def results():
    steps, citizen = _flow()
    counter_apply = CounterApply(
        url=url_for("oficina_assisted.apply"),
        idempotency_keys={p.slug: uuid.uuid4().hex for p in open_programs(date.today())},
    )
    return flow.results(steps, person=citizen, counter_apply=counter_apply)
