"""The catalog in the database: idempotent loads, versions, the engine's catalog, quotas."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from portal.catalog import store as catalog_store
from portal.catalog.schema import Call, Catalog, catalog_from_dict
from portal.catalog.store import LoadError, engine_catalog, load_catalog, quota_used
from portal.models import (
    Agency,
    Delivery,
    DeliveryPoint,
    Enrollment,
    Municipality,
    Program,
    ProgramVersion,
    Requirement,
)
from portal.models import Call as CallRow
from tests.catalog_builders import catalog_data, demo_catalog, program_data
from tests.factories import make_application, make_citizen, make_delivery

ON = date(2026, 6, 1)


def _with_program(catalog: Catalog, slug: str, **changes) -> Catalog:
    programs = tuple(replace(p, **changes) if p.slug == slug else p for p in catalog.programs)
    return Catalog(agencies=catalog.agencies, programs=programs)


def test_loading_the_demo_catalog_creates_every_program_with_its_rows(app):
    catalog = demo_catalog()
    summary = load_catalog(catalog)
    assert sorted(summary.programs_created) == sorted(p.slug for p in catalog.programs)
    assert Agency.select().count() == len(catalog.agencies)
    contigo = Program.get(Program.slug == "tarjeta-contigo")
    assert contigo.version == 1
    assert contigo.requirements.count() == 3
    assert contigo.calls.count() == 2
    assert contigo.delivery_points.count() == 2
    assert ProgramVersion.select().count() == len(catalog.programs)
    # Delivery points need their municipalities, named from the state file.
    assert Municipality.get_by_id("22016").name == "San Juan del Río"


def test_loading_twice_changes_nothing(app):
    catalog = demo_catalog()
    load_catalog(catalog)
    counts = [
        m.select().count() for m in (Program, ProgramVersion, Requirement, CallRow, DeliveryPoint)
    ]
    again = load_catalog(catalog)
    assert not again.changed
    assert sorted(again.programs_unchanged) == sorted(p.slug for p in catalog.programs)
    assert [
        m.select().count() for m in (Program, ProgramVersion, Requirement, CallRow, DeliveryPoint)
    ] == counts
    assert Program.get(Program.slug == "tarjeta-contigo").version == 1


def test_a_changed_program_gets_a_new_version_and_snapshot(app):
    catalog = demo_catalog()
    load_catalog(catalog)
    changed = _with_program(catalog, "tarjeta-contigo", summary="Texto nuevo.")
    summary = load_catalog(changed, actor="personal:7")
    assert summary.programs_updated == ["tarjeta-contigo"]
    program = Program.get(Program.slug == "tarjeta-contigo")
    assert (program.version, program.summary) == (2, "Texto nuevo.")
    snapshot = ProgramVersion.get(ProgramVersion.program == program, ProgramVersion.version == 2)
    assert snapshot.snapshot["summary"] == "Texto nuevo."
    assert snapshot.created_by == "personal:7"


def test_the_database_gives_back_what_was_loaded(app):
    catalog = demo_catalog()
    load_catalog(catalog)
    stored = {p.slug: p for p in catalog_store.active_programs()}
    for program in catalog.programs:
        assert stored[program.slug].to_dict() == program.to_dict()


def test_a_call_with_applications_cannot_be_dropped(app):
    catalog = demo_catalog()
    load_catalog(catalog)
    program = Program.get(Program.slug == "tarjeta-contigo")
    make_application(program=program, call=program.calls.order_by(CallRow.opens).first())
    data = catalog.program("tarjeta-contigo")
    changed = _with_program(catalog, "tarjeta-contigo", calls=data.calls[1:], summary="Otro.")
    with pytest.raises(LoadError, match='programa "tarjeta-contigo": calls'):
        load_catalog(changed)
    # Nothing was written: the summary is the old one.
    assert Program.get(Program.slug == "tarjeta-contigo").summary == data.summary


def _delivered_at_first_point(slug: str = "tarjeta-contigo") -> tuple[DeliveryPoint, Delivery]:
    program = Program.get(Program.slug == slug)
    point = program.delivery_points.order_by(DeliveryPoint.position).first()
    return point, make_delivery(point)


def _stored(slug: str = "tarjeta-contigo"):
    return {p.slug: p for p in catalog_store.active_programs()}[slug]


def test_a_point_with_deliveries_is_updated_in_place(app):
    catalog = demo_catalog()
    load_catalog(catalog)
    point, done = _delivered_at_first_point()
    ids = [p.id for p in DeliveryPoint.select().order_by(DeliveryPoint.id)]
    assert not load_catalog(catalog).changed
    data = catalog.program("tarjeta-contigo")
    first, *others = data.delivery_points
    changed = _with_program(
        catalog,
        "tarjeta-contigo",
        summary="Otro.",
        delivery_points=(replace(first, hours="Lunes a sábado"), *others),
    )
    assert load_catalog(changed).programs_updated == ["tarjeta-contigo"]
    assert [p.id for p in DeliveryPoint.select().order_by(DeliveryPoint.id)] == ids
    assert DeliveryPoint.get_by_id(point.id).hours == "Lunes a sábado"
    assert Delivery.get_by_id(done.id).point_id == point.id
    assert Program.get(Program.slug == "tarjeta-contigo").version == 2


def test_a_point_with_deliveries_dropped_from_the_file_is_kept_but_retired(app):
    catalog = demo_catalog()
    load_catalog(catalog)
    point, done = _delivered_at_first_point()
    data = catalog.program("tarjeta-contigo")
    dropped = _with_program(catalog, "tarjeta-contigo", delivery_points=data.delivery_points[1:])
    assert load_catalog(dropped).programs_updated == ["tarjeta-contigo"]
    assert not DeliveryPoint.get_by_id(point.id).active
    assert Delivery.get_by_id(done.id).point_id == point.id
    assert _stored().delivery_points == data.delivery_points[1:]
    # The same file again changes nothing; the old file puts the point back in use.
    assert not load_catalog(dropped).changed
    assert load_catalog(catalog).programs_updated == ["tarjeta-contigo"]
    assert DeliveryPoint.get_by_id(point.id).active
    versions = ProgramVersion.select().join(Program).where(Program.slug == "tarjeta-contigo")
    assert sorted(v.version for v in versions) == [1, 2, 3]


def test_an_unused_point_dropped_from_the_file_is_deleted(app):
    catalog = demo_catalog()
    load_catalog(catalog)
    data = catalog.program("tarjeta-contigo")
    load_catalog(
        _with_program(catalog, "tarjeta-contigo", delivery_points=data.delivery_points[1:])
    )
    assert Program.get(Program.slug == "tarjeta-contigo").delivery_points.count() == 1


def test_points_keep_the_order_of_the_file(app):
    catalog = demo_catalog()
    load_catalog(catalog)
    data = catalog.program("tarjeta-contigo")
    reordered = _with_program(
        catalog, "tarjeta-contigo", delivery_points=data.delivery_points[::-1]
    )
    load_catalog(reordered)
    assert _stored().delivery_points == data.delivery_points[::-1]
    assert not load_catalog(reordered).changed


def test_the_engine_catalog_is_cached_until_a_program_changes(app):
    catalog = demo_catalog()
    load_catalog(catalog)
    first = engine_catalog()
    assert engine_catalog() is first
    assert {p.slug for p in first.programs} == {p.slug for p in catalog.programs}
    load_catalog(_with_program(catalog, "adultos-mayores", name="Adultos Mayores Plus"))
    second = engine_catalog()
    assert second is not first
    assert any(p.name == "Adultos Mayores Plus" for p in second.programs)


def test_inactive_programs_leave_the_engine_catalog(app):
    load_catalog(demo_catalog())
    Program.update(active=False).where(Program.slug == "adultos-mayores").execute()
    assert "adultos-mayores" not in {p.slug for p in engine_catalog().programs}


def test_quota_used_reads_the_places_held_by_live_applications(app):
    """A roll's enrollments are the program's earlier beneficiaries: they take no
    place in a call (the counter is kept by the applications workflow)."""
    apoyo = program_data(
        slug="apoyo",
        requirements=[],
        calls=[{"opens": "2026-01-01", "closes": "2026-12-31", "quota": 2}],
    )
    load_catalog(catalog_from_dict(catalog_data(apoyo)))
    program = Program.get(Program.slug == "apoyo")
    call = program.calls.get()
    approved = make_application(program=program, call=call, status="aprobada")
    Enrollment.create(
        citizen=approved.citizen,
        program=program,
        exclusion_key="programa:apoyo",
        application=approved,
    )
    make_application(program=program, call=call, status="enviada")
    make_application(program=program, call=call, status="rechazada")
    Enrollment.create(
        citizen=make_citizen(), program=program, exclusion_key="programa:apoyo", source="padron"
    )
    assert quota_used(ON) == {"apoyo": 2}
    assert quota_used(date(2025, 6, 1)) == {}
    result = engine_catalog().evaluate({}, ON, quota_used=quota_used(ON))[0]
    assert result.quota_full


def test_calls_from_the_database_keep_their_dates(app):
    load_catalog(demo_catalog())
    program = next(p for p in catalog_store.active_programs() if p.slug == "tarjeta-contigo")
    assert program.calls[0] == Call(date(2026, 1, 1), date(2026, 12, 31), 25000)
