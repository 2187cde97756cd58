"""The form fields that describe one household member (schooling, disability),
shared by the citizen's household page (portal/eligibility/views.py) and the
counter's application for a child (portal/backoffice/forms.py); both are read
by household.read_member / guardian.read_child, so their values are the
questionnaire's own."""

from __future__ import annotations

from wtforms import RadioField, SelectChoice, SelectField

from portal.messages import _l

# Up to upper secondary: what a child can be studying.
SCHOOL_LEVELS = (
    SelectChoice("ninguno", _l("No está estudiando")),
    SelectChoice("primaria", _l("Primaria")),
    SelectChoice("secundaria", _l("Secundaria")),
    SelectChoice("preparatoria", _l("Preparatoria o bachillerato")),
)
HIGHER_LEVELS = (
    SelectChoice("licenciatura", _l("Licenciatura o ingeniería")),
    SelectChoice("posgrado", _l("Maestría o doctorado")),
)


def student_level_field(*, children_only: bool = False) -> SelectField:
    levels = SCHOOL_LEVELS if children_only else SCHOOL_LEVELS + HIGHER_LEVELS
    return SelectField(
        _l("¿Qué estudia ahora?"),
        choices=[SelectChoice("", _l("Elija una opción")), *levels],
        validate_choice=False,
    )


def disability_field() -> RadioField:
    return RadioField(
        _l("¿Tiene alguna discapacidad?"),
        choices=[
            SelectChoice("si", _l("Sí")),
            SelectChoice("no", _l("No")),
            SelectChoice("no_se", _l("No sé")),
        ],
        validate_choice=False,
    )
