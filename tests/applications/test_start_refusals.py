"""Item 9 (drafts): a draft the person could never send is not started.

Not eligible by the engine's verdict, no call open, a program of the same
exclusion group already received, an application already in course: a clear
Spanish message, a 4xx on the page, and nothing written (no application, no
audit entry, no counter moved). A full call refuses nobody: the application
waits for a place (issue 16, item 9; tests/applications/test_waiting_list.py).
"""

from __future__ import annotations

import datetime as dt

import pytest

from portal.applications import workflow as apps
from portal.models import Application, AuditEvent, Call
from tests.application_builders import citizen_actor, submitted
from tests.factories import make_application, make_citizen, make_enrollment, make_program
from tests.support.html import html

WOMEN_ONLY = {"field": "sex", "op": "eq", "value": "M", "reason": "Es solo para mujeres."}


def _full(program):
    call = program.calls.get()
    call.quota = 1
    call.save()
    make_application(program=program, status="enviada")
    return program


def _closed(program):
    Call.update(opens=dt.date(2020, 1, 1), closes=dt.date(2020, 12, 31)).where(
        Call.program == program
    ).execute()
    return program


# (what makes the draft impossible, the person, the program, the message)
CASES = {
    "not eligible": (
        lambda: make_citizen(sex="H"),
        lambda: make_program(eligibility=[WOMEN_ONLY]),
        "Es solo para mujeres.",
    ),
    "call closed": (
        make_citizen,
        lambda: _closed(make_program()),
        "Este programa no recibe solicitudes en este momento.",
    ),
}


def _state():
    return (
        Application.select().count(),
        AuditEvent.select().count(),
        sorted(Call.select(Call.id, Call.places_taken).tuples()),
    )


@pytest.mark.parametrize("case", CASES)
def test_start_draft_refuses_what_could_never_be_sent(app, case):
    person, make, message = CASES[case]
    citizen, program = person(), make()
    before = _state()
    with pytest.raises(apps.Refused) as refused:
        apps.start_draft(citizen, program, "llave")
    assert refused.value.reasons == [message]
    assert _state() == before


def test_start_draft_refuses_a_program_of_an_exclusion_group_already_received(app):
    citizen = make_citizen()
    cuidado = make_program(name="Apoyo para el Cuidado Infantil", exclusion_group="cuidados")
    contigo = make_program(name="Tarjeta Contigo", exclusion_group="cuidados")
    make_enrollment(citizen, cuidado)
    before = _state()
    with pytest.raises(apps.Refused) as refused:
        apps.start_draft(citizen, contigo, "llave")
    assert refused.value.reasons == [
        "No se puede combinar con Apoyo para el Cuidado Infantil, que ya recibe."
    ]
    with pytest.raises(apps.Refused, match="Ya recibe este programa"):
        apps.start_draft(citizen, cuidado, "otra-llave")
    assert _state() == before


def test_start_draft_refuses_a_second_application_to_the_same_call(app):
    citizen, program = make_citizen(), make_program()
    submitted(citizen, program)
    before = _state()
    with pytest.raises(apps.Refused, match="Ya tiene una solicitud en curso"):
        apps.start_draft(citizen, program, "otra-llave")
    assert _state() == before


def test_missing_answers_do_not_refuse_a_draft(app):
    """The draft's page names the answers still needed (assisted mode relies on it)."""
    program = make_program(
        eligibility=[
            {"field": "household_size", "op": "gte", "value": 3, "reason": "Para hogares grandes."}
        ]
    )
    draft = apps.start_draft(make_citizen(), program, "llave")
    assert draft.status == "borrador"


def test_an_existing_draft_is_returned_for_any_key(app):
    citizen, program = make_citizen(), make_program()
    first = apps.start_draft(citizen, program, "una")
    assert apps.start_draft(citizen, program, "otra").id == first.id
    assert Application.select().count() == 1


def test_a_full_call_starts_the_draft_and_its_submission_waits(app):
    citizen, program = make_citizen(), make_program(requirements=())
    _full(program)
    draft = apps.start_draft(citizen, program, "llave")
    assert draft.status == "borrador"
    apps.submit(draft, citizen_actor(citizen))
    assert Application.get_by_id(draft.id).status == "en_espera"
    call = Call.get_by_id(draft.call_id)
    assert (call.places_taken, call.places_waiting) == (1, 1)


@pytest.mark.parametrize("case", CASES)
def test_the_apply_page_refuses_with_the_reason_and_writes_nothing(login, case):
    person, make, message = CASES[case]
    citizen, program = person(), make()
    before = _state()
    response = login(citizen).post(
        f"/programas/{program.slug}/solicitar", data={"idempotency_key": "llave"}
    )
    assert response.status_code == 422
    page = html(response)
    assert [li.text for li in page.select(".notice-error li")] == [message]
    assert not page.select("form[action$='/solicitar']")
    assert _state() == before
