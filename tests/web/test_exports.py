"""The one CSV writer: every download's cells are formula-safe, lines end in CRLF."""

from __future__ import annotations

import csv
import io

import pytest

from portal.web.exports import csv_lines, csv_text, safe_cell

FORMULAS = ['=HYPERLINK("http://x")', "+1", "-1", "@SUM(A1)", "\tx", "\rx"]


@pytest.mark.parametrize("value", FORMULAS)
def test_a_cell_that_would_run_as_a_formula_gets_an_apostrophe(value):
    assert safe_cell(value) == "'" + value


@pytest.mark.parametrize("value", ["Ana", "1500", "", "a=b", "correo@ejemplo"])
def test_plain_cells_are_left_as_they_are(value):
    assert safe_cell(value) == value


def test_none_is_an_empty_cell():
    assert safe_cell(None) == ""


def test_header_and_rows_are_made_safe_and_end_in_crlf():
    text = csv_text(["=a", "b"], [["+1", 2], [None, "x"]])
    assert text == "'=a,b\r\n'+1,2\r\n,x\r\n"


def test_a_long_export_streams_in_chunks_of_whole_lines():
    rows = ([n, "Nombre de prueba", "=1+1"] for n in range(20_000))
    chunks = list(csv_lines(["n", "nombre", "formula"], rows))
    assert len(chunks) > 1 and all(chunk.endswith("\r\n") for chunk in chunks)
    parsed = list(csv.reader(io.StringIO("".join(chunks))))
    assert len(parsed) == 20_001 and parsed[-1] == ["19999", "Nombre de prueba", "'=1+1"]
