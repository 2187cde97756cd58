"""The secretariat's forms: a reporting obligation, a decision on a submission.

Whether a choice exists or a date makes sense is the domain's to say
(portal/secretariat/calendar.py, validation.py), with the field named."""

from __future__ import annotations

from flask_wtf.file import FileField
from wtforms import RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional

from portal.messages import _l
from portal.planning.forms import NumberField
from portal.rights.forms import DayField
from portal.secretariat.calendar import MAX_TITLE
from portal.web.forms import BaseForm


class ObligationForm(BaseForm):
    dependencia = SelectField(
        _l("Dependencia"),
        validators=[InputRequired(_l("Elija la dependencia que debe entregar."))],
        validate_choice=False,  # the domain refuses an unknown one
    )
    programa = SelectField(
        _l("Programa"),
        validators=[Optional()],
        validate_choice=False,
        description=_l("Déjelo en «Toda la dependencia» si no es de un solo programa."),
    )
    tipo = SelectField(
        _l("Qué debe entregar"),
        validators=[InputRequired(_l("Elija qué debe entregar."))],
        validate_choice=False,
    )
    titulo = StringField(
        _l("Nombre de la entrega"),
        validators=[
            InputRequired(_l("Escriba un nombre para la entrega.")),
            Length(max=MAX_TITLE, message=_l("El nombre es demasiado largo.")),
        ],
        description=_l("Por ejemplo: Avance del tercer trimestre 2026."),
    )
    fecha_limite = DayField(
        _l("Fecha límite"),
        validators=[InputRequired(_l("Escriba la fecha límite."))],
        format=["%Y-%m-%d", "%d/%m/%Y"],
        description=_l("Día, mes y año, por ejemplo 31/12/2026."),
    )
    aviso_dias = NumberField(
        _l("Días de aviso antes de la fecha"),
        validators=[Optional()],
        description=_l(
            "La dependencia recibe un recordatorio ese número de días antes (5 si lo deja vacío)."
        ),
    )


class SendForm(BaseForm):
    """Sending an obligation to validation: the quarter it reports, or the roll."""

    trimestre = SelectField(
        _l("Trimestre que informa"), validators=[Optional()], validate_choice=False
    )
    padron = SelectField(_l("Padrón que envía"), validators=[Optional()], validate_choice=False)


def decision_form(items, formdata=True) -> BaseForm:
    """One accept-or-return choice and one comment per item of a submission."""

    class DecisionForm(BaseForm):
        pass

    for item in items:
        setattr(
            DecisionForm,
            f"veredicto_{item.id}",
            RadioField(
                _l("¿Acepta «%(label)s»?", label=item.label),
                choices=[
                    SelectChoice("aceptado", _l("Aceptar")),
                    SelectChoice("devuelto", _l("Devolver con comentario")),
                ],
                validators=[Optional()],
                validate_choice=False,
            ),
        )
        setattr(
            DecisionForm,
            f"comentario_{item.id}",
            TextAreaField(
                _l("Comentario sobre «%(label)s»", label=item.label),
                validators=[Optional()],
                description=_l("Obligatorio si la devuelve: qué debe corregir la dependencia."),
            ),
        )
    return DecisionForm() if formdata else DecisionForm(formdata=None)


ATTACHMENT_HINT = _l(
    "Opcional: un PDF o una foto (JPG, PNG). Se revisa y se limpia como cualquier documento"
    " que se sube al portal."
)


class ReplyForm(BaseForm):
    mensaje = TextAreaField(
        _l("Mensaje"),
        validators=[
            InputRequired(_l("Escriba el mensaje.")),
            Length(max=5000, message=_l("El mensaje admite hasta 5,000 caracteres.")),
        ],
    )
    adjunto = FileField(_l("Archivo adjunto"), description=ATTACHMENT_HINT)


class ThreadForm(ReplyForm):
    asunto = StringField(
        _l("Asunto"),
        validators=[
            InputRequired(_l("Escriba el asunto.")),
            Length(max=200, message=_l("El asunto es demasiado largo.")),
        ],
    )
