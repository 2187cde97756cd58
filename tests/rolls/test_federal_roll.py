"""The federal single roll (PUB): the layout, its documentation, the export, the
validator, the back-office download and the command."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from pathlib import Path

import pytest

from portal.catalog.schema import BENEFIT_KINDS, PAYMENT_METHODS
from portal.catalog.store import load_catalog
from portal.citizens import curp as curps
from portal.delivery.ending import END_CAUSES
from portal.models import AuditEvent, Delivery, DeliveryDate, Municipality, Program
from portal.rolls import federal
from portal.rolls import federal_layout as layout
from portal.vocabulary import EnrollmentSource
from tests.catalog_builders import demo_catalog
from tests.factories import (
    make_agency,
    make_application,
    make_citizen,
    make_delivery_point,
    make_enrollment,
    make_municipality,
    make_program,
    make_staff,
    valid_curp,
)
from tests.support.html import html, page_text

DOC = Path(__file__).resolve().parents[2] / "docs" / "federal-roll.md"
TODAY = dt.date(2026, 6, 15)
BIMONTHLY_2026 = {"starts": "2026-01-01", "ends": "2026-12-31"}
FEDERAL = {"federal_program_code": "S001", "federal_intra_program_code": "01"}


def _row(record: list[str]) -> dict[str, str]:
    return dict(zip(layout.NAMES, record, strict=True))


def _municipalities() -> set[str]:
    return {code for (code,) in Municipality.select(Municipality.code).tuples()}


def _delivered(application, period, point, on, amount=1500):
    """A delivery of ``period`` recorded on ``on`` (test data, as the scan leaves it)."""
    return Delivery.create(
        application=application,
        period=period,
        amount=amount,
        operator=make_staff("entrega", agency=point.program.agency),
        point=point,
        delivered_at=dt.datetime.combine(on, dt.time(10, 30)),
        id_type="ine",
        id_last4="1234",
    )


@pytest.fixture
def world(app):
    """A bimonthly 2026 cash program (periods: Jan-Feb, Mar-Apr, May-Jun, ...) with
    three people on 15 June 2026: one paid twice, one from a roll who is owed, one
    who died in February."""
    make_municipality("22014", "Querétaro")
    make_municipality("22016", "San Juan del Río")
    agency = make_agency(slug="sedesoq")
    program = make_program(agency, benefit_schedule=BIMONTHLY_2026, benefit_amount=1500, **FEDERAL)
    center = make_delivery_point(program, municipality="22014")
    south = make_delivery_point(program, municipality="22016")
    # Fixed CURPs: the factory's running ones may spell a word RENAPO never issues.
    paid_person = make_citizen(
        curp=valid_curp(n=1), given_names="José Ángel", first_surname="Núñez", second_surname=""
    )
    application = make_application(paid_person, program, status="aprobada")
    paid = make_enrollment(
        paid_person,
        program,
        application=application,
        source=EnrollmentSource.SOLICITUD,
        started_on=dt.date(2026, 1, 10),
    )
    _delivered(application, 1, center, dt.date(2026, 1, 20))
    _delivered(application, 2, center, dt.date(2026, 3, 5))
    owed = make_enrollment(
        make_citizen(curp=valid_curp(n=2)), program, started_on=dt.date(2026, 4, 1)
    )
    DeliveryDate.create(program=program, period=3, day=dt.date(2026, 6, 20), point=south)
    died = make_enrollment(
        make_citizen(curp=valid_curp(n=3)),
        program,
        started_on=dt.date(2026, 1, 5),
        active=False,
        ended_on=dt.date(2026, 2, 15),
        end_reason="Fallecimiento de la persona beneficiaria. Aviso del registro civil.",
    )
    return {
        "agency": agency,
        "program": program,
        "paid": paid,
        "owed": owed,
        "died": died,
        "paid_person": paid_person,
    }


def _expected(program, year=None) -> int:
    """How many records the roll has today (the web and the command export as of today)."""
    return sum(1 for _ in federal.export(program, "csv", year, dt.date.today()).records())


def _records(program, year=None):
    return [_row(r) for r in federal.export(program, "csv", year, TODAY).records()]


# -- the layout and its documentation -------------------------------------------------


def test_the_documented_table_is_the_layout_definition():
    text = DOC.read_text(encoding="utf-8")
    found = re.search(r"<!-- layout:begin -->\n(.*?)<!-- layout:end -->", text, re.S)
    assert found, "docs/federal-roll.md must hold the layout between its markers"
    assert found.group(1) == layout.markdown(), (
        "docs/federal-roll.md differs from portal/rolls/federal_layout.py: "
        "regenerate it with python -m portal.rolls.federal_layout"
    )


def test_every_field_is_documented_with_type_length_source_and_meaning():
    doc = layout.markdown()
    for column in layout.COLUMNS:
        assert f"| `{column.name}` | {column.kind} |" in doc
        assert column.source and column.meaning and column.length > 0
        if column.catalog:
            assert column.catalog in layout.CATALOGS
            for code in layout.CATALOGS[column.catalog].codes:
                assert layout.check_value(column, code) is None, (column.name, code)


def test_every_code_of_the_datas_catalogs_has_a_code_in_the_file():
    assert set(layout.BENEFIT_KIND_CODES) == set(BENEFIT_KINDS)
    assert set(layout.PAYMENT_METHOD_CODES) == set(PAYMENT_METHODS)
    assert set(layout.END_CAUSE_CODES) == set(END_CAUSES)
    assert set(layout.CATALOGS["entidad_renapo"].codes) == set(curps.STATES)
    for codes in (layout.BENEFIT_KIND_CODES, layout.PAYMENT_METHOD_CODES, layout.END_CAUSE_CODES):
        assert len(set(codes.values())) == len(codes)


@pytest.mark.parametrize(
    ("raw", "cleaned"),
    [
        ("José Ángel", "JOSE ANGEL"),
        ("Núñez", "NUÑEZ"),
        ("Güemes", "GUEMES"),
        ("de la  Cruz|Ruiz", "DE LA CRUZ RUIZ"),
        ('O"Brien\r\nX', "O BRIEN X"),
        ("-Ana", "ANA"),
        ("=SUMA(A1)", "SUMA A1"),
        ("", ""),
        (None, ""),
    ],
)
def test_names_are_written_in_the_layouts_alphabet(raw, cleaned):
    assert layout.text(raw, 50) == cleaned


def test_names_longer_than_the_field_are_cut_to_its_length():
    assert layout.text("A" * 80, 50) == "A" * 50


# -- the export -------------------------------------------------------------------------


def test_each_enrollment_has_a_record_per_period_due_paid_or_pending(world):
    records = _records(world["program"])
    by_enrollment = {}
    for r in records:
        by_enrollment.setdefault(int(r["ID_REGISTRO"]), []).append(r)
    paid = by_enrollment[world["paid"].id]
    assert [
        (r["NU_PERIODO"], r["CD_ESTATUS_PAGO"], r["FH_PAGO"], r["NU_MES_PAGO"]) for r in paid
    ] == [
        ("1", layout.PAID, "20260120", "01"),
        ("2", layout.PAID, "20260305", "03"),
        ("3", layout.PENDING, "", ""),
    ]
    # Period 4 (July) has not started on 15 June: not in the roll yet.
    owed = by_enrollment[world["owed"].id]
    assert [r["NU_PERIODO"] for r in owed] == ["2", "3"]
    died = by_enrollment[world["died"].id]
    assert [r["NU_PERIODO"] for r in died] == ["1"]
    assert (died[0]["CD_ESTATUS_BEN"], died[0]["CD_CAUSA_BAJA"], died[0]["FH_BAJA"]) == (
        layout.ENDED,
        layout.END_CAUSE_CODES["fallecimiento"],
        "20260215",
    )


def test_the_record_carries_the_person_the_program_and_the_payment(world):
    first = _records(world["program"])[0]
    person = world["paid_person"]
    assert first["NB_CURP"] == person.curp
    assert (first["NB_NOMBRE"], first["NB_PRIMER_AP"], first["NB_SEGUNDO_AP"]) == (
        "JOSE ANGEL",
        "NUÑEZ",
        "",
    )
    assert first["FH_NACIMIENTO"] == person.birth_date.strftime("%Y%m%d")
    assert first["CD_SEXO"] == person.sex
    assert first["CD_EDO_NAC"] == person.curp[11:13] == "QT"
    assert (first["CD_PROGRAMA"], first["CD_INTRAPROGRAMA"]) == ("S001", "01")
    assert first["CD_TIPO_BENEFICIO"] == layout.BENEFIT_KIND_CODES["cash"]
    assert first["NU_IMPORTE"] == "1500"
    assert (first["FH_INICIO_PERIODO"], first["FH_FIN_PERIODO"]) == ("20260101", "20260228")
    # No payment method in the catalog: a cash benefit's default.
    assert first["CD_METODO_PAGO"] == layout.PAYMENT_METHOD_CODES["efectivo"]
    assert (first["CD_ENT_PAGO"], first["CD_MUN_PAGO"], first["CD_LOC_PAGO"]) == ("22", "014", "")
    assert first["ID_HOGAR"] == ""
    assert first["FH_ALTA"] == "20260110"


def test_a_pending_period_is_placed_where_the_calendar_will_pay_it(world):
    owed = [r for r in _records(world["program"]) if r["ID_REGISTRO"] == str(world["owed"].id)]
    # Period 2 has no date in the calendar; period 3 is paid in San Juan del Río.
    assert [(r["CD_ENT_PAGO"], r["CD_MUN_PAGO"]) for r in owed] == [("", ""), ("22", "016")]


def test_a_municipality_turn_wins_over_the_date_for_everyone(world):
    program = world["program"]
    turn = make_delivery_point(program, municipality="22014")
    DeliveryDate.create(
        program=program, period=3, municipality="22014", day=dt.date(2026, 6, 22), point=turn
    )
    owed = world["owed"]
    owed_period_3 = [
        r for r in _records(program) if r["ID_REGISTRO"] == str(owed.id) and r["NU_PERIODO"] == "3"
    ]
    # The person lives in 22014 (make_citizen's default), whose turn is at 22014.
    assert (owed_period_3[0]["CD_ENT_PAGO"], owed_period_3[0]["CD_MUN_PAGO"]) == ("22", "014")


def test_a_fiscal_year_keeps_the_periods_paid_or_due_in_it(world):
    program = world["program"]
    assert len(_records(program, 2026)) == len(_records(program)) == 6
    assert _records(program, 2025) == []
    # A period of 2026 paid in January 2027 belongs to 2027.
    late = make_application(make_citizen(), program, status="aprobada")
    enrollment = make_enrollment(
        late.citizen, program, application=late, started_on=dt.date(2026, 5, 2)
    )
    point = make_delivery_point(program, municipality="22014")
    _delivered(late, 3, point, dt.date(2027, 1, 8))
    assert [r["NU_PERIODO"] for r in _records(program, 2027)] == ["3"]
    assert str(enrollment.id) not in {
        r["ID_REGISTRO"] for r in _records(program, 2026) if r["NU_PERIODO"] == "3"
    }


def test_a_program_without_a_schedule_has_one_open_period(app):
    make_municipality()
    program = make_program(benefit_kind="in_kind", benefit_amount=None, benefit_period="",
                           benefit_description="Uniformes", **FEDERAL)  # fmt: skip
    enrollment = make_enrollment(make_citizen(), program, started_on=dt.date(2026, 2, 1))
    (record,) = _records(program)
    assert record["ID_REGISTRO"] == str(enrollment.id)
    assert (record["NU_PERIODO"], record["FH_INICIO_PERIODO"], record["FH_FIN_PERIODO"]) == (
        "1",
        "20260201",
        "",
    )
    assert record["CD_TIPO_BENEFICIO"] == layout.BENEFIT_KIND_CODES["in_kind"]
    assert record["NU_IMPORTE"] == ""
    assert record["CD_METODO_PAGO"] == layout.PAYMENT_METHOD_CODES["especie"]


def test_the_catalogs_payment_method_is_written(app):
    make_municipality()
    program = make_program(federal_payment_method="tarjeta", **FEDERAL)
    make_enrollment(make_citizen(), program, started_on=dt.date(2026, 2, 1))
    (record,) = _records(program)
    assert record["CD_METODO_PAGO"] == layout.PAYMENT_METHOD_CODES["tarjeta"]


def test_a_person_born_abroad_has_state_ne(app):
    make_municipality()
    program = make_program(**FEDERAL)
    born = dt.date(1988, 4, 2)
    code = curps.make_curp("Ana", "López", "Díaz", born, "M", state="NE", homoclave="0")
    make_enrollment(
        make_citizen(curp=code, birth_date=born, sex="M"), program, started_on=dt.date(2026, 3, 1)
    )
    (record,) = _records(program)
    assert record["CD_EDO_NAC"] == "NE"
    assert layout.check_record(list(record.values())) == []


def test_an_end_reason_outside_the_catalog_is_other(app):
    assert federal.end_cause_code("Cancelada por la persona.") == layout.OTHER_END_CAUSE
    assert federal.end_cause_code("Registro duplicado") == layout.END_CAUSE_CODES["duplicado"]


@pytest.mark.parametrize("fmt", layout.FORMATS)
def test_an_export_validates_against_the_documented_layout(world, fmt):
    export = federal.export(world["program"], fmt, None, TODAY)
    text = "".join(export.chunks())
    assert export.records_written == 6
    result = layout.validate(io.StringIO(text, newline=""), fmt, municipalities=_municipalities())
    assert result.valid, result.problems
    assert result.records == 6
    if fmt == "txt":
        lines = text.split("\r\n")
        assert lines[-1] == "" and len(lines) == 7
        assert all(line.count("|") == len(layout.COLUMNS) - 1 for line in lines[:-1])
    else:
        assert next(csv.reader(io.StringIO(text))) == list(layout.NAMES)


def test_the_demo_catalog_programs_all_export(app):
    load_catalog(demo_catalog())
    for n, program in enumerate(Program.select(), start=1):
        person = make_citizen(curp=valid_curp(n=n))
        make_enrollment(person, program, started_on=dt.date(2026, 2, 1))
        text = "".join(federal.export(program, "txt", None, TODAY).chunks())
        result = layout.validate(io.StringIO(text, newline=""), "txt")
        assert result.valid and result.records >= 1, (program.slug, result.problems)


# -- refusals -------------------------------------------------------------------------


def test_a_program_without_a_federal_code_is_refused(app):
    program = make_program()
    with pytest.raises(federal.FederalRollError) as refused:
        federal.export(program, "csv", None, TODAY)
    assert refused.value.field == "programa"
    assert "federal_roll.program_code" in refused.value.message


@pytest.mark.parametrize(
    ("fmt", "year", "field"),
    [("xlsx", None, "formato"), ("csv", 1999, "ejercicio"), ("txt", 2028, "ejercicio")],
)
def test_an_unknown_format_or_year_is_refused(app, fmt, year, field):
    program = make_program(**FEDERAL)
    with pytest.raises(federal.FederalRollError) as refused:
        federal.export(program, fmt, year, TODAY)
    assert refused.value.field == field


# -- the validator --------------------------------------------------------------------


@pytest.fixture
def good(world):
    return [list(r.values()) for r in _records(world["program"])]


@pytest.mark.parametrize(
    ("field", "value", "problem"),
    [
        ("NB_CURP", "GOMA850312MQTMRN0", "NB_CURP: debe tener 18"),
        ("FH_NACIMIENTO", "19800101", "FH_NACIMIENTO: no coincide"),
        ("FH_NACIMIENTO", "19901340", "FH_NACIMIENTO: no es una fecha"),
        ("CD_SEXO", "Q", 'CD_SEXO: "Q" no está en el catálogo'),
        ("CD_EDO_NAC", "NL", "CD_EDO_NAC: no coincide"),
        ("NB_NOMBRE", "José", "NB_NOMBRE: lleva caracteres"),
        ("NB_NOMBRE", "", "NB_NOMBRE: falta el valor"),
        ("NB_PRIMER_AP", "X" * 51, "NB_PRIMER_AP: admite a lo más 50"),
        ("NU_IMPORTE", "15OO", "NU_IMPORTE: debe llevar solo dígitos"),
        ("CD_ESTATUS_PAGO", "7", 'CD_ESTATUS_PAGO: "7" no está en el catálogo'),
        ("CD_ESTATUS_PAGO", layout.PENDING, "FH_PAGO: va solo"),
        ("NU_MES_PAGO", "02", "NU_MES_PAGO: no es el mes"),
        ("CD_CAUSA_BAJA", "4", "CD_CAUSA_BAJA: va solo"),
        ("CD_MUN_PAGO", "", "CD_MUN_PAGO: la entidad y el municipio"),
        ("CD_MUN_PAGO", "099", 'CD_MUN_PAGO: el municipio "22099"'),
        ("CD_METODO_PAGO", "99", 'CD_METODO_PAGO: "99" no está en el catálogo'),
        ("FH_INICIO_PERIODO", "20260301", "FH_FIN_PERIODO: es anterior"),
    ],
)
def test_the_validator_names_the_field_at_fault(good, field, value, problem):
    record = list(good[0])  # period 1 of the person paid in January
    record[layout.POSITION[field]] = value
    problems = layout.check_record(record, municipalities=_municipalities())
    assert any(p.startswith(problem) for p in problems), problems


def test_the_validator_checks_the_curps_check_digit(good):
    record = list(good[0])
    curp = record[layout.POSITION["NB_CURP"]]
    record[layout.POSITION["NB_CURP"]] = curp[:17] + str((int(curp[17]) + 1) % 10)
    assert layout.check_record(record) == [
        "NB_CURP: El dígito verificador no coincide; revise que la CURP esté bien escrita."
    ]


def test_the_validator_counts_the_fields(good):
    assert layout.check_record(good[0][:-1]) == [
        f"el registro tiene {len(layout.COLUMNS) - 1} campos; el formato lleva "
        f"{len(layout.COLUMNS)}"
    ]


def test_a_value_holding_the_delimiter_breaks_the_record(good):
    record = list(good[0])
    record[layout.POSITION["NB_NOMBRE"]] = "ANA|MARIA"
    line = layout.DELIMITER.join(record) + "\r\n"
    result = layout.validate([line], "txt")
    assert not result.valid and "campos" in result.problems[0]


def test_a_csv_with_another_header_is_refused(good):
    result = layout.validate(["CURP,NOMBRE\r\n"], "csv")
    assert result.problems == ["el encabezado del CSV no es el del formato"]


# -- the back office ------------------------------------------------------------------


def test_the_agency_admin_downloads_their_programs_roll_audited(world, login):
    admin = make_staff("admin_dependencia", world["agency"])
    client = login(admin)
    program = world["program"]
    response = client.get(f"/oficina/padron-federal/{program.slug}?formato=txt&ejercicio=2026")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    assert response.headers["Cache-Control"] == "no-store"
    assert "attachment" in response.headers["Content-Disposition"]
    assert f"padron-federal-S001-{program.slug}-2026.txt" in response.headers["Content-Disposition"]
    result = layout.validate(io.StringIO(response.get_data(as_text=True), newline=""), "txt")
    assert result.valid and result.records == _expected(program, 2026) >= 6
    entry = AuditEvent.get(AuditEvent.action == "padron.federal")
    assert (entry.object_id, entry.actor_id) == (program.slug, admin.id)
    assert entry.details == {"formato": "txt", "ejercicio": 2026}
    assert world["paid_person"].curp not in str(entry.details)


def test_the_state_admin_downloads_any_programs_roll_as_csv(world, login):
    client = login(make_staff("admin_estatal"))
    response = client.get(f"/oficina/padron-federal/{world['program'].slug}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    result = layout.validate(io.StringIO(response.get_data(as_text=True), newline=""), "csv")
    assert result.valid and result.records == _expected(world["program"]) >= 6


def test_another_agencys_admin_gets_404_and_nothing_is_audited(world, login):
    client = login(make_staff("admin_dependencia", make_agency()))
    response = client.get(f"/oficina/padron-federal/{world['program'].slug}")
    assert response.status_code == 404
    assert not AuditEvent.select().where(AuditEvent.action == "padron.federal").exists()


def test_an_agency_admin_lists_only_their_agencys_programs(world, login):
    other = make_program(make_agency(), name="Programa de otra dependencia", **FEDERAL)
    page = html(
        login(make_staff("admin_dependencia", world["agency"])).get("/oficina/padron-federal")
    )
    text = page_text(page)
    assert world["program"].name in text and other.name not in text
    assert not page.select(f"a[href*='/oficina/padron-federal/{other.slug}']")
    state = page_text(html(login(make_staff("admin_estatal")).get("/oficina/padron-federal")))
    assert world["program"].name in state and other.name in state


@pytest.mark.parametrize("role", ["revisor", "entrega", "supervisor"])
def test_other_roles_cannot_download_the_roll(world, login, role):
    client = login(make_staff(role, world["agency"]))
    assert client.get(f"/oficina/padron-federal/{world['program'].slug}").status_code == 403
    assert client.get("/oficina/padron-federal").status_code == 403


@pytest.mark.parametrize(
    ("query", "status", "message"),
    [
        ("formato=xlsx", 422, "Elija el formato: CSV o texto delimitado."),
        ("ejercicio=20x6", 422, "Escriba un año de cuatro cifras"),
        ("ejercicio=1990", 422, "El ejercicio debe ser un año entre"),
    ],
)
def test_bad_download_parameters_are_refused_in_spanish(world, login, query, status, message):
    client = login(make_staff("admin_estatal"))
    response = client.get(f"/oficina/padron-federal/{world['program'].slug}?{query}")
    assert response.status_code == status
    assert message in page_text(html(response))
    assert not AuditEvent.select().where(AuditEvent.action == "padron.federal").exists()


def test_a_program_without_a_code_answers_409_with_what_to_do(app, login):
    agency = make_agency()
    program = make_program(agency)
    client = login(make_staff("admin_dependencia", agency))
    response = client.get(f"/oficina/padron-federal/{program.slug}")
    assert response.status_code == 409
    assert "federal_roll.program_code" in page_text(html(response))


def test_the_page_lists_the_admins_programs_with_their_links(world, login):
    other = make_program(make_agency(), name="Programa ajeno", **FEDERAL)
    uncoded = make_program(world["agency"], name="Programa sin clave")
    client = login(make_staff("admin_dependencia", world["agency"]))
    page = html(client.get("/oficina/padron-federal?ejercicio=2026"))
    text = page_text(page)
    assert world["program"].name in text and uncoded.name in text
    assert other.name not in text
    links = {a["href"] for a in page.find_all("a", href=True)}
    assert f"/oficina/padron-federal/{world['program'].slug}?formato=txt&ejercicio=2026" in links
    assert not any(uncoded.slug in link for link in links)
    assert "Sin clave" in text


def test_the_page_refuses_a_bad_year_with_422(world, login):
    client = login(make_staff("admin_estatal"))
    response = client.get("/oficina/padron-federal?ejercicio=dos")
    assert response.status_code == 422
    assert "Escriba un año de cuatro cifras" in page_text(html(response))


# -- the command ----------------------------------------------------------------------


def test_the_command_writes_and_validates_the_same_export(world, tmp_path, app):
    out = tmp_path / "padron.txt"
    result = app.test_cli_runner().invoke(
        args=[
            "padron",
            "federal",
            world["program"].slug,
            "--out",
            str(out),
            "--formato",
            "txt",
            "--validar",
        ]  # fmt: skip
    )
    assert result.exit_code == 0, result.output
    assert "registros cumplen el formato" in result.output
    assert layout.validate(out.open(encoding="utf-8", newline=""), "txt").valid
    assert AuditEvent.get(AuditEvent.action == "padron.federal").details["via"] == "cli"


@pytest.mark.parametrize(
    ("args", "message"),
    [(["no-existe"], "No existe el programa"), (["--ejercicio", "1900"], "El ejercicio")],
)
def test_the_command_refuses_in_spanish(world, tmp_path, app, args, message):
    slug = args[0] if args[0] == "no-existe" else world["program"].slug
    extra = [] if args[0] == "no-existe" else args
    out = tmp_path / "padron.csv"
    result = app.test_cli_runner().invoke(
        args=["padron", "federal", slug, "--out", str(out), *extra]
    )
    assert result.exit_code != 0
    assert message in result.output
    assert not out.exists()
