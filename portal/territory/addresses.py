"""An address to INEGI's Norma Técnica sobre Domicilios Geográficos, checked
against the state's catalogs: the locality belongs to the municipality, the
postal code is one of the state's, its settlement is one SEPOMEX lists for it
and lies in the same municipality."""

from __future__ import annotations

from dataclasses import dataclass

from portal.messages import _l
from portal.territory import catalog

# Norma Técnica sobre Domicilios Geográficos (DOF 12-11-2010), catálogo de
# tipos de vialidad: urban roads, then the rural ones (carreteras y caminos).
ROAD_TYPES = (
    "Ampliación",
    "Andador",
    "Avenida",
    "Boulevard",
    "Calle",
    "Callejón",
    "Calzada",
    "Cerrada",
    "Circuito",
    "Circunvalación",
    "Continuación",
    "Corredor",
    "Diagonal",
    "Eje vial",
    "Pasaje",
    "Peatonal",
    "Periférico",
    "Privada",
    "Prolongación",
    "Retorno",
    "Viaducto",
    "Carretera",
    "Camino",
    "Brecha",
    "Terracería",
    "Vereda",
)

SETTLEMENT_SEPARATOR = "|"


@dataclass(frozen=True)
class Address:
    municipality: str = ""
    locality_code: str = ""
    postal_code: str = ""
    settlement_type: str = ""
    settlement_name: str = ""
    road_type: str = ""


def settlement_value(settlement_type: str, settlement_name: str) -> str:
    """The one value a settlement select list carries for a (type, name) pair."""
    if not settlement_name:
        return ""
    return f"{settlement_type}{SETTLEMENT_SEPARATOR}{settlement_name}"


def split_settlement(value: str) -> tuple[str, str]:
    kind, _, name = (value or "").partition(SETTLEMENT_SEPARATOR)
    return (kind, name) if name else ("", "")


def problems(address: Address) -> dict[str, str]:
    """What is wrong with ``address``, by form field name (empty when it agrees).

    Empty parts are not problems (the form says which ones it requires); each
    part given must be in the catalogs and agree with the others. Three
    look-ups by key at most.
    """
    found: dict[str, str] = {}
    if address.road_type and address.road_type not in ROAD_TYPES:
        found["road_type"] = _l("Elija un tipo de vialidad de la lista.")
    if address.locality_code:
        place = catalog.locality(address.locality_code)
        if place is None:
            found["locality_code"] = _l("Elija una localidad de la lista.")
        elif not address.municipality:
            found["municipality"] = _l("Elija el municipio de su localidad.")
        elif place.municipality_id != address.municipality:
            found["locality_code"] = _l("Esa localidad no es del municipio que eligió.")
    if address.postal_code:
        settlements = catalog.settlements_of(address.postal_code)
        if not settlements:
            found["postal_code"] = _l("Ese código postal no es de Querétaro. Revise los 5 dígitos.")
        else:
            if address.municipality and address.municipality not in {
                s.municipality_id for s in settlements
            }:
                found["postal_code"] = _l("Ese código postal no es del municipio que eligió.")
            if address.settlement_name and (
                address.settlement_type,
                address.settlement_name,
            ) not in {(s.settlement_type, s.settlement_name) for s in settlements}:
                found["settlement"] = _l("Elija una colonia o asentamiento de su código postal.")
    elif address.settlement_name:
        found["postal_code"] = _l("Escriba el código postal de su colonia.")
    return found
