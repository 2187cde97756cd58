"""The forms of the rights area: an ARCO request (from /mis-datos or the
counter), the office's answer, and a blackout period."""

from __future__ import annotations

from flask_wtf.file import FileField
from wtforms import DateField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from portal.backoffice.forms import ID_TYPE_LABELS
from portal.messages import _l
from portal.rights import arco
from portal.rights.blackout import MAX_ELECTION
from portal.web.forms import BaseForm


class ArcoForm(BaseForm):
    kind = RadioField(
        _l("¿Qué derecho quiere ejercer?"),
        choices=[SelectChoice(key, label) for key, label in arco.KIND_LABELS.items()],
        validators=[InputRequired(_l("Elija qué derecho quiere ejercer."))],
    )
    description = TextAreaField(
        _l("Describa su solicitud"),
        description=_l(
            "Qué datos y qué quiere que hagamos con ellos. Si pide una rectificación, "
            "diga cómo debe decir."
        ),
        validators=[
            DataRequired(_l("Describa lo que pide.")),
            Length(
                min=arco.MIN_DESCRIPTION,
                max=arco.MAX_DESCRIPTION,
                message=_l("Escriba entre 10 y 2000 caracteres."),
            ),
        ],
    )


class CounterArcoForm(ArcoForm):
    curp = StringField(_l("CURP de la persona"), validators=[DataRequired(_l("Escriba la CURP."))])
    id_type = SelectField(
        _l("Identificación que presentó"),
        choices=[SelectChoice(key, label) for key, label in ID_TYPE_LABELS.items()],
    )
    id_number = StringField(
        _l("Número o folio de la identificación"),
        validators=[
            DataRequired(_l("Escriba el número de la identificación.")),
            Length(min=4, max=40, message=_l("El número debe tener entre 4 y 40 caracteres.")),
        ],
    )


class ArcoResponseForm(BaseForm):
    outcome = RadioField(
        _l("Resultado"),
        choices=[SelectChoice(key, label) for key, label in arco.OUTCOME_LABELS.items()],
        validators=[InputRequired(_l("Elija si la solicitud procede o no."))],
    )
    response = TextAreaField(
        _l("Respuesta para la persona"),
        validators=[
            DataRequired(_l("Escriba la respuesta para la persona.")),
            Length(
                min=arco.MIN_DESCRIPTION,
                max=arco.MAX_RESPONSE,
                message=_l("Escriba entre 10 y 5000 caracteres."),
            ),
        ],
    )
    attachment = FileField(
        _l("Documento de respuesta en PDF (opcional)"),
        description=_l("Se revisa y se limpia como cualquier documento que se sube al portal."),
    )


class DayField(DateField):
    """A date typed or picked (YYYY-MM-DD), refused in plain Spanish."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data = None
            raise ValueError(
                _l("Escriba la fecha como día/mes/año, por ejemplo 01/03/2027.")
            ) from None


class BlackoutForm(BaseForm):
    election = StringField(
        _l("Proceso electoral"),
        description=_l("Por ejemplo: Proceso electoral local 2026-2027."),
        validators=[
            DataRequired(_l("Escriba el nombre del proceso electoral.")),
            Length(max=MAX_ELECTION, message=_l("Máximo 200 caracteres.")),
        ],
    )
    municipality = SelectField(_l("Dónde"), coerce=str, validators=[Optional()])
    starts = DayField(
        _l("Desde (incluido)"), validators=[InputRequired(_l("Escriba la fecha de inicio."))]
    )
    ends = DayField(
        _l("Hasta (incluido)"), validators=[InputRequired(_l("Escriba la fecha de término."))]
    )
