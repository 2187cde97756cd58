"""Loading and reading the state's territorial catalogs.

Three sources are read, all filtered to the state of portal/catalog/data/municipios.yaml:

* the files shipped in ``portal/territory/data/`` (see the README there):
  ``queretaro.json``, the municipal seats with coordinates, and
  ``sepomex_22.csv``, every postal code of the state with its settlements
  (SEPOMEX, 3,185 settlements in 531 postal codes);
* SEPOMEX's national postal-code file (``CPdescarga.txt``, pipe-separated,
  Latin-1, with a notice line before the header);
* INEGI's catalogue of localities (AGEEML, CSV with ``CVE_ENT``, ``CVE_MUN``,
  ``CVE_LOC``, ``NOM_LOC``, ``LAT_DECIMAL``, ``LON_DECIMAL``).

Loading is idempotent: a row already there is updated, never duplicated.
Reading is by key only (a locality's code, a municipality's localities, a
postal code's settlements), so it costs the same for any size of catalog.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from portal.catalog import geography as geo
from portal.catalog.models import Municipality
from portal.territory.models import Locality, PostalSettlement
from portal.web.database import write

SEED_FILE = Path(__file__).parent / "data" / "queretaro.json"
POSTAL_FILE = Path(__file__).parent / "data" / "sepomex_22.csv"
POSTAL_COLUMNS = ("postal_code", "settlement_type", "settlement_name", "municipality", "locality")
BATCH = 500


@dataclass(frozen=True)
class Loaded:
    localities: int
    settlements: int


def _ensure_municipalities(state: geo.State) -> None:
    Municipality.insert_many(
        [{"code": m.code, "name": m.name, "state_code": state.code} for m in state.municipalities]
    ).on_conflict_ignore().execute()


def _batches(rows: Iterable[dict], size: int = BATCH) -> Iterator[list[dict]]:
    batch: list[dict] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def store(localities: Iterable[dict], settlements: Iterable[dict]) -> Loaded:
    """Insert or update catalog rows of the state; rows of other states are skipped."""
    state = geo.load_state()
    codes = {m.code for m in state.municipalities}
    counted = [0, 0]
    with write():
        _ensure_municipalities(state)
        for batch in _batches(r for r in localities if r["municipality"] in codes):
            Locality.insert_many(batch).on_conflict(
                conflict_target=[Locality.code],
                preserve=[Locality.municipality, Locality.name, Locality.lat, Locality.lon],
            ).execute()
            counted[0] += len(batch)
        for batch in _batches(r for r in settlements if r["municipality"] in codes):
            known = {
                row.code
                for row in Locality.select(Locality.code).where(
                    Locality.code.in_([r["locality"] for r in batch if r.get("locality")])
                )
            }
            rows = [
                {**r, "locality": r.get("locality") if r.get("locality") in known else None}
                for r in batch
            ]
            PostalSettlement.insert_many(rows).on_conflict(
                conflict_target=[
                    PostalSettlement.postal_code,
                    PostalSettlement.settlement_type,
                    PostalSettlement.settlement_name,
                ],
                preserve=[PostalSettlement.municipality, PostalSettlement.locality],
            ).execute()
            counted[1] += len(rows)
    return Loaded(*counted)


def read_shipped_postal_codes(path: str | Path = POSTAL_FILE) -> Iterator[dict]:
    """The settlements of ``sepomex_22.csv`` (scripts/territory_postal_codes.py writes it)."""
    with open(path, encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        if tuple(reader.fieldnames or ()) != POSTAL_COLUMNS:
            raise ValueError(f"{path}: se esperaban las columnas {', '.join(POSTAL_COLUMNS)}")
        for row in reader:
            yield {**row, "locality": row["locality"] or None}


def load_seed(path: str | Path = SEED_FILE, postal_path: str | Path = POSTAL_FILE) -> Loaded:
    """Load the shipped files: the seats first, so settlements can point at them."""
    with open(path, encoding="utf-8") as fh:
        data = json.load(fh)
    return store(data["localities"], read_shipped_postal_codes(postal_path))


def read_sepomex(text: str, state_code: str) -> Iterator[dict]:
    """Settlements of ``state_code`` from SEPOMEX's ``CPdescarga.txt`` text."""
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith("d_codigo|")), None)
    if start is None:
        raise ValueError("no es el archivo de SEPOMEX: falta el encabezado d_codigo|...")
    for row in csv.DictReader(lines[start:], delimiter="|"):
        if (row.get("c_estado") or "").zfill(2) != state_code:
            continue
        yield {
            "postal_code": row["d_codigo"].zfill(5),
            "settlement_type": row["d_tipo_asenta"].strip(),
            "settlement_name": row["d_asenta"].strip(),
            "municipality": state_code + row["c_mnpio"].zfill(3),
            "locality": None,
        }


def read_inegi_localities(text: str, state_code: str) -> Iterator[dict]:
    """Localities of ``state_code`` from INEGI's AGEEML catalogue (CSV)."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    needed = {"CVE_ENT", "CVE_MUN", "CVE_LOC", "NOM_LOC"}
    if not needed <= set(reader.fieldnames or ()):
        raise ValueError(
            "no es el catálogo de localidades de INEGI: faltan columnas CVE_ENT, CVE_MUN, CVE_LOC, NOM_LOC"
        )
    for row in reader:
        if row["CVE_ENT"].zfill(2) != state_code:
            continue
        municipality = state_code + row["CVE_MUN"].zfill(3)
        yield {
            "code": municipality + row["CVE_LOC"].zfill(4),
            "municipality": municipality,
            "name": row["NOM_LOC"].strip(),
            "lat": _float(row.get("LAT_DECIMAL")),
            "lon": _float(row.get("LON_DECIMAL")),
        }


def _float(value: str | None) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except ValueError:
        return None


def localities_of(municipality: str) -> list[Locality]:
    return list(
        Locality.select().where(Locality.municipality == municipality).order_by(Locality.name)
    )


def locality(code: str) -> Locality | None:
    return Locality.get_or_none(Locality.code == code) if code else None


def settlements_of(postal_code: str) -> list[PostalSettlement]:
    return list(
        PostalSettlement.select()
        .where(PostalSettlement.postal_code == postal_code)
        .order_by(PostalSettlement.settlement_name)
    )
