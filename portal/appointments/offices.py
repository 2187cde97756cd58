"""The state's service offices, loaded from portal/appointments/data/offices.yaml.

Loading is idempotent: each office is keyed by its ``slug``; one already
loaded is updated, one new is created, one no longer in the file is
deactivated (its slots and bookings stay for the record)."""

from __future__ import annotations

from pathlib import Path

import yaml

from portal.appointments.models import Office
from portal.backoffice import audit
from portal.catalog.models import Municipality
from portal.vocabulary import AuditAction
from portal.web.database import write

OFFICES_FILE = Path(__file__).parent / "data" / "offices.yaml"
FIELDS = ("name", "address", "hours", "lat", "lon")


def read(path: Path = OFFICES_FILE) -> list[dict]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    offices = data.get("offices") or []
    slugs = [o.get("slug") for o in offices]
    if any(not s for s in slugs) or len(set(slugs)) != len(slugs):
        raise ValueError(f"{path.name}: every office needs a slug of its own")
    for office in offices:
        if not office.get("name") or not office.get("address"):
            raise ValueError(f"{path.name}: office {office['slug']} needs a name and an address")
    return offices


def load(path: Path = OFFICES_FILE) -> dict[str, int]:
    """Create or update the file's offices; returns counts by what happened."""
    offices = read(path)
    known = {m.code for m in Municipality.select(Municipality.code)}
    counts = {"nuevas": 0, "actualizadas": 0, "iguales": 0, "desactivadas": 0}
    with write():
        for entry in offices:
            values = {f: entry.get(f, "" if f in ("hours",) else None) for f in FIELDS}
            values["hours"] = values["hours"] or ""
            code = str(entry.get("municipality") or "")
            values["municipality"] = code if code in known else None
            values["active"] = True
            office = Office.get_or_none(Office.slug == entry["slug"])
            if office is None:
                Office.create(slug=entry["slug"], **values)
                counts["nuevas"] += 1
                continue
            current = {f: getattr(office, f) for f in FIELDS}
            current["municipality"] = office.municipality_id
            current["active"] = office.active
            if current == values:
                counts["iguales"] += 1
                continue
            Office.update(**values).where(Office.id == office.id).execute()
            counts["actualizadas"] += 1
        counts["desactivadas"] = (
            Office.update(active=False)
            .where(Office.active & Office.slug.not_in([o["slug"] for o in offices]))
            .execute()
        )
        if counts["nuevas"] or counts["actualizadas"] or counts["desactivadas"]:
            # A load that changes nothing leaves no trace (demo-data runs it every time).
            audit.record(AuditAction.OFFICES_LOAD, object_type="oficinas", details=counts)
    return counts
