"""The form that resolves a record's conflict on the server (views.py)."""

from __future__ import annotations

from wtforms import DateField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional

from portal.backoffice.forms import ID_TYPE_LABELS
from portal.citizens.curp import SEXES
from portal.field import sync
from portal.messages import _l
from portal.web.forms import BaseForm


class ResolveForm(BaseForm):
    """How to resolve the conflict (the button pressed) and, to retry, the
    person's data corrected; an empty field keeps what the device sent."""

    choice = SelectField(choices=[SelectChoice(c, c) for c in sync.CHOICES])
    curp = StringField(_l("CURP"), validators=[Optional()])
    given_names = StringField(_l("Nombre(s)"), validators=[Optional()])
    first_surname = StringField(_l("Primer apellido"), validators=[Optional()])
    second_surname = StringField(_l("Segundo apellido"), validators=[Optional()])
    birth_date = DateField(_l("Fecha de nacimiento"), validators=[Optional()])
    sex = SelectField(
        _l("Sexo"),
        choices=[SelectChoice("", _l("Sin cambio"))]
        + [SelectChoice(k, v) for k, v in SEXES.items()],
        validators=[Optional()],
    )
    id_type = SelectField(
        _l("Identificación"),
        choices=[SelectChoice("", _l("Sin cambio"))]
        + [SelectChoice(k, v) for k, v in ID_TYPE_LABELS.items()],
        validators=[Optional()],
    )
    id_number = StringField(_l("Número de la identificación"), validators=[Optional()])

    def corrections(self) -> dict[str, str]:
        """The fields the staff member typed, as the record carries them."""
        typed = {name: self[name].data for name in sync.PERSON_FIELDS}
        if typed["birth_date"]:
            typed["birth_date"] = typed["birth_date"].isoformat()
        return {name: str(value) for name, value in typed.items() if value}
