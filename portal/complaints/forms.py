"""The forms of the complaints area: filing, following with folio and code,
and the staff's assignment and answer."""

from __future__ import annotations

from flask_wtf.file import FileField
from wtforms import RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from portal.complaints import desk
from portal.messages import _l
from portal.rights.forms import DayField
from portal.web.forms import BaseForm


def _program_id(value: object) -> int | None:
    try:
        return int(str(value)) if value not in (None, "") else None
    except ValueError:
        return None


class ComplaintForm(BaseForm):
    kind = RadioField(
        _l("¿Qué quiere presentar?"),
        choices=[SelectChoice(key, label) for key, label in desk.KIND_LABELS.items()],
        validators=[InputRequired(_l("Elija si es una queja o una denuncia."))],
    )
    subject = RadioField(
        _l("¿De qué se trata?"),
        choices=[SelectChoice(key, label) for key, label in desk.SUBJECT_LABELS.items()],
        validators=[InputRequired(_l("Elija de qué se trata."))],
    )
    program = SelectField(
        _l("Programa"),
        description=_l(
            "Si se trata de un programa, o de una oficina, persona o entrega de un programa, "
            "elíjalo: así llega a la dependencia que lo opera."
        ),
        coerce=_program_id,
        validate_choice=False,
        validators=[Optional()],
    )
    description = TextAreaField(
        _l("¿Qué pasó?"),
        description=_l(
            "Cuéntelo con sus palabras: qué pasó, quién participó y cómo. "
            "No escriba datos de otras personas que no hagan falta."
        ),
        validators=[
            DataRequired(_l("Cuente qué pasó.")),
            Length(
                min=desk.MIN_DESCRIPTION,
                max=desk.MAX_DESCRIPTION,
                message=_l("Escriba entre 20 y 4000 caracteres."),
            ),
        ],
    )
    happened_on = DayField(
        _l("¿Cuándo pasó? (opcional)"),
        description=_l("Día/mes/año, por ejemplo 15/11/2026."),
        validators=[Optional()],
    )
    place = StringField(
        _l("¿Dónde pasó? (opcional)"),
        description=_l("La oficina, el punto de entrega, la colonia o el municipio."),
        validators=[Length(max=desk.MAX_PLACE, message=_l("Máximo 200 caracteres."))],
    )
    contact = StringField(
        _l("¿Cómo le contactamos? (opcional)"),
        description=_l(
            "Un correo o teléfono, solo si quiere que le busquemos. Puede dejarlo vacío: "
            "seguirá su queja con el folio y el código."
        ),
        validators=[Length(max=desk.MAX_CONTACT, message=_l("Máximo 200 caracteres."))],
    )
    attachment = FileField(
        _l("Prueba o documento (opcional)"),
        description=_l("Foto JPG o PNG, o PDF; se revisa y se limpia como cualquier documento."),
    )


class FollowForm(BaseForm):
    folio = StringField(
        _l("Folio"),
        validators=[
            DataRequired(_l("Escriba el folio.")),
            Length(max=40, message=_l("El folio tiene hasta 40 caracteres.")),
        ],
    )
    code = StringField(
        _l("Código de seguimiento"),
        description=_l("Los 10 caracteres que le dimos al presentar su queja."),
        validators=[
            DataRequired(_l("Escriba el código de seguimiento.")),
            Length(max=40, message=_l("El código tiene 10 caracteres.")),
        ],
    )


class AssignForm(BaseForm):
    assignee = SelectField(
        _l("Asignar a"), coerce=int, validators=[InputRequired(_l("Elija a una persona."))]
    )


class AnswerForm(BaseForm):
    response = TextAreaField(
        _l("Respuesta para la persona"),
        validators=[
            DataRequired(_l("Escriba la respuesta para la persona.")),
            Length(
                min=desk.MIN_DESCRIPTION,
                max=desk.MAX_RESPONSE,
                message=_l("Escriba entre 20 y 5000 caracteres."),
            ),
        ],
    )
