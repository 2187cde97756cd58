"""With PROGRAM_REVIEWER=secretaria a draft sent to review enters the
secretariat's queue; accepting it publishes the program, returning it sends
the draft back with the validators' comments (issue 17, items 4 and 7)."""

from __future__ import annotations

import pytest

from portal.backoffice.audit import Actor
from portal.catalog import versions
from portal.catalog.store import engine_catalog
from portal.models import Program, ProgramVersion, Submission, SubmissionItem
from portal.secretariat import validation
from portal.secretariat.validation import ValidationError, Verdict
from tests.catalog.test_program_versions import base, draft_of
from tests.conftest import sign_in_as
from tests.factories import make_agency, make_municipality, make_program, make_staff


@pytest.fixture
def program(app):
    app.config["PROGRAM_REVIEWER"] = "secretaria"
    make_municipality()
    return make_program(
        make_agency(slug="sedesoq"),
        population="Personas de 18 a 64 años.",
        eligibility=[{"field": "age", "op": "between", "value": [18, 64], "reason": "De 18 a 64"}],
    )


@pytest.fixture
def people(program):
    return {
        "admin": make_staff("admin_dependencia", program.agency),
        "supervisor": make_staff("supervisor", program.agency),
        "secretary": make_staff("secretaria"),
    }


def sent_to_review(client, program, people) -> tuple[ProgramVersion, Submission]:
    sign_in_as(client, people["admin"])
    draft = draft_of(client, program, conditions__0__value_to="70")
    assert client.post(base(program, draft.version) + "/enviar").status_code == 303
    submission = Submission.get(
        (Submission.kind == "program_version") & (Submission.ref_id == draft.id)
    )
    return ProgramVersion.get_by_id(draft.id), submission


def verdicts(submission, verdict, comment=""):
    items = SubmissionItem.select().where(SubmissionItem.submission == submission.id)
    return {item.id: Verdict(verdict, comment) for item in items}


def test_the_secretariats_acceptance_publishes_the_draft(client, program, people):
    draft, submission = sent_to_review(client, program, people)
    assert draft.status == "en_revision" and submission.agency_id == program.agency_id
    labels = [
        i.label for i in SubmissionItem.select().where(SubmissionItem.submission == submission.id)
    ]
    assert "Reglas de elegibilidad" in labels
    # The agency's supervisor no longer publishes: the secretariat does.
    sign_in_as(client, people["supervisor"])
    assert client.post(base(program, draft.version) + "/publicar").status_code == 403
    secretary = Actor.staff(people["secretary"])
    validation.decide(
        validation.take(submission, secretary), verdicts(submission, "aceptado"), secretary
    )
    stored = Program.get_by_id(program.id)
    assert (stored.version, stored.eligibility[0]["value"]) == (2, [18, 70])
    assert ProgramVersion.get_by_id(draft.id).status == "publicada"
    assert any(p.slug == program.slug for p in engine_catalog().programs)


def test_returning_it_sends_the_draft_back_with_the_comments(client, program, people):
    draft, submission = sent_to_review(client, program, people)
    secretary = Actor.staff(people["secretary"])
    validation.decide(
        submission,
        verdicts(submission, "devuelto", "Falta la fuente del límite de edad."),
        secretary,
    )
    returned = ProgramVersion.get_by_id(draft.id)
    assert returned.status == "devuelta" and "fuente del límite" in returned.review_note
    assert Program.get_by_id(program.id).version == 1
    # Sent again, the same submission comes back to the queue.
    sign_in_as(client, people["admin"])
    assert client.post(base(program, draft.version) + "/enviar").status_code == 303
    assert Submission.get_by_id(submission.id).status == "enviada"


def test_an_acceptance_that_cannot_publish_changes_nothing(client, program, people):
    draft, submission = sent_to_review(client, program, people)
    # Another version published meanwhile (from the shell, say).
    Program.update(version=Program.version + 5).where(Program.id == program.id).execute()
    secretary = Actor.staff(people["secretary"])
    with pytest.raises(ValidationError):
        validation.decide(submission, verdicts(submission, "aceptado"), secretary)
    assert Submission.get_by_id(submission.id).status == "enviada"
    assert ProgramVersion.get_by_id(draft.id).status == "en_revision"


def test_the_default_reviewer_puts_nothing_in_the_queue(client, program, people, app):
    app.config["PROGRAM_REVIEWER"] = "supervisor"
    sign_in_as(client, people["admin"])
    draft = draft_of(client, program, conditions__0__value_to="70")
    assert client.post(base(program, draft.version) + "/enviar").status_code == 303
    assert Submission.select().count() == 0
    assert versions.may_review(people["supervisor"], program)
    assert versions.may_review(people["secretary"], program, "secretaria")
    assert not versions.may_review(people["supervisor"], program, "secretaria")
