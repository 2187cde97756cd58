"""Forms for sign-in and the citizen record (WTForms through flask-wtf)."""

from __future__ import annotations

import re

from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError

from portal.citizens.phones import PhoneError, normalise_phone
from portal.messages import _l
from portal.territory.forms import AddressForm
from portal.web.forms import BaseForm


class StaffLoginForm(BaseForm):
    email = EmailField(
        _l("Correo institucional"), validators=[DataRequired(_l("Escriba su correo."))]
    )
    password = PasswordField(
        _l("Contraseña"), validators=[DataRequired(_l("Escriba su contraseña."))]
    )


class PrivacyForm(BaseForm):
    accept = BooleanField(
        _l("Leí el aviso de privacidad y acepto que mis datos se usen para lo que ahí se dice"),
        validators=[DataRequired(_l("Para continuar, marque que acepta el aviso de privacidad."))],
    )


CHANNELS = [
    SelectChoice("portal", _l("Solo en este portal")),
    SelectChoice("email", _l("Por correo electrónico")),
    SelectChoice("sms", _l("Por mensaje de texto (SMS)")),
]


def phone_number(form, field) -> None:
    """Accept a phone however people write it and keep its 10 digits."""
    try:
        field.data = normalise_phone(field.data or "")
    except PhoneError as exc:
        raise ValidationError(exc.message) from exc


class ProfileForm(AddressForm):
    """Contact data and the address (its fields and checks: portal/territory/forms.py)."""

    phone = StringField(
        _l("Teléfono celular"),
        description=_l("10 dígitos, por ejemplo 442 123 4567. Solo si quiere avisos por mensaje."),
        validators=[Optional(), phone_number],
    )
    email = EmailField(
        _l("Correo electrónico"),
        validators=[
            Optional(),
            # A light check on purpose: the address is confirmed by using it.
            Regexp(
                r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
                message=_l("Escriba un correo como nombre@ejemplo.com."),
            ),
            Length(max=200),
        ],
    )
    notify_channel = RadioField(
        _l("¿Cómo quiere recibir avisos de sus trámites?"), choices=CHANNELS, default="portal"
    )

    def validate(self, extra_validators=None):
        # Here rather than in validate_phone: Optional() stops a field's chain
        # when it is empty, and the empty case is the one that matters.
        valid = super().validate(extra_validators)
        if self.notify_channel.data == "sms" and not self.phone.data:
            self.phone.errors = [
                *self.phone.errors,
                _l("Para avisos por mensaje, escriba su teléfono."),
            ]
            valid = False
        if self.notify_channel.data == "email" and not self.email.data:
            self.email.errors = [
                *self.email.errors,
                _l("Para avisos por correo, escriba su correo electrónico."),
            ]
            valid = False
        return valid


NAME_FIELDS = [
    SelectChoice("given_names", _l("Nombre(s)")),
    SelectChoice("first_surname", _l("Primer apellido")),
    SelectChoice("second_surname", _l("Segundo apellido")),
]


def correctable_fields(citizen) -> list[SelectChoice]:
    """What a person may ask staff to correct: data they cannot edit here that
    came neither from the digital ID nor from a decision.

    Names count only on a record that staff or a roll created: names from the
    digital ID are corrected at the digital ID itself. Questionnaire answers
    always count, since they came from the person.
    """
    from portal.eligibility.profile import FIELDS

    choices: list[SelectChoice] = []
    if not citizen.identities.exists():
        choices += NAME_FIELDS
    choices += [
        SelectChoice(f"profile.{name}", FIELDS[name].label.capitalize())
        for name in (citizen.profile or {})
        if name in FIELDS
    ]
    return choices


class CorrectionForm(BaseForm):
    field = SelectField(
        _l("¿Qué dato está mal?"),
        choices=[],
        validators=[DataRequired(_l("Elija el dato que está mal."))],
    )
    requested_value = StringField(
        _l("¿Cómo debe decir?"),
        validators=[
            DataRequired(_l("Escriba cómo debe decir.")),
            Length(max=300, message=_l("Máximo 300 caracteres.")),
        ],
    )
    reason = TextAreaField(
        _l("¿Por qué? (opcional)"),
        validators=[Optional(), Length(max=1000, message=_l("Máximo 1000 caracteres."))],
    )

    def validate_requested_value(self, field):
        if re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", field.data or ""):
            raise ValidationError(_l("El texto tiene caracteres no permitidos."))
