"""Free-text addresses of a roll mapped to the state's catalogs.

A roll says the locality as a name, a 4-digit locality code or a 9-digit
clave geoestadística, and may give a postal code. :func:`place_index` reads
the state's catalog once per import (its size is the catalog's, never the
registry's); :func:`match` then costs a few dictionary look-ups per row. What
does not match is left out of the record and counted, for the import report.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
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
    for postal_code, municipality in tuples(
        PostalSettlement.select(PostalSettlement.postal_code, PostalSettlement.municipality).where(
            PostalSettlement.municipality.startswith(state_code)
        )
    ):
        postal.setdefault(postal_code, set()).add(municipality)
    return PlaceIndex(by_name, by_code, {k: frozenset(v) for k, v in postal.items()})


@dataclass(frozen=True)
class Matched:
    locality_code: str = ""
    locality: str = ""
    postal_code: str = ""
    unmatched: bool = False  # the roll gave something the catalogs did not recognise


def _text(raw: Any) -> str:
    if raw is None:
        return ""
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    return str(raw).strip()


def match(
    index: PlaceIndex, municipality: str | None, raw_locality: Any, raw_postal: Any
) -> Matched:
    """The catalog's locality and postal code for a roll row, where they agree
    with the row's municipality; anything else given is reported as unmatched."""
    locality_text, postal_text = _text(raw_locality), _text(raw_postal)
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
    return Matched(code, name, postal, missed)
