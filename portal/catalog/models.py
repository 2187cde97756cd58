"""The catalog's tables: municipalities, agencies, programs and their versions,
requirements, calls for applications and delivery points."""

from __future__ import annotations

from peewee import (
    SQL,
    AutoField,
    BooleanField,
    CharField,
    DateField,
    DateTimeField,
    FloatField,
    ForeignKeyField,
    IntegerField,
    ModelSelect,
    TextField,
)

from portal.web.tables import BaseModel, JSONText, utcnow


class Municipality(BaseModel):
    """INEGI municipality (clave geoestadística de 5 dígitos)."""

    code = CharField(max_length=5, primary_key=True)
    name = CharField()
    state_code = CharField(max_length=2, index=True)


class Agency(BaseModel):
    """Dependencia that runs programs."""

    id: AutoField[int]
    slug = CharField(unique=True)
    name = CharField()
    created_at = DateTimeField(default=utcnow)
    # Rows that point here (peewee backrefs), declared for mypy.
    programs: ModelSelect[Program]


class Program(BaseModel):
    """A social program; its rules and texts are versioned in ProgramVersion."""

    id: AutoField[int]
    slug = CharField(unique=True)
    agency = ForeignKeyField(Agency, backref="programs", on_delete="RESTRICT")
    agency_id: ForeignKeyField[int]
    name = CharField()
    summary = TextField()
    description = TextField(default="")
    population = TextField(default="")
    exclusion_group = CharField(null=True, index=True)
    benefit_kind = CharField(max_length=10)
    benefit_amount = IntegerField(null=True)
    benefit_period = CharField(default="")
    benefit_description = TextField(default="")
    # The benefit's calendar (schema.Schedule.to_dict()); {} when it has none.
    benefit_schedule = JSONText(default=dict)
    eligibility = JSONText(default=list)
    # Texts in other languages (schema.Program.i18n, docs/languages.md); {} when none.
    i18n = JSONText(default=dict)
    # How the federal single roll names the program (schema.FederalRoll); "" when unset.
    federal_program_code = CharField(max_length=10, default="")
    federal_intra_program_code = CharField(max_length=10, default="")
    federal_payment_method = CharField(max_length=20, default="")
    # Re-certification (schema.Recertification.to_dict()); {} when the program asks none.
    recertification = JSONText(default=dict)
    # Example people and the verdict each must get (schema.Example.to_dict() of each).
    examples = JSONText(default=list)
    version = IntegerField(default=1)
    active = BooleanField(default=True)
    updated_at = DateTimeField(default=utcnow)
    # Rows that point here (peewee backrefs), declared for mypy.
    versions: ModelSelect[ProgramVersion]
    requirements: ModelSelect[Requirement]
    calls: ModelSelect[Call]
    delivery_points: ModelSelect[DeliveryPoint]

    @property
    def exclusion_key(self) -> str:
        """Enrollments are unique per person and this key."""
        return self.exclusion_group or f"programa:{self.slug}"


class ProgramVersion(BaseModel):
    """Immutable snapshot of a program as judged at some moment."""

    id: AutoField[int]
    program = ForeignKeyField(Program, backref="versions", on_delete="CASCADE")
    program_id: ForeignKeyField[int]
    version = IntegerField()
    snapshot = JSONText()
    created_at = DateTimeField(default=utcnow)
    created_by = CharField(default="sistema")
    # A version saved in the guided editor is a draft until a reviewer publishes
    # it (portal/catalog/versions.py); every other save is published at once.
    status = CharField(max_length=12, default="publicada")
    # The published version the draft was edited from (publishing checks it is still current).
    based_on = IntegerField(default=0)
    reviewed_by = CharField(default="")
    reviewed_at = DateTimeField(null=True)
    review_note = TextField(default="")

    class Meta:
        indexes = ((("program", "version"), True),)


class Requirement(BaseModel):
    """A document a program asks for."""

    id: AutoField[int]
    program = ForeignKeyField(Program, backref="requirements", on_delete="CASCADE")
    program_id: ForeignKeyField[int]
    slug = CharField()
    name = CharField()
    hint = TextField(default="")
    formats = CharField(default="pdf,jpg,png")
    optional = BooleanField(default=False)
    position = IntegerField(default=0)

    class Meta:
        indexes = ((("program", "slug"), True),)


class Call(BaseModel):
    """Convocatoria: a window in which applications are taken, with a quota.

    ``places_taken`` counts the call's applications that hold a place (a live
    status). Only ``portal.applications.workflow`` changes it: a submission
    takes a place with a conditional update in its own transaction, so two
    people can never take the last one; every move out of a live status gives
    it back. Pages read places left from it instead of counting applications.
    A submission that finds no place left waits (``places_waiting``) and moves
    up when one frees.
    """

    id: AutoField[int]
    program = ForeignKeyField(Program, backref="calls", on_delete="CASCADE")
    program_id: ForeignKeyField[int]
    opens = DateField()
    closes = DateField()
    quota = IntegerField(null=True)
    places_taken = IntegerField(default=0, constraints=[SQL("CHECK (places_taken >= 0)")])
    # The waiting list (migrations/0020_waiting_list.py), kept by the same
    # workflow in the same transactions: how many wait now, and how many
    # numbers were ever handed out (the next one joins with issued + 1).
    places_waiting = IntegerField(default=0, constraints=[SQL("CHECK (places_waiting >= 0)")])
    waiting_issued = IntegerField(default=0)

    def places_left(self) -> int | None:
        """None when the call has no quota."""
        return None if self.quota is None else max(self.quota - self.places_taken, 0)

    class Meta:
        indexes = ((("program", "opens"), True),)


class DeliveryPoint(BaseModel):
    id: AutoField[int]
    program = ForeignKeyField(Program, backref="delivery_points", on_delete="CASCADE")
    program_id: ForeignKeyField[int]
    name = CharField()
    address = TextField()
    municipality = ForeignKeyField(Municipality, null=True, on_delete="SET NULL")
    municipality_id: ForeignKeyField[str | None]
    lat = FloatField(null=True)
    lon = FloatField(null=True)
    hours = CharField(default="")
    position = IntegerField(default=0)  # order in the program's list, as in the catalog file
    # Deliveries refer to their point, so a point removed from the program after
    # deliveries were recorded there stays, inactive: no longer offered at /entrega.
    active = BooleanField(default=True)
