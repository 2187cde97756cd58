"""Questionnaire answers saved under a short code, so a person can resume later;
the people of a citizen's household."""

from __future__ import annotations

from peewee import (
    AutoField,
    BooleanField,
    CharField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
)

from portal.citizens.models import Citizen
from portal.web.tables import BaseModel, JSONText, utcnow


class ResumeCode(BaseModel):
    """Anonymous answers kept for a while under a short, unambiguous code.

    Only the code finds them: the row holds no name or contact, and it is
    worthless after ``expires_at``.
    """

    id: AutoField[int]
    code = CharField(max_length=12, unique=True)
    answers = JSONText(default=dict)
    asked = JSONText(default=list)  # the order the questions were answered in
    created_at = DateTimeField(default=utcnow)
    expires_at = DateTimeField(index=True)


class HouseholdMember(BaseModel):
    """Someone who lives with a citizen, as they told the questionnaire.

    No name and no CURP: only what the rules read (age, sex, schooling,
    disability) and how they are related, so the results can say "Para su hija
    de 7 años: ...". ``position`` orders them in the list; at most
    :data:`portal.eligibility.household.MAX_MEMBERS` per citizen, checked by
    :func:`portal.eligibility.household.add_member` with the citizen's row locked.
    """

    id: AutoField[int]
    citizen = ForeignKeyField(Citizen, on_delete="CASCADE", backref="household")
    position = IntegerField()
    relation = CharField(max_length=20)
    age = IntegerField()
    sex = CharField(max_length=1)
    student_level = CharField(max_length=20)
    disability = BooleanField(null=True)  # None: "No sé"
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("citizen", "position"), True),)
