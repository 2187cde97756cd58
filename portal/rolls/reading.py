"""Reading a roll file: CSV or XLSX, its header, its cells as plain text and dates.

Nothing here needs the database or a Flask app: the judging process
(portal/rolls/pipeline.py) reads the file with these functions alone.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from datetime import date, datetime
from operator import itemgetter
from pathlib import Path
from typing import Any

from flask_babel import lazy_gettext as _l

# Canonical column -> header variants, compared after normalize_text().
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
    "curp": _l("CURP"),
    "given_names": _l("nombre(s)"),
    "first_surname": _l("primer apellido"),
}
# The order in which judging receives a row's cells (see cell_picker()).
CELL_ORDER = tuple(HEADER_ALIASES)

DATE_FORMATS = ("%d/%m/%Y", "%d-%m-%Y", "%Y/%m/%d", "%d.%m.%Y", "%d/%m/%y")


class RollError(ValueError):
    """The file as a whole cannot be imported; ``message`` is for people.

    The message may be a lazy translation: it is worded in the language of
    whoever reads it (``str()`` of it, where it is stored, is the portal's own).
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def normalize_text(value: str) -> str:
    """Lower case, no accents, punctuation as spaces, single spaces."""
    plain = unicodedata.normalize("NFD", value.lower())
    plain = "".join(c for c in plain if unicodedata.category(c) != "Mn")
    return " ".join(re.sub(r"[^a-z0-9]+", " ", plain).split())


def clean_name(value: Any) -> str:
    """A name with single spaces and none at its ends."""
    text = value if isinstance(value, str) else str(value)
    # Most names are already clean; only rebuild the ones that are not.
    if text[:1] == " " or text[-1:] == " " or "  " in text or "\t" in text:
        return " ".join(text.split())
    return text


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
            raise RollError(
                _l("La columna «%(header)s» aparece dos veces en el encabezado.", header=header)
            )
        mapping[column] = position
    missing = [str(COLUMN_LABELS[c]) for c in REQUIRED_COLUMNS if c not in mapping]
    if missing:
        raise RollError(
            _l(
                "Al archivo le faltan columnas obligatorias: %(columns)s. "
                "La primera fila debe tener los nombres de las columnas.",
                columns=", ".join(missing),
            )
        )
    return mapping


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


# --- Files ------------------------------------------------------------------------------


def sniff_kind(path: Path) -> str:
    """``csv`` or ``xlsx`` from the bytes themselves; RollError otherwise."""
    with open(path, "rb") as fh:
        head = fh.read(4096)
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if not head or b"\x00" in head:
        raise RollError(_l("El archivo no es un CSV ni un libro de Excel (.xlsx)."))
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


def _xlsx_rows(path: Path) -> Iterator[Sequence[Any]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise RollError(
            _l("No se pudo leer el libro de Excel; guárdelo de nuevo como .xlsx.")
        ) from exc
    try:
        for row in workbook.worksheets[0].iter_rows(values_only=True):
            if any(v not in (None, "") for v in row):
                yield [_cell(v) for v in row]
    finally:
        workbook.close()


def _csv_rows(path: Path) -> Iterator[Sequence[Any]]:
    encoding = _csv_encoding(path)
    with open(path, encoding=encoding, newline="") as fh:
        sample = fh.readline()
        delimiter = max((";", ",", "\t", "|"), key=sample.count)
        fh.seek(0)
        for row in csv.reader(fh, delimiter=delimiter):
            # Blank lines are skipped; a line of spaces is judged (and rejected).
            if any(row):
                yield row


def read_rows(path: Path, kind: str | None = None) -> Iterator[Sequence[Any]]:
    """The rows of the file, header first, as sequences of cells."""
    kind = kind or sniff_kind(path)
    return _xlsx_rows(path) if kind == "xlsx" else _csv_rows(path)


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


# --- Dates --------------------------------------------------------------------------------

date_cache: dict[Any, date | None] = {}


def parse_date(raw: Any) -> date | None:
    """A date from a cell: a real date, ISO, or the usual Mexican day-first forms.

    Remembered in ``date_cache`` (a roll repeats few dates), which judging
    also reads directly, before calling this.
    """
    if isinstance(raw, date):
        return raw
    text = str(raw).strip()
    if text in date_cache:
        return date_cache[text]
    found = _day_first_or_iso(text)
    if found is None:
        found = _any_date_format(text)
    if len(date_cache) < 200_000:
        date_cache[text] = found
    return found


def _day_first_or_iso(text: str) -> date | None:
    try:
        if len(text) >= 10 and text[4] == "-":
            return date.fromisoformat(text[:10])
        if len(text) == 10 and text[2] in "/-." and text[5] == text[2]:
            return date(int(text[6:]), int(text[3:5]), int(text[:2]))
    except ValueError:
        return None
    return None


def _any_date_format(text: str) -> date | None:
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None
