"""Population groups of the public catalog, read from the programs' own rules.

Agencies write rules, not tags: a program limited to ``sex eq M`` is for women
without anyone having to say so twice. :func:`groups_of` names the groups a
program's rules aim at, so the catalog filter can never disagree with them.
"""

from __future__ import annotations

from collections.abc import Callable

from portal.catalog.schema import Condition, Program

GROUPS: dict[str, str] = {
    "mujeres": "Mujeres",
    "personas-mayores": "Personas adultas mayores",
    "jovenes-estudiantes": "Jóvenes y estudiantes",
    "familias-con-hijos": "Familias con hijas e hijos pequeños",
    "discapacidad": "Personas con discapacidad",
    "indigenas": "Pueblos indígenas",
    "embarazadas": "Personas embarazadas",
    "sin-empleo": "Personas sin empleo",
    "ingresos-bajos": "Hogares con ingresos bajos",
}

OLDER_FROM = 60  # a rule that starts at this age or later is for older people


def _lowest_age(c: Condition) -> int | None:
    if c.op in ("gte", "eq"):
        return c.value
    if c.op == "gt":
        return c.value + 1
    if c.op == "between":
        return c.value[0]
    return None


def _for_women(c: Condition) -> bool:
    if c.op == "eq":
        return c.value == "M"
    return c.op == "in" and "M" in c.value and "H" not in c.value


_RULES: dict[str, Callable[[Condition], bool]] = {
    "mujeres": lambda c: c.field == "sex" and _for_women(c),
    "personas-mayores": lambda c: c.field == "age" and (_lowest_age(c) or 0) >= OLDER_FROM,
    # Only a rule that asks for a study level: programs that merely accept students
    # among other occupations are not for students.
    "jovenes-estudiantes": lambda c: (
        c.field == "student_level"
        or (c.field == "employment" and c.op == "eq" and c.value == "estudiante")
    ),
    "familias-con-hijos": lambda c: c.field == "children_ages" and c.op == "any_lt",
    "discapacidad": lambda c: c.field == "disability" and c.op == "is_true",
    "indigenas": lambda c: c.field == "indigenous" and c.op == "is_true",
    "embarazadas": lambda c: c.field == "pregnant" and c.op == "is_true",
    "sin-empleo": lambda c: c.field == "employment" and c.op == "eq" and c.value == "desempleo",
    "ingresos-bajos": lambda c: (
        c.field in ("income_per_capita", "household_income_monthly") and c.op in ("lt", "lte")
    ),
}


def groups_of(program: Program) -> tuple[str, ...]:
    """The keys of :data:`GROUPS` the program's conditions aim at, in GROUPS order."""
    return tuple(
        group for group, test in _RULES.items() if any(test(c) for c in program.eligibility)
    )
