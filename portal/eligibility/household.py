"""The people of a household, for the questionnaire's results per person.

A person may list who lives with them: relation, age, sex, schooling and
disability, never a name or a CURP (the CURP is given only when applying for
someone). The results then judge each of them with the household's shared
answers (municipality, household size and income) and say "Para su hija de 7
años: ...".

An anonymous person's list lives in their session; a citizen's in
``household_member`` rows (:class:`portal.eligibility.models.HouseholdMember`),
written only by :func:`add_member` and :func:`remove_member`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from portal.catalog.schema import Program
from portal.citizens import record_export
from portal.eligibility.engine import predicate
from portal.eligibility.profile import FIELDS, SEXES, STUDENT_LEVELS
from portal.messages import Message, _l
from portal.models import Citizen, HouseholdMember
from portal.web.database import locked, write

# The household question allows 40 people, counting the person who answers.
MAX_PEOPLE = 40
MAX_MEMBERS = MAX_PEOPLE - 1
MAX_AGE = 120
CHILD_AGE_LIMIT = FIELDS["children_ages"].maximum or 17  # the questionnaire's children

# How each relation is said, by the person's sex (M, H, X as in the CURP).
RELATIONS: dict[str, dict[str, Message]] = {
    "hija_hijo": {"M": _l("su hija"), "H": _l("su hijo"), "X": _l("su hija o hijo")},
    "pareja": {"M": _l("su pareja"), "H": _l("su pareja"), "X": _l("su pareja")},
    "madre_padre": {"M": _l("su madre"), "H": _l("su padre"), "X": _l("su madre o padre")},
    "hermana_hermano": {
        "M": _l("su hermana"),
        "H": _l("su hermano"),
        "X": _l("su hermana o hermano"),
    },
    "nieta_nieto": {"M": _l("su nieta"), "H": _l("su nieto"), "X": _l("su nieta o nieto")},
    "abuela_abuelo": {"M": _l("su abuela"), "H": _l("su abuelo"), "X": _l("su abuela o abuelo")},
    "otra": {
        "M": _l("otra persona de su hogar"),
        "H": _l("otra persona de su hogar"),
        "X": _l("otra persona de su hogar"),
    },
}
RELATION_LABELS = {
    "hija_hijo": _l("Hija o hijo"),
    "pareja": _l("Pareja"),
    "madre_padre": _l("Madre o padre"),
    "hermana_hermano": _l("Hermana o hermano"),
    "nieta_nieto": _l("Nieta o nieto"),
    "abuela_abuelo": _l("Abuela o abuelo"),
    "otra": _l("Otra persona"),
}
# Relations that must be younger, or older, than the person who answers.
YOUNGER = {"hija_hijo", "nieta_nieto"}
OLDER = {"madre_padre", "abuela_abuelo"}
# The relations a parent or guardian may apply for while under 18
# (portal/applications/guardian.py): a daughter or son, a granddaughter or grandson.
CHILD_RELATIONS = ("hija_hijo", "nieta_nieto")
ADULT_AGE = 18
# Shared by everyone in the household: the results judge each member with them.
SHARED_ANSWERS = ("municipality", "household_size", "household_income_monthly")


class HouseholdError(ValueError):
    """A member who cannot be added; ``errors`` maps a form field to plain Spanish."""

    def __init__(self, errors: Mapping[str, Any]):
        self.errors = dict(errors)
        super().__init__("; ".join(str(e) for e in self.errors.values()))


@dataclass(frozen=True)
class Member:
    relation: str
    age: int
    sex: str
    student_level: str
    disability: bool | None  # None: "No sé"

    def who(self) -> str:
        """ "su hija de 7 años", as the results say it."""
        who = RELATIONS[self.relation][self.sex]
        return str(_l("%(who)s de %(age)s años", who=str(who), age=self.age))

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def is_child(self) -> bool:
        """Whether the person answering may apply for them (a guardian's child)."""
        return self.relation in CHILD_RELATIONS and self.age < ADULT_AGE


def read_member(data: Mapping[str, Any], *, person_age: int | None) -> Member:
    """A member from a form's values, or :class:`HouseholdError` naming each bad field.

    ``person_age``: the age of the person answering, when known, so a child is
    younger than them and a parent older.
    """
    errors: dict[str, Any] = {}
    relation = data.get("relation") or ""
    if relation not in RELATIONS:
        errors["relation"] = _l("Elija cómo se relaciona con usted.")
    age: int | None = None
    raw_age = str(data.get("age") if data.get("age") is not None else "").strip()
    if not raw_age.isdigit() or int(raw_age) > MAX_AGE:
        errors["age"] = _l("Escriba la edad en años cumplidos, de 0 a %(max)s.", max=MAX_AGE)
    else:
        age = int(raw_age)
    if age is not None and person_age is not None and relation in YOUNGER and age >= person_age:
        errors["age"] = _l(
            "Debe ser menor que usted: usted tiene %(age)s años. Revise la edad o la relación.",
            age=person_age,
        )
    if age is not None and person_age is not None and relation in OLDER and age <= person_age:
        errors["age"] = _l(
            "Debe ser mayor que usted: usted tiene %(age)s años. Revise la edad o la relación.",
            age=person_age,
        )
    sex = data.get("sex") or ""
    if sex not in SEXES:
        errors["sex"] = _l("Elija una de las opciones.")
    level = data.get("student_level") or ""
    if level not in STUDENT_LEVELS:
        errors["student_level"] = _l("Elija una de las opciones.")
    disability = {"si": True, "no": False, "no_se": None}
    if data.get("disability") not in disability:
        errors["disability"] = _l("Elija una de las opciones.")
    if errors:
        raise HouseholdError(errors)
    assert age is not None
    return Member(relation, age, sex, level, disability[data["disability"]])


def member_from_json(data: Mapping[str, Any]) -> Member:
    return Member(
        data["relation"], int(data["age"]), data["sex"], data["student_level"], data["disability"]
    )


def too_many() -> HouseholdError:
    return HouseholdError(
        {
            "relation": _l(
                "Un hogar puede tener hasta %(max)s personas, contándose usted.", max=MAX_PEOPLE
            )
        }
    )


def add_to_list(members: list[Member], member: Member) -> list[Member]:
    """The list with ``member`` added (the session's list), or :class:`HouseholdError`."""
    if len(members) >= MAX_MEMBERS:
        raise too_many()
    return [*members, member]


def citizen_members(citizen_id: int) -> list[Member]:
    rows = HouseholdMember.select().where(HouseholdMember.citizen == citizen_id)
    return [
        Member(r.relation, r.age, r.sex, r.student_level, r.disability)
        for r in rows.order_by(HouseholdMember.position)
    ]


def add_member(citizen_id: int, member: Member) -> None:
    """Add one person to the citizen's household; the count is checked with the
    citizen's row locked, so two posts at once never pass the limit together."""
    with write():
        locked(Citizen.select().where(Citizen.id == citizen_id)).get()
        query = HouseholdMember.select().where(HouseholdMember.citizen == citizen_id)
        if query.count() >= MAX_MEMBERS:
            raise too_many()
        last = query.order_by(HouseholdMember.position.desc()).first()
        HouseholdMember.create(
            citizen=citizen_id, position=(last.position + 1) if last else 1, **asdict(member)
        )


def remove_member(citizen_id: int, index: int) -> bool:
    """Remove the ``index``-th person (from 0) of the citizen's list; False if there is none."""
    with write():
        row = (
            HouseholdMember.select()
            .where(HouseholdMember.citizen == citizen_id)
            .order_by(HouseholdMember.position)
            .offset(index)
            .first()
        )
        if row is None or index < 0:
            return False
        row.delete_instance()
    return True


def member_profile(member: Member, household: Mapping[str, Any], on: dt.date) -> dict[str, Any]:
    """The typed profile the engine judges a member by: their own facts and the
    household's shared answers. What only they could answer (employment,
    pregnancy...) is left out, so programs needing it come back as "maybe"."""
    profile: dict[str, Any] = {k: household[k] for k in SHARED_ANSWERS if k in household}
    profile["birth_date"] = born_years_ago(member.age, on)
    profile["sex"] = member.sex
    profile["student_level"] = member.student_level
    profile["disability"] = member.disability
    profile["enrolled"] = ()
    return profile


def programs_for_child(member: Member, parent_programs: Iterable[Program]) -> list[Program]:
    """The parent's programs that are given for this child: those whose rules
    ask for a child of some age, when this daughter or son is of that age."""
    if member.relation != "hija_hijo" or member.age > CHILD_AGE_LIMIT:
        return []
    found = []
    for program in parent_programs:
        on_children = [c for c in program.eligibility if c.field == "children_ages"]
        if on_children and all(predicate(c.op, c.value)((member.age,)) for c in on_children):
            found.append(program)
    return found


def born_years_ago(years: int, on: dt.date) -> dt.date:
    """A birth date that makes someone exactly ``years`` old on ``on``: the day
    after the same date ``years + 1`` years earlier (29 February too)."""
    try:
        birthday = on.replace(year=on.year - years - 1)
    except ValueError:  # 29 February in a year without it
        birthday = on.replace(year=on.year - years - 1, day=28)
    return birthday + dt.timedelta(days=1)


def record_rows(citizen: Citizen) -> list[dict[str, Any]]:
    """The household's people in the citizen's own record export (/mis-datos)."""
    said = {True: str(_l("Sí")), False: str(_l("No")), None: str(_l("No sé"))}
    return [
        {
            "parentesco": str(RELATION_LABELS[m.relation]),
            "edad": m.age,
            "sexo": m.sex,
            "estudios": m.student_level,
            "discapacidad": said[m.disability],
        }
        for m in citizen_members(citizen.id)
    ]


record_export.more_sections["personas_del_hogar"] = record_rows
