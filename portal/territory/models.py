"""The state's catalogs of localities (INEGI) and postal settlements (SEPOMEX).

Both are read by key only: a locality by its clave geoestadística, the
localities of one municipality, the settlements of one postal code."""

from __future__ import annotations

from peewee import AutoField, CharField, FloatField, ForeignKeyField

from portal.catalog.models import Municipality
from portal.web.tables import BaseModel


class Locality(BaseModel):
    """An INEGI locality: 9-digit clave geoestadística (state 2, municipality 3, locality 4)."""

    code = CharField(max_length=9, primary_key=True)
    municipality = ForeignKeyField(Municipality, on_delete="CASCADE", index=True)
    municipality_id: ForeignKeyField[str]
    name = CharField()
    lat = FloatField(null=True)
    lon = FloatField(null=True)


class PostalSettlement(BaseModel):
    """A SEPOMEX settlement (asentamiento) of a postal code; a code may have several."""

    id: AutoField[int]
    postal_code = CharField(max_length=5, index=True)
    settlement_type = CharField()
    settlement_name = CharField()
    municipality = ForeignKeyField(Municipality, on_delete="CASCADE", index=False)
    municipality_id: ForeignKeyField[str]
    locality = ForeignKeyField(Locality, null=True, on_delete="SET NULL", index=False)
    locality_id: ForeignKeyField[str | None]

    class Meta:
        indexes = ((("postal_code", "settlement_type", "settlement_name"), True),)


TERRITORY_MODELS = [Locality, PostalSettlement]
