"""Builders for catalog data: each makes a complete, valid program through the
real validator, so a test states only the rules that matter to it."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from portal.catalog.geography import State, load_state
from portal.catalog.schema import Catalog, Program, load_catalog, program_from_dict

DEMO_CATALOG = (
    Path(__file__).resolve().parent.parent / "portal" / "catalog" / "data" / "catalogo-demo.yaml"
)
AGENCY = "sedesoq"


def program_data(*eligibility: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    """A program as the catalog file states it, with the given conditions;
    ``overrides`` replace top-level keys."""
    data: dict[str, Any] = {
        "slug": "programa-prueba",
        "name": "Programa de Prueba",
        "agency": AGENCY,
        "summary": "Apoyo de prueba.",
        "population": "Personas de prueba.",
        "benefit": {"kind": "cash", "amount": 1000, "period": "mensual"},
        "requirements": [
            {"slug": "identificacion", "name": "Identificación oficial", "formats": ["pdf"]}
        ],
        "calls": [{"opens": "2026-01-01", "closes": "2027-12-31", "quota": 100}],
        "eligibility": list(eligibility),
    }
    data.update(overrides)
    return data


def make_program(*eligibility: dict[str, Any], **overrides: Any) -> Program:
    """A program with the given conditions; ``overrides`` replace top-level keys."""
    return program_from_dict(program_data(*eligibility, **overrides), agencies={AGENCY})


def catalog_data(*programs: dict[str, Any]) -> dict[str, Any]:
    """A catalog file's contents: the agency ``AGENCY`` and ``programs``."""
    return {
        "agencies": [{"slug": AGENCY, "name": "Secretaría de Desarrollo Social"}],
        "programs": list(programs),
    }


def rule(field: str, op: str, value: Any = None, reason: str | None = None) -> dict[str, Any]:
    """One eligibility condition; the reason defaults to one naming the rule."""
    data: dict[str, Any] = {"field": field, "op": op, "reason": reason or f"{field} {op} {value}"}
    if op not in ("is_true", "is_false"):
        data["value"] = value
    return data


def born_years_ago(years: int, on: date) -> date:
    """A birth date that makes someone exactly ``years`` old on ``on`` (not on 29 Feb)."""
    return on.replace(year=on.year - years)


def demo_catalog() -> Catalog:
    return load_catalog(DEMO_CATALOG)


def demo_state() -> State:
    return load_state()
