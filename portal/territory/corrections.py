"""A person's correction of the address parts a reviewer flagged (the
correctable fields of portal/applications/workflow.py), checked against the
state's catalogs like every other address entry.

The correction form has only the flagged fields; the rest of the address is
what the application already holds (its ``answers``). A flagged colonia is
picked from the postal code's settlements, a flagged locality from the
municipality's localities, when the catalogs have them; typed text is matched
to the catalog's spelling (case, accents and spaces aside) or refused on its
field. Look-ups by key: one postal code, one municipality."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from typing import Any

from portal.messages import _l
from portal.territory import catalog
from portal.territory.addresses import Address, problems


def plain(text: str) -> str:
    """``text`` for comparing names: no accents, no case, single spaces, no dots."""
    bare = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode()
    return " ".join(bare.replace(".", " ").lower().split())


def settlement_names(postal_code: str) -> list[str]:
    """The settlement names SEPOMEX lists for ``postal_code`` (one each)."""
    seen: dict[str, None] = {}
    for s in catalog.settlements_of(postal_code) if postal_code else []:
        seen.setdefault(s.settlement_name, None)
    return list(seen)


def locality_names(municipality: str) -> list[str]:
    return [p.name for p in catalog.localities_of(municipality)] if municipality else []


def choices_for(fields: list[str], answers: Mapping[str, Any]) -> dict[str, list[str]]:
    """The catalog lists the form offers for the flagged fields, where they
    are known in advance: a colonia's list needs the application's postal
    code, so it is offered only when the postal code is not flagged too."""
    offered: dict[str, list[str]] = {}
    if "settlement_name" in fields and "postal_code" not in fields:
        names = settlement_names(str(answers.get("postal_code") or ""))
        if names:
            offered["settlement_name"] = names
    if "locality" in fields:
        names = locality_names(str(answers.get("municipality") or ""))
        if names:
            offered["locality"] = names
    return offered


def _match(typed: str, names: list[str]) -> str | None:
    key = plain(typed)
    return next((n for n in names if plain(n) == key), None)


def check(
    values: Mapping[str, str], answers: Mapping[str, Any]
) -> tuple[dict[str, str], dict[str, str]]:
    """(problems by field, the values with the catalog's spelling).

    Only the corrected parts are judged: the postal code is one of the state's
    and of the application's municipality; the colonia is one of the postal
    code's (the corrected one, else the application's); the locality is one
    of the municipality's."""
    found: dict[str, str] = {}
    fixed = dict(values)
    municipality = str(answers.get("municipality") or "")
    postal_code = str(values.get("postal_code", answers.get("postal_code")) or "")
    if "postal_code" in values:
        wrong = problems(Address(municipality=municipality, postal_code=values["postal_code"]))
        if "postal_code" in wrong:
            found["postal_code"] = str(wrong["postal_code"])
    if "settlement_name" in values:
        names = [] if "postal_code" in found else settlement_names(postal_code)
        match = _match(values["settlement_name"], names)
        if not names:
            found["settlement_name"] = str(
                _l("Necesitamos un código postal de Querétaro para revisar su colonia.")
            )
        elif match is None:
            found["settlement_name"] = str(
                _l(
                    "Esa colonia no está en el código postal %(cp)s. Escríbala como la "
                    "nombra el Servicio Postal.",
                    cp=postal_code,
                )
            )
        else:
            fixed["settlement_name"] = match
    if "locality" in values:
        names = locality_names(municipality)
        match = _match(values["locality"], names)
        if match is None:
            found["locality"] = str(
                _l("Esa localidad no está en su municipio. Elija una de la lista.")
            )
        else:
            fixed["locality"] = match
    return found, fixed
