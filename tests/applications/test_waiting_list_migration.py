"""Migration 0020 (waiting lists) on a database that holds applications, both
engines: rows and places stay, the status CHECK takes ``en_espera`` and still
refuses unknown statuses, and the one-live-per-call index counts a waiting
application."""

from __future__ import annotations

import importlib.util

import pytest
from peewee import IntegrityError
from playhouse.migrations import SchemaMigrator

from portal.models import Application, Call
from portal.web import database
from portal.web.extensions import db
from tests.factories import make_application, make_citizen, make_program

NAME = "0020_waiting_list"
# Later migrations that change what 0020 changed (the status CHECK): undone
# first and done again after, as the runner would.
LATER = ("0024_recertification",)


def _migration(name: str = NAME):
    spec = importlib.util.spec_from_file_location(name, database.MIGRATIONS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _raw_application(citizen, program, status, number=None):
    """A row straight into the table, as the workflow's counters do not see."""
    return Application.create(
        folio=f"QRO-26-{Application.select().count() + 1:07d}",
        citizen=citizen,
        program=program,
        call=program.calls.get(),
        status=status,
        waiting_number=number,
    )


def test_down_and_up_keep_the_applications_and_their_places(app):
    migration = _migration()
    migrator = SchemaMigrator.from_database(db.obj)
    program = make_program()
    held = [make_application(program=program, status=s) for s in ("enviada", "aprobada")]
    later = [_migration(name) for name in LATER]
    for step in [*reversed(later), migration]:
        with migrator.migration_context(True):
            step.down(migrator, db.obj)
    for step in [migration, *later]:
        with migrator.migration_context(True):
            step.up(migrator, db.obj)
    assert sorted(Application.select(Application.id).scalars()) == sorted(a.id for a in held)
    call = Call.get(Call.program == program)
    assert (call.places_taken, call.places_waiting, call.waiting_issued) == (2, 0, 0)


def test_the_status_check_takes_en_espera_and_refuses_an_unknown_status(app):
    program = make_program()
    _raw_application(make_citizen(), program, "en_espera", 1)
    with pytest.raises(IntegrityError), db.atomic():
        _raw_application(make_citizen(), program, "perdida")


def test_a_person_waits_at_most_once_per_call_and_not_while_holding_a_place(app):
    program = make_program()
    citizen = make_citizen()
    _raw_application(citizen, program, "en_espera", 1)
    with pytest.raises(IntegrityError), db.atomic():
        _raw_application(citizen, program, "en_espera", 2)
    with pytest.raises(IntegrityError), db.atomic():
        _raw_application(citizen, program, "enviada")


def test_two_people_never_share_a_number_on_one_list(app):
    program = make_program()
    _raw_application(make_citizen(), program, "en_espera", 1)
    with pytest.raises(IntegrityError), db.atomic():
        _raw_application(make_citizen(), program, "en_espera", 1)
