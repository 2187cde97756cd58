"""Bugs the integrity property test found (tests/applications/test_integrity_properties.py),
each as its smallest example, kept so they never come back."""

from __future__ import annotations

import datetime as dt

from portal.applications import workflow as applications
from portal.backoffice.audit import Actor
from portal.models import Citizen, CitizenMerge, DuplicateCandidate, Enrollment
from portal.rolls import duplicates
from portal.rolls import writing as padron
from tests.factories import make_citizen, make_municipality, make_program, make_staff
from tests.padron_builders import person, write_roll


def test_a_record_that_survived_a_merge_can_be_merged_into_another(app):
    """Three records of one person: A merged into B, then B into C."""
    admin = make_staff("admin_estatal")
    a, b, c = make_citizen(), make_citizen(), make_citizen()
    first = DuplicateCandidate.create(citizen_a=a, citizen_b=b, score=95.0, kind="nombre")
    duplicates.merge(first.id, b.id, Actor.staff(admin), admin.id, reason="Misma persona.")
    second = DuplicateCandidate.create(citizen_a=b, citizen_b=c, score=95.0, kind="nombre")

    duplicates.merge(second.id, c.id, Actor.staff(admin), admin.id, reason="Misma persona.")

    assert Citizen.get_or_none(Citizen.id == b.id) is None
    assert {m.survivor_id for m in CitizenMerge.select()} == {c.id}


def test_a_roll_enrolls_no_one_outside_the_rules_today(app, tmp_path):
    make_municipality()
    seniors = make_program(
        eligibility=[{"field": "age", "op": "gte", "value": 65, "reason": "Es para 65 y más."}]
    )
    today = dt.date.today()
    turns_65 = today.replace(year=today.year - 65) + dt.timedelta(days=100)
    row = person(1, born=turns_65)  # 64 today, 65 in a hundred days
    row[8] = (today + dt.timedelta(days=200)).isoformat()  # "fecha de alta"
    path = write_roll(tmp_path / "padron.csv", [row])
    batch, _ = padron.prepare_batch(path, path.name, seniors)
    done = padron.run_batch(batch.id, path, today=today)

    assert (done.accepted, done.rejected) == (0, 1)
    for enrollment in Enrollment.select().where(Enrollment.active):
        citizen = Citizen.get_by_id(enrollment.citizen_id)
        assert applications.rule_reasons(citizen, seniors, today) == []
