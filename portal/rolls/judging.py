"""Judging one row of a roll against what the roll provides and the program's rules.

* the CURP (shape, inconvenient words, birth date, check digit: portal/citizens/curp.py);
* birth date and sex, when given, agree with the CURP (missing ones are taken
  from it, since the CURP encodes both);
* the municipality (INEGI code, its three last digits, or its name) is one of
  the state's;
* the program's rules on the fields a roll can hold (age on the row's date,
  birth date, sex, municipality, state): rules on fields the roll lacks
  (income, household...) are not failures, since the agency vouches for them.

What needs the whole file (a CURP met twice) is judged in
portal/rolls/pipeline.py, what needs the database (already enrolled) in
portal/rolls/writing.py. :func:`judge_row` runs a million times for a large
roll: each check is a short function, and the common case (a clean cell) is
its first test.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, NamedTuple

from portal.citizens import curp as curp_mod
from portal.eligibility.engine import predicate
from portal.eligibility.profile import age_on
from portal.messages import _l
from portal.models import Municipality, Program
from portal.rolls.reading import clean_name, date_cache, normalize_text, parse_date
from portal.territory.matching import PlaceIndex, match, place_index

SEX_VALUES = {
    "h": "H", "hombre": "H", "masculino": "H", "m": "M", "mujer": "M", "femenino": "M",
    "x": "X", "no binario": "X",
}  # fmt: skip
MAX_AMOUNT = 10_000_000
MAX_NAME = 100

# Roll fields a program rule may be judged on; other fields stay undecided.
ROLL_RULE_FIELDS = frozenset({"birth_date", "age", "sex", "municipality", "state", "in_state"})

_RENAPO_STATES = "|".join(curp_mod.STATES)
_CURP_SHAPE = re.compile(rf"[A-Z]{{4}}\d{{6}}[HMX](?:{_RENAPO_STATES})[A-Z]{{3}}[0-9A-Z]\d")

Rule = tuple[str, Callable[[Any], bool], str]


@dataclass
class RollContext:
    """What judging a row needs, computed once per batch.

    It crosses to the judging process (see portal/rolls/pipeline.py) by
    pickle; the compiled rules are closures, so they are compiled again on
    arrival.
    """

    program_id: int
    program_name: str
    exclusion_key: str
    default_amount: int | None
    state_code: str
    municipalities: dict[str, str]  # code, 3-digit code and normalized name -> INEGI code
    conditions: list[dict]  # the program's eligibility conditions, as stored
    today: date
    program_names: dict[int, str] = field(default_factory=dict)
    amounts: dict[str, int] = field(default_factory=dict)  # raw text -> pesos, memoized
    # What the batch adds to the statistics summaries (portal/transparency/public.py):
    # (municipality or "", sex, birth year) and start month -> new enrollments.
    cells: Counter = field(default_factory=Counter)
    months: Counter = field(default_factory=Counter)
    # The state's localities and postal codes, to map the roll's addresses to
    # the catalogs (portal/territory/matching.py).
    places: PlaceIndex = field(default_factory=lambda: PlaceIndex({}, {}, {}))
    rules: list[Rule] = field(init=False)

    def __post_init__(self) -> None:
        self.rules = compile_rules(self.conditions)

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "rules"}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self.__post_init__()


def _rule_value(field_name: str, value: Any) -> Any:
    if field_name == "birth_date":
        if isinstance(value, list):
            return tuple(date.fromisoformat(v) for v in value)
        return date.fromisoformat(value) if isinstance(value, str) else value
    return tuple(value) if isinstance(value, list) else value


def compile_rules(conditions: Iterable[dict]) -> list[Rule]:
    """The program's conditions a roll can be judged on, as (field, test, reason)."""
    rules = []
    for c in conditions:
        if c["field"] in ROLL_RULE_FIELDS:
            value = _rule_value(c["field"], c.get("value"))
            rules.append((c["field"], predicate(c["op"], value), c.get("reason") or ""))
    return rules


def _state_code(municipalities: list[Any]) -> str:
    configured = os.environ.get("STATE_CODE", "")
    if configured:
        return configured
    # The state is the one whose municipalities the portal holds.
    codes = {m.state_code for m in municipalities}
    return codes.pop() if len(codes) == 1 else "22"


def build_context(program: Program, today: date | None = None) -> RollContext:
    rows = list(Municipality.select())
    state_code = _state_code(rows)
    municipalities: dict[str, str] = {}
    for m in rows:
        if m.state_code != state_code:
            continue
        municipalities[m.code] = m.code
        municipalities[m.code[2:]] = m.code
        municipalities[str(int(m.code[2:]))] = m.code
        municipalities[normalize_text(m.name)] = m.code
    names = {p.id: p.name for p in Program.select(Program.id, Program.name)}
    return RollContext(
        program_id=program.id,
        program_name=program.name,
        exclusion_key=program.exclusion_key,
        default_amount=program.benefit_amount,
        state_code=state_code,
        municipalities=municipalities,
        conditions=list(program.eligibility or []),
        today=today or date.today(),
        program_names=names,
        places=place_index(state_code),
    )


class Row(NamedTuple):
    """An accepted row (a named tuple: built a million times per large roll).

    Dates are ISO text, as they are written, and cheap to send between processes.
    """

    number: int
    curp: str
    given_names: str
    first_surname: str
    second_surname: str
    birth_date: str
    sex: str
    municipality: str | None
    amount: int | None
    started_on: str
    # The address, where the roll gave one the catalogs recognise.
    locality_code: str = ""
    locality: str = ""
    postal_code: str = ""
    address_unmatched: bool = False
    settlement_type: str = ""
    settlement_name: str = ""


Rejection = tuple[int, str, str, list[str]]  # row number, CURP, name, reasons
Chunk = tuple[int, list[Row], list[Rejection]]  # rows read, accepted rows, rejections


# --- The CURP -----------------------------------------------------------------------------

_curp_dates: dict[str, date | None] = {}


def _curp_birth_date(curp: str) -> date | None:
    """Birth date from positions 5-10 and the century rule, cached (few distinct values)."""
    key = curp[4:10] + ("0" if curp[16].isdigit() else "A")
    try:
        return _curp_dates[key]
    except KeyError:
        pass
    century = 1900 if key[-1] == "0" else 2000
    try:
        found: date | None = date(century + int(key[0:2]), int(key[2:4]), int(key[4:6]))
    except ValueError:
        found = None
    _curp_dates[key] = found
    return found


def check_curp(raw: str) -> tuple[str, str | None, date | None]:
    """(normalized CURP, problem or None, birth date it encodes or None).

    Fast path for well-formed CURPs; portal/citizens/curp.py words the message of
    anything else."""
    value = raw.strip().upper()
    if len(value) == 18 and _CURP_SHAPE.fullmatch(value):
        born = _curp_birth_date(value)
        if (
            born is not None
            and value[:4] not in curp_mod.INCONVENIENT_WORDS
            and curp_mod.check_digit(value[:17]) == value[17]
        ):
            return value, None, born
    try:
        value = curp_mod.validate(raw)
    except curp_mod.CurpError as exc:
        return curp_mod.normalize(raw)[:18], exc.message, None
    return value, None, _curp_birth_date(value)


# --- One cell each ------------------------------------------------------------------------
# Each check takes the raw cell and the row's list of reasons, appends what is
# wrong with the cell to it, and returns the cell's value (None when absent or wrong).


def check_names(given: Any, first: Any, second: Any, reasons: list[str]) -> tuple[str, str, str]:
    """The three names, cleaned; the given name and the first surname are required."""
    # Most rows' names are clean: one test on the three together, and only the
    # rows it flags (a "|" inside a name flags falsely, harmlessly) are rebuilt.
    joined = f"|{given}|{first}|{second}|"
    if " |" in joined or "| " in joined or "  " in joined or "\t" in joined:
        names = (clean_name(given), clean_name(first), clean_name(second))
    else:
        names = (str(given), str(first), str(second))
    if not names[0]:
        reasons.append(str(_l("Falta el nombre.")))
    if not names[1]:
        reasons.append(str(_l("Falta el primer apellido.")))
    if max(map(len, names)) > MAX_NAME:
        reasons.append(
            str(_l("Un nombre o apellido pasa de %(limit)s caracteres.", limit=MAX_NAME))
        )
    return names


def check_birth_date(raw: Any, reasons: list[str]) -> date | None:
    if raw == "" or raw is None:
        return None
    # The cache lookup first: a roll repeats few dates, and this runs per row.
    birth = date_cache.get(raw) or parse_date(raw)
    if birth is None:
        reasons.append(
            str(
                _l(
                    "La fecha de nacimiento «%(value)s» no es una fecha "
                    "(use AAAA-MM-DD o DD/MM/AAAA).",
                    value=raw,
                )
            )
        )
    return birth


def check_sex(raw: Any, reasons: list[str]) -> str | None:
    text = str(raw).strip()
    if not text:
        return None
    sex = SEX_VALUES.get(text.lower()) or SEX_VALUES.get(normalize_text(text))
    if sex is None:
        reasons.append(str(_l("El sexo «%(value)s» no se reconoce (use H, M o X).", value=text)))
    return sex


def check_municipality(raw: Any, ctx: RollContext, reasons: list[str]) -> str | None:
    text = str(raw).strip()
    if not text:
        return None
    found = ctx.municipalities.get(text) or ctx.municipalities.get(normalize_text(text))
    if found is None:
        reasons.append(
            str(_l("El municipio «%(value)s» no es un municipio del estado.", value=text))
        )
    return found


def check_amount(raw: Any, ctx: RollContext, reasons: list[str]) -> int | None:
    """The row's amount in pesos, or the program's when the cell is empty."""
    text = str(raw).strip()
    if not text:
        return ctx.default_amount
    amount = ctx.amounts.get(text)
    if amount is not None:
        return amount
    try:
        amount = round(float(text.replace("$", "").replace(",", "").replace(" ", "")))
    except ValueError:
        reasons.append(str(_l("El monto «%(value)s» no es una cantidad.", value=text)))
        return None
    if not 0 <= amount <= MAX_AMOUNT:
        reasons.append(str(_l("El monto debe estar entre 0 y 10,000,000 pesos.")))
        return None
    if len(ctx.amounts) < 10_000:
        ctx.amounts[text] = amount
    return amount


def check_start_date(raw: Any, ctx: RollContext, reasons: list[str]) -> date:
    """The day the enrollment starts: the cell's date, or today when it is empty."""
    if raw == "" or raw is None:
        return ctx.today
    started = date_cache.get(raw) or parse_date(raw)
    if started is None:
        reasons.append(
            str(
                _l(
                    "La fecha «%(value)s» no es una fecha (use AAAA-MM-DD o DD/MM/AAAA).",
                    value=raw,
                )
            )
        )
        return ctx.today
    return started


# --- The row as a whole -------------------------------------------------------------------


def check_against_curp(
    curp: str, born: date, birth: date | None, sex: str | None, reasons: list[str]
) -> None:
    """The birth date and sex the roll gives, when it gives them, are the CURP's."""
    if (birth is not None and birth != born) or (sex is not None and sex != curp[10]):
        reasons.extend(curp_mod.check_consistency(curp, birth, sex))


def check_dates(born: date, started: date, ctx: RollContext, reasons: list[str]) -> bool:
    """The enrollment starts after the birth and not after today; True when it does."""
    if born > started:
        reasons.append(str(_l("La persona nace después de la fecha de alta.")))
        return False
    if started > ctx.today:
        reasons.append(str(_l("La fecha de alta es posterior a hoy.")))
        return False
    return True


def rule_values(
    born: date, sex: str, municipality: str | None, on: date, ctx: RollContext
) -> dict[str, Any]:
    """The fields a program rule may name, for this person on the day ``on``."""
    values: dict[str, Any] = {"birth_date": born, "age": age_on(born, on), "sex": sex}
    if municipality is not None:
        values.update(
            municipality=municipality,
            state=municipality[:2],
            in_state=municipality[:2] == ctx.state_code,
        )
    return values


def check_rules(values: dict[str, Any], rules: list[Rule], reasons: list[str]) -> None:
    """Each rule broken on a field the roll holds adds its reason, once."""
    for field_name, test, reason in rules:
        value = values.get(field_name)
        if value is not None and not test(value) and reason not in reasons:
            reasons.append(reason or str(_l("No cumple una regla del programa.")))


def check_program(
    born: date, sex: str, municipality: str | None, started: date, ctx: RollContext,
    reasons: list[str],
) -> None:  # fmt: skip
    """The program's rules hold from the enrollment's start to today.

    A child program's 16-year-old of three years ago is 19 today, and out."""
    for on in {started, ctx.today}:
        check_rules(rule_values(born, sex, municipality, on, ctx), ctx.rules, reasons)


def judge_row(
    number: int, cells: Sequence[Any], ctx: RollContext
) -> tuple[Row | None, list[str], str]:
    """(row, [], curp) when the row is fine on its own, else (None, reasons, curp).

    ``cells`` are in reading.CELL_ORDER (see reading.cell_picker). Every cell is
    judged, so a rejected row lists everything wrong with it at once.
    """
    (raw_curp, raw_given, raw_first, raw_second, raw_birth, raw_sex, raw_mun, raw_amount,
     raw_start, raw_locality, raw_postal, raw_settlement) = cells  # fmt: skip
    reasons: list[str] = []
    curp, problem, born = check_curp(str(raw_curp))
    if problem:
        reasons.append(problem)
    given, first, second = check_names(raw_given, raw_first, raw_second, reasons)
    birth = check_birth_date(raw_birth, reasons)
    sex = check_sex(raw_sex, reasons)
    municipality = check_municipality(raw_mun, ctx, reasons)
    amount = check_amount(raw_amount, ctx, reasons)
    started = check_start_date(raw_start, ctx, reasons)
    if problem or born is None:
        return None, reasons, curp
    check_against_curp(curp, born, birth, sex, reasons)
    if check_dates(born, started, ctx, reasons) and ctx.rules:
        check_program(born, curp[10], municipality, started, ctx, reasons)
    if reasons:
        return None, reasons, curp
    place = match(ctx.places, municipality, raw_locality, raw_postal, raw_settlement)
    row = Row(number, curp, given, first, second, born.isoformat(), curp[10], municipality,
              amount, started.isoformat(), place.locality_code, place.locality,
              place.postal_code, place.unmatched, place.settlement_type,
              place.settlement_name)  # fmt: skip
    return row, [], curp


def full_name(row: Row) -> str:
    return " ".join(p for p in (row.given_names, row.first_surname, row.second_surname) if p)


def cells_name(cells: Sequence[Any]) -> str:
    """The name of a rejected row, from its cells in reading.CELL_ORDER."""
    return " ".join(clean_name(p) for p in cells[1:4] if str(p).strip())
