"""Migration 0013 on a database that already holds applications (both engines):
the counter of each call starts from its live applications, and drafts repeated
by parallel starts are cancelled, keeping the one with the most documents."""

from __future__ import annotations

import importlib.util

from playhouse.migrations import SchemaMigrator

from portal.models import Application, ApplicationEvent, Call, Document
from portal.web import database
from portal.web.extensions import db
from tests.factories import make_citizen, make_program

NAME = "0013_places_and_drafts"


def _migration():
    spec = importlib.util.spec_from_file_location(NAME, database.MIGRATIONS / f"{NAME}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _application(citizen, program, status):
    # As rows were written before the counter: straight into the table.
    return Application.create(
        folio=f"QRO-26-{Application.select().count() + 1:07d}",
        citizen=citizen,
        program=program,
        call=CALLS[program.id],
        status=status,
    )


CALLS: dict[int, int] = {}


def _document(application, n):
    requirement = program_requirement(application)
    return Document.create(
        application=application,
        requirement=requirement,
        version=n,
        current=True,
        storage_key=f"k-{application.id}-{n}",
        filename="a.pdf",
        content_type="application/pdf",
        size=1,
        sha256="0" * 64,
    )


def program_requirement(application):
    return application.program.requirements.get()


def test_the_migration_fills_the_counter_and_keeps_one_draft_per_call(app):
    migration = _migration()
    migrator = SchemaMigrator.from_database(db.obj)
    busy, quiet = make_program(), make_program()
    people = [make_citizen() for _ in range(3)]
    CALLS.update({p.id: p.calls.get().id for p in (busy, quiet)})
    # As the Runner runs them (on SQLite: foreign keys off while tables are rebuilt).
    with migrator.migration_context(True):
        migration.down(migrator, db.obj)
    try:
        for person, status in zip(people, ("enviada", "aprobada", "rechazada"), strict=True):
            _application(person, busy, status)
        _application(people[2], busy, "requiere_correccion")
        # Three drafts of one person in one call (item 19), the second with a document.
        drafts = [_application(people[0], quiet, "borrador") for _ in range(3)]
        _document(drafts[1], 1)
        other = _application(people[1], quiet, "borrador")
    finally:
        with migrator.migration_context(True):
            migration.up(migrator, db.obj)
    assert Call.get(Call.program == busy).places_taken == 3
    assert Call.get(Call.program == quiet).places_taken == 0
    statuses = {a.id: a.status for a in Application.select()}
    assert [statuses[d.id] for d in drafts] == ["cancelada", "borrador", "cancelada"]
    assert statuses[other.id] == "borrador"
    events = ApplicationEvent.select().where(ApplicationEvent.to_status == "cancelada")
    assert sorted(e.application_id for e in events) == [drafts[0].id, drafts[2].id]
    assert all(e.actor_kind == "sistema" and e.reason for e in events)
