"""The single citizen record (expediente único): the person, their digital-ID
identities, the correction requests they make about their own data and the
in-person identity checks of the counter."""

from __future__ import annotations

from peewee import (
    SQL,
    AutoField,
    BooleanField,
    CharField,
    DateField,
    DateTimeField,
    DoubleField,
    ForeignKeyField,
    IntegerField,
    ModelSelect,
    TextField,
)

from portal.backoffice.models import StaffUser
from portal.catalog.models import Municipality
from portal.web.tables import BaseModel, JSONText, utcnow
from portal.web.users import SignedInUser

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
    "locality_code",
)


class Citizen(SignedInUser, BaseModel):
    """Expediente único: one record per CURP, never two."""

    id_prefix = "c"
    id: AutoField[int]
    curp = CharField(max_length=18, unique=True)
    given_names = CharField()
    first_surname = CharField()
    second_surname = CharField(default="")
    birth_date = DateField()
    sex = CharField(max_length=1)
    # Contact and notices.
    email = CharField(default="")
    # Indexed: an SMS that arrives names its sender by number (portal/sms/inbound.py).
    phone = CharField(default="", index=True)
    notify_channel = CharField(default="portal")
    # The language the person last chose on /idioma/<code> while signed in: what
    # the e-mail and SMS sent from the queue are written in (docs/languages.md).
    language = CharField(max_length=8, default="es")
    # Address after INEGI's Norma Técnica sobre Domicilios Geográficos.
    road_type = CharField(default="")
    road_name = CharField(default="")
    exterior_number = CharField(default="")
    interior_number = CharField(default="")
    settlement_type = CharField(default="")
    settlement_name = CharField(default="")
    postal_code = CharField(max_length=5, default="")
    locality = CharField(default="")
    # The locality's INEGI clave geoestadística when it came from the catalog
    # (portal/territory); ``locality`` keeps its name as the person saw it.
    locality_code = CharField(max_length=9, default="")
    municipality = ForeignKeyField(Municipality, null=True, on_delete="SET NULL", index=True)
    municipality_id: ForeignKeyField[str | None]
    state = CharField(default="")
    # Questionnaire answers the person gave (profile fields of portal/eligibility/profile.py).
    profile = JSONText(default=dict)
    privacy_version = CharField(default="")
    privacy_accepted_at = DateTimeField(null=True)
    # How the record was created: digital_id, assisted or import.
    origin = CharField(default="digital_id")
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)
    # Rows that point here (peewee backrefs), declared for mypy.
    identities: ModelSelect[Identity]
    correction_requests: ModelSelect[CorrectionRequest]
    identity_checks: ModelSelect[IdentityCheck]

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.given_names, self.first_surname, self.second_surname) if p)


# Duplicate detection blocks people by birth date and sex; the index lets each
# block be read without scanning the table.
Citizen.add_index(Citizen.index(Citizen.birth_date, Citizen.sex, name="citizen_birth_date_sex"))


class CitizenFacts(BaseModel):
    """What the eligibility rules read of one citizen, in typed columns: the
    live preview of draft rules counts the registry from this narrow table
    alone (portal/catalog/preview.py). Kept by portal/citizens/facts.py in the
    same transaction as every write of the record's municipality, birth date,
    sex or answers; NULL where the answer is missing, "No sé" or unreadable.
    """

    citizen = ForeignKeyField(Citizen, primary_key=True, on_delete="CASCADE", backref="+")
    citizen_id: ForeignKeyField[int]
    # The record's municipality (the preview's rows); ``lives_in`` is the one the
    # rules judge: the record's, else the one answered in the questionnaire.
    municipality = CharField(max_length=5, null=True)
    lives_in = TextField(null=True)
    birth_date = DateField()
    sex = CharField(max_length=1)
    household_size = DoubleField(null=True)
    household_income_monthly = DoubleField(null=True)
    student_level = TextField(null=True)
    employment = TextField(null=True)
    disability = BooleanField(null=True)
    indigenous = BooleanField(null=True)
    pregnant = BooleanField(null=True)
    # The children's ages as the conditions on them read them: how many (NULL:
    # not answered; 0: none), the youngest and the eldest.
    children = IntegerField(null=True)
    youngest_child = DoubleField(null=True)
    eldest_child = DoubleField(null=True)

    class Meta:
        table_name = "citizen_facts"


# The preview groups by municipality: this index leads with it and holds every
# other column, so SQLite reads it in order (no sort of a million rows, no
# look-up in the table) and counts each municipality as it passes.
CitizenFacts.add_index(
    CitizenFacts.index(
        *(f for f in CitizenFacts._meta.sorted_fields if f.name != "citizen"),
        name="citizen_facts_by_municipality",
    )
)


CORRECTION_STATUSES = ("pendiente", "atendida", "rechazada")


class Identity(BaseModel):
    """A digital-ID account, keyed on (issuer, sub) and never on e-mail.

    One citizen may hold several (a new provider, a re-issued account); each
    identity belongs to exactly one citizen record.
    """

    id: AutoField[int]
    issuer = CharField()
    subject = CharField()
    citizen = ForeignKeyField(Citizen, backref="identities", on_delete="CASCADE")
    citizen_id: ForeignKeyField[int]
    created_at = DateTimeField(default=utcnow)
    last_sign_in_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("issuer", "subject"), True),)


class CorrectionRequest(BaseModel):
    """A person asks staff to correct data they cannot edit themselves."""

    id: AutoField[int]
    citizen = ForeignKeyField(Citizen, backref="correction_requests", on_delete="CASCADE")
    citizen_id: ForeignKeyField[int]
    field = CharField()
    requested_value = TextField()
    reason = TextField(default="")
    status = CharField(
        default="pendiente",
        constraints=[SQL("CHECK (status IN ('pendiente', 'atendida', 'rechazada'))")],
        index=True,
    )
    created_at = DateTimeField(default=utcnow)
    resolved_at = DateTimeField(null=True)
    resolved_by = ForeignKeyField(StaffUser, null=True, on_delete="SET NULL")
    resolved_by_id: ForeignKeyField[int | None]


ID_TYPES = ("ine", "pasaporte", "cedula", "licencia", "cartilla", "otra")


class IdentityCheck(BaseModel):
    """A staff member saw this person's ID at a counter before acting for them.

    The ID number is kept here (it proves the check) and never in the audit
    trail, which names only this row's id.
    """

    id: AutoField[int]
    citizen = ForeignKeyField(Citizen, backref="identity_checks", on_delete="CASCADE")
    citizen_id: ForeignKeyField[int]
    staff = ForeignKeyField(StaffUser, null=True, on_delete="SET NULL")
    staff_id: ForeignKeyField[int | None]
    id_type = CharField(max_length=20)
    id_number = CharField(max_length=40)
    created_at = DateTimeField(default=utcnow, index=True)


CONSENT_PURPOSES = ("contacto", "avisos_programas")


class Consent(BaseModel):
    """What a person agreed to (``purpose``, a :class:`~portal.vocabulary.ConsentPurpose`),
    when, and which staff member took it down at a counter (None: the person
    on their own pages). Revoking keeps the row and dates it, so the record
    shows what was agreed and for how long; a new consent is a new row.
    """

    id: AutoField[int]
    # The (citizen, purpose) index below serves look-ups by citizen too.
    citizen = ForeignKeyField(Citizen, backref="consents", on_delete="CASCADE", index=False)
    citizen_id: ForeignKeyField[int]
    purpose = CharField(
        max_length=20,
        constraints=[SQL("CHECK (purpose IN ('contacto', 'avisos_programas'))")],
    )
    granted_at = DateTimeField(default=utcnow)
    granted_by = ForeignKeyField(StaffUser, null=True, on_delete="SET NULL")
    granted_by_id: ForeignKeyField[int | None]
    revoked_at = DateTimeField(null=True)

    class Meta:
        indexes = ((("citizen", "purpose"), False),)
