"""The secretariat's forms: a reporting obligation, a decision on a submission.

Whether a choice exists or a date makes sense is the domain's to say
(portal/secretariat/calendar.py, validation.py), with the field named."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional

from portal.planning.forms import NumberField
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
    fecha_limite = DateField(
        _l("Fecha límite"),
        validators=[InputRequired(_l("Escriba la fecha límite."))],
        description=_l("Día, mes y año, por ejemplo 2026-12-31."),
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
