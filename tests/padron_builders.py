"""Roll files for the bulk-upload tests: good people and known bad rows."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

from portal.citizens.curp import make_curp

HEADER = ["CURP", "Nombre(s)", "Apellido Paterno", "Apellido Materno", "Fecha de nacimiento",
          "Sexo", "Municipio", "Monto", "Fecha"]  # fmt: skip


def person(n: int, sex: str = "M", born: dt.date = dt.date(1990, 3, 1), municipality="22014"):
    """A consistent row: CURP built from the name, birth date and sex."""
    given = ["Ana", "Rosa", "Luz", "Eva", "Paz", "Sol", "Flor", "Ada"][n % 8]
    first = ["Gómez", "Pérez", "Ruiz", "Luna", "Vega", "Soto", "Lara", "Ríos"][(n // 8) % 8]
    second = ["Olvera", "Trejo", "Ugalde", "Nava", "Peña", "Sosa", "Mejía", "Rojas"][(n // 64) % 8]
    born = born + dt.timedelta(days=n // 512)
    curp = make_curp(
        given, first, second, born, sex, "QT", homoclave="0" if born.year < 2000 else "A"
    )
    return [curp, given, first, second, born.strftime("%d/%m/%Y"), "Mujer" if sex == "M" else "H",
            municipality, "1500", "2026-02-01"]  # fmt: skip


def write_roll(path: Path, rows, header=HEADER, delimiter=",") -> Path:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, delimiter=delimiter)
        writer.writerow(header)
        writer.writerows(rows)
    return path
