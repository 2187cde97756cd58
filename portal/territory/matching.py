"""Free-text addresses of a roll mapped to the state's catalogs.

A roll says the locality as a name, a 4-digit locality code or a 9-digit
clave geoestadística, and may give a postal code and a colonia (a SEPOMEX
settlement: of the postal code given, or else the one settlement of that name
in the row's municipality). :func:`place_index` reads
the state's catalog once per import (its size is the catalog's, never the
registry's); :func:`match` then costs a few dictionary look-ups per row. What
does not match is left out of the record and counted, for the import report.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from portal.territory.models import Locality, PostalSettlement
from portal.web.tables import tuples


def normalized(value: str) -> str:
    """Lower case, no accents, punctuation as spaces, single spaces."""
    plain = unicodedata.normalize("NFD", value.lower())
    plain = "".join(c for c in plain if unicodedata.category(c) != "Mn")
    return " ".join(re.sub(r"[^a-z0-9]+", " ", plain).split())


@dataclass(frozen=True)
class PlaceIndex:
    # (municipality code, normalized name) -> (locality code, name); one
    # name shared by two localities of a municipality is left out (ambiguous).
    by_name: dict[tuple[str, str], tuple[str, str]]
    by_code: dict[str, tuple[str, str]]  # 9-digit code -> (municipality code, name)
    postal: dict[str, frozenset[str]]  # postal code -> its municipalities
    # postal code -> normalized settlement name -> (type, name); a name twice in
    # one postal code is left out (ambiguous).
    settlements: dict[str, dict[str, tuple[str, str]]] = field(default_factory=dict)
    # (municipality, normalized settlement name) -> (postal code, type, name),
    # only where the name is once in the municipality.
    by_settlement: dict[tuple[str, str], tuple[str, str, str]] = field(default_factory=dict)


def _unique(pairs: list[tuple[Any, Any]]) -> dict:
    """The pairs as a dict, without the keys that came with two different values."""
    found: dict = {}
    twice: set = set()
    for key, value in pairs:
        if key in found and found[key] != value:
            twice.add(key)
        found[key] = value
    return {k: v for k, v in found.items() if k not in twice}


def place_index(state_code: str) -> PlaceIndex:
    by_name: dict[tuple[str, str], tuple[str, str]] = {}
    ambiguous: set[tuple[str, str]] = set()
    by_code: dict[str, tuple[str, str]] = {}
    for code, municipality, name in tuples(
        Locality.select(Locality.code, Locality.municipality, Locality.name).where(
            Locality.code.startswith(state_code)
        )
    ):
        by_code[code] = (municipality, name)
        key = (municipality, normalized(name))
        if key in by_name:
            ambiguous.add(key)
        by_name[key] = (code, name)
    for key in ambiguous:
        del by_name[key]
    postal: dict[str, set[str]] = {}
    in_postal: list[tuple[tuple[str, str], tuple[str, str]]] = []
    in_municipality: list[tuple[tuple[str, str], tuple[str, str, str]]] = []
    for postal_code, municipality, kind, name in tuples(
        PostalSettlement.select(
            PostalSettlement.postal_code,
            PostalSettlement.municipality,
            PostalSettlement.settlement_type,
            PostalSettlement.settlement_name,
        ).where(PostalSettlement.municipality.startswith(state_code))
    ):
        postal.setdefault(postal_code, set()).add(municipality)
        in_postal.append(((postal_code, normalized(name)), (kind, name)))
        in_municipality.append(((municipality, normalized(name)), (postal_code, kind, name)))
    settlements: dict[str, dict[str, tuple[str, str]]] = {}
    for (postal_code, key), value in _unique(in_postal).items():
        settlements.setdefault(postal_code, {})[key] = value
    return PlaceIndex(
        by_name,
        by_code,
        {k: frozenset(v) for k, v in postal.items()},
        settlements,
        _unique(in_municipality),
    )


@dataclass(frozen=True)
class Matched:
    locality_code: str = ""
    locality: str = ""
    postal_code: str = ""
    unmatched: bool = False  # the roll gave something the catalogs did not recognise
    settlement_type: str = ""
    settlement_name: str = ""


def _text(raw: Any) -> str:
    if raw is None:
        return ""
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    return str(raw).strip()


def match(
    index: PlaceIndex,
    municipality: str | None,
    raw_locality: Any,
    raw_postal: Any,
    raw_settlement: Any = None,
) -> Matched:
    """The catalog's locality, postal code and colonia for a roll row, where
    they agree with the row's municipality; anything else given is reported
    as unmatched."""
    locality_text, postal_text = _text(raw_locality), _text(raw_postal)
    settlement_text = _text(raw_settlement)
    code = name = ""
    missed = False
    if locality_text:
        found: tuple[str, str] | None = None
        if locality_text.isdigit() and len(locality_text) == 9:
            place = index.by_code.get(locality_text)
            if place and (not municipality or place[0] == municipality):
                found = (locality_text, place[1])
        elif locality_text.isdigit() and len(locality_text) <= 4 and municipality:
            full = municipality + locality_text.zfill(4)
            place = index.by_code.get(full)
            found = (full, place[1]) if place else None
        elif municipality:
            found = index.by_name.get((municipality, normalized(locality_text)))
        if found:
            code, name = found
        else:
            missed = True
    postal = ""
    if postal_text:
        digits = (
            postal_text.zfill(5) if postal_text.isdigit() and len(postal_text) == 4 else postal_text
        )
        municipalities = index.postal.get(digits)
        if municipalities and (not municipality or municipality in municipalities):
            postal = digits
        else:
            missed = True
    kind = settlement = ""
    if settlement_text:
        key = normalized(settlement_text)
        if postal:
            kind, settlement = index.settlements.get(postal, {}).get(key, ("", ""))
        elif not postal_text and municipality:
            postal, kind, settlement = index.by_settlement.get((municipality, key), ("", "", ""))
        missed = missed or not settlement
    return Matched(code, name, postal, missed, kind, settlement)
