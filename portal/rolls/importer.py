"""Bulk upload of beneficiary rolls (carga masiva de padrones).

An agency brings the roll of one of its programs as CSV or XLSX. Every row is
judged against what the roll provides:

* the CURP (shape, inconvenient words, birth date, check digit: portal/citizens/curp.py);
* birth date and sex, when given, agree with the CURP (missing ones are taken
  from it, since the CURP encodes both);
* the municipality (INEGI code, its three last digits, or its name) is one of
  the state's;
* the program's rules on the fields a roll can hold (age on the row's date,
  birth date, sex, municipality, state): rules on fields the roll lacks
  (income, household...) are not failures, since the agency vouches for them;
* the CURP appears once in the file;
* the person is not already enrolled in the program, nor in another program of
  its exclusion group (one query on the same key the unique index guards).

Accepted rows reuse the citizen record with that CURP or create one (origin
``import``) and get an enrollment (source ``padron``). Everything a batch
writes (citizens, enrollments, rejected rows, the final counts) happens in one
transaction: a crash, even ``kill -9``, leaves nothing of it, and running the
batch again (same file: same batch, found by its SHA-256) resumes it. A batch
that finished is never run again, so re-importing a file creates nothing new;
the same rows in another file are rejected as already enrolled.

Speed (bench/import.py): rows are validated in Python in chunks, for a large
roll in a second process while this one writes (:func:`judged_chunks`);
existing CURPs and enrollments are looked up a chunk at a time with ``IN``
lists; inserts go through ``executemany`` of plain tuples; the program's rules
are compiled once; a roll that at least doubles a table rebuilds that table's
plain indexes at its end instead of keeping them current row by row.
On SQLite the import's connection gets a page cache large enough for the
citizen indexes (random CURPs otherwise evict each other's pages), new
citizens are inserted in CURP order (neighbouring index pages), and their ids
are numbered from the table's largest id instead of being read back: the
write lock held by the transaction makes that numbering certain.
"""

from __future__ import annotations

import csv
import fcntl
import gc
import hashlib
import io
import json
import os
import pickle
import re
import struct
import subprocess
import sys
import time
import traceback
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from operator import itemgetter
from pathlib import Path
from typing import Any, NamedTuple

from portal.citizens import curp as curp_mod
from portal.eligibility.engine import predicate
from portal.eligibility.profile import age_on
from portal.models import Citizen, ImportBatch, ImportRejection, Municipality, Program, utcnow
from portal.transparency import public as transparency
from portal.web.database import SQLITE_PRAGMAS, is_sqlite, write
from portal.web.exports import csv_lines
from portal.web.extensions import db

CHUNK = 5000
# Page cache of the import's SQLite connection (KiB): holds the citizen
# indexes of a state of several million people; SQLite takes it as it goes.
IMPORT_CACHE_KIB = 1_000_000

# Canonical column -> header variants, compared after normalize_header().
HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "curp": ("curp", "clave curp", "clave unica de registro de poblacion"),
    "given_names": ("nombre", "nombres", "nombre s", "nombre del beneficiario"),
    "first_surname": ("primer apellido", "apellido paterno", "paterno", "apellido 1"),
    "second_surname": ("segundo apellido", "apellido materno", "materno", "apellido 2"),
    "birth_date": ("fecha de nacimiento", "fecha nacimiento", "nacimiento", "f nacimiento"),
    "sex": ("sexo", "genero"),
    "municipality": ("municipio", "clave municipio", "cve mun", "clave inegi", "municipio inegi"),
    "amount": ("monto", "beneficio", "importe", "monto del apoyo", "monto beneficio"),
    "started_on": ("fecha", "fecha de alta", "fecha de inicio", "fecha de entrega", "fecha alta"),
}
REQUIRED_COLUMNS = ("curp", "given_names", "first_surname")
COLUMN_LABELS = {
    "curp": "CURP",
    "given_names": "nombre(s)",
    "first_surname": "primer apellido",
}

SEX_VALUES = {
    "h": "H", "hombre": "H", "masculino": "H", "m": "M", "mujer": "M", "femenino": "M",
    "x": "X", "no binario": "X",
}  # fmt: skip
DATE_FORMATS = ("%d/%m/%Y", "%d-%m-%Y", "%Y/%m/%d", "%d.%m.%Y", "%d/%m/%y")
MAX_AMOUNT = 10_000_000
MAX_NAME = 100

# Roll fields a program rule may be judged on; other fields stay undecided.
ROLL_RULE_FIELDS = frozenset({"birth_date", "age", "sex", "municipality", "state", "in_state"})

_RENAPO_STATES = "|".join(curp_mod.STATES)
_CURP_SHAPE = re.compile(rf"[A-Z]{{4}}\d{{6}}[HMX](?:{_RENAPO_STATES})[A-Z]{{3}}[0-9A-Z]\d")

REPORT_HEADER = ("fila", "curp", "nombre", "motivos")


class RollError(ValueError):
    """The file as a whole cannot be imported; ``message`` is for people."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def normalize_text(value: str) -> str:
    """Lower case, no accents, punctuation as spaces, single spaces."""
    plain = unicodedata.normalize("NFD", value.lower())
    plain = "".join(c for c in plain if unicodedata.category(c) != "Mn")
    return " ".join(re.sub(r"[^a-z0-9]+", " ", plain).split())


_ALIAS_TO_COLUMN = {
    alias: column for column, aliases in HEADER_ALIASES.items() for alias in aliases
}


def map_headers(headers: Sequence[Any]) -> dict[str, int]:
    """Canonical column -> position; raises RollError for missing or repeated columns."""
    mapping: dict[str, int] = {}
    for position, header in enumerate(headers):
        column = _ALIAS_TO_COLUMN.get(normalize_text(str(header or "")))
        if column is None:
            continue
        if column in mapping:
            raise RollError(f"La columna «{header}» aparece dos veces en el encabezado.")
        mapping[column] = position
    missing = [COLUMN_LABELS[c] for c in REQUIRED_COLUMNS if c not in mapping]
    if missing:
        raise RollError(
            "Al archivo le faltan columnas obligatorias: " + ", ".join(missing) + ". "
            "La primera fila debe tener los nombres de las columnas."
        )
    return mapping


# --- Reading files ----------------------------------------------------------------------


def sniff_kind(path: Path) -> str:
    """``csv`` or ``xlsx`` from the bytes themselves; RollError otherwise."""
    with open(path, "rb") as fh:
        head = fh.read(4096)
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if not head or b"\x00" in head:
        raise RollError("El archivo no es un CSV ni un libro de Excel (.xlsx).")
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A cut multi-byte character at the end of the sample is still UTF-8.
        if exc.start < len(head) - 3:
            head.decode("cp1252", errors="strict")
    return "csv"


def _csv_encoding(path: Path) -> str:
    with open(path, "rb") as fh:
        try:
            for _line in io.TextIOWrapper(fh, encoding="utf-8-sig"):
                pass
        except UnicodeDecodeError:
            return "cp1252"  # what Excel on Windows writes as "CSV"
    return "utf-8-sig"


def _cell(value: Any) -> str | date:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def read_rows(path: Path, kind: str | None = None) -> Iterator[Sequence[Any]]:
    """The rows of the file, header first, as sequences of cells."""
    kind = kind or sniff_kind(path)
    if kind == "xlsx":
        from openpyxl import load_workbook

        try:
            workbook = load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many types for a damaged file
            raise RollError(
                "No se pudo leer el libro de Excel; guárdelo de nuevo como .xlsx."
            ) from exc
        try:
            for row in workbook.worksheets[0].iter_rows(values_only=True):
                if any(v not in (None, "") for v in row):
                    yield [_cell(v) for v in row]
        finally:
            workbook.close()
        return
    encoding = _csv_encoding(path)
    with open(path, encoding=encoding, newline="") as fh:
        sample = fh.readline()
        delimiter = max((";", ",", "\t", "|"), key=sample.count)
        fh.seek(0)
        for row in csv.reader(fh, delimiter=delimiter):
            # Blank lines are skipped; a line of spaces is judged (and rejected).
            if any(row):
                yield row


def count_rows(path: Path, kind: str | None = None) -> int:
    """Data rows (header excluded), for progress bars.

    A CSV's lines are counted on its bytes, a tenth of the time of parsing it:
    a quoted line break inside a cell (rare in rolls) only makes the bar's end
    a row too far; the batch's counts come from the import itself.
    """
    kind = kind or sniff_kind(path)
    if kind == "xlsx":
        return max(sum(1 for _ in read_rows(path, kind)) - 1, 0)
    lines = blank = 0
    last = b"\n"
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            lines += block.count(b"\n")
            blank += block.count(b"\n\n") + block.count(b"\r\n\r\n")
            last = block[-1:]
    if last != b"\n":
        lines += 1  # no line break after the last row
    return max(lines - blank - 1, 0)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# --- Judging rows ---------------------------------------------------------------------


@dataclass
class RollContext:
    """What judging a row needs, computed once per batch.

    It crosses to the judging process (see :func:`judged_chunks`) by pickle;
    the compiled rules are closures, so they are compiled again on arrival.
    """

    program_id: int
    program_name: str
    exclusion_key: str
    default_amount: int | None
    state_code: str
    municipalities: dict[str, str]  # code, 3-digit code and normalized name -> INEGI code
    conditions: list[dict]  # the program's eligibility conditions, as stored
    today: date
    program_names: dict[int, str] = field(default_factory=dict)
    amounts: dict[str, int] = field(default_factory=dict)  # raw text -> pesos, memoized
    # What the batch adds to the statistics summaries (portal/transparency/public.py):
    # (municipality or "", sex, birth year) and start month -> new enrollments.
    cells: Counter = field(default_factory=Counter)
    months: Counter = field(default_factory=Counter)
    rules: list[tuple[str, Callable[[Any], bool], str]] = field(init=False)

    def __post_init__(self) -> None:
        self.rules = compile_rules(self.conditions)

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "rules"}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self.__post_init__()


def _rule_value(field_name: str, op: str, value: Any) -> Any:
    if field_name == "birth_date":
        if isinstance(value, list):
            return tuple(date.fromisoformat(v) for v in value)
        return date.fromisoformat(value) if isinstance(value, str) else value
    return tuple(value) if isinstance(value, list) else value


def compile_rules(conditions: Iterable[dict]) -> list[tuple[str, Callable[[Any], bool], str]]:
    """The program's conditions a roll can be judged on, as (field, test, reason)."""
    rules = []
    for c in conditions:
        if c["field"] in ROLL_RULE_FIELDS:
            value = _rule_value(c["field"], c["op"], c.get("value"))
            rules.append((c["field"], predicate(c["op"], value), c.get("reason") or ""))
    return rules


def build_context(program: Program, today: date | None = None) -> RollContext:
    state_code = os.environ.get("STATE_CODE", "")
    rows = list(Municipality.select())
    if not state_code:
        # The state is the one whose municipalities the portal holds.
        codes = {m.state_code for m in rows}
        state_code = codes.pop() if len(codes) == 1 else "22"
    municipalities: dict[str, str] = {}
    for m in rows:
        if m.state_code != state_code:
            continue
        municipalities[m.code] = m.code
        municipalities[m.code[2:]] = m.code
        municipalities[str(int(m.code[2:]))] = m.code
        municipalities[normalize_text(m.name)] = m.code
    names = {p.id: p.name for p in Program.select(Program.id, Program.name)}
    return RollContext(
        program_id=program.id,
        program_name=program.name,
        exclusion_key=program.exclusion_key,
        default_amount=program.benefit_amount,
        state_code=state_code,
        municipalities=municipalities,
        conditions=list(program.eligibility or []),
        today=today or date.today(),
        program_names=names,
    )


class Row(NamedTuple):
    """An accepted row (a named tuple: built a million times per large roll).

    Dates are ISO text, as they are written, and cheap to send between processes.
    """

    number: int
    curp: str
    given_names: str
    first_surname: str
    second_surname: str
    birth_date: str
    sex: str
    municipality: str | None
    amount: int | None
    started_on: str


Rejection = tuple[int, str, str, list[str]]  # row number, CURP, name, reasons
Chunk = tuple[int, list[Row], list[Rejection]]  # rows read, accepted rows, rejections


_curp_dates: dict[str, date | None] = {}


def _curp_birth_date(curp: str) -> date | None:
    """Birth date from positions 5-10 and the century rule, cached (few distinct values)."""
    key = curp[4:10] + ("0" if curp[16].isdigit() else "A")
    found = _curp_dates.get(key, False)
    if found is False:
        century = 1900 if key[-1] == "0" else 2000
        try:
            found = date(century + int(key[0:2]), int(key[2:4]), int(key[4:6]))
        except ValueError:
            found = None
        _curp_dates[key] = found
    return found


def check_curp(raw: str) -> tuple[str, str | None, date | None]:
    """(normalized CURP, problem or None, birth date it encodes or None).

    Fast path for well-formed CURPs; portal/citizens/curp.py words the message of
    anything else."""
    value = raw.strip().upper()
    if len(value) == 18 and _CURP_SHAPE.fullmatch(value):
        born = _curp_birth_date(value)
        if (
            born is not None
            and value[:4] not in curp_mod.INCONVENIENT_WORDS
            and curp_mod.check_digit(value[:17]) == value[17]
        ):
            return value, None, born
    try:
        value = curp_mod.validate(raw)
    except curp_mod.CurpError as exc:
        return curp_mod.normalize(raw)[:18], exc.message, None
    return value, None, _curp_birth_date(value)


_date_cache: dict[str, date | None] = {}


def parse_date(raw: Any) -> date | None:
    """A date from a cell: a real date, ISO, or the usual Mexican day-first forms."""
    if isinstance(raw, date):
        return raw
    text = str(raw).strip()
    found = _date_cache.get(text, False)
    if found is not False:
        return found
    found = None
    try:
        if len(text) >= 10 and text[4] == "-":
            found = date.fromisoformat(text[:10])
        elif len(text) == 10 and text[2] in "/-." and text[5] == text[2]:
            found = date(int(text[6:]), int(text[3:5]), int(text[:2]))
    except ValueError:
        found = None
    if found is None:
        for fmt in DATE_FORMATS:
            try:
                found = datetime.strptime(text, fmt).date()
                break
            except ValueError:
                continue
    if len(_date_cache) < 200_000:
        _date_cache[text] = found
    return found


def _clean_name(value: Any) -> str:
    text = value if isinstance(value, str) else str(value)
    # Most names are already clean; only rebuild the ones that are not.
    if text[:1] == " " or text[-1:] == " " or "  " in text or "\t" in text:
        return " ".join(text.split())
    return text


# The order in which judge_row receives a row's cells.
CELL_ORDER = tuple(HEADER_ALIASES)


def cell_picker(columns: dict[str, int]) -> Callable[[Sequence[Any]], tuple]:
    """A function taking a file row to its cells in CELL_ORDER ("" for absent ones).

    One C-level ``itemgetter`` per row instead of a lookup per cell: columns
    the file lacks, and cells a short row lacks, point one past the widest
    column, where the picker puts an empty cell.
    """
    width = max(columns.values()) + 1
    getter = itemgetter(*(columns.get(c, width) for c in CELL_ORDER))
    padding = [""] * (width + 1)

    def pick(cells: Sequence[Any]) -> tuple:
        if len(cells) == width:
            return getter([*cells, ""])
        return getter([*cells[:width], *padding[len(cells[:width]) :]])

    return pick


def judge_row(
    number: int, cells: Sequence[Any], ctx: RollContext
) -> tuple[Row | None, list[str], str]:
    """(row, [], curp) when the row is fine on its own, else (None, reasons, curp).

    ``cells`` are in CELL_ORDER (see :func:`cell_picker`)."""
    reasons: list[str] = []
    (raw_curp, raw_given, raw_first, raw_second, raw_birth, raw_sex, raw_mun, raw_amount,
     raw_start) = cells  # fmt: skip
    curp, problem, curp_birth = check_curp(str(raw_curp))
    if problem:
        reasons.append(problem)
    # Most rows' names are clean: one test on the three together, and only the
    # rows it flags (a "|" inside a name flags falsely, harmlessly) are rebuilt.
    names = f"|{raw_given}|{raw_first}|{raw_second}|"
    if " |" in names or "| " in names or "  " in names or "\t" in names:
        given, first, second = (
            _clean_name(raw_given),
            _clean_name(raw_first),
            _clean_name(raw_second),
        )
    else:
        given, first, second = str(raw_given), str(raw_first), str(raw_second)
    if not given:
        reasons.append("Falta el nombre.")
    if not first:
        reasons.append("Falta el primer apellido.")
    if len(given) > MAX_NAME or len(first) > MAX_NAME or len(second) > MAX_NAME:
        reasons.append(f"Un nombre o apellido pasa de {MAX_NAME} caracteres.")

    birth = None
    if raw_birth != "" and raw_birth is not None:
        # The cache lookup inline: a roll repeats few dates, and this runs per row.
        birth = _date_cache.get(raw_birth) or parse_date(raw_birth)
        if birth is None:
            reasons.append(
                f"La fecha de nacimiento «{raw_birth}» no es una fecha "
                "(use AAAA-MM-DD o DD/MM/AAAA)."
            )
    raw_sex = str(raw_sex).strip()
    sex = None
    if raw_sex:
        sex = SEX_VALUES.get(raw_sex.lower()) or SEX_VALUES.get(normalize_text(raw_sex))
        if sex is None:
            reasons.append(f"El sexo «{raw_sex}» no se reconoce (use H, M o X).")

    raw_mun = str(raw_mun).strip()
    municipality = None
    if raw_mun:
        found = ctx.municipalities.get(raw_mun)
        municipality = found or ctx.municipalities.get(normalize_text(raw_mun))
        if municipality is None:
            reasons.append(f"El municipio «{raw_mun}» no es un municipio del estado.")

    raw_amount = str(raw_amount).strip()
    amount = ctx.default_amount
    if raw_amount:
        amount = ctx.amounts.get(raw_amount)
        if amount is None:
            try:
                amount = round(float(raw_amount.replace("$", "").replace(",", "").replace(" ", "")))
            except ValueError:
                reasons.append(f"El monto «{raw_amount}» no es una cantidad.")
            else:
                if not 0 <= amount <= MAX_AMOUNT:
                    reasons.append("El monto debe estar entre 0 y 10,000,000 pesos.")
                elif len(ctx.amounts) < 10_000:
                    ctx.amounts[raw_amount] = amount

    started = ctx.today
    if raw_start != "" and raw_start is not None:
        parsed = _date_cache.get(raw_start) or parse_date(raw_start)
        if parsed is None:
            reasons.append(f"La fecha «{raw_start}» no es una fecha (use AAAA-MM-DD o DD/MM/AAAA).")
        else:
            started = parsed

    if problem:
        return None, reasons, curp
    if (birth is not None and birth != curp_birth) or (sex is not None and sex != curp[10]):
        reasons.extend(curp_mod.check_consistency(curp, birth, sex))
    birth = curp_birth
    sex = curp[10]
    if birth > started:
        reasons.append("La persona nace después de la fecha de alta.")
    elif started > ctx.today:
        reasons.append("La fecha de alta es posterior a hoy.")
    elif ctx.rules:
        # The enrollment is active from its start to today: the rules must hold
        # on both dates (a child program's 16-year-old of three years ago is 19).
        for on in {started, ctx.today}:
            values = {"birth_date": birth, "age": age_on(birth, on), "sex": sex}
            if municipality is not None:
                values.update(
                    municipality=municipality,
                    state=municipality[:2],
                    in_state=municipality[:2] == ctx.state_code,
                )
            for field_name, test, reason in ctx.rules:
                value = values.get(field_name)
                if value is not None and not test(value) and reason not in reasons:
                    reasons.append(reason or "No cumple una regla del programa.")
    if reasons:
        return None, reasons, curp
    return (
        Row(
            number,
            curp,
            given,
            first,
            second,
            birth.isoformat(),
            sex,
            municipality,
            amount,
            started.isoformat(),
        ),
        [],
        curp,
    )


# --- Writing ----------------------------------------------------------------------------


def _param() -> str:
    return db.obj.param


def _select_in(
    sql_before_in: str, values: Sequence[Any], params: Sequence[Any] = ()
) -> list[tuple]:
    """Run ``sql_before_in (…values…)`` in slices the database accepts."""
    found: list[tuple] = []
    p = _param()
    for start in range(0, len(values), CHUNK):
        part = values[start : start + CHUNK]
        sql = f"{sql_before_in} ({', '.join([p] * len(part))})"
        found.extend(db.execute_sql(sql, (*params, *part)).fetchall())
    return found


def _insert_many(table: str, columns: Sequence[str], rows: list[tuple]) -> None:
    if not rows:
        return
    p = _param()
    # Table and column names are this module's constants; values go as parameters.
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join([p] * len(columns))})"  # noqa: S608
    cursor = db.cursor()
    cursor.executemany(sql, rows)


def _citizen_constants() -> tuple[list[str], tuple]:
    """Columns of a citizen row the roll does not fill, with the model's defaults."""
    filled = {
        "id", "curp", "given_names", "first_surname", "second_surname", "birth_date", "sex",
        "municipality", "origin", "created_at", "updated_at",
    }  # fmt: skip
    columns, values = [], []
    for f in Citizen._meta.sorted_fields:
        if f.name in filled:
            continue
        default = f.default() if callable(f.default) else f.default
        columns.append(f.column_name)
        values.append(f.db_value(default))
    return columns, tuple(values)


CITIZEN_COLUMNS = (
    "curp", "given_names", "first_surname", "second_surname", "birth_date", "sex",
    "municipality_id", "origin", "created_at", "updated_at",
)  # fmt: skip
ENROLLMENT_COLUMNS = (
    "citizen_id", "program_id", "exclusion_key", "source", "import_batch", "active",
    "benefit_amount", "started_on", "created_at", "end_reason",
)  # fmt: skip
REJECTION_COLUMNS = ("batch_id", "row_number", "curp", "name", "reasons")


@dataclass
class Counts:
    total: int = 0
    accepted: int = 0
    rejected: int = 0
    new_citizens: int = 0


def _write_chunk(
    rows: list[Row],
    rejections: list[Rejection],
    ctx: RollContext,
    batch_id: int,
    counts: Counts,
) -> None:
    now = str(utcnow())
    # Statistics count an enrollment under its citizen record's municipality,
    # sex and birth year, which for people already recorded is the record's.
    found = _select_in(
        "SELECT id, curp, municipality_id, sex, birth_date FROM citizen WHERE curp IN",
        [r.curp for r in rows],
    )
    existing = {curp: cid for cid, curp, *_rest in found}
    recorded = {curp: (mun or "", sex, int(str(born)[:4])) for _id, curp, mun, sex, born in found}
    if existing:
        enrolled = dict(
            _select_in(
                "SELECT citizen_id, program_id FROM enrollment WHERE active "  # noqa: S608
                f"AND exclusion_key = {_param()} AND citizen_id IN",
                list(existing.values()),
                (ctx.exclusion_key,),
            )
        )
        kept = []
        for row in rows:
            program_id = enrolled.get(existing.get(row.curp, -1))
            if program_id is None:
                kept.append(row)
            elif program_id == ctx.program_id:
                rejections.append(
                    (row.number, row.curp, _full_name(row), ["Ya está inscrita en este programa."])
                )
            else:
                other = ctx.program_names.get(program_id, "otro programa")
                rejections.append(
                    (
                        row.number,
                        row.curp,
                        _full_name(row),
                        [f"No se puede combinar con {other}, que ya recibe."],
                    )
                )
        rows = kept

    extra_columns, extra_values = _citizen_constants()
    new = sorted((r for r in rows if r.curp not in existing), key=_by_curp)
    sqlite = is_sqlite()
    first_id = 0
    if sqlite and new:
        first_id = db.execute_sql("SELECT COALESCE(MAX(id), 0) + 1 FROM citizen").fetchone()[0]
    _insert_many(
        "citizen",
        (*(("id",) if sqlite else ()), *CITIZEN_COLUMNS, *extra_columns),
        [
            (
                *((first_id + i,) if sqlite else ()),
                r.curp,
                r.given_names,
                r.first_surname,
                r.second_surname,
                r.birth_date,
                r.sex,
                r.municipality,
                "import",
                now,
                now,
                *extra_values,
            )
            for i, r in enumerate(new)
        ],
    )
    if sqlite:
        existing.update((r.curp, first_id + i) for i, r in enumerate(new))
    elif new:
        existing.update(
            (curp, cid)
            for cid, curp in _select_in(
                "SELECT id, curp FROM citizen WHERE curp IN", [r.curp for r in new]
            )
        )
    # In citizen id order, so the enrollment indexes led by citizen_id fill
    # neighbouring pages.
    ids = sorted((existing[r.curp], r) for r in rows)
    _insert_many(
        "enrollment",
        ENROLLMENT_COLUMNS,
        [
            (
                citizen_id,
                ctx.program_id,
                ctx.exclusion_key,
                "padron",
                str(batch_id),
                True,
                r.amount,
                r.started_on,
                now,
                "",
            )
            for citizen_id, r in ids
        ],
    )
    _insert_many(
        "import_rejection",
        REJECTION_COLUMNS,
        [
            (batch_id, number, curp[:40], name[:200], json.dumps(reasons, ensure_ascii=False))
            for number, curp, name, reasons in rejections
        ],
    )
    for r in rows:
        ctx.cells[recorded.get(r.curp) or (r.municipality or "", r.sex, int(r.birth_date[:4]))] += 1
        ctx.months[r.started_on[:7]] += 1
    counts.accepted += len(rows)
    counts.rejected += len(rejections)
    counts.new_citizens += len(new)


def _by_curp(row: Row) -> str:
    return row.curp


def _full_name(row: Row) -> str:
    return " ".join(p for p in (row.given_names, row.first_surname, row.second_surname) if p)


def _cells_name(cells: Sequence[Any]) -> str:
    """The name of a rejected row, from its cells in CELL_ORDER."""
    return " ".join(_clean_name(p) for p in cells[1:4] if str(p).strip())


Progress = Callable[[int, int], None]


def prepare_batch(
    path: Path, filename: str, program: Program, created_by_id: int | None = None
) -> tuple[ImportBatch, bool]:
    """Register the file as a batch, checking it can be read at all.

    Returns (batch, True) when there is work to do, or the finished batch of
    the same file and False: re-importing a file creates nothing new. A batch
    that failed or was interrupted is reused, so the import resumes.
    """
    kind = sniff_kind(path)
    header = next(read_rows(path, kind), None)
    if header is None:
        raise RollError("El archivo está vacío.")
    map_headers(header)
    digest = file_sha256(path)
    with write():
        batch = ImportBatch.get_or_none(program=program, sha256=digest)
        if batch is None:
            batch = ImportBatch.create(
                program=program, filename=filename[:200], sha256=digest, created_by=created_by_id
            )
        elif batch.status != "terminado":
            batch.status, batch.error, batch.processed = "pendiente", "", 0
            batch.save()
    return batch, batch.status != "terminado"


def run_batch(
    batch_id: int,
    path: Path,
    *,
    progress: Progress | None = None,
    today: date | None = None,
    parallel: bool | None = None,
) -> ImportBatch:
    """Judge and write every row of the batch in one transaction.

    On any error the transaction is rolled back and the batch marked
    ``fallido`` with a reason people can read; a file that cannot be read is
    not re-raised, anything else is. ``parallel`` judges the rows in a second
    process (see :func:`judged_chunks`); by default, for rolls of
    PARALLEL_MIN_ROWS rows or more.
    """
    started = utcnow()
    sqlite = is_sqlite()
    try:
        total = count_rows(path)
        if sqlite:
            db.execute_sql(f"PRAGMA cache_size = -{IMPORT_CACHE_KIB}")
        with write():
            batch = ImportBatch.get_by_id(batch_id)
            if batch.status == "terminado":
                return batch  # another run finished it while this one waited for the lock
            with without_cycle_collector():
                counts = _import(batch, path, total, progress, today, parallel)
            batch.status = "terminado"
            batch.total_rows, batch.accepted, batch.rejected = (
                counts.total,
                counts.accepted,
                counts.rejected,
            )
            batch.new_citizens, batch.processed = counts.new_citizens, counts.total
            batch.started_at, batch.finished_at, batch.error = started, utcnow(), ""
            batch.save()
            return batch
    except RollError as exc:
        return _fail(batch_id, exc.message)
    except Exception as exc:  # the batch must end up in a state people can read
        message = "La carga no se completó; no se guardó ninguna fila. Intente de nuevo."
        if type(exc).__name__ == "IntegrityError":
            message = (
                "Mientras se cargaba, otra operación inscribió a alguna persona del archivo; "
                "no se guardó ninguna fila. Vuelva a subir el archivo."
            )
        _fail(batch_id, message)
        raise
    finally:
        if sqlite:
            # The connection goes back to serving requests: give the memory back.
            db.execute_sql(f"PRAGMA cache_size = {SQLITE_PRAGMAS['cache_size']}")


@contextmanager
def without_cycle_collector() -> Iterator[None]:
    """Pause Python's cycle collector while a roll is judged or written.

    A roll makes millions of tuples and strings that never form cycles, yet
    each batch of allocations sets off a collection that walks every object
    the process holds: with a large heap that was a tenth of an import's time.
    Reference counting still frees everything as usual; only cycles (made by
    other threads meanwhile) wait until the import ends.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _fail(batch_id: int, message: str) -> ImportBatch:
    with write():
        ImportBatch.update(status="fallido", error=message, finished_at=utcnow()).where(
            ImportBatch.id == batch_id
        ).execute()
    return ImportBatch.get_by_id(batch_id)


def _import(
    batch: ImportBatch,
    path: Path,
    total: int,
    progress: Progress | None,
    today: date | None,
    parallel: bool | None,
) -> Counts:
    ctx = build_context(batch.program, today)
    summary_current = transparency.summary_is_current()
    ImportRejection.delete().where(ImportRejection.batch == batch.id).execute()
    if parallel is None:
        # A second process needs a second CPU, and an interpreter to start.
        parallel = total >= PARALLEL_MIN_ROWS and (os.cpu_count() or 1) > 1 and bool(sys.executable)
    counts = Counts()
    rebuild = _set_aside_indexes(total) if is_sqlite() else []
    # closing(): on an error the judging process ends now, not when the
    # traceback holding this generator is let go.
    with closing(judged_chunks(path, ctx, parallel=parallel)) as chunks:
        for read, good, rejections in chunks:
            counts.total += read
            _write_chunk(good, rejections, ctx, batch.id, counts)
            if progress:
                progress(counts.total, total)
    for sql in rebuild:
        db.execute_sql(sql)
    if summary_current:
        transparency.add_to_summary(ctx.program_id, ctx.cells, ctx.months)
    if progress:
        progress(counts.total, total)
    return counts


# Tables a roll writes to, whose plain (not unique) indexes a large roll drops
# and builds again at its end.
INDEXED_TABLES = ("citizen", "enrollment")


def _set_aside_indexes(rows: int) -> list[str]:
    """Drop the plain indexes of the tables a roll of ``rows`` rows at least
    doubles, and return the statements that build them again (SQLite).

    Keeping an index current costs about a microsecond per row and index,
    building it again from scratch (a sort) about half that per row of the
    whole table: for a roll as large as the table, rebuilding wins. Unique
    indexes stay, since the import's look-ups and the duplicate guarantees
    rest on them; everything happens inside the import's transaction, so a
    crash leaves the indexes as they were.
    """
    statements: list[str] = []
    for table in INDEXED_TABLES:
        # The largest id: a stand-in for the row count that costs no scan.
        held = db.execute_sql(f"SELECT COALESCE(MAX(id), 0) FROM {table}").fetchone()[0]  # noqa: S608
        if rows < 2 * held:
            continue
        indexes = db.execute_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? "
            "AND sql IS NOT NULL AND sql NOT LIKE 'CREATE UNIQUE%'",
            (table,),
        ).fetchall()
        for name, sql in indexes:
            db.execute_sql(f'DROP INDEX "{name}"')
            statements.append(sql)
    return statements


# --- Judging a whole file ---------------------------------------------------------------

# From this many rows on, a second process reads and judges the file while this
# one writes what it has judged (the two halves of the work take about as
# long each); below it, starting that process costs more than it saves.
PARALLEL_MIN_ROWS = 50_000
QUEUED_CHUNKS = 8  # how far the judging process may run ahead of the writer


def judge_file(path: Path, ctx: RollContext) -> Iterator[Chunk]:
    """The file's rows judged in order, about CHUNK rows at a time.

    A CURP met again in the file is rejected, naming the row where it came first.
    """
    rows_iter = read_rows(path)
    pick = cell_picker(map_headers(next(rows_iter)))
    first_row: dict[str, int] = {}
    read = 0
    good: list[Row] = []
    rejections: list[Rejection] = []
    for number, raw in enumerate(rows_iter, start=2):
        read += 1
        cells = pick(raw)
        row, reasons, curp = judge_row(number, cells, ctx)
        if row is not None:
            seen = first_row.setdefault(row.curp, number)
            if seen != number:
                row, reasons = None, [f"La CURP ya aparece en la fila {seen} del archivo."]
        if row is None:
            rejections.append((number, curp, _cells_name(cells), reasons))
        else:
            good.append(row)
        if read == CHUNK:
            yield read, good, rejections
            read, good, rejections = 0, [], []
    yield read, good, rejections


def judged_chunks(path: Path, ctx: RollContext, *, parallel: bool = False) -> Iterator[Chunk]:
    """:func:`judge_file`'s chunks, judged here or, with ``parallel``, in a
    second process so that judging and writing overlap.

    The second process is a plain ``python -c`` (multiprocessing's spawn would
    run the caller's main script again, and fork copies a threaded web
    process): it gets the path and the context pickled on its standard input
    and answers with pickled chunks on its standard output, which a large pipe
    lets it fill QUEUED_CHUNKS ahead of the writer. It dies of a broken pipe
    if this process dies, even by ``kill -9``.
    """
    if not parallel:
        yield from judge_file(path, ctx)
        return
    root = str(Path(__file__).resolve().parents[2])
    search = os.pathsep.join(filter(None, (root, os.environ.get("PYTHONPATH"))))
    judge = subprocess.Popen(  # noqa: S603 - this interpreter, a fixed command
        [sys.executable, "-c", "from portal.rolls.importer import judge_child; judge_child()"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env=dict(os.environ, PYTHONPATH=search),
    )
    try:
        _widen_pipe(judge.stdout.fileno())
        judge.stdin.write(pickle.dumps((path, ctx), pickle.HIGHEST_PROTOCOL))
        judge.stdin.close()
        while (item := _receive(judge)) is not None:
            if isinstance(item, BaseException):
                raise item
            read, good, rejections = item
            yield read, list(map(Row._make, good)), rejections
    finally:
        if judge.poll() is None:
            judge.kill()
        judge.wait()
        judge.stdout.close()


_FRAME = struct.Struct("!Q")


def judge_child() -> None:
    """The judging process (see :func:`judged_chunks`): chunks, then None, or
    the error that stopped it."""
    gc.disable()  # see without_cycle_collector: this process only judges rows
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # a stray print must not land in the middle of a chunk
    try:
        path, ctx = pickle.load(sys.stdin.buffer)  # noqa: S301 - from the parent process
        try:
            for read, good, rejections in judge_file(path, ctx):
                # Plain tuples pickle five times faster than named tuples.
                _send(out, (read, [tuple(r) for r in good], rejections))
            _send(out, None)
        except RollError as exc:
            _send(out, RollError(exc.message))
        except Exception:  # noqa: BLE001 - whatever it is, the writer must hear of it
            _send(out, RuntimeError("judging the roll failed:\n" + traceback.format_exc()))
        out.flush()
    except BrokenPipeError:
        os._exit(1)  # the writer is gone: there is nobody to tell


def _send(out: Any, item: Any) -> None:
    data = pickle.dumps(item, pickle.HIGHEST_PROTOCOL)
    out.write(_FRAME.pack(len(data)))
    out.write(data)


def _receive(judge: subprocess.Popen) -> Any:
    header = judge.stdout.read(_FRAME.size)
    data = judge.stdout.read(_FRAME.unpack(header)[0]) if len(header) == _FRAME.size else b""
    if not data:
        raise RuntimeError(f"the judging process ended early (exit code {judge.wait()})")
    return pickle.loads(data)  # noqa: S301 - from our own child process


def _widen_pipe(fd: int) -> None:
    """Let the pipe hold QUEUED_CHUNKS chunks (Linux; elsewhere it stays as it is)."""
    try:
        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, QUEUED_CHUNKS * 256 * 1024)
    except (AttributeError, OSError):
        pass


# --- Progress between processes ------------------------------------------------------


class ProgressFile:
    """Progress of a running batch, readable from other requests and processes.

    The batch's own row cannot carry it: it changes inside the import's
    transaction, which nobody else sees until it commits.
    """

    STALE_AFTER = 120  # seconds without news: the run died (the batch can be resumed)

    def __init__(self, folder: str | Path, batch_id: int) -> None:
        self.path = Path(folder) / f"progreso-{batch_id}.json"

    def __call__(self, processed: int, total: int) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"processed": processed, "total": total, "at": time.time()}))
        os.replace(tmp, self.path)

    def read(self) -> dict | None:
        try:
            data = json.loads(self.path.read_text())
        except (OSError, ValueError):
            return None
        data["stale"] = time.time() - data["at"] > self.STALE_AFTER
        return data

    def remove(self) -> None:
        self.path.unlink(missing_ok=True)


# --- Report -------------------------------------------------------------------------------


def report_rows(batch_id: int) -> Iterator[tuple]:
    query = (
        ImportRejection.select()
        .where(ImportRejection.batch == batch_id)
        .order_by(ImportRejection.row_number)
    )
    for r in query.iterator():
        yield (r.row_number, r.curp, r.name, "; ".join(r.reasons))


def report_csv(batch_id: int) -> Iterator[str]:
    return csv_lines(REPORT_HEADER, report_rows(batch_id))
