"""The portal's data, as peewee models.

The schema itself is created by the numbered scripts in ``migrations/``;
``tests/test_migrations.py`` fails when these models and the migrations drift
apart. Times are stored in UTC without a zone.

Duplicate beneficiaries are impossible by construction: partial unique indexes
(SQLite and PostgreSQL both have them) allow at most one *live* application per
person, program and call, and at most one *active* enrollment per person and
exclusion key, so two simultaneous requests can never both succeed.
"""

from __future__ import annotations

import datetime as dt
import json

from peewee import (
    SQL,
    BooleanField,
    CharField,
    DateField,
    DateTimeField,
    FloatField,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
)

from ..extensions import db
from ..vocabulary import (
    LIVE_STATUSES,
    STAFF_ROLES,
    STATUSES,
    ApplicationStatus,
    DocumentStatus,
    EnrollmentSource,
    EnrollmentState,
)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class JSONText(TextField):
    """JSON stored as text: the same on SQLite and PostgreSQL."""

    def db_value(self, value):
        return None if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)

    def python_value(self, value):
        return None if value is None else json.loads(value)


class BaseModel(Model):
    class Meta:
        database = db
        legacy_table_names = False


# Statuses and roles are defined once, in portal/vocabulary.py; the allowed
# transitions live in portal/applications.py.


def _in(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{v}'" for v in values)


class SignedInUser:
    """What flask-login asks of a user (kept here so models need no Flask)."""

    id_prefix = ""
    is_authenticated = True
    is_anonymous = False

    @property
    def is_active(self) -> bool:
        return getattr(self, "active", True)

    def get_id(self) -> str:
        return f"{self.id_prefix}:{self.id}"


class Municipality(BaseModel):
    """INEGI municipality (clave geoestadística de 5 dígitos)."""

    code = CharField(max_length=5, primary_key=True)
    name = CharField()
    state_code = CharField(max_length=2, index=True)


class Agency(BaseModel):
    """Dependencia that runs programs."""

    slug = CharField(unique=True)
    name = CharField()
    created_at = DateTimeField(default=utcnow)


class Program(BaseModel):
    """A social program; its rules and texts are versioned in ProgramVersion."""

    slug = CharField(unique=True)
    agency = ForeignKeyField(Agency, backref="programs", on_delete="RESTRICT")
    name = CharField()
    summary = TextField()
    description = TextField(default="")
    population = TextField(default="")
    exclusion_group = CharField(null=True, index=True)
    benefit_kind = CharField(max_length=10)
    benefit_amount = IntegerField(null=True)
    benefit_period = CharField(default="")
    benefit_description = TextField(default="")
    eligibility = JSONText(default=list)
    version = IntegerField(default=1)
    active = BooleanField(default=True)
    updated_at = DateTimeField(default=utcnow)

    @property
    def exclusion_key(self) -> str:
        """Enrollments are unique per person and this key."""
        return self.exclusion_group or f"programa:{self.slug}"


class ProgramVersion(BaseModel):
    """Immutable snapshot of a program as judged at some moment."""

    program = ForeignKeyField(Program, backref="versions", on_delete="CASCADE")
    version = IntegerField()
    snapshot = JSONText()
    created_at = DateTimeField(default=utcnow)
    created_by = CharField(default="sistema")

    class Meta:
        indexes = ((("program", "version"), True),)


class Requirement(BaseModel):
    """A document a program asks for."""

    program = ForeignKeyField(Program, backref="requirements", on_delete="CASCADE")
    slug = CharField()
    name = CharField()
    hint = TextField(default="")
    formats = CharField(default="pdf,jpg,png")
    optional = BooleanField(default=False)
    position = IntegerField(default=0)

    class Meta:
        indexes = ((("program", "slug"), True),)


class Call(BaseModel):
    """Convocatoria: a window in which applications are taken, with a quota."""

    program = ForeignKeyField(Program, backref="calls", on_delete="CASCADE")
    opens = DateField()
    closes = DateField()
    quota = IntegerField(null=True)

    class Meta:
        indexes = ((("program", "opens"), True),)


class DeliveryPoint(BaseModel):
    program = ForeignKeyField(Program, backref="delivery_points", on_delete="CASCADE")
    name = CharField()
    address = TextField()
    municipality = ForeignKeyField(Municipality, null=True, on_delete="SET NULL")
    lat = FloatField(null=True)
    lon = FloatField(null=True)
    hours = CharField(default="")
    position = IntegerField(default=0)  # order in the program's list, as in the catalog file
    # Deliveries refer to their point, so a point removed from the program after
    # deliveries were recorded there stays, inactive: no longer offered at /entrega.
    active = BooleanField(default=True)


# The address after INEGI's Norma Técnica sobre Domicilios Geográficos, as
# Citizen stores it (municipality and state are kept apart).
ADDRESS_FIELDS = (
    "road_type",
    "road_name",
    "exterior_number",
    "interior_number",
    "settlement_type",
    "settlement_name",
    "postal_code",
    "locality",
)


class Citizen(SignedInUser, BaseModel):
    """Expediente único: one record per CURP, never two."""

    id_prefix = "c"
    curp = CharField(max_length=18, unique=True)
    given_names = CharField()
    first_surname = CharField()
    second_surname = CharField(default="")
    birth_date = DateField()
    sex = CharField(max_length=1)
    # Contact and notices.
    email = CharField(default="")
    phone = CharField(default="")
    notify_channel = CharField(default="portal")
    # Address after INEGI's Norma Técnica sobre Domicilios Geográficos.
    road_type = CharField(default="")
    road_name = CharField(default="")
    exterior_number = CharField(default="")
    interior_number = CharField(default="")
    settlement_type = CharField(default="")
    settlement_name = CharField(default="")
    postal_code = CharField(max_length=5, default="")
    locality = CharField(default="")
    municipality = ForeignKeyField(Municipality, null=True, on_delete="SET NULL", index=True)
    state = CharField(default="")
    # Questionnaire answers the person gave (profile fields of portal/profile.py).
    profile = JSONText(default=dict)
    privacy_version = CharField(default="")
    privacy_accepted_at = DateTimeField(null=True)
    # How the record was created: digital_id, assisted or import.
    origin = CharField(default="digital_id")
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.given_names, self.first_surname, self.second_surname) if p)


class StaffUser(SignedInUser, BaseModel):
    """Agency staff; every role but admin_estatal belongs to one agency."""

    id_prefix = "s"
    email = CharField(unique=True)
    name = CharField()
    password_hash = CharField()
    role = CharField(constraints=[SQL(f"CHECK (role IN ({_in(STAFF_ROLES)}))")])
    agency = ForeignKeyField(Agency, null=True, backref="staff", on_delete="RESTRICT")
    active = BooleanField(default=True)
    failed_logins = IntegerField(default=0)
    locked_until = DateTimeField(null=True)
    created_at = DateTimeField(default=utcnow)
    last_login_at = DateTimeField(null=True)


class Application(BaseModel):
    """Solicitud of one person to one program's call."""

    folio = CharField(max_length=20, unique=True)
    citizen = ForeignKeyField(Citizen, backref="applications", on_delete="RESTRICT")
    program = ForeignKeyField(Program, backref="applications", on_delete="RESTRICT")
    call = ForeignKeyField(Call, backref="applications", on_delete="RESTRICT")
    program_version = IntegerField(default=1)
    status = CharField(
        default=ApplicationStatus.BORRADOR,
        constraints=[SQL(f"CHECK (status IN ({_in(STATUSES)}))")],
    )
    # Optimistic lock: every change bumps it with a conditional update.
    version = IntegerField(default=1)
    # One key per form, so a double click or a repeated post creates one.
    idempotency_key = CharField(null=True, unique=True)
    answers = JSONText(default=dict)
    correction = JSONText(null=True)
    decision_reason = TextField(default="")
    assisted_by = ForeignKeyField(StaffUser, null=True, on_delete="SET NULL")
    assigned_to = ForeignKeyField(StaffUser, null=True, on_delete="SET NULL")
    flagged = BooleanField(default=False)
    # An approval made although a gate failed: the supervisor and their reason.
    override_by = ForeignKeyField(StaffUser, null=True, on_delete="SET NULL")
    override_reason = TextField(default="")
    municipality = CharField(max_length=5, default="", index=True)
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)
    submitted_at = DateTimeField(null=True, index=True)
    decided_at = DateTimeField(null=True)

    class Meta:
        indexes = ((("program", "status", "submitted_at"), False),)


Application.add_index(
    Application.index(
        Application.citizen,
        Application.program,
        Application.call,
        unique=True,
        where=SQL(f"status IN ({_in(LIVE_STATUSES)})"),
        name="application_one_live_per_call",
    )
)


class ApplicationEvent(BaseModel):
    """Every change of state, shown to the person as a timeline."""

    application = ForeignKeyField(Application, backref="events", on_delete="CASCADE")
    from_status = CharField(null=True)
    to_status = CharField()
    actor_kind = CharField()  # ciudadano, personal, sistema
    actor_staff = ForeignKeyField(StaffUser, null=True, on_delete="SET NULL")
    assisted = BooleanField(default=False)
    reason = TextField(default="")
    created_at = DateTimeField(default=utcnow, index=True)


class Document(BaseModel):
    """One uploaded version of a requirement; replaced versions stay."""

    application = ForeignKeyField(Application, backref="documents", on_delete="CASCADE")
    requirement = ForeignKeyField(Requirement, on_delete="RESTRICT")
    version = IntegerField(default=1)
    current = BooleanField(default=True)
    storage_key = CharField(unique=True)
    filename = CharField()
    content_type = CharField()
    size = IntegerField()
    sha256 = CharField(max_length=64)
    status = CharField(default=DocumentStatus.PENDIENTE)
    review_reason = TextField(default="")
    reviewed_by = ForeignKeyField(StaffUser, null=True, on_delete="SET NULL")
    uploaded_by_staff = ForeignKeyField(StaffUser, null=True, on_delete="SET NULL")
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("application", "requirement", "version"), True),)


class Enrollment(BaseModel):
    """A person receiving a program: from an approved application or a roll."""

    citizen = ForeignKeyField(Citizen, backref="enrollments", on_delete="RESTRICT")
    program = ForeignKeyField(Program, backref="enrollments", on_delete="RESTRICT")
    # exclusion_group, or "programa:<slug>" for a program in no group.
    exclusion_key = CharField()
    application = ForeignKeyField(Application, null=True, on_delete="SET NULL")
    source = CharField(default=EnrollmentSource.SOLICITUD)
    import_batch = CharField(null=True, index=True)
    active = BooleanField(default=True)
    benefit_amount = IntegerField(null=True)
    started_on = DateField(default=dt.date.today)
    ended_on = DateField(null=True)
    end_reason = TextField(default="")
    created_at = DateTimeField(default=utcnow)

    @property
    def state(self) -> EnrollmentState:
        return EnrollmentState.ACTIVA if self.active else EnrollmentState.TERMINADA


Enrollment.add_index(
    Enrollment.index(
        Enrollment.citizen,
        Enrollment.exclusion_key,
        unique=True,
        where=SQL("active"),
        name="enrollment_one_active_per_group",
    )
)
Enrollment.add_index(Enrollment.index(Enrollment.program, Enrollment.active))


class AuditEvent(BaseModel):
    """Append-only, hash-chained record of staff actions and state changes.

    Never holds a CURP, document content or token: objects are named by type
    and id (or folio), people by their record id.
    """

    created_at = DateTimeField(default=utcnow, index=True)
    actor_kind = CharField()  # ciudadano, personal, sistema, anonimo
    actor_id = IntegerField(null=True)
    role = CharField(default="")
    agency_id = IntegerField(null=True)
    object_type = CharField(default="")
    object_id = CharField(default="", index=True)
    action = CharField(index=True)
    outcome = CharField(default="ok")
    request_id = CharField(default="")
    details = JSONText(default=dict)
    prev_hash = CharField(max_length=64)
    hash = CharField(max_length=64, unique=True)


class WebSession(BaseModel):
    """Server-side session: sign-out and deactivation really end it.

    The cookie holds a random id; only its SHA-256 is stored, so a copy of the
    database cannot be replayed as cookies.
    """

    id_hash = CharField(max_length=64, primary_key=True)
    data = JSONText(default=dict)
    user_kind = CharField(default="")  # "", ciudadano, personal
    user_id = IntegerField(null=True)
    created_at = DateTimeField(default=utcnow)
    last_seen = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("user_kind", "user_id"), False),)
