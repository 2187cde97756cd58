"""The planning forms: a budget, a goal, an indicator.

Numbers are typed as people write them ("1,500,000", "$ 2 000 000", "87.5"):
:class:`NumberField` reads them and says in Spanish what it could not read;
whether a number makes sense (negative, zero, below what was spent) is the
domain's to say (portal/planning/budget.py, goals.py), with the field named.
"""

from __future__ import annotations

import re
from typing import Any

from wtforms import SelectField, StringField
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from portal.messages import _l
from portal.planning.goals import MAX_NAME
from portal.web.forms import BaseForm

_SEPARATORS = re.compile(r"[\s,$]")
_NUMBER = re.compile(r"-?\d+(\.\d+)?")


def read_number(text: str) -> float | None:
    """``text`` as a number, ignoring thousands separators, spaces and "$";
    None when empty. ValueError when it is not a number."""
    cleaned = _SEPARATORS.sub("", text or "")
    if not cleaned:
        return None
    if not _NUMBER.fullmatch(cleaned):
        raise ValueError(cleaned)
    return float(cleaned)


class NumberField(StringField):
    """A number typed as text; ``whole`` ones refuse decimals."""

    def __init__(self, label: Any = None, validators: Any = None, whole: bool = True, **kw: Any):
        super().__init__(label, validators, **kw)
        self.whole = whole

    def number(self) -> float | None:
        return read_number(self.data or "")

    def pre_validate(self, form: Any) -> None:
        try:
            found = self.number()
        except ValueError:
            raise ValidationError(_l("Escriba solo un número, por ejemplo 1,500,000.")) from None
        if found is not None and self.whole and found != int(found):
            raise ValidationError(_l("Escriba un número entero, sin centavos ni decimales."))

    def whole_number(self) -> int | None:
        found = self.number()
        return None if found is None else int(found)


class BudgetForm(BaseForm):
    aprobado = NumberField(
        _l("Presupuesto aprobado (pesos)"),
        validators=[InputRequired(_l("Escriba el presupuesto aprobado, en pesos."))],
        description=_l("El que aprobó el Congreso para el año fiscal."),
    )
    modificado = NumberField(
        _l("Presupuesto modificado (pesos)"),
        validators=[Optional()],
        description=_l("Déjelo vacío si el presupuesto no ha cambiado durante el año."),
    )


class GoalForm(BaseForm):
    personas = NumberField(
        _l("Personas por atender"),
        validators=[InputRequired(_l("Escriba cuántas personas quiere atender el programa."))],
    )
    municipio = SelectField(
        _l("Municipio"),
        validators=[Optional()],
        validate_choice=False,  # the domain refuses an unknown one, naming it
        description=_l("Deje «Todo el programa» o elija un municipio con meta propia."),
    )


class IndicatorForm(BaseForm):
    nombre = StringField(
        _l("Nombre del indicador"),
        validators=[
            InputRequired(_l("Escriba el nombre del indicador.")),
            Length(max=MAX_NAME, message=_l("El nombre es demasiado largo.")),
        ],
    )
    formula = SelectField(
        _l("Fórmula"),
        validators=[InputRequired(_l("Elija una de las fórmulas que el portal sabe calcular."))],
        validate_choice=False,  # the domain refuses one outside the set, naming it
    )
    frecuencia = SelectField(
        _l("Frecuencia de medición"),
        validators=[InputRequired(_l("Elija la frecuencia de medición."))],
        validate_choice=False,
    )
    dias = NumberField(
        _l("Plazo en días"),
        validators=[Optional()],
        description=_l("Solo para «solicitudes resueltas en N días»: el número N."),
    )
    linea_base = NumberField(_l("Línea base"), validators=[Optional()], whole=False)
    # Not "meta": a WTForms form keeps its settings under that name.
    objetivo = NumberField(
        _l("Meta del indicador"),
        validators=[InputRequired(_l("Escriba la meta del indicador."))],
        whole=False,
        description=_l("En por ciento, o en pesos para el costo por persona."),
    )
