"""The older program page in catalog-file shape (YAML lists) is retired: it
sends to the guided editor and a post to it saves nothing. What an edit does to
the stored program once a reviewer publishes it (points with deliveries, the
payment schedule, the re-certification, calls in use) is checked through the
one path that publishes: a draft (versions.save_draft), sent to review and
published (versions.publish, which stores it with editing.save)."""

from __future__ import annotations

import pytest
import yaml

from portal.backoffice.audit import Actor
from portal.catalog import editing, versions
from portal.catalog.schema import CatalogError
from portal.models import (
    AuditEvent,
    Call,
    Delivery,
    DeliveryPoint,
    Program,
    ProgramVersion,
    Requirement,
)
from tests.factories import (
    make_agency,
    make_application,
    make_delivery,
    make_delivery_point,
    make_municipality,
    make_program,
    make_staff,
)
from tests.support.html import html

LISTS = ("requirements", "calls", "eligibility", "delivery_points")


def _publish(program, **changes) -> int:
    """Edit ``program`` as the editor does (``changes`` to its catalog-file dict;
    lists may be given as YAML text), save it as a draft, send it to review and
    publish it. Raises what the save or the publishing refuses."""
    program = Program.get_by_id(program.id)
    before = editing.catalog_dict(program)
    data = dict(before)
    for key, value in changes.items():
        if key.startswith("benefit_"):
            data["benefit"] = {**data["benefit"], key.removeprefix("benefit_"): value}
        else:
            data[key] = yaml.safe_load(value) if key in LISTS else value
    carried = editing.carry_translations(before, data)
    if carried:
        data["i18n"] = carried
    editing.carry_file_keys(before, data)
    admin = Actor.staff(make_staff("admin_dependencia", program.agency))
    supervisor = Actor.staff(make_staff("supervisor", program.agency))
    edited = editing.validate(data, program.agency.slug)
    draft = versions.save_draft(program, edited, based_on=program.version, actor=admin)
    versions.submit(draft, admin)
    return versions.publish(ProgramVersion.get_by_id(draft.id), supervisor)


@pytest.fixture
def setting(app):
    agency = make_agency(slug="sedesoq")
    program = make_program(
        agency, requirements=("identificacion", "curp"), population="Personas de 18 a 64 años."
    )
    make_municipality()
    return agency, program


def test_agency_admin_lists_only_their_programs(login, setting):
    agency, program = setting
    other = make_program()
    client = login(make_staff("admin_dependencia", agency))
    page = html(client.get("/oficina/programas"))
    assert program.name in page.get_text() and other.name not in page.get_text()
    links = {a["href"] for a in page.select("main table a")}
    assert links == {f"/oficina/programas/{program.slug}/editor"}  # no YAML page


# The retired page ---------------------------------------------------------------------


def test_the_old_program_page_sends_to_the_guided_editor(login, setting):
    agency, program = setting
    client = login(make_staff("admin_dependencia", agency))
    response = client.get(f"/oficina/programas/{program.slug}")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/oficina/programas/{program.slug}/editor")


def test_a_post_to_the_old_program_page_publishes_nothing(login, setting):
    agency, program = setting
    client = login(make_staff("admin_dependencia", agency))
    data = {
        "version": "1",
        "name": "Cambiado sin revisión",
        "summary": "x",
        "population": "x",
        "benefit_kind": "cash",
        "eligibility": "- {field: age, op: gte, value: 18, reason: Mayor de edad}\n",
        "requirements": "[]\n",
        "calls": "[]\n",
        "delivery_points": "[]\n",
    }
    response = client.post(f"/oficina/programas/{program.slug}", data=data)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/oficina/programas/{program.slug}/editor")
    stored = Program.get_by_id(program.id)
    assert (stored.name, stored.version, stored.eligibility) == (
        program.name,
        1,
        program.eligibility,
    )
    assert Requirement.select().where(Requirement.program == program).count() == 2
    assert not ProgramVersion.select().exists()
    assert not AuditEvent.select().where(AuditEvent.object_id == program.slug).exists()
    page = html(client.get(response.headers["Location"]))
    assert "ya no guarda cambios" in page.get_text()


def test_another_agencys_program_is_404(login, setting):
    agency, _ = setting
    other = make_program()
    client = login(make_staff("admin_dependencia", agency))
    assert client.get(f"/oficina/programas/{other.slug}").status_code == 404
    assert client.post(f"/oficina/programas/{other.slug}", data={"name": "x"}).status_code == 404


def test_state_admin_is_sent_to_any_programs_editor(login, setting):
    _, program = setting
    client = login(make_staff("admin_estatal"))
    response = client.get(f"/oficina/programas/{program.slug}")
    assert response.status_code == 303
    assert client.get(response.headers["Location"]).status_code == 200


@pytest.mark.parametrize("role", ["revisor", "entrega", "supervisor"])
def test_reviewers_and_delivery_cannot_edit_programs(login, setting, role):
    agency, program = setting
    client = login(make_staff(role, agency))
    assert client.get("/oficina/programas").status_code == 403
    assert client.post(f"/oficina/programas/{program.slug}", data={"name": "x"}).status_code == 403
    assert Requirement.select().where(Requirement.program == program).count() == 2


# What a published edit does to the stored program -------------------------------------


def test_a_published_edit_stores_texts_rules_calls_and_points(setting):
    _, program = setting
    number = _publish(
        program,
        name="Tarjeta Contigo",
        exclusion_group="apoyo-familias",
        eligibility="- {field: age, op: between, value: [18, 64], reason: De 18 a 64 años.}\n",
        requirements="- {slug: identificacion, name: Identificación oficial, formats: [pdf]}\n",
        calls="- {opens: 2026-01-01, closes: 2027-12-31, quota: 500}\n",
        delivery_points=(
            "- {name: Oficina central, address: Av. Pasteur 10, municipality: '22014', "
            "lat: 20.59, lon: -100.39, hours: Lunes a viernes}\n"
        ),
    )
    assert number == 2
    program = Program.get_by_id(program.id)
    assert (program.name, program.version, program.exclusion_group) == (
        "Tarjeta Contigo",
        2,
        "apoyo-familias",
    )
    assert program.eligibility[0]["op"] == "between"
    assert [r.slug for r in program.requirements] == ["identificacion"]
    assert Call.get(Call.program == program).quota == 500
    assert DeliveryPoint.get(DeliveryPoint.program == program).municipality_id == "22014"
    snapshot = ProgramVersion.get(
        (ProgramVersion.program == program) & (ProgramVersion.version == 2)
    )
    assert (snapshot.snapshot["name"], snapshot.status) == ("Tarjeta Contigo", "publicada")
    entry = AuditEvent.get(AuditEvent.action == "editar_programa")
    assert entry.details["version"] == 2 and "name" in entry.details["campos"]


def test_a_call_with_applications_cannot_be_removed(setting):
    """Refused when the draft is saved, so no version that publishing would refuse
    ever reaches review; nothing is written."""
    _, program = setting
    make_application(program=program)
    with pytest.raises(CatalogError, match="ya tienen solicitudes") as refused:
        _publish(program, calls="- {opens: 2028-01-01, closes: 2028-12-31}\n")
    assert [p.path for p in refused.value.problems] == ["calls"]
    assert Call.select().where(Call.program == program).count() == 1
    assert Program.get_by_id(program.id).version == 1
    assert not ProgramVersion.select().where(ProgramVersion.status == "borrador").exists()


def test_publishing_checks_again_what_changed_since_the_draft(setting):
    """A draft saved while the call had no application: the first application
    arrives during review, and publishing refuses the removal then."""
    _, program = setting
    program = Program.get_by_id(program.id)
    data = editing.catalog_dict(program)
    data["calls"] = [{"opens": "2028-01-01", "closes": "2028-12-31"}]
    edited = editing.validate(data, program.agency.slug)
    admin = Actor.staff(make_staff("admin_dependencia", program.agency))
    draft = versions.save_draft(program, edited, based_on=program.version, actor=admin)
    versions.submit(draft, admin)
    make_application(program=program)
    supervisor = Actor.staff(make_staff("supervisor", program.agency))
    with pytest.raises(editing.RemovalBlocked, match="ya tienen solicitudes"):
        versions.publish(ProgramVersion.get_by_id(draft.id), supervisor)
    assert Call.select().where(Call.program == program).count() == 1
    assert Program.get_by_id(program.id).version == 1


def test_applications_keep_the_version_they_were_judged_under(setting):
    _, program = setting
    application = make_application(program=program, program_version=1)
    assert _publish(program, summary="Otro resumen.") == 2
    assert type(application).get_by_id(application.id).program_version == 1


# Delivery points where credentials were already delivered -------------------

POINT = {
    "name": "Oficina central",
    "address": "Av. Pasteur 10",
    "municipality": "22014",
    "lat": 20.59,
    "lon": -100.39,
    "hours": "Lunes a viernes",
}


def _points(*changes) -> str:
    """The delivery points field: one point per dict of changes to POINT."""
    return yaml.safe_dump([{**POINT, **c} for c in changes], allow_unicode=True, sort_keys=False)


@pytest.fixture
def delivered(setting):
    """The program's point "Oficina central", where a credential was delivered."""
    _, program = setting
    point = make_delivery_point(program, **POINT)
    return point, make_delivery(point)


def test_a_program_whose_point_has_deliveries_saves_new_texts(setting, delivered):
    agency, program = setting
    point, done = delivered
    assert _publish(program, summary="Texto nuevo.") == 2
    assert Program.get_by_id(program.id).summary == "Texto nuevo."
    assert Delivery.get_by_id(done.id).point_id == point.id
    assert DeliveryPoint.get_by_id(point.id).active
    snapshot = ProgramVersion.get(
        (ProgramVersion.program == program) & (ProgramVersion.version == 2)
    )
    assert snapshot.snapshot["delivery_points"] == [POINT]
    entry = AuditEvent.get(AuditEvent.action == "editar_programa")
    assert entry.details == {"version": 2, "campos": ["summary"]}


def test_a_point_with_deliveries_is_edited_in_place(setting, delivered):
    agency, program = setting
    point, done = delivered
    # A new point in a municipality the database does not list yet is added too.
    points = _points({"hours": "Lunes a sábado"}, {"name": "Módulo norte", "municipality": "22016"})
    assert _publish(program, delivery_points=points) == 2
    rows = program.delivery_points.order_by(DeliveryPoint.position)
    assert [(p.id == point.id, p.name, p.hours) for p in rows] == [
        (True, "Oficina central", "Lunes a sábado"),
        (False, "Módulo norte", "Lunes a viernes"),
    ]
    assert Delivery.get_by_id(done.id).point_id == point.id


def test_a_renamed_point_with_deliveries_keeps_its_old_name_for_them(setting, delivered):
    agency, program = setting
    point, done = delivered
    assert _publish(program, delivery_points=_points({"name": "Oficina Pasteur"})) == 2
    old = DeliveryPoint.get_by_id(point.id)
    assert (old.name, old.active) == ("Oficina central", False)
    assert Delivery.get_by_id(done.id).point.name == "Oficina central"
    renamed = DeliveryPoint.get(
        (DeliveryPoint.program == program) & (DeliveryPoint.name == "Oficina Pasteur")
    )
    assert renamed.active


def test_a_removed_point_with_deliveries_is_retired_and_an_unused_one_deleted(
    login, setting, delivered
):
    agency, program = setting
    point, done = delivered
    unused = make_delivery_point(program, **{**POINT, "name": "Módulo sur"})
    client = login(make_staff("admin_dependencia", agency))
    assert _publish(program, delivery_points=_points({"name": "Módulo norte"})) == 2
    assert not DeliveryPoint.get_by_id(point.id).active
    assert DeliveryPoint.get_or_none(DeliveryPoint.id == unused.id) is None
    assert Delivery.get_by_id(done.id).point_id == point.id
    page = html(client.get(f"/oficina/programas/{program.slug}/editor"))
    names = [i["value"] for i in page.select("#filas-points input[name$='-name']")]
    assert names == ["Módulo norte"]
    assert "Oficina central" in page.find(id="puntos-retirados").text
    # Listing it again by its name puts the same row back in use.
    points = _points({}, {"name": "Módulo norte"})
    assert _publish(program, delivery_points=points) == 3
    assert DeliveryPoint.get_by_id(point.id).active
    assert Program.get_by_id(program.id).version == 3


# The payment schedule: the form does not offer it, so an edit keeps it ---------------


@pytest.fixture
def paid_monthly(setting):
    """The program paid monthly on a six-month schedule, and how to deliver it."""
    from tests.delivery.period_builders import confirm, make_beneficiary, monthly_schedule

    agency, program = setting
    schedule = monthly_schedule()
    Program.update(
        benefit_kind="cash",
        benefit_amount=1000,
        benefit_period="mensual",
        benefit_schedule=schedule,
    ).where(Program.id == program.id).execute()
    program = Program.get_by_id(program.id)
    return program, schedule, (make_beneficiary, confirm)


def test_an_edit_keeps_the_payment_schedule_and_its_snapshot_has_it(setting, paid_monthly):
    program, schedule, _ = paid_monthly
    assert _publish(program, summary="Texto nuevo.") == 2
    saved = Program.get_by_id(program.id)
    assert saved.summary == "Texto nuevo."
    assert saved.benefit_schedule == schedule
    snapshot = ProgramVersion.get(
        (ProgramVersion.program == program) & (ProgramVersion.version == saved.version)
    )
    assert snapshot.snapshot["benefit"]["schedule"] == schedule


def test_the_period_cannot_change_once_one_was_delivered(setting, paid_monthly):
    program, schedule, (make_beneficiary, confirm) = paid_monthly
    _, credential, point, operator = make_beneficiary(program)
    point_fields = {k: v for k, v in POINT.items() if k != "municipality"}
    DeliveryPoint.update(municipality="22014", **point_fields).where(
        DeliveryPoint.id == point.id
    ).execute()
    confirm(credential, operator, DeliveryPoint.get_by_id(point.id))
    version = Program.get_by_id(program.id).version
    with pytest.raises(CatalogError) as refused:
        _publish(program, benefit_period="bimestral")
    assert [p.path for p in refused.value.problems] == ["benefit.period"]
    text = str(refused.value)
    assert "Periodicidad y calendario de pagos" in text and "periodo 1" in text
    saved = Program.get_by_id(program.id)
    assert (saved.version, saved.benefit_period, saved.benefit_schedule) == (
        version,
        "mensual",
        schedule,
    )
    # Texts still save, the schedule kept as it was.
    assert _publish(program, summary="Otro texto.") > version
    assert Program.get_by_id(program.id).benefit_schedule == schedule


def test_the_period_may_change_while_nothing_was_delivered(setting, paid_monthly):
    program, schedule, _ = paid_monthly
    assert _publish(program, benefit_period="bimestral") == 2
    saved = Program.get_by_id(program.id)
    assert (saved.benefit_period, saved.benefit_schedule) == ("bimestral", schedule)


def test_an_edit_keeps_the_recertification_and_cannot_drop_its_document(setting):
    # The form does not offer the re-certification either: kept, and checked
    # against the edited requirements (it was carried after validation, so the
    # document it asks for could be removed and the due dates silently hidden).
    agency, program = setting
    rule = {"every_months": 12, "document": "curp", "grace_days": 30}
    Program.update(recertification=rule).where(Program.id == program.id).execute()
    program = Program.get_by_id(program.id)
    assert _publish(program, summary="Texto nuevo.") == 2
    saved = Program.get_by_id(program.id)
    assert saved.recertification == rule
    requirements = editing.catalog_dict(saved)["requirements"]
    kept = [r for r in requirements if r["slug"] != "curp"]
    with pytest.raises(CatalogError) as refused:
        _publish(saved, requirements=yaml.safe_dump(kept, allow_unicode=True))
    said = "; ".join(f"{p.path}: {p.message}" for p in refused.value.problems)
    assert "recertification.document" in said and '"curp" no es un documento' in said
    assert Program.get_by_id(program.id).version == saved.version
