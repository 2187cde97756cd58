"""Agency admins edit their agency's programs; every change is validated like the
catalog files, versioned and audited."""

from __future__ import annotations

import pytest
import yaml

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


def _form(client, program):
    page = html(client.get(f"/oficina/programas/{program.slug}"))
    form = page.find("form", id="programa")
    data = {}
    for element in form.find_all(["input", "textarea", "select"]):
        name = element.get("name")
        if not name:
            continue
        if element.name == "textarea":
            data[name] = element.text.lstrip("\n")
        elif element.name == "select":
            chosen = element.find("option", selected=True) or element.find("option")
            data[name] = chosen["value"]
        else:
            data[name] = element.get("value", "")
    return data


def _save(client, program, **changes):
    """Post the program's edit form as it stands, with ``changes``."""
    data = {**_form(client, program), **changes}
    return client.post(f"/oficina/programas/{program.slug}", data=data)


@pytest.fixture
def setting():
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
    page = client.get("/oficina/programas").get_data(as_text=True)
    assert program.name in page and other.name not in page


def test_agency_admin_edits_texts_rules_calls_and_points(login, setting):
    agency, program = setting
    client = login(make_staff("admin_dependencia", agency))
    data = _form(client, program)
    assert data["version"] == "1" and "identificacion" in data["requirements"]
    data.update(
        name="Tarjeta Contigo",
        exclusion_group="apoyo-familias",
        eligibility="- {field: age, op: between, value: [18, 64], reason: Es para personas de 18 a 64 años.}\n",
        requirements="- {slug: identificacion, name: Identificación oficial, formats: [pdf, jpg]}\n",
        calls="- {opens: 2026-01-01, closes: 2027-12-31, quota: 500}\n",
        delivery_points=(
            "- {name: Oficina central, address: Av. Pasteur 10, municipality: '22014', "
            "lat: 20.59, lon: -100.39, hours: Lunes a viernes}\n"
        ),
    )
    response = client.post(f"/oficina/programas/{program.slug}", data=data)
    assert response.status_code == 303
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
    assert snapshot.snapshot["name"] == "Tarjeta Contigo"
    entry = AuditEvent.select().order_by(AuditEvent.id.desc()).first()
    assert entry.action == "editar_programa" and entry.details["version"] == 2
    assert "name" in entry.details["campos"]


@pytest.mark.parametrize(
    "field, value, message",
    [
        (
            "eligibility",
            "- {field: age, op: lessthan, value: 3, reason: x}\n",
            'operador desconocido "lessthan"',
        ),
        ("eligibility", "- {field: edad, op: lt, value: 3, reason: x}\n", "edad"),
        ("calls", "- {opens: 2026-05-01, closes: 2026-01-01}\n", "calls[0]"),
        ("requirements", "- {slug: ID Oficial, name: x, formats: [pdf]}\n", "requirements[0].slug"),
        ("exclusion_group", "Grupo Con Espacios", "exclusion_group"),
        (
            "delivery_points",
            "- {name: Oficina, address: x, municipality: '22014', lat: 20, lon: -100, hours: x}\n"
            "- {name: Oficina, address: y, municipality: '22014', lat: 20, lon: -100, hours: y}\n",
            'delivery_points[1].name: punto de entrega repetido "Oficina"',
        ),
    ],
)
def test_invalid_rules_are_refused_like_in_catalog_files(login, setting, field, value, message):
    agency, program = setting
    client = login(make_staff("admin_dependencia", agency))
    response = _save(client, program, **{field: value})
    assert response.status_code == 422
    assert message in html(response).find(class_="error-summary").text
    assert Program.get_by_id(program.id).version == 1
    assert ProgramVersion.select().count() == 0


def test_an_impossible_date_is_a_message_on_its_field_and_nothing_is_saved(login, setting):
    # It was a 500: PyYAML raises a bare ValueError for 2026-13-01.
    agency, program = setting
    client = login(make_staff("admin_dependencia", agency))
    response = _save(client, program, calls="- {opens: 2026-13-01, closes: 2026-12-31}")
    assert response.status_code == 422
    error = html(response).select_one("#calls-error")
    assert error is not None and "La fecha 2026-13-01 no existe" in error.get_text()
    assert Program.get_by_id(program.id).version == 1


def test_unreadable_yaml_is_a_message_on_its_field(login, setting):
    agency, program = setting
    client = login(make_staff("admin_dependencia", agency))
    response = _save(client, program, calls="- {opens: [2026")
    assert response.status_code == 422
    assert "No se pudo leer la lista" in response.get_data(as_text=True)


def test_a_call_with_applications_cannot_be_removed(login, setting):
    agency, program = setting
    make_application(program=program)
    client = login(make_staff("admin_dependencia", agency))
    response = _save(client, program, calls="- {opens: 2028-01-01, closes: 2028-12-31}\n")
    assert response.status_code == 422
    assert "ya tienen solicitudes" in response.get_data(as_text=True)
    assert Call.select().where(Call.program == program).count() == 1
    assert Program.get_by_id(program.id).version == 1


def test_a_stale_edit_gets_409_and_overwrites_nothing(login, setting):
    agency, program = setting
    client = login(make_staff("admin_dependencia", agency))
    first = _form(client, program)
    second = dict(first)
    first["name"] = "Primera edición"
    assert client.post(f"/oficina/programas/{program.slug}", data=first).status_code == 303
    second["name"] = "Segunda edición"
    response = client.post(f"/oficina/programas/{program.slug}", data=second)
    assert response.status_code == 409
    assert "Otra persona guardó este programa" in response.get_data(as_text=True)
    assert Program.get_by_id(program.id).name == "Primera edición"


def test_applications_keep_the_version_they_were_judged_under(login, setting):
    agency, program = setting
    application = make_application(program=program, program_version=1)
    client = login(make_staff("admin_dependencia", agency))
    client.post(f"/oficina/programas/{program.slug}", data=_form(client, program))
    assert Program.get_by_id(program.id).version == 2
    assert type(application).get_by_id(application.id).program_version == 1


def test_another_agencys_program_is_404(login, setting):
    agency, _ = setting
    other = make_program()
    client = login(make_staff("admin_dependencia", agency))
    assert client.get(f"/oficina/programas/{other.slug}").status_code == 404
    assert client.post(f"/oficina/programas/{other.slug}", data={"name": "x"}).status_code == 404


def test_state_admin_edits_any_program(login, setting):
    _, program = setting
    client = login(make_staff("admin_estatal"))
    assert client.get(f"/oficina/programas/{program.slug}").status_code == 200


@pytest.mark.parametrize("role", ["revisor", "entrega"])
def test_reviewers_and_delivery_cannot_edit_programs(login, setting, role):
    agency, program = setting
    client = login(make_staff(role, agency))
    assert client.get("/oficina/programas").status_code == 403
    assert client.post(f"/oficina/programas/{program.slug}", data={"name": "x"}).status_code == 403
    assert Requirement.select().where(Requirement.program == program).count() == 2


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


def test_a_program_whose_point_has_deliveries_saves_new_texts(login, setting, delivered):
    agency, program = setting
    point, done = delivered
    client = login(make_staff("admin_dependencia", agency))
    assert _save(client, program, summary="Texto nuevo.").status_code == 303
    assert Program.get_by_id(program.id).summary == "Texto nuevo."
    assert Delivery.get_by_id(done.id).point_id == point.id
    assert DeliveryPoint.get_by_id(point.id).active
    snapshot = ProgramVersion.get(
        (ProgramVersion.program == program) & (ProgramVersion.version == 2)
    )
    assert snapshot.snapshot["delivery_points"] == [POINT]
    entry = AuditEvent.select().order_by(AuditEvent.id.desc()).first()
    assert (entry.action, entry.details) == (
        "editar_programa",
        {"version": 2, "campos": ["summary"]},
    )


def test_a_point_with_deliveries_is_edited_in_place(login, setting, delivered):
    agency, program = setting
    point, done = delivered
    client = login(make_staff("admin_dependencia", agency))
    # A new point in a municipality the database does not list yet is added too.
    points = _points({"hours": "Lunes a sábado"}, {"name": "Módulo norte", "municipality": "22016"})
    assert _save(client, program, delivery_points=points).status_code == 303
    rows = program.delivery_points.order_by(DeliveryPoint.position)
    assert [(p.id == point.id, p.name, p.hours) for p in rows] == [
        (True, "Oficina central", "Lunes a sábado"),
        (False, "Módulo norte", "Lunes a viernes"),
    ]
    assert Delivery.get_by_id(done.id).point_id == point.id


def test_a_renamed_point_with_deliveries_keeps_its_old_name_for_them(login, setting, delivered):
    agency, program = setting
    point, done = delivered
    client = login(make_staff("admin_dependencia", agency))
    assert (
        _save(client, program, delivery_points=_points({"name": "Oficina Pasteur"})).status_code
        == 303
    )
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
    assert (
        _save(client, program, delivery_points=_points({"name": "Módulo norte"})).status_code == 303
    )
    assert not DeliveryPoint.get_by_id(point.id).active
    assert DeliveryPoint.get_or_none(DeliveryPoint.id == unused.id) is None
    assert Delivery.get_by_id(done.id).point_id == point.id
    page = html(client.get(f"/oficina/programas/{program.slug}"))
    assert "Oficina central" not in page.find("textarea", {"name": "delivery_points"}).text
    assert "Oficina central" in page.find(id="puntos-retirados").text
    # Listing it again by its name puts the same row back in use.
    points = _points({}, {"name": "Módulo norte"})
    assert _save(client, program, delivery_points=points).status_code == 303
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


def test_an_edit_keeps_the_payment_schedule_and_its_snapshot_has_it(login, setting, paid_monthly):
    agency, _ = setting
    program, schedule, _ = paid_monthly
    client = login(make_staff("admin_dependencia", agency))
    assert _save(client, program, summary="Texto nuevo.").status_code == 303
    saved = Program.get_by_id(program.id)
    assert saved.summary == "Texto nuevo."
    assert saved.benefit_schedule == schedule
    snapshot = ProgramVersion.get(
        (ProgramVersion.program == program) & (ProgramVersion.version == saved.version)
    )
    assert snapshot.snapshot["benefit"]["schedule"] == schedule


def test_the_period_cannot_change_once_one_was_delivered(login, setting, paid_monthly):
    agency, _ = setting
    program, schedule, (make_beneficiary, confirm) = paid_monthly
    _, credential, point, operator = make_beneficiary(program)
    point_fields = {k: v for k, v in POINT.items() if k != "municipality"}
    DeliveryPoint.update(municipality="22014", **point_fields).where(
        DeliveryPoint.id == point.id
    ).execute()
    confirm(credential, operator, DeliveryPoint.get_by_id(point.id))
    version = Program.get_by_id(program.id).version
    client = login(make_staff("admin_dependencia", agency))
    response = _save(client, program, benefit_period="bimestral")
    assert response.status_code == 422
    text = html(response).get_text(" ", strip=True)
    assert "Periodicidad y calendario de pagos" in text and "periodo 1" in text
    saved = Program.get_by_id(program.id)
    assert (saved.version, saved.benefit_period, saved.benefit_schedule) == (
        version,
        "mensual",
        schedule,
    )
    # Texts still save, the schedule kept as it was.
    assert _save(client, program, summary="Otro texto.").status_code == 303
    assert Program.get_by_id(program.id).benefit_schedule == schedule


def test_the_period_may_change_while_nothing_was_delivered(login, setting, paid_monthly):
    agency, _ = setting
    program, schedule, _ = paid_monthly
    client = login(make_staff("admin_dependencia", agency))
    assert _save(client, program, benefit_period="bimestral").status_code == 303
    saved = Program.get_by_id(program.id)
    assert (saved.benefit_period, saved.benefit_schedule) == ("bimestral", schedule)


def test_an_edit_keeps_the_recertification_and_cannot_drop_its_document(login, setting):
    # The form does not offer the re-certification either: kept, and checked
    # against the edited requirements (it was carried after validation, so the
    # document it asks for could be removed and the due dates silently hidden).
    agency, program = setting
    rule = {"every_months": 12, "document": "curp", "grace_days": 30}
    Program.update(recertification=rule).where(Program.id == program.id).execute()
    program = Program.get_by_id(program.id)
    client = login(make_staff("admin_dependencia", agency))
    assert _save(client, program, summary="Texto nuevo.").status_code == 303
    saved = Program.get_by_id(program.id)
    assert saved.recertification == rule
    requirements = yaml.safe_load(_form(client, saved)["requirements"])
    kept = [r for r in requirements if r["slug"] != "curp"]
    response = _save(client, saved, requirements=yaml.safe_dump(kept, allow_unicode=True))
    assert response.status_code == 422
    summary = html(response).find(class_="error-summary").text
    assert "recertification.document" in summary and '"curp" no es un documento' in summary
    assert Program.get_by_id(program.id).version == saved.version
