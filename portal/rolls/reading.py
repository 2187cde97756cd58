"""Reading a roll file: CSV or XLSX, its header, its cells as plain text and dates.

Nothing here needs the database or a Flask app: the judging process
(portal/rolls/pipeline.py) reads the file with these functions alone.
"""

from __future__ import annotations

import codecs
import csv
import functools
import hashlib
import io
import re
import unicodedata
import zipfile
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from operator import itemgetter
from pathlib import Path
from typing import IO, Any

from portal.messages import _l

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
    # The address, mapped to the state's catalogs where it can be (portal/territory/matching.py).
    "locality": (
        "localidad",
        "nombre localidad",
        "clave localidad",
        "cve loc",
        "clave inegi localidad",
    ),
    "postal_code": ("codigo postal", "cp", "c p", "cod postal"),
    "settlement": ("colonia", "asentamiento", "colonia o asentamiento", "nombre colonia"),
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
# A roll is read from a path (the ``padron import`` command's own file) or from
# bytes (a web upload, kept encrypted at rest: portal/rolls/files.py decrypts it
# into memory for the import, never into a plain file).

Source = Path | bytes


def open_binary(source: Source) -> IO[bytes]:
    return open(source, "rb") if isinstance(source, Path) else io.BytesIO(source)


def sniff_kind(source: Source) -> str:
    """``csv`` or ``xlsx`` from the bytes themselves; RollError otherwise."""
    with open_binary(source) as fh:
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
            try:
                head.decode("cp1252", errors="strict")
            except UnicodeDecodeError:
                raise RollError(
                    _l("El archivo no es un CSV ni un libro de Excel (.xlsx).")
                ) from None
    return "csv"


def _csv_encoding(source: Source) -> str:
    """UTF-8 when every byte decodes as such, else Windows-1252 (what Excel on
    Windows writes as "CSV"); decoded in blocks, so a line of any length costs
    no more memory than a block."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    with open_binary(source) as fh:
        try:
            for block in iter(lambda: fh.read(1 << 20), b""):
                decoder.decode(block)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "cp1252"
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
    text = str(value)
    if len(text) > LIMITS.cell:
        raise _cell_too_long()
    return text


def _too_many_rows() -> RollError:
    return RollError(
        _l(
            "El archivo pasa de %(limit)s filas. Divídalo en archivos más pequeños.",
            limit=f"{LIMITS.rows:,}",
        )
    )


def _too_many_columns() -> RollError:
    return RollError(_l("Una fila del archivo pasa de %(limit)s columnas.", limit=LIMITS.columns))


def _cell_too_long() -> RollError:
    return RollError(
        _l("Una celda del archivo pasa de %(limit)s caracteres.", limit=f"{LIMITS.cell:,}")
    )


def _xlsx_rows(source: Source) -> Iterator[Sequence[Any]]:
    from openpyxl import load_workbook

    check_xlsx(source)
    try:
        workbook = load_workbook(
            source if isinstance(source, Path) else io.BytesIO(source),
            read_only=True,
            data_only=True,
        )
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise RollError(
            _l("No se pudo leer el libro de Excel; guárdelo de nuevo como .xlsx.")
        ) from exc
    try:
        sheet = workbook.worksheets[0]
        # The sheet's declared dimension is not trusted: "A1:XFD1048576" would
        # pad every row to 16,384 cells.
        sheet.reset_dimensions()
        count = 0
        for row in sheet.iter_rows(values_only=True):
            if len(row) > LIMITS.columns:
                raise _too_many_columns()
            if any(v not in (None, "") for v in row):
                count += 1
                if count > LIMITS.rows + 1:
                    raise _too_many_rows()
                yield [_cell(v) for v in row]
    finally:
        workbook.close()


def _bounded_lines(fh: IO[str]) -> Iterator[str]:
    """The file's lines, refusing one longer than LIMITS.line characters
    before reading further (a single line of 150 MB is never held)."""
    limit = LIMITS.line
    readline = fh.readline
    while line := readline(limit + 1):
        if len(line) > limit:
            raise RollError(
                _l(
                    "Una línea del archivo pasa de %(limit)s caracteres; no parece un padrón.",
                    limit=f"{limit:,}",
                )
            )
        yield line


def _csv_rows(source: Source) -> Iterator[Sequence[Any]]:
    encoding = _csv_encoding(source)
    with io.TextIOWrapper(open_binary(source), encoding=encoding, newline="") as fh:
        sample = fh.readline(LIMITS.line + 1)
        delimiter = max((";", ",", "\t", "|"), key=sample.count)
        fh.seek(0)
        reader = csv.reader(_bounded_lines(fh), delimiter=delimiter)
        count = 0
        try:
            for row in reader:
                # Blank lines are skipped; a line of spaces is judged (and rejected).
                if any(row):
                    count += 1
                    if count > LIMITS.rows + 1:
                        raise _too_many_rows()
                    if len(row) > LIMITS.columns:
                        raise _too_many_columns()
                    yield row
        except csv.Error as exc:  # a quoted cell past csv's own field limit, a NUL
            raise RollError(
                _l("El CSV está dañado cerca de la fila %(row)s.", row=reader.line_num)
            ) from exc


def read_rows(source: Source, kind: str | None = None) -> Iterator[Sequence[Any]]:
    """The rows of the file, header first, as sequences of cells."""
    kind = kind or sniff_kind(source)
    return _xlsx_rows(source) if kind == "xlsx" else _csv_rows(source)


def count_rows(source: Source, kind: str | None = None) -> int:
    """Data rows (header excluded), for progress bars.

    A CSV's lines are counted on its bytes, a tenth of the time of parsing it:
    a quoted line break inside a cell (rare in rolls) only makes the bar's end
    a row too far; the batch's counts come from the import itself.
    """
    kind = kind or sniff_kind(source)
    if kind == "xlsx":
        return max(sum(1 for _ in read_rows(source, kind)) - 1, 0)
    lines = blank = 0
    last = b"\n"
    with open_binary(source) as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            lines += block.count(b"\n")
            blank += block.count(b"\n\n") + block.count(b"\r\n\r\n")
            last = block[-1:]
    if last != b"\n":
        lines += 1  # no line break after the last row
    return max(lines - blank - 1, 0)


def file_sha256(source: Source) -> str:
    if isinstance(source, bytes):
        return hashlib.sha256(source).hexdigest()
    digest = hashlib.sha256()
    with open(source, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def check_file(source: Source, kind: str) -> None:
    """Everything the bounds refuse, found before any row is imported: for an
    XLSX the whole structure (:func:`check_xlsx`), for a CSV its lines and rows
    (one pass over the bytes)."""
    if kind == "xlsx":
        check_xlsx(source)
        return
    lines = 0
    longest = 0
    carried = 0  # bytes of the current line seen in earlier blocks
    with open_binary(source) as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            parts = block.split(b"\n")
            lines += len(parts) - 1
            if len(parts) == 1:
                carried += len(block)
            else:
                longest = max(longest, carried + len(parts[0]), *map(len, parts[1:-1]))
                carried = len(parts[-1])
            # Bytes, not characters: a UTF-8 line of LIMITS.line characters
            # may take up to four times as many bytes.
            if max(longest, carried) > 4 * LIMITS.line:
                break
    if max(longest, carried) > 4 * LIMITS.line:
        raise RollError(
            _l(
                "Una línea del archivo pasa de %(limit)s caracteres; no parece un padrón.",
                limit=f"{LIMITS.line:,}",
            )
        )
    if lines > LIMITS.rows + 1:
        raise _too_many_rows()


# --- Bounds on what a file may expand to --------------------------------------------------


@dataclass(frozen=True)
class Limits:
    """How far a roll file may expand while it is read.

    An XLSX is a zip of XML parts: 151 KB can hold a 150 MB string, which
    openpyxl would build in memory (with the shared-strings table, whole).
    Each part is decompressed here as a stream, counting the bytes it really
    yields (a zip entry's declared size may lie) and scanning them for long
    text, so nothing is held whole before it is known to be within these
    bounds; the rows openpyxl then yields are bounded in count, width and
    cell length too.
    """

    rows: int = 2_000_000  # data rows
    columns: int = 200
    cell: int = 10_000  # characters in one cell
    line: int = 65_536  # characters in one CSV line
    zip_entries: int = 1_000
    part_bytes: int = 1 << 30  # a worksheet, decompressed
    shared_strings_bytes: int = 64 << 20  # loaded whole by openpyxl
    other_part_bytes: int = 16 << 20  # styles, workbook, relationships...
    expanded_bytes: int = 2 << 30  # every part together
    ratio: int = 200  # decompressed / compressed, for a part past ratio_from bytes
    ratio_from: int = 1 << 20


LIMITS = Limits()


def _bomb() -> RollError:
    return RollError(
        _l(
            "El libro de Excel se expande a mucho más de lo que un padrón ocupa; "
            "no se leyó. Guárdelo de nuevo como .xlsx o como CSV."
        )
    )


def _damaged_xlsx() -> RollError:
    return RollError(_l("No se pudo leer el libro de Excel; guárdelo de nuevo como .xlsx."))


def _part_limit(name: str) -> int:
    if name.startswith("xl/worksheets/"):
        return LIMITS.part_bytes
    if name == "xl/sharedStrings.xml":
        return LIMITS.shared_strings_bytes
    return LIMITS.other_part_bytes


def check_xlsx(source: Source) -> None:
    """Refuse, with RollError, a workbook past :data:`LIMITS` or damaged, in
    memory bounded by a block per part whatever the file holds."""
    try:
        with zipfile.ZipFile(open_binary(source)) as archive:
            entries = archive.infolist()
            if len(entries) > LIMITS.zip_entries:
                raise _bomb()
            if sum(e.file_size for e in entries) > LIMITS.expanded_bytes:
                raise _bomb()
            for entry in entries:
                limit = _part_limit(entry.filename)
                if entry.file_size > limit:
                    raise _bomb()
                if entry.file_size > LIMITS.ratio_from and entry.file_size > LIMITS.ratio * max(
                    entry.compress_size, 1
                ):
                    raise _bomb()
            expanded = 0
            for entry in entries:
                expanded += _check_part(archive, entry, _part_limit(entry.filename))
                if expanded > LIMITS.expanded_bytes:
                    raise _bomb()
    except RollError:
        raise
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError,
            ValueError) as exc:  # fmt: skip
        raise _damaged_xlsx() from exc


def _check_part(archive: zipfile.ZipFile, entry: zipfile.ZipInfo, limit: int) -> int:
    """Decompress one part as a stream (zipfile stops at the declared size and
    checks the CRC), counting what it really holds; in an XML part, refuse a
    DTD (entity expansion), a run of text past what LIMITS.cell characters can
    take, and, in a worksheet, more rows than LIMITS.rows. Byte scans at C
    speed: no parser runs here, and openpyxl later meets only bounded text.
    Returns the bytes the part holds."""
    xml = entry.filename.endswith((".xml", ".rels"))
    sheet = entry.filename.startswith("xl/worksheets/")
    size = rows = run = 0
    tail = b""  # the end of the previous block, for a declaration cut in two
    with archive.open(entry) as part:
        while block := part.read(1 << 16):
            size += len(block)
            if size > limit:
                raise _bomb()
            if not xml:
                continue
            joined = tail + block
            if b"<!DOCTYPE" in joined or b"<!ENTITY" in joined:
                raise _bomb()
            tail = block[-16:]
            run = _longest_text_run(block, run)
            if sheet:
                rows += block.count(b"<row ") + block.count(b"<row>")
                if rows > LIMITS.rows + 1:
                    raise _too_many_rows()
    return size


def _longest_text_run(block: bytes, carried: int) -> int:
    """Raise when text between two tags runs past the bytes LIMITS.cell
    characters may take (as entities, up to ten bytes each); return the length
    of the run the block ends in, for the next block."""
    limit = 10 * LIMITS.cell
    first = block.find(b"<")
    if first == -1:
        carried += len(block)
        if carried > limit:
            raise _cell_too_long()
        return carried
    if carried + first > limit or _long_text(limit).search(block, first):
        raise _cell_too_long()
    return len(block) - block.rfind(b"<") - 1


@functools.cache
def _long_text(limit: int) -> re.Pattern[bytes]:
    return re.compile(rb"[^<]{%d,}" % (limit + 1))


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
