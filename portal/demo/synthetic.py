"""Deterministic synthetic citizens for demo data and benchmarks.

The same ``(n, seed, state, as_of)`` always yields the same people, in the same
order, on any machine: everything is drawn from one ``random.Random(seed)``.
Nobody here is real; e-mail addresses are at ``example.org`` (reserved for
examples by RFC 2606).

What makes the data realistic enough to exercise the portal:

* names from embedded lists of common Mexican given names (by sex) and
  surnames, with their accents, some compound (MARÍA DEL CARMEN, DE LA CRUZ) and
  some with Ñ, weighted so the common ones are common; 1 in 200 people have a
  single surname;
* birth dates following Querétaro's age pyramid (2020 census, rounded), with
  the share of women rising with age;
* the state of birth in the CURP is mostly Querétaro, then the states that
  people move to Querétaro from, and a few born abroad (NE);
* the municipality of residence weighted by population (2020 census);
* contact data as people have it: minors have none of their own; every adult
  has a phone (442 or 427 area code by municipality) and 6 in 10 an e-mail;
* questionnaire answers (:func:`draw_profile`) that fit the person's age, sex
  and municipality: household, income, children, studies, occupation,
  disability, indigenous identity and pregnancy.

CURPs are valid (check digit, inconvenient words, homoclave century rule),
consistent with the birth date and sex, and unique within a run: like RENAPO,
the homoclave is raised (0, 1, 2... or A, B, C...) when the first 16
characters repeat. Synthetic people are H or M only: the census pyramid is
binary and RENAPO has issued few X CURPs; tests of the X marker build such
people explicitly with :func:`portal.citizens.curp.make_curp`.

The generator avoids per-row work that does not change between rows: the CURP
letters of every name and the YYMMDD of every possible birth day are computed
once, so a row costs a dozen random draws, a few string joins, the check digit
and one dict (see bench/synthetic.py).
"""

from __future__ import annotations

import itertools
import random
import unicodedata
from bisect import bisect
from collections.abc import Iterator, Sequence
from datetime import date
from typing import TypedDict

from portal.citizens import curp
from portal.eligibility.profile import age_on

DEFAULT_SEED = 2026
DEFAULT_AS_OF = date(2026, 1, 1)


class Citizen(TypedDict):
    curp: str
    first_name: str
    last_name1: str
    last_name2: str  # "" for the few people with a single surname
    birth_date: date
    sex: str  # "H" or "M", as in the CURP
    municipality: str  # INEGI code, e.g. "22014"
    email: str | None
    phone: str | None  # 10 digits


# INEGI code, name, population (Censo de Población y Vivienda 2020, used only as
# weights) and the phone area code people there mostly have.
QUERETARO_MUNICIPALITIES: tuple[tuple[str, str, int, str], ...] = (
    ("22001", "Amealco de Bonfil", 66_841, "427"),
    ("22002", "Pinal de Amoles", 27_093, "442"),
    ("22003", "Arroyo Seco", 13_142, "442"),
    ("22004", "Cadereyta de Montes", 69_549, "442"),
    ("22005", "Colón", 67_121, "442"),
    ("22006", "Corregidora", 212_567, "442"),
    ("22007", "Ezequiel Montes", 45_225, "442"),
    ("22008", "Huimilpan", 40_234, "442"),
    ("22009", "Jalpan de Serra", 27_343, "442"),
    ("22010", "Landa de Matamoros", 19_493, "442"),
    ("22011", "El Marqués", 231_668, "442"),
    ("22012", "Pedro Escobedo", 79_708, "427"),
    ("22013", "Peñamiller", 19_141, "442"),
    ("22014", "Querétaro", 1_049_777, "442"),
    ("22015", "San Joaquín", 8_774, "442"),
    ("22016", "San Juan del Río", 297_804, "427"),
    ("22017", "Tequisquiapan", 72_201, "427"),
    ("22018", "Tolimán", 27_916, "442"),
)

MUNICIPALITIES: dict[str, tuple[tuple[str, str, int, str], ...]] = {
    "22": QUERETARO_MUNICIPALITIES,
}

# (first age, last age, percent of the population, share of women).
# Querétaro's 2020 pyramid in five-year groups, rounded.
AGE_PYRAMID: tuple[tuple[int, int, float, float], ...] = (
    (0, 4, 7.9, 0.49),
    (5, 9, 8.3, 0.49),
    (10, 14, 8.5, 0.49),
    (15, 19, 8.4, 0.50),
    (20, 24, 8.6, 0.505),
    (25, 29, 8.3, 0.51),
    (30, 34, 7.9, 0.52),
    (35, 39, 7.5, 0.52),
    (40, 44, 7.0, 0.52),
    (45, 49, 6.3, 0.52),
    (50, 54, 5.5, 0.52),
    (55, 59, 4.4, 0.525),
    (60, 64, 3.5, 0.53),
    (65, 69, 2.7, 0.53),
    (70, 74, 1.9, 0.54),
    (75, 79, 1.3, 0.56),
    (80, 84, 0.8, 0.58),
    (85, 89, 0.45, 0.61),
    (90, 94, 0.2, 0.64),
    (95, 99, 0.07, 0.67),
)

ADULT_AGE = 18
EMAIL_SHARE = 0.6
SINGLE_SURNAME_SHARE = 0.005

# State of birth of residents (RENAPO codes, percent): mostly born in the state,
# then the usual origins of people who moved to Querétaro.
BIRTH_STATES_OF_RESIDENTS: dict[str, tuple[tuple[str, float], ...]] = {
    "22": (
        ("QT", 68.0),
        ("DF", 7.0),
        ("MC", 6.0),
        ("GT", 6.0),
        ("HG", 2.5),
        ("MN", 2.0),
        ("SP", 1.5),
        ("VZ", 1.5),
        ("GR", 0.8),
        ("JC", 0.8),
        ("PL", 0.8),
        ("OC", 0.6),
        ("CS", 0.5),
        ("TS", 0.4),
        ("CH", 0.4),
        ("NL", 0.3),
        ("ZS", 0.3),
        ("NE", 0.6),
    ),
}

# fmt: off
# Common given names, most common first. Compound names are common in Mexico
# and exercise the CURP rule that skips MARÍA and JOSÉ.
WOMEN_NAMES: tuple[str, ...] = (
    "María Guadalupe", "Guadalupe", "María", "Juana", "María del Carmen", "Margarita",
    "Verónica", "Leticia", "Rosa María", "Francisca", "Alejandra", "Patricia",
    "Elizabeth", "Gabriela", "Adriana", "Silvia", "Martha", "Araceli", "Claudia",
    "Teresa", "Ana María", "Laura", "Yolanda", "María de los Ángeles", "Sofía",
    "Ximena", "Valentina", "Regina", "Camila", "Valeria", "Renata", "Victoria",
    "Natalia", "Daniela", "María Fernanda", "Andrea", "Mariana", "Paola", "Karla",
    "Lucía", "Itzel", "Diana", "Brenda", "Yesenia", "Érika", "Lorena", "Mónica",
    "Norma", "Sandra", "Rocío", "Angélica", "Beatriz", "Cecilia", "Carmen",
    "Isabel", "Josefina", "Esperanza", "Irma", "Alicia", "Elena", "Rosario",
    "Gloria", "Lourdes", "Susana", "Ana", "Estela", "Liliana", "Marisol", "Miriam",
    "Nancy", "Paulina", "Jimena", "Abril", "Montserrat", "Dulce María", "Citlali",
    "Xóchitl", "Berenice", "Fátima", "Nayeli", "Vanessa", "Karen", "Jazmín",
    "Pamela", "Carolina", "Cristina", "Raquel", "Sara", "Ángela", "Julia", "Emilia",
    "Romina", "Ana Sofía", "María José", "Concepción", "Dolores", "Socorro",
    "Ofelia", "Consuelo", "Reyna", "Maribel", "Viridiana", "Abigail", "Aurora",
    "Lizbeth", "Inés", "Luz María",
)

MEN_NAMES: tuple[str, ...] = (
    "José", "Juan", "José Luis", "Miguel Ángel", "Luis", "Francisco", "Jesús",
    "Antonio", "Alejandro", "Pedro", "Manuel", "Juan Carlos", "Ricardo", "Roberto",
    "Fernando", "Javier", "Jorge", "Carlos", "Eduardo", "Daniel", "Sergio", "Raúl",
    "Arturo", "Martín", "Mario", "Rafael", "Héctor", "Óscar", "Enrique", "Gerardo",
    "Alfredo", "Salvador", "Ramón", "Víctor", "Hugo", "Andrés", "Rubén",
    "Guillermo", "Gabriel", "Ángel", "Pablo", "Ignacio", "Armando", "Alberto",
    "Adrián", "Diego", "Santiago", "Mateo", "Sebastián", "Leonardo", "Emiliano",
    "Matías", "Iker", "Gael", "Emilio", "Rodrigo", "Ernesto", "Felipe", "Agustín",
    "Alfonso", "Gustavo", "Julio César", "Marco Antonio", "Juan Manuel",
    "José Antonio", "José de Jesús", "Cristian", "Iván", "Israel", "Omar", "Érick",
    "Jonathan", "Brandon", "Kevin", "Axel", "Uriel", "Ulises", "Saúl", "Abraham",
    "Isaac", "Moisés", "Efraín", "Joel", "Tomás", "Benjamín", "Joaquín", "Lorenzo",
    "Samuel", "Aarón", "Bruno", "Fidel", "Félix", "Cuauhtémoc", "Octavio",
    "Rogelio", "Rigoberto", "Marcos", "Jaime", "Germán", "Esteban", "Julián",
    "Nicolás", "Maximiliano", "Ezequiel",
)

# Common surnames, most common first; Olvera, Reséndiz, Ugalde, Trejo and
# Feregrino are typical of Querétaro.
SURNAMES: tuple[str, ...] = (
    "Hernández", "García", "Martínez", "López", "González", "Pérez", "Rodríguez",
    "Sánchez", "Ramírez", "Cruz", "Flores", "Gómez", "Morales", "Vázquez", "Reyes",
    "Jiménez", "Torres", "Díaz", "Gutiérrez", "Ruiz", "Mendoza", "Aguilar", "Ortiz",
    "Moreno", "Castillo", "Romero", "Álvarez", "Méndez", "Chávez", "Rivera",
    "Juárez", "Ramos", "Domínguez", "Herrera", "Medina", "Castro", "Vargas",
    "Guzmán", "Velázquez", "Muñoz", "Rojas", "Olvera", "Reséndiz", "Ugalde",
    "Trejo", "de la Cruz", "Contreras", "Salazar", "Luna", "Ortega", "Santiago",
    "Guerrero", "Bautista", "Estrada", "Cortés", "Soto", "Alvarado", "Espinoza",
    "Lara", "Ríos", "Sandoval", "Navarro", "Mejía", "Cervantes", "Delgado", "Campos",
    "Vega", "Fuentes", "Carrillo", "Núñez", "Ibarra", "Rosas", "Pacheco", "Valencia",
    "Cabrera", "Acosta", "Nava", "Zúñiga", "Peña", "Rangel", "Sosa", "Pineda",
    "Ávila", "Velasco", "Cárdenas", "Molina", "Orozco", "Solís", "Márquez",
    "Escobar", "Galván", "Miranda", "Feregrino", "Padilla", "Valdez", "Barrera",
    "Durán", "Robles", "Camacho", "León", "Montes", "Ibáñez", "del Río",
)
# fmt: on

# Weight of the name of rank r (1-based): r ** -_ZIPF_EXPONENT. 0.6 gives the
# most common surname about 7% of people, close to Hernández in Mexico.
_ZIPF_EXPONENT = 0.6
_DAYS_PER_YEAR = 365.2425


def _cumulative(weights: Sequence[float]) -> list[float]:
    return list(itertools.accumulate(weights))


def _zipf(count: int) -> list[float]:
    return _cumulative([rank**-_ZIPF_EXPONENT for rank in range(1, count + 1)])


def _years_before(day: date, years: int) -> date:
    """The same calendar day ``years`` earlier (28 February for a 29th)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def _ascii_slug(name: str) -> str:
    """``'de la Cruz'`` -> ``'delacruz'``, for e-mail local parts."""
    decomposed = unicodedata.normalize("NFD", name.lower())
    return "".join(c for c in decomposed if "a" <= c <= "z")


class _Names:
    """A name list with its cumulative weights and precomputed CURP letters."""

    def __init__(self, names: Sequence[str], surname: bool) -> None:
        self.names = tuple(names)
        self.cum_weights = _zipf(len(names))
        self.total = self.cum_weights[-1]
        # E-mail addresses use the first given name but the whole surname.
        self.slugs = tuple(_ascii_slug(name if surname else name.split()[0]) for name in names)
        if surname:
            parts = [curp.surname_letters(name) for name in names]
            self.initials = tuple(initial for initial, _v, _c in parts)
            self.vowels = tuple(vowel for _i, vowel, _c in parts)
            self.consonants = tuple(consonant for _i, _v, consonant in parts)
        else:
            given = [curp.given_name_letters(name) for name in names]
            self.initials = tuple(initial for initial, _c in given)
            self.vowels = ()
            self.consonants = tuple(consonant for _i, consonant in given)


class _Table:
    """Weighted choice over a few values by bisecting cumulative weights."""

    def __init__(self, values: Sequence[str], weights: Sequence[float]) -> None:
        self.values = tuple(values)
        self.cum_weights = _cumulative(weights)
        self.total = self.cum_weights[-1]


def generate_citizens(
    n: int,
    seed: int = DEFAULT_SEED,
    state: str = "22",
    as_of: date = DEFAULT_AS_OF,
) -> Iterator[Citizen]:
    """Yield ``n`` synthetic residents of ``state`` (INEGI code), ages as of
    ``as_of``. Only states with an embedded municipality table are supported
    (see :data:`MUNICIPALITIES`); others raise ``ValueError``.

    Memory grows with ``n`` (about 100 bytes per citizen) because uniqueness
    needs every CURP prefix seen so far.
    """
    if n < 0:
        raise ValueError("n must be zero or more")
    if state not in MUNICIPALITIES or state not in BIRTH_STATES_OF_RESIDENTS:
        raise ValueError(f"no municipality table for state {state!r}")
    return _generate(n, random.Random(seed), state, as_of)


def _generate(n: int, rng: random.Random, state: str, as_of: date) -> Iterator[Citizen]:
    women = _Names(WOMEN_NAMES, surname=False)
    men = _Names(MEN_NAMES, surname=False)
    surnames = _Names(SURNAMES, surname=True)
    municipalities = _Table(
        [code for code, _name, _pop, _area in MUNICIPALITIES[state]],
        [pop for _code, _name, pop, _area in MUNICIPALITIES[state]],
    )
    area_codes = {code: area for code, _name, _pop, area in MUNICIPALITIES[state]}
    birth_states = _Table(
        [code for code, _share in BIRTH_STATES_OF_RESIDENTS[state]],
        [share for _code, share in BIRTH_STATES_OF_RESIDENTS[state]],
    )
    age_groups = _cumulative([share for _first, _last, share, _women in AGE_PYRAMID])

    # Every possible birth day, precomputed once: its date and its YYMMDD.
    as_of_ordinal = as_of.toordinal()
    oldest_days = int((AGE_PYRAMID[-1][1] + 1) * _DAYS_PER_YEAR)
    first_ordinal = as_of_ordinal - oldest_days
    days = [date.fromordinal(first_ordinal + i) for i in range(oldest_days + 1)]
    yymmdd = [f"{d.year % 100:02d}{d.month:02d}{d.day:02d}" for d in days]
    last_adult_day = _years_before(as_of, ADULT_AGE).toordinal() - first_ordinal

    # Homoclaves already given to each 16-character prefix (RENAPO's homonyms).
    homonyms: dict[str, int] = {}
    draw = rng.random
    produced = 0
    while produced < n:
        first_age, last_age, _share, women_share = AGE_PYRAMID[
            bisect(age_groups, draw() * age_groups[-1])
        ]
        age_in_days = int((first_age + draw() * (last_age + 1 - first_age)) * _DAYS_PER_YEAR)
        day = as_of_ordinal - age_in_days - first_ordinal
        sex = "M" if draw() < women_share else "H"
        given = women if sex == "M" else men
        g = bisect(given.cum_weights, draw() * given.total)
        s1 = bisect(surnames.cum_weights, draw() * surnames.total)
        s2 = bisect(surnames.cum_weights, draw() * surnames.total)
        single_surname = draw() < SINGLE_SURNAME_SHARE
        birth_state = birth_states.values[
            bisect(birth_states.cum_weights, draw() * birth_states.total)
        ]
        municipality = municipalities.values[
            bisect(municipalities.cum_weights, draw() * municipalities.total)
        ]
        has_email = draw() < EMAIL_SHARE
        phone_number = int(draw() * 10_000_000)

        s2_initial = "X" if single_surname else surnames.initials[s2]
        s2_consonant = "X" if single_surname else surnames.consonants[s2]
        four = surnames.initials[s1] + surnames.vowels[s1] + s2_initial + given.initials[g]
        if four in curp.INCONVENIENT_WORDS:
            four = four[0] + "X" + four[2:]
        prefix = (
            f"{four}{yymmdd[day]}{sex}{birth_state}"
            f"{surnames.consonants[s1]}{s2_consonant}{given.consonants[g]}"
        )
        birth = days[day]
        homoclaves = "0123456789" if birth.year < 2000 else "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
        taken = homonyms.get(prefix, 0)
        if taken == len(homoclaves):
            # Every homoclave is taken: this person cannot get a unique CURP.
            # Draw another one; the draws continue, so this stays deterministic.
            continue
        homonyms[prefix] = taken + 1
        first17 = prefix + homoclaves[taken]

        adult = day <= last_adult_day
        yield {
            "curp": first17 + curp.check_digit(first17),
            "first_name": given.names[g],
            "last_name1": surnames.names[s1],
            "last_name2": "" if single_surname else surnames.names[s2],
            "birth_date": birth,
            "sex": sex,
            "municipality": municipality,
            "email": (
                f"{given.slugs[g]}.{surnames.slugs[s1]}.{produced}@example.org"
                if adult and has_email
                else None
            ),
            "phone": f"{area_codes[municipality]}{phone_number:07d}" if adult else None,
        }
        produced += 1


def municipality_names(state: str = "22") -> dict[str, str]:
    """INEGI municipality code -> name, for display."""
    return {code: name for code, name, _pop, _area in MUNICIPALITIES[state]}


# Questionnaire answers -------------------------------------------------------
#
# Rough shares for Querétaro (2020 census, ENIGH 2022, ENOE), enough for the
# eligibility engine to find the people each program is meant for, and nobody
# else: pregnancy only for women of 15 to 45, children no younger than their
# parent could have had them, occupations and studies that fit the age.

# Households by size (1 to 8 people), percent.
HOUSEHOLD_SIZES = (11, 19, 22, 23, 13, 7, 3, 2)
_HOUSEHOLD_SIZES = _cumulative(HOUSEHOLD_SIZES)
# Median monthly household income in pesos; sigma of its logarithm.
MEDIAN_HOUSEHOLD_INCOME = 14_000
INCOME_SIGMA = 0.75
# Poorer municipalities (the Sierra Gorda, the south and the semi-desert).
INCOME_FACTOR = {
    "22001": 0.55, "22002": 0.45, "22003": 0.5, "22004": 0.65, "22005": 0.75,
    "22006": 1.35, "22008": 0.7, "22009": 0.6, "22010": 0.45, "22013": 0.5,
    "22014": 1.25, "22015": 0.5, "22018": 0.55,
}  # fmt: skip
# People who consider themselves part of an indigenous people, by municipality.
INDIGENOUS_SHARE = {"22001": 0.35, "22018": 0.3, "22004": 0.12, "22005": 0.08, "22007": 0.08}
INDIGENOUS_ELSEWHERE = 0.04
# Women pregnant on any given day, by age (first age, last age, share).
PREGNANCY = ((15, 19, 0.04), (20, 29, 0.08), (30, 39, 0.05), (40, 45, 0.015))
# Permanent disability by age (up to age, share).
DISABILITY = ((14, 0.02), (29, 0.025), (59, 0.045), (84, 0.15), (130, 0.4))
# Adults with a son or daughter under 18 at home, by age (up to age, share).
PARENTS = ((24, 0.25), (34, 0.6), (44, 0.7), (54, 0.35))


def _share(table: Sequence[tuple[int, float]], age: int) -> float:
    return next((share for last, share in table if age <= last), 0.0)


def _studies(age: int, draw) -> str:
    if 6 <= age <= 11:
        return "primaria"
    if 12 <= age <= 14:
        return "secundaria" if draw() < 0.93 else "ninguno"
    if 15 <= age <= 17:
        return "preparatoria" if draw() < 0.75 else "ninguno"
    if 18 <= age <= 19:
        roll = draw()
        return "preparatoria" if roll < 0.15 else "licenciatura" if roll < 0.5 else "ninguno"
    if 20 <= age <= 24:
        return "licenciatura" if draw() < 0.3 else "ninguno"
    if 25 <= age <= 29:
        roll = draw()
        return "licenciatura" if roll < 0.08 else "posgrado" if roll < 0.11 else "ninguno"
    return "ninguno"


def _occupation(age: int, sex: str, studies: str, draw) -> str:
    if studies in ("preparatoria", "licenciatura", "posgrado"):
        return "estudiante" if draw() < 0.8 else "empleo_informal"
    if age >= 65:
        roll = draw()
        return (
            "jubilado" if roll < 0.4
            else "hogar" if roll < 0.7
            else "empleo_informal" if roll < 0.92
            else "empleo_formal"
        )  # fmt: skip
    roll = draw()
    home = 0.3 if sex == "M" else 0.02
    if roll < home:
        return "hogar"
    roll = (roll - home) / (1 - home)
    return "empleo_formal" if roll < 0.5 else "empleo_informal" if roll < 0.93 else "desempleo"


def draw_profile(person: Citizen, rng: random.Random, on: date) -> dict[str, object]:
    """The questionnaire answers ``person`` would give on ``on``, as stored (JSON).

    Adults answer for their household; minors only what is theirs (studies,
    disability, pregnancy), since household programs are asked for by an adult.
    The same person and the same state of ``rng`` always give the same answers.
    """
    draw = rng.random
    age = age_on(person["birth_date"], on)
    sex = person["sex"]
    municipality = person["municipality"]
    answers: dict[str, object] = {"disability": draw() < _share(DISABILITY, age)}
    studies = _studies(age, draw)
    if age >= 6:
        answers["student_level"] = studies
    if sex == "M" and 15 <= age <= 45:
        share = next(s for first, last, s in PREGNANCY if first <= age <= last)
        answers["pregnant"] = draw() < share
    if age < ADULT_AGE:
        return answers
    answers["employment"] = _occupation(age, sex, studies, draw)
    answers["indigenous"] = draw() < INDIGENOUS_SHARE.get(municipality, INDIGENOUS_ELSEWHERE)
    size = 1 + bisect(_HOUSEHOLD_SIZES, draw() * _HOUSEHOLD_SIZES[-1])
    if age >= 65:
        size = min(size, 1 + int(draw() * 3))
    children: list[int] = []
    if size > 1 and draw() < _share(PARENTS, age):
        eldest = min(17, age - 15)
        wanted = 1 + int(draw() * min(3, size - 1))
        children = sorted(int(draw() * (eldest + 1)) for _ in range(wanted))
    answers["household_size"] = size
    answers["children_ages"] = children
    factor = INCOME_FACTOR.get(municipality, 1.0)
    income = MEDIAN_HOUSEHOLD_INCOME * factor * rng.lognormvariate(0, INCOME_SIGMA)
    # Bigger households have more earners, but not in proportion.
    income *= (1 + 0.25 * (size - 1)) / 1.6
    answers["household_income_monthly"] = int(round(income, -2))
    return answers
