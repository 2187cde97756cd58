"""Migration 0024 (re-certification) on a database that holds applications and
due dates, both engines: down and up keep the rows; the status CHECK takes
``suspendida`` and still refuses unknown statuses; a suspended application is
live (one per person and call); a due date exists once per enrollment."""

from __future__ import annotations

import datetime as dt
import importlib.util

import pytest
from peewee import IntegrityError
from playhouse.migrations import SchemaMigrator

from portal.models import Application, Call, Program, Recertification
from portal.web import database
from portal.web.extensions import db
from tests.delivery.recertification_builders import make_renewing_beneficiary
from tests.factories import make_application, make_citizen, make_program

NAME = "0024_recertification"


def _migration():
    spec = importlib.util.spec_from_file_location(NAME, database.MIGRATIONS / f"{NAME}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_down_and_up_keep_the_applications_and_their_places(app):
    migration = _migration()
    migrator = SchemaMigrator.from_database(db.obj)
    program = make_program()
    held = [make_application(program=program, status=s) for s in ("enviada", "aprobada")]
    with migrator.migration_context(True):
        migration.down(migrator, db.obj)
    assert "recertification" not in db.obj.get_tables()
    with migrator.migration_context(True):
        migration.up(migrator, db.obj)
    assert sorted(Application.select(Application.id).scalars()) == sorted(a.id for a in held)
    assert Call.get(Call.program == program).places_taken == 2
    assert Program.get_by_id(program.id).recertification == {}


def test_the_status_check_takes_suspendida_and_refuses_an_unknown_status(app):
    program = make_program()
    make_application(program=program, status="suspendida")
    with pytest.raises(IntegrityError), db.atomic():
        make_application(program=program, status="suspendida-por-error")


def test_a_suspended_application_is_live(app):
    program = make_program()
    citizen = make_citizen()
    make_application(citizen, program, status="suspendida")
    with pytest.raises(IntegrityError), db.atomic():
        make_application(citizen, program, status="enviada")


def test_a_due_date_exists_once_and_its_status_is_checked(app):
    application, *_, row = make_renewing_beneficiary()
    with pytest.raises(IntegrityError), db.atomic():
        Recertification.create(
            enrollment=row.enrollment_id, application=application.id, due_on=row.due_on
        )
    with pytest.raises(IntegrityError), db.atomic():
        Recertification.create(
            enrollment=row.enrollment_id,
            application=application.id,
            due_on=row.due_on + dt.timedelta(days=365),
            status="olvidada",
        )
