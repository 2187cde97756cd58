"""Back-office forms. Each declares only the fields staff may change: anything
else posted (status, agency on a review form) is never read."""

from __future__ import annotations

from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    HiddenField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from portal.citizens.forms import ProfileForm
from portal.eligibility import household, member_fields
from portal.eligibility.profile import SLUG_RE
from portal.messages import _l
from portal.models import STAFF_ROLES
from portal.vocabulary import STATE_ROLES
from portal.vocabulary import ApplicationStatus as S
from portal.web.forms import BaseForm

ROLE_LABELS = {
    "revisor": _l("Revisión de solicitudes"),
    "entrega": _l("Entrega de apoyos"),
    "supervisor": _l("Supervisión (excepciones a la aprobación)"),
    "admin_dependencia": _l("Administración de la dependencia"),
    "admin_estatal": _l("Administración estatal"),
    "secretaria": _l("Secretaría coordinadora (validación y calendario)"),
    "ventanilla_estatal": _l("Ventanilla estatal (atiende programas de todas las dependencias)"),
}


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


ROLE_CHOICES = [SelectChoice(r, ROLE_LABELS[r]) for r in STAFF_ROLES]


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
    role = SelectField(_l("Función"), choices=ROLE_CHOICES)
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
        if self.role.data not in STATE_ROLES and not field.data:
            raise ValidationError(
                _l(
                    "Elija la dependencia: solo la administración estatal, la secretaría"
                    " coordinadora y la ventanilla estatal no tienen una."
                )
            )


class StaffEditForm(BaseForm):
    role = SelectField(_l("Función"), choices=ROLE_CHOICES)
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


STALE_FORM = _l(
    "El formulario no dice qué versión de la solicitud vio. Vuelva a cargar la página e "
    "inténtelo de nuevo."
)


class VersionedForm(BaseForm):
    # The version the reviewer saw; a stale one means someone else acted first.
    version = HiddenField(
        validators=[
            DataRequired(STALE_FORM),
            Regexp(r"^\d{1,9}$", message=STALE_FORM),
        ]
    )


QUEUE_STATUSES = (S.ENVIADA, S.EN_REVISION, S.REQUIERE_CORRECCION, S.APROBADA, S.RECHAZADA)


class QueueFilterForm(BaseForm):
    class Meta:
        csrf = False

    program = SelectField(_l("Programa"), coerce=str, validators=[Optional()])
    status = SelectField(_l("Estado"), coerce=str, validators=[Optional()])
    municipality = SelectField(_l("Municipio"), coerce=str, validators=[Optional()])
    since = DateField(_l("Enviadas desde"), validators=[Optional()])
    until = DateField(_l("Enviadas hasta"), validators=[Optional()])
    flagged = SelectField(
        _l("Marcadas"),
        choices=[SelectChoice("", _l("Todas")), SelectChoice("si", _l("Solo marcadas"))],
        validators=[Optional()],
    )

    validate_until = AuditSearchForm.validate_until


class DocumentReviewForm(VersionedForm):
    decision = SelectField(
        _l("Dictamen"),
        choices=[
            SelectChoice("aceptado", _l("Aceptar")),
            SelectChoice("rechazado", _l("Rechazar")),
        ],
    )
    reason = StringField(_l("Motivo"), validators=[Length(max=300)])

    def validate_reason(self, field):
        if self.decision.data == "rechazado" and not field.data:
            raise ValidationError(_l("Diga por qué rechaza el documento: la persona lo verá."))


class CorrectionRequestForm(VersionedForm):
    documents = MultiCheckboxField(
        _l("Documentos por corregir"), coerce=int, validators=[Optional()]
    )
    fields = MultiCheckboxField(_l("Datos por corregir"), coerce=str, validators=[Optional()])
    message = TextAreaField(
        _l("Mensaje para la persona"),
        validators=[DataRequired(_l("Explique a la persona qué debe corregir.")), Length(max=1000)],
    )

    def validate_message(self, field):
        if not self.documents.data and not self.fields.data:
            raise ValidationError(_l("Marque al menos un documento o un dato por corregir."))


class OverrideForm(VersionedForm):
    reason = TextAreaField(
        _l("Por qué se aprueba con excepción"),
        validators=[
            DataRequired(_l("Escriba por qué se aprueba aunque no se cumpla todo.")),
            Length(min=20, max=1000, message=_l("Explíquelo en 20 a 1000 caracteres.")),
        ],
    )


REJECTION_REASONS = {
    "no_cumple": _l("No cumple los requisitos del programa"),
    "documentos": _l("Los documentos no son válidos o no corresponden a la persona"),
    "duplicada": _l("Ya recibe este apoyo u otro que no se puede combinar"),
    "cupo": _l("Se agotó el cupo de la convocatoria"),
    "otro": _l("Otro motivo"),
}


class RejectForm(VersionedForm):
    reason = SelectField(
        _l("Motivo del rechazo"),
        choices=[SelectChoice(key, label) for key, label in REJECTION_REASONS.items()],
    )
    details = TextAreaField(
        _l("Explicación para la persona"),
        validators=[DataRequired(_l("Explique el rechazo: la persona lo verá.")), Length(max=1000)],
    )


ID_TYPE_LABELS = {
    "ine": _l("Credencial para votar (INE)"),
    "pasaporte": _l("Pasaporte"),
    "cedula": _l("Cédula profesional"),
    "licencia": _l("Licencia de conducir"),
    "cartilla": _l("Cartilla del Servicio Militar"),
    "otra": _l("Otra identificación oficial"),
}


class CurpForm(BaseForm):
    curp = StringField(
        _l("CURP de la persona"),
        description=_l("18 caracteres, tal como aparecen en su constancia o identificación."),
        validators=[DataRequired(_l("Escriba la CURP."))],
    )


class IdentityCheckForm(BaseForm):
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


class RegisterForm(IdentityCheckForm):
    curp = StringField(_l("CURP"), validators=[DataRequired(_l("Escriba la CURP."))])
    given_names = StringField(
        _l("Nombre(s)"), validators=[DataRequired(_l("Escriba el nombre.")), Length(max=80)]
    )
    first_surname = StringField(
        _l("Primer apellido"),
        validators=[DataRequired(_l("Escriba el primer apellido.")), Length(max=80)],
    )
    second_surname = StringField(_l("Segundo apellido"), validators=[Optional(), Length(max=80)])
    birth_date = DateField(
        _l("Fecha de nacimiento"), validators=[DataRequired(_l("Escriba la fecha de nacimiento."))]
    )
    sex = SelectField(
        _l("Sexo"),
        choices=[
            SelectChoice("M", _l("Mujer")),
            SelectChoice("H", _l("Hombre")),
            SelectChoice("X", _l("No binario")),
        ],
    )
    municipality = SelectField(_l("Municipio donde vive"), coerce=str)


class AssistedApplyForm(BaseForm):
    program = SelectField(_l("Programa"), coerce=str)
    idempotency_key = HiddenField(validators=[DataRequired(), Length(max=64)])


class CounterChildForm(AssistedApplyForm):
    """The child a guardian applies for at the counter; the fields are checked
    by portal/applications/guardian.py (read_child_at_counter), as the
    citizen's own flow checks them."""

    relation = RadioField(
        _l("¿Qué es la niña o el niño de la persona?"),
        choices=[SelectChoice(r, household.RELATION_LABELS[r]) for r in household.CHILD_RELATIONS],
        validate_choice=False,
    )
    curp = StringField(
        _l("CURP de la niña o el niño"),
        description=_l("18 caracteres, tal como aparecen en su acta de nacimiento o constancia."),
    )
    birth_date = DateField(
        _l("Fecha de nacimiento de la niña o el niño"),
        validators=[Optional()],
    )
    given_names = StringField(_l("Nombre(s)"))
    first_surname = StringField(_l("Primer apellido"))
    second_surname = StringField(_l("Segundo apellido (si tiene)"))
    student_level = member_fields.student_level_field(children_only=True)
    disability = member_fields.disability_field()


class CounterContactForm(ProfileForm):
    """The contact data, address and notice channel a person gives at the counter.

    The fields are the person's own "Mis datos" form (portal/citizens/forms.py),
    so the address is the record's INEGI fields with the state's municipality
    list; when portal/territory's address catalogs land, the territory fields
    join here and in that form alike. Nothing is kept without ``consent``.
    """

    consent = BooleanField(
        _l("La persona acepta que guardemos estos datos para enviarle avisos de sus trámites"),
        description=_l(
            "Léale el aviso de privacidad antes de marcarlo. Puede retirar su permiso cuando quiera."
        ),
        validators=[
            InputRequired(
                message=_l("Sin el permiso de la persona no se guardan sus datos de contacto.")
            )
        ],
    )
    tell_of_programs = BooleanField(
        _l("También quiere que le avisemos de programas que podría recibir"),
        description=_l("Se le avisa una sola vez por convocatoria. Puede retirarlo cuando quiera."),
    )
