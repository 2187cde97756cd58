"""The address fields every entry of an address uses (profile, counter): one
form to inherit from, whose select lists come from the catalogs.

Without JavaScript the person picks the municipality and types the postal
code, then presses "Buscar" (``lookup``): the page comes back with the
municipality's localities and the postal code's settlements to choose from.
With htmx the same post replaces only the address fieldset."""

from __future__ import annotations

from typing import Any

from wtforms import SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional, Regexp

from portal.catalog import geography as geo
from portal.messages import _l
from portal.territory import catalog
from portal.territory.addresses import (
    ROAD_TYPES,
    Address,
    problems,
    settlement_value,
    split_settlement,
)
from portal.web.forms import BaseForm


def _municipality_choices() -> list[SelectChoice]:
    state = geo.load_state()
    return [SelectChoice("", _l("Elija su municipio"))] + [
        SelectChoice(m.code, m.name) for m in state.municipalities
    ]


class AddressForm(BaseForm):
    """Address to the Norma Técnica sobre Domicilios Geográficos.

    Call :meth:`offer_choices` before rendering or validating; read the
    checked values with :meth:`address_values`.
    """

    road_type = SelectField(
        _l("Tipo de vialidad"),
        choices=[SelectChoice("", _l("Elija")), *(SelectChoice(t, t) for t in ROAD_TYPES)],
        validators=[Optional()],
    )
    road_name = StringField(_l("Nombre de la calle"), validators=[Optional(), Length(max=120)])
    exterior_number = StringField(_l("Número exterior"), validators=[Optional(), Length(max=20)])
    interior_number = StringField(
        _l("Número interior (si tiene)"), validators=[Optional(), Length(max=20)]
    )
    municipality = SelectField(
        _l("Municipio"), choices=_municipality_choices, validators=[Optional()]
    )
    locality_code = SelectField(
        _l("Localidad"),
        description=_l("Elija primero su municipio y oprima «Buscar»."),
        choices=[],
        validators=[Optional()],
        validate_choice=False,
    )
    postal_code = StringField(
        _l("Código postal"),
        validators=[
            Optional(),
            Regexp(r"^\d{5}$", message=_l("El código postal tiene 5 dígitos.")),
        ],
    )
    settlement = SelectField(
        _l("Colonia o asentamiento"),
        description=_l("Escriba su código postal y oprima «Buscar»."),
        choices=[],
        validators=[Optional()],
        validate_choice=False,
    )
    lookup = SubmitField(_l("Buscar localidades y colonias"))

    def offer_choices(self, obj: Any = None) -> None:
        """Fill the locality and settlement lists for the municipality and
        postal code given (or stored on ``obj``): two look-ups by key."""
        if obj is not None and not self.is_submitted():
            self.locality_code.data = obj.locality_code or ""
            self.settlement.data = settlement_value(obj.settlement_type, obj.settlement_name)
        # Built with obj=citizen, the field holds the Municipality row: keep its code.
        if hasattr(self.municipality.data, "code"):
            self.municipality.data = self.municipality.data.code
        municipality = self.municipality.data or ""
        self.locality_code.choices = (
            [SelectChoice("", _l("Elija su localidad"))]
            + [
                SelectChoice(place.code, place.name)
                for place in catalog.localities_of(municipality)
            ]
            if municipality
            else [SelectChoice("", _l("Elija primero su municipio"))]
        )
        postal_code = self.postal_code.data or ""
        settlements = catalog.settlements_of(postal_code) if len(postal_code) == 5 else []
        self.settlement.choices = [
            SelectChoice(
                "",
                _l("Elija su colonia") if settlements else _l("Escriba primero su código postal"),
            )
        ] + [
            SelectChoice(
                settlement_value(s.settlement_type, s.settlement_name),
                f"{s.settlement_name} ({s.settlement_type})",
            )
            for s in settlements
        ]

    def looking_up(self) -> bool:
        """The person pressed "Buscar": show the lists, save nothing."""
        return bool(self.is_submitted() and self.lookup.data)

    def address(self) -> Address:
        kind, name = split_settlement(self.settlement.data or "")
        return Address(
            municipality=self.municipality.data or "",
            locality_code=self.locality_code.data or "",
            postal_code=self.postal_code.data or "",
            settlement_type=kind,
            settlement_name=name,
            road_type=self.road_type.data or "",
        )

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for name, message in problems(self.address()).items():
            field = getattr(self, name)
            field.errors = [*field.errors, message]
            valid = False
        return valid

    def address_values(self) -> dict[str, str]:
        """The address fields as the citizen record stores them (ADDRESS_FIELDS)."""
        address = self.address()
        place = catalog.locality(address.locality_code)
        return {
            "road_type": address.road_type,
            "road_name": self.road_name.data or "",
            "exterior_number": self.exterior_number.data or "",
            "interior_number": self.interior_number.data or "",
            "settlement_type": address.settlement_type,
            "settlement_name": address.settlement_name,
            "postal_code": address.postal_code,
            "locality": place.name if place else "",
            "locality_code": place.code if place else "",
        }


class NearbyForm(BaseForm):
    """ "Nearest to me": a postal code anyone may type, and the program (GET, no CSRF:
    it changes nothing)."""

    class Meta:
        csrf = False

    cp = StringField(
        _l("Código postal"),
        description=_l("5 dígitos. Si entró con su Llave Digital, usamos su domicilio."),
        validators=[
            Optional(),
            Regexp(r"^\d{5}$", message=_l("El código postal tiene 5 dígitos.")),
        ],
    )
    programa = SelectField(_l("Programa"), choices=[], validators=[Optional()])
