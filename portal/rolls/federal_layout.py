"""The field layout of the federal single roll: one definition for the exporter,
the validator and the documentation.

The Padrón Único de Beneficiarios (PUB, the federal single roll that grew out
of the SIIPP-G) asks every state program for one record per person and benefit
paid, with the person (CURP, names, birth date, sex, state of birth), the
program and intra-program keys, the beneficiary's status, the benefit's type
and amount, the period and month of payment, how and where it was paid (INEGI
codes) and the household. :data:`COLUMNS` is that record, field by field, in
file order; :data:`CATALOGS` holds the codes the fields take, each built from a
catalog the portal already has (the CURP's, the catalog schema's, the end
causes of an enrollment) so that a code cannot drift from the data it stands
for.

Three readers use this module and nothing else: ``portal/rolls/federal.py``
writes records in this order, :func:`check_record` and :func:`validate` read a
file back against it, and ``docs/federal-roll.md`` holds :func:`markdown` (the
test ``tests/rolls/test_federal_roll.py`` fails when the page and the
definition differ; ``python -m portal.rolls.federal_layout`` prints the text).
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import unicodedata
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from portal.catalog.schema import BENEFIT_KINDS, PAYMENT_METHODS
from portal.citizens import curp as curps
from portal.delivery.ending import END_CAUSES
from portal.messages import spanish

ALPHANUMERIC, NUMERIC, DATE = "A", "N", "F"
KIND_NAMES = {
    ALPHANUMERIC: "alfanumérico (mayúsculas sin acentos; Ñ se conserva)",
    NUMERIC: "numérico (solo dígitos)",
    DATE: "fecha AAAAMMDD",
}
DELIMITER = "|"
FORMATS = ("csv", "txt")
# What an alphanumeric value may hold once cleaned: the file's delimiter, quotes,
# line breaks and accents never reach it.
TEXT_RE = re.compile(r"^[A-ZÑ0-9 .'-]*$")


@dataclass(frozen=True)
class Catalog:
    """The codes one field takes, and where in the data they come from."""

    name: str
    title: str
    source: str
    codes: dict[str, str]


@dataclass(frozen=True)
class Column:
    """One field of the record. ``fixed``: a value that is there has exactly
    ``length`` characters (dates, the CURP, INEGI codes); otherwise at most."""

    name: str
    kind: str
    length: int
    required: bool
    source: str
    meaning: str
    catalog: str = ""
    fixed: bool = False


# The codes the file uses for the catalog keys of the data. The tests check that
# every key of the data's catalog has a code here, so a new benefit kind, payment
# method or end cause cannot reach the file without one.
BENEFIT_KIND_CODES = {"cash": "1", "in_kind": "2", "service": "3"}
PAYMENT_METHOD_CODES = {
    "efectivo": "01",
    "tarjeta": "02",
    "transferencia": "03",
    "orden_pago": "04",
    "especie": "05",
    "servicio": "06",
}
END_CAUSE_CODES = {
    "fin_programa": "1",
    "ya_no_cumple": "2",
    "voluntaria": "3",
    "fallecimiento": "4",
    "duplicado": "5",
}
OTHER_END_CAUSE = "9"  # ended for a reason outside the catalog (e.g. the person cancelled)
ACTIVE, ENDED = "1", "2"
PAID, PENDING = "1", "2"

CATALOGS: dict[str, Catalog] = {
    c.name: c
    for c in (
        Catalog(
            "sexo",
            "Sexo",
            "`portal/citizens/curp.py` `SEXES` (el carácter 11 de la CURP)",
            dict(curps.SEXES),
        ),
        Catalog(
            "entidad_renapo",
            "Entidad de nacimiento (clave RENAPO)",
            "`portal/citizens/curp.py` `STATES` (los caracteres 12 y 13 de la CURP)",
            {code: name for code, (_inegi, name) in curps.STATES.items()},
        ),
        Catalog(
            "entidad_inegi",
            "Entidad federativa (clave INEGI)",
            "`portal/citizens/curp.py` `STATES` (claves INEGI de las 32 entidades)",
            {inegi: name for _code, (inegi, name) in curps.STATES.items() if inegi},
        ),
        Catalog(
            "estatus_beneficiario",
            "Estatus de la persona beneficiaria",
            "`Enrollment.active`",
            {ACTIVE: "Activa (inscripción vigente)", ENDED: "Baja (inscripción terminada)"},
        ),
        Catalog(
            "causa_baja",
            "Causa de la baja",
            "`portal/delivery/ending.py` `END_CAUSES` (el texto con que empieza "
            "`Enrollment.end_reason`)",
            {
                **{END_CAUSE_CODES[key]: spanish(text) for key, text in END_CAUSES.items()},
                OTHER_END_CAUSE: "Otra causa (por ejemplo, la persona canceló su solicitud)",
            },
        ),
        Catalog(
            "tipo_beneficio",
            "Tipo de apoyo",
            "`portal/catalog/schema.py` `BENEFIT_KINDS` (`Program.benefit_kind`)",
            {BENEFIT_KIND_CODES[key]: label for key, label in BENEFIT_KINDS.items()},
        ),
        Catalog(
            "estatus_pago",
            "Estatus del pago",
            "`Delivery` del periodo (existe o no)",
            {
                PAID: "Pagado o entregado",
                PENDING: "Pendiente (el periodo empezó y no se ha entregado)",
            },
        ),
        Catalog(
            "metodo_pago",
            "Forma de pago",
            "`portal/catalog/schema.py` `PAYMENT_METHODS` (`federal_roll.payment_method` del "
            "catálogo; si falta, la del tipo de apoyo)",
            {PAYMENT_METHOD_CODES[key]: label for key, label in PAYMENT_METHODS.items()},
        ),
    )
}

COLUMNS: tuple[Column, ...] = (
    Column("ID_REGISTRO", NUMERIC, 12, True, "`Enrollment.id`",
           "Clave de la inscripción en la Ventanilla Única (la misma en todos sus periodos)"),
    Column("CD_PROGRAMA", ALPHANUMERIC, 10, True,
           "`Program.federal_program_code` (catálogo: `federal_roll.program_code`)",
           "Clave del programa"),
    Column("CD_INTRAPROGRAMA", ALPHANUMERIC, 10, False,
           "`Program.federal_intra_program_code` (catálogo: `federal_roll.intra_program_code`)",
           "Clave intraprograma (vertiente o componente); vacía si el programa no tiene"),
    Column("NB_CURP", ALPHANUMERIC, 18, True, "`Citizen.curp`", "CURP", fixed=True),
    Column("NB_PRIMER_AP", ALPHANUMERIC, 50, True, "`Citizen.first_surname`",
           "Primer apellido"),
    Column("NB_SEGUNDO_AP", ALPHANUMERIC, 50, False, "`Citizen.second_surname`",
           "Segundo apellido; vacío si la persona no tiene"),
    Column("NB_NOMBRE", ALPHANUMERIC, 50, True, "`Citizen.given_names`", "Nombre(s)"),
    Column("FH_NACIMIENTO", DATE, 8, True, "`Citizen.birth_date`",
           "Fecha de nacimiento; coincide con la de la CURP", fixed=True),
    Column("CD_SEXO", ALPHANUMERIC, 1, True, "`Citizen.sex`",
           "Sexo; coincide con el de la CURP", "sexo", fixed=True),
    Column("CD_EDO_NAC", ALPHANUMERIC, 2, True, "`Citizen.curp`, caracteres 12 y 13",
           "Entidad de nacimiento; NE: nacida en el extranjero", "entidad_renapo", fixed=True),
    Column("ID_HOGAR", ALPHANUMERIC, 20, False, "(ninguna)",
           "Clave del hogar; siempre vacía: la Ventanilla Única no registra hogares"),
    Column("FH_ALTA", DATE, 8, True, "`Enrollment.started_on`",
           "Fecha de alta en el programa", fixed=True),
    Column("CD_ESTATUS_BEN", NUMERIC, 1, True, "`Enrollment.active`",
           "Estatus de la persona beneficiaria", "estatus_beneficiario", fixed=True),
    Column("CD_CAUSA_BAJA", NUMERIC, 1, False, "`Enrollment.end_reason`",
           "Causa de la baja; vacía si está activa", "causa_baja", fixed=True),
    Column("FH_BAJA", DATE, 8, False, "`Enrollment.ended_on`",
           "Fecha de la baja; vacía si está activa", fixed=True),
    Column("CD_TIPO_BENEFICIO", NUMERIC, 1, True, "`Program.benefit_kind`",
           "Tipo de apoyo", "tipo_beneficio", fixed=True),
    Column("NU_IMPORTE", NUMERIC, 10, False,
           "`Delivery.amount`; si no se ha pagado, `Enrollment.benefit_amount` o "
           "`Program.benefit_amount`",
           "Monto en pesos enteros; vacío si el apoyo no es en dinero"),
    Column("NU_PERIODO", NUMERIC, 3, True,
           "número del periodo (`portal/delivery/periods.py`, `Delivery.period`)",
           "Periodo del calendario del programa al que corresponde el apoyo (1, 2, ...)"),
    Column("FH_INICIO_PERIODO", DATE, 8, True, "inicio del periodo",
           "Primer día del periodo", fixed=True),
    Column("FH_FIN_PERIODO", DATE, 8, False, "fin del periodo",
           "Último día del periodo; vacío si el programa no tiene calendario", fixed=True),
    Column("CD_ESTATUS_PAGO", NUMERIC, 1, True, "`Delivery` del periodo",
           "Estatus del pago", "estatus_pago", fixed=True),
    Column("FH_PAGO", DATE, 8, False, "`Delivery.delivered_at` (fecha, UTC)",
           "Fecha de pago o entrega; vacía si está pendiente", fixed=True),
    Column("NU_MES_PAGO", NUMERIC, 2, False, "`Delivery.delivered_at` (mes)",
           "Mes de pago (01 a 12); vacío si está pendiente", fixed=True),
    Column("CD_METODO_PAGO", NUMERIC, 2, True, "`Program.federal_payment_method`",
           "Forma de pago", "metodo_pago", fixed=True),
    Column("CD_ENT_PAGO", NUMERIC, 2, False,
           "`DeliveryPoint.municipality`, dígitos 1 y 2 (el punto de la entrega; si está "
           "pendiente, el del calendario `DeliveryDate`)",
           "Entidad donde se pagó o se pagará; vacía si no se sabe", "entidad_inegi", fixed=True),
    Column("CD_MUN_PAGO", NUMERIC, 3, False, "`DeliveryPoint.municipality`, dígitos 3 a 5",
           "Municipio (clave INEGI, tabla `municipality`) donde se pagó o se pagará",
           fixed=True),
    Column("CD_LOC_PAGO", NUMERIC, 4, False, "(ninguna)",
           "Localidad (clave INEGI); siempre vacía: los puntos de entrega no la registran",
           fixed=True),
)  # fmt: skip

NAMES: tuple[str, ...] = tuple(c.name for c in COLUMNS)
POSITION = {name: i for i, name in enumerate(NAMES)}


# -- values as the file writes them ------------------------------------------------


def text(value: str | None, length: int) -> str:
    """An alphanumeric value: upper case, accents dropped (Ñ kept), anything the
    layout does not allow (the delimiter, quotes, line breaks) made a space,
    no leading punctuation, at most ``length`` characters."""
    upper = unicodedata.normalize("NFC", value or "").upper().replace("Ñ", "\0")
    plain = "".join(
        c for c in unicodedata.normalize("NFD", upper) if not unicodedata.combining(c)
    ).replace("\0", "Ñ")
    kept = "".join(c if TEXT_RE.match(c) else " " for c in plain)
    # Nor does it start with a sign a spreadsheet would read as a formula.
    return " ".join(kept.split()).lstrip(".'- ")[:length].rstrip()


def date_value(day: dt.date | None) -> str:
    return f"{day.year:04d}{day.month:02d}{day.day:02d}" if day else ""


# -- validation ----------------------------------------------------------------------


def _as_date(value: str) -> dt.date | None:
    if len(value) != 8 or not value.isdigit():
        return None
    try:
        return dt.date(int(value[:4]), int(value[4:6]), int(value[6:]))
    except ValueError:
        return None


def check_value(column: Column, value: str) -> str | None:
    """What is wrong with one value of ``column`` (in Spanish), or None."""
    if not value:
        return "falta el valor" if column.required else None
    if column.fixed and len(value) != column.length:
        return f"debe tener {column.length} caracteres, no {len(value)}"
    if len(value) > column.length:
        return f"admite a lo más {column.length} caracteres, no {len(value)}"
    if column.kind == NUMERIC and not value.isdigit():
        return f'debe llevar solo dígitos: "{value}"'
    if column.kind == DATE and _as_date(value) is None:
        return f'no es una fecha AAAAMMDD: "{value}"'
    if column.kind == ALPHANUMERIC and not TEXT_RE.match(value):
        return "lleva caracteres que el formato no admite (acentos, minúsculas, signos)"
    if column.catalog and value not in CATALOGS[column.catalog].codes:
        return f'"{value}" no está en el catálogo {CATALOGS[column.catalog].title}'
    return None


def check_record(
    values: Sequence[str], *, municipalities: Collection[str] | None = None
) -> list[str]:
    """Every problem of one record, each naming its field; [] when it is valid.

    ``municipalities`` (5-digit INEGI codes, e.g. the ``municipality`` table)
    also checks that the place of payment exists.
    """
    if len(values) != len(COLUMNS):
        return [f"el registro tiene {len(values)} campos; el formato lleva {len(COLUMNS)}"]
    problems = []
    for column, value in zip(COLUMNS, values, strict=True):
        problem = check_value(column, value)
        if problem:
            problems.append(f"{column.name}: {problem}")
    if problems:
        return problems
    row = dict(zip(NAMES, values, strict=True))
    try:
        curp = curps.validate(row["NB_CURP"])
    except curps.CurpError as exc:
        return [f"NB_CURP: {spanish(exc.text)}"]
    if _as_date(row["FH_NACIMIENTO"]) != curps.birth_date(curp):
        problems.append("FH_NACIMIENTO: no coincide con la fecha de nacimiento de la CURP")
    if row["CD_SEXO"] != curp[10]:
        problems.append("CD_SEXO: no coincide con el sexo de la CURP")
    if row["CD_EDO_NAC"] != curp[11:13]:
        problems.append("CD_EDO_NAC: no coincide con los caracteres 12 y 13 de la CURP")
    ended = row["CD_ESTATUS_BEN"] == ENDED
    if ended != bool(row["CD_CAUSA_BAJA"]):
        problems.append("CD_CAUSA_BAJA: va solo, y siempre, cuando el estatus es baja")
    if row["FH_BAJA"] and not ended:
        problems.append("FH_BAJA: va solo cuando el estatus es baja")
    paid = row["CD_ESTATUS_PAGO"] == PAID
    if paid != bool(row["FH_PAGO"]):
        problems.append("FH_PAGO: va solo, y siempre, cuando el pago está hecho")
    if row["NU_MES_PAGO"] != row["FH_PAGO"][4:6]:
        problems.append("NU_MES_PAGO: no es el mes de FH_PAGO")
    if row["FH_FIN_PERIODO"] and row["FH_FIN_PERIODO"] < row["FH_INICIO_PERIODO"]:
        problems.append("FH_FIN_PERIODO: es anterior al inicio del periodo")
    if row["NU_IMPORTE"] and row["CD_TIPO_BENEFICIO"] != BENEFIT_KIND_CODES["cash"]:
        problems.append("NU_IMPORTE: solo los apoyos en dinero llevan monto")
    if bool(row["CD_ENT_PAGO"]) != bool(row["CD_MUN_PAGO"]):
        problems.append("CD_MUN_PAGO: la entidad y el municipio de pago van juntos")
    elif row["CD_MUN_PAGO"] and municipalities is not None:
        code = row["CD_ENT_PAGO"] + row["CD_MUN_PAGO"]
        if code not in municipalities:
            problems.append(f'CD_MUN_PAGO: el municipio "{code}" no está en el catálogo de INEGI')
    if row["CD_LOC_PAGO"] and not row["CD_MUN_PAGO"]:
        problems.append("CD_LOC_PAGO: la localidad va con su municipio")
    return problems


@dataclass
class Validation:
    """What :func:`validate` found: records read and the first problems."""

    records: int = 0
    problems: list[str] = field(default_factory=list)
    more: int = 0  # problems found beyond the ones kept

    @property
    def valid(self) -> bool:
        return not self.problems


MAX_PROBLEMS = 100


def records_of(lines: Iterable[str], fmt: str) -> Iterator[list[str]]:
    """The records of a file in ``fmt`` (its header checked and skipped for CSV)."""
    if fmt == "csv":
        reader = csv.reader(lines)
        header = next(reader, None)
        if header != list(NAMES):
            raise ValueError("el encabezado del CSV no es el del formato")
        yield from reader
    elif fmt == "txt":
        for line in lines:
            yield line.rstrip("\r\n").split(DELIMITER)
    else:
        raise ValueError(f"formato desconocido {fmt!r}")


def validate(
    lines: Iterable[str], fmt: str, *, municipalities: Collection[str] | None = None
) -> Validation:
    """Check a whole file, line by line (constant memory), against :data:`COLUMNS`."""
    result = Validation()
    try:
        for number, values in enumerate(records_of(lines, fmt), start=1):
            result.records += 1
            for problem in check_record(values, municipalities=municipalities):
                if len(result.problems) < MAX_PROBLEMS:
                    result.problems.append(f"registro {number}: {problem}")
                else:
                    result.more += 1
    except ValueError as exc:
        result.problems.append(str(exc))
    return result


# -- the documentation ---------------------------------------------------------------


def markdown() -> str:
    """The field table and the catalogs, as docs/federal-roll.md holds them."""
    lines = [
        "| # | campo | tipo | longitud | obligatorio | origen en los datos | catálogo | qué es |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for number, c in enumerate(COLUMNS, start=1):
        length = f"{c.length}" if c.fixed else f"hasta {c.length}"
        catalog = f"[{CATALOGS[c.catalog].title}](#catalogo-{c.catalog})" if c.catalog else ""
        lines.append(
            f"| {number} | `{c.name}` | {c.kind} | {length} | {'sí' if c.required else 'no'} "
            f"| {c.source} | {catalog} | {c.meaning} |"
        )
    lines.append("")
    lines.append("Tipos: " + "; ".join(f"{k}: {v}" for k, v in KIND_NAMES.items()) + ".")
    for entry in CATALOGS.values():
        lines += [
            "",
            f'<a id="catalogo-{entry.name}"></a>',
            f"#### {entry.title}",
            "",
            f"Origen: {entry.source}.",
            "",
            "| clave | significado |",
            "| --- | --- |",
        ]
        lines += [f"| `{code}` | {label} |" for code, label in entry.codes.items()]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(markdown(), end="")
