"""Bounds on what a roll file may expand to: XLSX bombs and CSV monsters are
refused with a message, in memory bounded whatever the file would expand to."""

from __future__ import annotations

import io
import struct
import tracemalloc
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import Workbook

from portal.models import ImportBatch
from portal.rolls import reading, writing
from portal.rolls.cli import cli as padron_cli
from portal.rolls.reading import RollError
from tests.factories import make_municipality, make_program, make_staff
from tests.padron_builders import HEADER, person, write_roll
from tests.support.html import html

MB = 1 << 20
# What checking may allocate, whatever the file expands to: a few blocks of
# decompressed data and the parser's buffers. The bombs below expand to 150 MB.
MEMORY_BOUND = 16 * MB


@pytest.fixture
def place(app):
    make_municipality("22014", "Querétaro")


def workbook_bytes(rows: list[list[str]]) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in [HEADER, *rows]:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def with_part(base: bytes, name: str, write: Callable[[io.BufferedWriter], None]) -> bytes:
    """``base`` (an XLSX) with the part ``name`` replaced by what ``write`` streams
    into it (so a 150 MB part never sits in this process's memory whole)."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(base)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for entry in source.infolist():
            if entry.filename != name:
                target.writestr(entry, source.read(entry))
        with target.open(name, "w") as part:
            write(part)  # type: ignore[arg-type]
    return out.getvalue()


def shared_string_bomb(size: int = 150 * MB) -> bytes:
    """A workbook whose sharedStrings.xml holds one string of ``size`` characters."""

    def write(part) -> None:
        part.write(b'<?xml version="1.0" encoding="UTF-8"?>')
        part.write(b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" ')
        part.write(b'count="1" uniqueCount="1"><si><t>')
        block = b"A" * MB
        for _ in range(size // MB):
            part.write(block)
        part.write(b"A" * (size % MB))
        part.write(b"</t></si></sst>")

    return with_part(workbook_bytes([person(1)]), "xl/sharedStrings.xml", write)


def refused_within_bound(source: reading.Source) -> RollError:
    """The refusal raised by the upload's checks, and that they stayed in MEMORY_BOUND."""
    tracemalloc.start()
    try:
        with pytest.raises(RollError) as refused:
            writing.check_source(source)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < MEMORY_BOUND, f"checking took {peak / MB:.1f} MB"
    return refused.value


def test_an_ordinary_workbook_passes_and_is_read(tmp_path):
    data = workbook_bytes([person(n) for n in range(30)])
    writing.check_source(data)
    assert len(list(reading.read_rows(data))) == 31


def test_a_workbook_with_one_huge_shared_string_is_refused_in_bounded_memory():
    bomb = shared_string_bomb()
    assert len(bomb) < 2 * MB  # small on the wire, 150 MB once expanded
    error = refused_within_bound(bomb)
    assert "se expande" in str(error.message) or "caracteres" in str(error.message)


def test_a_shared_string_past_the_cell_limit_is_refused_even_when_the_part_is_small():
    error = refused_within_bound(shared_string_bomb(size=MB // 2))
    assert "pasa de 10,000 caracteres" in str(error.message)


def test_a_part_whose_declared_size_lies_is_refused_in_bounded_memory():
    """The zip's headers say the shared strings take 200 bytes; they expand to 150 MB."""
    bomb = bytearray(shared_string_bomb())
    name = b"xl/sharedStrings.xml"
    with zipfile.ZipFile(io.BytesIO(bytes(bomb))) as archive:
        entry = archive.getinfo(name.decode())
        directory = archive.start_dir
    lied = struct.pack("<L", 200)
    # The uncompressed size: at byte 22 of the local header, at byte 24 of the
    # entry in the central directory (46 bytes before the entry's name).
    bomb[entry.header_offset + 22 : entry.header_offset + 26] = lied
    in_directory = bomb.index(name, directory) - 46
    assert bomb[in_directory : in_directory + 4] == b"PK\x01\x02"
    bomb[in_directory + 24 : in_directory + 28] = lied
    with zipfile.ZipFile(io.BytesIO(bytes(bomb))) as archive:
        assert archive.getinfo(name.decode()).file_size == 200
    error = refused_within_bound(bytes(bomb))
    assert "Excel" in str(error.message)


def test_a_part_that_expands_past_the_ratio_is_refused_before_reading_it():
    bomb = shared_string_bomb(size=40 * MB)
    with zipfile.ZipFile(io.BytesIO(bomb)) as archive:
        entry = archive.getinfo("xl/sharedStrings.xml")
    assert entry.file_size > reading.LIMITS.ratio * entry.compress_size
    error = refused_within_bound(bomb)
    assert "se expande" in str(error.message)


def test_an_inline_string_in_the_sheet_past_the_limit_is_refused():
    def write(part) -> None:
        part.write(
            b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/'
            b'spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>'
        )
        part.write(b"x" * (reading.LIMITS.cell + 1))
        part.write(b"</t></is></c></row></sheetData></worksheet>")

    bomb = with_part(workbook_bytes([]), "xl/worksheets/sheet1.xml", write)
    assert "caracteres" in str(refused_within_bound(bomb).message)


def test_a_cell_far_to_the_right_or_a_huge_declared_dimension(monkeypatch):
    far = with_part(
        workbook_bytes([]),
        "xl/worksheets/sheet1.xml",
        lambda part: part.write(
            b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            b'<sheetData><row r="1"><c r="XFD1" t="inlineStr"><is><t>CURP</t></is></c></row>'
            b"</sheetData></worksheet>"
        ),
    )
    assert "columnas" in str(refused_within_bound(far).message)
    # A declared dimension of the whole sheet is not trusted: rows are not padded to it.
    data = workbook_bytes([person(1)])
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml")
    sheet = sheet.replace(b'<dimension ref="A1:I2"/>', b'<dimension ref="A1:XFD1048576"/>')
    assert b"XFD1048576" in sheet
    padded = with_part(data, "xl/worksheets/sheet1.xml", lambda part: part.write(sheet))
    rows = list(reading.read_rows(padded))
    assert len(rows) == 2 and len(rows[1]) == len(HEADER)


def test_too_many_rows_or_columns_in_a_workbook(monkeypatch):
    data = workbook_bytes([person(n) for n in range(5)])
    monkeypatch.setattr(reading, "LIMITS", reading.Limits(rows=3))
    assert "pasa de 3 filas" in str(refused_within_bound(data).message)
    monkeypatch.setattr(reading, "LIMITS", reading.Limits(columns=5))
    assert "pasa de 5 columnas" in str(refused_within_bound(data).message)


def test_a_dtd_in_a_part_is_refused():
    """Entities (a "billion laughs") need a DTD; no roll has one."""
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE sst [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b"<si><t>&b;</t></si></sst>"
    )
    bomb = with_part(workbook_bytes([person(1)]), "xl/sharedStrings.xml", lambda p: p.write(laughs))
    assert "se expande" in str(refused_within_bound(bomb).message)


def test_a_zip_of_too_many_parts_is_refused():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for n in range(reading.LIMITS.zip_entries + 1):
            archive.writestr(f"x/{n}.xml", b"")
    assert "se expande" in str(refused_within_bound(out.getvalue()).message)


def test_a_damaged_workbook_is_refused_not_a_500():
    data = workbook_bytes([person(1)])
    assert "No se pudo leer" in str(refused_within_bound(data[: len(data) // 2]).message)


def big_line_file(path: Path, size: int) -> Path:
    with open(path, "wb") as fh:
        fh.write(b"CURP,nombre,primer apellido\n")
        block = b"A" * MB
        for _ in range(size // MB):
            fh.write(block)
        fh.write(b"\n")
    return path


def test_a_csv_with_a_150_mb_line_is_refused_in_bounded_memory(tmp_path):
    path = big_line_file(tmp_path / "linea.csv", 150 * MB)
    assert "Una línea del archivo pasa de" in str(refused_within_bound(path).message)


def test_reading_a_csv_line_past_the_limit_stops_at_the_limit(tmp_path):
    """The import's own reading (the queue path) refuses it too, holding a line at most."""
    path = big_line_file(tmp_path / "linea.csv", 20 * MB)
    tracemalloc.start()
    try:
        with pytest.raises(RollError, match="Una línea del archivo"):
            list(reading.read_rows(path))
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < MEMORY_BOUND


def test_a_csv_with_too_many_rows_or_columns(tmp_path, monkeypatch):
    path = write_roll(tmp_path / "p.csv", [person(n) for n in range(6)])
    monkeypatch.setattr(reading, "LIMITS", reading.Limits(rows=5))
    assert "pasa de 5 filas" in str(refused_within_bound(path).message)
    with pytest.raises(RollError, match="pasa de 5 filas"):
        list(reading.read_rows(path))
    monkeypatch.setattr(reading, "LIMITS", reading.Limits(columns=4))
    with pytest.raises(RollError, match="pasa de 4 columnas"):
        list(reading.read_rows(path))


def test_a_quoted_cell_that_never_ends_is_refused_not_a_500(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text('CURP,nombre,primer apellido\n"' + ("x" * 60_000 + "\n") * 4)
    with pytest.raises(RollError, match="dañado"):
        list(reading.read_rows(path))


def test_bytes_that_are_neither_utf8_nor_windows_1252_are_refused(tmp_path):
    path = tmp_path / "p.csv"
    path.write_bytes(b"CURP,nombre,primer apellido\n\x81\x8d\x8f\x90\x9d" * 10)
    with pytest.raises(RollError, match="no es un CSV"):
        writing.check_source(path)


def test_an_uploaded_bomb_answers_422_and_stores_nothing(place, login, app):
    program = make_program()
    client = login(make_staff("admin_dependencia", program.agency))
    data = {"program": str(program.id), "file": (io.BytesIO(shared_string_bomb(MB // 2)), "p.xlsx")}
    response = client.post("/oficina/padrones", data=data, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "caracteres" in html(response).find(class_="error-summary").text
    assert ImportBatch.select().count() == 0
    stored = Path(app.instance_path) / "padron"
    assert not stored.exists() or not [p for p in stored.rglob("*") if p.is_file()]


def test_the_import_command_refuses_a_bomb_with_the_reason(place, app, tmp_path):
    program = make_program()
    path = tmp_path / "p.xlsx"
    path.write_bytes(shared_string_bomb(MB // 2))
    result = CliRunner().invoke(padron_cli, ["import", str(path), "--program", program.slug])
    assert result.exit_code != 0 and "caracteres" in result.output
    assert ImportBatch.select().count() == 0
