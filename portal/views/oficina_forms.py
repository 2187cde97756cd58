"""Back-office forms. Each declares only the fields staff may change: anything
else posted (status, agency on a review form) is never read."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    EmailField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import (
    DataRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from ..models import STAFF_ROLES
from ..profile import SLUG_RE

ROLE_LABELS = {
    "revisor": _l("Revisión de solicitudes"),
    "entrega": _l("Entrega de apoyos"),
    "admin_dependencia": _l("Administración de la dependencia"),
    "admin_estatal": _l("Administración estatal"),
}


def strip(value):
    return value.strip() if isinstance(value, str) else value


class BaseForm(FlaskForm):
    """Whitespace around typed text is never meaningful."""

    class Meta:
        def bind_field(self, form, unbound_field, options):
            filters = unbound_field.kwargs.get("filters", [])
            if strip not in filters:
                filters = [strip, *filters]
            return unbound_field.bind(form=form, filters=filters, **options)


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class AuditSearchForm(BaseForm):
    class Meta:
        csrf = False

    citizen_id = IntegerField(
        _l("Número de expediente de la persona"), validators=[Optional(), NumberRange(min=1)]
    )
    folio = StringField(_l("Folio"), validators=[Optional(), Length(max=20)])
    staff_id = SelectField(_l("Persona servidora"), coerce=str, validators=[Optional()])
    action = SelectField(_l("Acción"), coerce=str, validators=[Optional()])
    since = DateField(_l("Desde"), validators=[Optional()])
    until = DateField(_l("Hasta"), validators=[Optional()])

    def validate_until(self, field):
        if field.data and self.since.data and field.data < self.since.data:
            raise ValidationError(_l("La fecha final no puede ser anterior a la inicial."))


class StaffCreateForm(BaseForm):
    name = StringField(
        _l("Nombre completo"), validators=[DataRequired(_l("Escriba el nombre.")), Length(max=120)]
    )
    email = EmailField(
        _l("Correo institucional"),
        validators=[
            DataRequired(_l("Escriba el correo.")),
            Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message=_l("Escriba un correo válido.")),
            Length(max=200),
        ],
    )
    role = SelectField(_l("Función"), choices=[(r, ROLE_LABELS[r]) for r in STAFF_ROLES])
    agency = SelectField(_l("Dependencia"), coerce=str)
    password = PasswordField(
        _l("Contraseña inicial"),
        description=_l("Al menos 12 caracteres. Entréguela en persona; no la envíe por correo."),
        validators=[
            DataRequired(_l("Escriba una contraseña inicial.")),
            Length(
                min=12, max=128, message=_l("La contraseña debe tener entre 12 y 128 caracteres.")
            ),
        ],
    )

    def validate_agency(self, field):
        if self.role.data != "admin_estatal" and not field.data:
            raise ValidationError(
                _l("Elija la dependencia: solo la administración estatal no tiene una.")
            )


class StaffEditForm(BaseForm):
    role = SelectField(_l("Función"), choices=[(r, ROLE_LABELS[r]) for r in STAFF_ROLES])
    agency = SelectField(_l("Dependencia"), coerce=str)

    validate_agency = StaffCreateForm.validate_agency


class AgencyForm(BaseForm):
    name = StringField(
        _l("Nombre"), validators=[DataRequired(_l("Escriba el nombre.")), Length(max=200)]
    )
    slug = StringField(
        _l("Clave"),
        description=_l("Minúsculas, números y guiones; por ejemplo sedesoq."),
        validators=[
            DataRequired(_l("Escriba la clave.")),
            Length(max=60),
            Regexp(SLUG_RE, message=_l("Use solo minúsculas, números y guiones.")),
        ],
    )


class ConfirmForm(BaseForm):
    """A button that changes something: CSRF only."""


class VersionedForm(BaseForm):
    # The version the reviewer saw; a stale one means someone else acted first.
    version = HiddenField(validators=[DataRequired(), Regexp(r"^\d{1,9}$")])
