"""Open data and statistics: what the public may know, built so nothing else leaks.

* The published roll of a program is selected column by column from
  :data:`PUBLISHED_ROLL_COLUMNS` (name, program, agency, benefit, municipality,
  age group, sex): the query never reads a CURP, address or contact, so no
  display step can forget to hide one. Names are cut to letters, spaces and
  ``.'-`` so that a bad import (an e-mail typed in a name column) cannot
  publish digits or ``@``. A person under 18 on the day of publication is
  published as :data:`MINOR_NAME`, never by name (Ley General de los Derechos
  de Niñas, Niños y Adolescentes, arts. 76 y 77: their personal data are
  protected); the other columns stay.
* Aggregates come from SQL ``GROUP BY`` (one query for beneficiaries, one for
  applications) and are suppressed in public: a count from 1 to 4 is shown as
  ``<5`` (:func:`suppress`, also the ``public_count`` template filter), so
  nobody in a small town can be singled out.
* Age groups use the age reached in the current year (grouped by birth year in
  SQL, which both engines do with the same ``substr``).
* Beneficiary counts are read from two small summary tables
  (:class:`BeneficiaryCell`, :class:`BeneficiaryMonth`) instead of joining every
  enrollment to its citizen on each build (seconds at a million). A roll
  import adds its own counts in its transaction; any other change to the
  enrollment table (approvals, merges, demo data) changes its fingerprint
  (count, ids, citizen ids of active enrollments, read from the partial unique
  index), and the next build rebuilds the summaries. Changes to a citizen's
  record alone (a move to another municipality) are picked up by the nightly
  build or ``flask --app wsgi estadisticas refresh``.
* The public pages never call these functions on a request: they read the
  last build (portal/transparency/builds.py), made by the queue. Only the
  office statistics compute per request.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import date

from peewee import EXCLUDED, JOIN, SQL, OperationalError, fn

from portal.catalog.schema import BENEFIT_KINDS, PERIODS
from portal.eligibility.profile import age_on
from portal.models import (
    Agency,
    Application,
    BeneficiaryCell,
    BeneficiaryMonth,
    Call,
    Citizen,
    Enrollment,
    Municipality,
    Program,
    StatsState,
    utcnow,
)
from portal.vocabulary import ApplicationStatus as S
from portal.web.database import is_sqlite, write
from portal.web.extensions import db
from portal.web.tables import tuples

SMALL_CELL = 5
SUPPRESSED = "<5"
AGE_GROUPS: tuple[tuple[str, int, int], ...] = (
    ("0 a 17", 0, 17),
    ("18 a 29", 18, 29),
    ("30 a 44", 30, 44),
    ("45 a 59", 45, 59),
    ("60 y más", 60, 200),
)
SEX_LABELS = {"H": "Hombres", "M": "Mujeres", "X": "No binario"}
NO_MUNICIPALITY = "Sin dato"
ADULT_AGE = 18
MINOR_NAME = "Persona menor de edad"

# The published roll: these columns and no others, in this order.
PUBLISHED_ROLL_COLUMNS = (
    "nombre",
    "programa",
    "dependencia",
    "beneficio",
    "monto",
    "municipio",
    "grupo_edad",
    "sexo",
)
CATALOG_COLUMNS = (
    "clave", "programa", "dependencia", "resumen", "poblacion", "tipo_beneficio", "monto",
    "periodo", "grupo_exclusion",
)  # fmt: skip
STATS_COLUMNS = ("programa", "dependencia", "municipio", "sexo", "grupo_edad", "beneficiarios")

_NOT_NAME = re.compile(r"[^A-Za-zÀ-ÖØ-öø-ÿ .'\-]+")


def is_small(count: int) -> bool:
    """A count of 1 to 4: too few people to show without singling someone out."""
    return 0 < count < SMALL_CELL


def suppress(count: int) -> int | str:
    """The count as the public sees it: 1 to 4 becomes ``<5``."""
    return SUPPRESSED if is_small(count) else count


def bar_count(count: int) -> int:
    """The length a public chart draws: every small cell at 4, so a bar gives nothing away."""
    return SMALL_CELL - 1 if is_small(count) else count


def age_group(age: int) -> str:
    for label, low, high in AGE_GROUPS:
        if low <= age <= high:
            return label
    return AGE_GROUPS[-1][0]


def public_name(*parts: str) -> str:
    """A name fit for publication: letters only, one space between words."""
    return " ".join(_NOT_NAME.sub(" ", " ".join(p for p in parts if p)).split())


def _year(column):
    return fn.SUBSTR(column.cast("text"), 1, 4)


def _month(column):
    return fn.SUBSTR(column.cast("text"), 1, 7)


def catalog_rows() -> list[dict]:
    query = (
        Program.select(Program, Agency.name)
        .join(Agency)
        .where(Program.active)
        .order_by(Program.name)
    )
    return [
        {
            "clave": p.slug,
            "programa": p.name,
            "dependencia": p.agency.name,
            "resumen": p.summary,
            "poblacion": p.population,
            "tipo_beneficio": BENEFIT_KINDS.get(p.benefit_kind, p.benefit_kind),
            "monto": p.benefit_amount,
            "periodo": PERIODS.get(p.benefit_period, p.benefit_period),
            "grupo_exclusion": p.exclusion_group or "",
        }
        for p in query
    ]


@dataclass
class Stats:
    """Counts by every dimension the pages show, before suppression."""

    programs: dict[int, tuple[str, str]]  # id -> (name, agency name)
    municipalities: dict[str, str]
    cells: Counter  # (program id, municipality code, sex, age group) -> beneficiaries
    enrolled_by_month: Counter  # "YYYY-MM" -> new beneficiaries
    applications: Counter  # (program id, municipality code, status) -> applications
    applications_by_month: Counter
    quotas: dict[int, int | None]  # program id -> quota of the call open today

    def total(self) -> int:
        return sum(self.cells.values())

    def by(self, dimension: str) -> list[tuple[str, int]]:
        """Beneficiaries by program, agency, municipality, sex or age group, largest first."""
        counts: Counter = Counter()
        for (program_id, municipality, sex, group), n in self.cells.items():
            name, agency = self.programs.get(program_id, ("?", "?"))
            key = {
                "programa": name,
                "dependencia": agency,
                "municipio": self.municipalities.get(municipality, NO_MUNICIPALITY),
                "sexo": SEX_LABELS.get(sex, sex),
                "grupo_edad": group,
            }[dimension]
            counts[key] += n
        if dimension == "grupo_edad":
            order = [label for label, _low, _high in AGE_GROUPS]
            return [(label, counts[label]) for label in order if label in counts]
        return sorted(counts.items(), key=lambda item: (-item[1], item[0]))

    def applications_by(self, dimension: str) -> list[tuple[str, int]]:
        counts: Counter = Counter()
        for (program_id, municipality, status), n in self.applications.items():
            name, agency = self.programs.get(program_id, ("?", "?"))
            key = {
                "programa": name,
                "dependencia": agency,
                "municipio": self.municipalities.get(municipality, NO_MUNICIPALITY),
                "estado": status,
            }[dimension]
            counts[key] += n
        return sorted(counts.items(), key=lambda item: (-item[1], item[0]))

    def coverage(self) -> list[dict]:
        enrolled: Counter = Counter()
        for (program_id, *_rest), n in self.cells.items():
            enrolled[program_id] += n
        rows = []
        for program_id, (name, agency) in sorted(self.programs.items(), key=lambda i: i[1]):
            quota = self.quotas.get(program_id)
            count = enrolled[program_id]
            percent = round(100 * count / quota, 1) if quota else None
            rows.append(
                {"programa": name, "dependencia": agency, "beneficiarios": count, "cupo": quota,
                 "porcentaje": percent}
            )  # fmt: skip
        return rows

    def table_rows(self) -> list[dict]:
        """The open-data table: one row per program, municipality, sex and age group."""
        rows = []
        for (program_id, municipality, sex, group), n in sorted(
            self.cells.items(), key=lambda i: (i[0][0], i[0][1] or "", i[0][2], i[0][3])
        ):
            name, agency = self.programs.get(program_id, ("?", "?"))
            rows.append(
                {
                    "programa": name,
                    "dependencia": agency,
                    "municipio": self.municipalities.get(municipality, NO_MUNICIPALITY),
                    "sexo": SEX_LABELS.get(sex, sex),
                    "grupo_edad": group,
                    "beneficiarios": n,
                }
            )
        return rows


def enrollment_fingerprint() -> str:
    """Changes whenever an active enrollment is added, ended or moved to another person."""
    count, top, ids, citizens = db.execute_sql(
        "SELECT COUNT(*), COALESCE(MAX(id), 0), COALESCE(SUM(id), 0), "
        "COALESCE(SUM(citizen_id), 0) FROM enrollment WHERE active"
    ).fetchone()
    return f"{count}:{top}:{ids}:{citizens}"


_POSITIONS = (SQL("1"), SQL("2"), SQL("3"), SQL("4"))


def _lock_summary() -> None:
    """Serialize summary writers (SQLite: the write transaction already does)."""
    if not is_sqlite():
        db.execute_sql("LOCK TABLE stats_state IN SHARE ROW EXCLUSIVE MODE")


def _stamp(fingerprint: str) -> None:
    StatsState.delete().execute()
    StatsState.create(fingerprint=fingerprint, refreshed_at=utcnow())


def refresh_summary() -> int:
    """Rebuild the summaries from every active enrollment; returns the cells written."""
    birth_year = _year(Citizen.birth_date).cast("integer")
    cells = (
        Enrollment.select(
            Enrollment.program,
            fn.COALESCE(Citizen.municipality, ""),
            Citizen.sex,
            birth_year,
            fn.COUNT(Enrollment.id),
        )
        .join(Citizen)
        .where(Enrollment.active)
        # By position: PostgreSQL binds each "" and substr bound separately, so
        # a repeated expression would not match its select-list twin.
        .group_by(*_POSITIONS[:4])
    )
    month = _month(Enrollment.started_on)
    months = (
        Enrollment.select(Enrollment.program, month, fn.COUNT(Enrollment.id))
        .where(Enrollment.active)
        .group_by(*_POSITIONS[:2])
    )
    with write():
        _lock_summary()
        fingerprint = enrollment_fingerprint()
        BeneficiaryCell.delete().execute()
        BeneficiaryMonth.delete().execute()
        BeneficiaryCell.insert_from(
            cells,
            [
                BeneficiaryCell.program,
                BeneficiaryCell.municipality,
                BeneficiaryCell.sex,
                BeneficiaryCell.birth_year,
                BeneficiaryCell.beneficiaries,
            ],
        ).execute()
        BeneficiaryMonth.insert_from(
            months,
            [BeneficiaryMonth.program, BeneficiaryMonth.month, BeneficiaryMonth.beneficiaries],
        ).execute()
        _stamp(fingerprint)
        return BeneficiaryCell.select().count()


def ensure_summary() -> None:
    """Rebuild the summaries if the enrollment table changed since they were built.

    While another writer holds SQLite's write lock (a roll import can hold it
    a minute) the page does not wait: it shows the summaries as they are, and
    a later read rebuilds them.
    """
    state = StatsState.select().first()
    if state is not None and state.fingerprint == enrollment_fingerprint():
        return
    if not is_sqlite():
        refresh_summary()
        return
    (wait,) = db.execute_sql("PRAGMA busy_timeout").fetchone()
    db.execute_sql("PRAGMA busy_timeout = 0")
    try:
        refresh_summary()
    except OperationalError:
        pass  # the lock is taken: the summaries as they are will do for now
    finally:
        db.execute_sql(f"PRAGMA busy_timeout = {int(wait)}")


def summary_is_current() -> bool:
    """Inside a writer's transaction: do the summaries match the enrollments now?"""
    state = StatsState.select().first()
    return state is not None and state.fingerprint == enrollment_fingerprint()


def add_to_summary(program_id: int, cells: Counter, months: Counter) -> None:
    """Count new active enrollments of one program into current summaries.

    For writers that know what they added (roll imports), inside their own
    transaction, called only when :func:`summary_is_current` held before they
    wrote: otherwise the next read rebuilds everything anyway.
    """
    _lock_summary()
    if cells:
        BeneficiaryCell.insert_many(
            [
                {
                    "program": program_id,
                    "municipality": municipality,
                    "sex": sex,
                    "birth_year": year,
                    "beneficiaries": n,
                }
                for (municipality, sex, year), n in cells.items()
            ]
        ).on_conflict(
            conflict_target=[
                BeneficiaryCell.program,
                BeneficiaryCell.municipality,
                BeneficiaryCell.sex,
                BeneficiaryCell.birth_year,
            ],
            update={
                BeneficiaryCell.beneficiaries: BeneficiaryCell.beneficiaries
                + EXCLUDED.beneficiaries
            },
        ).execute()
    if months:
        BeneficiaryMonth.insert_many(
            [{"program": program_id, "month": m, "beneficiaries": n} for m, n in months.items()]
        ).on_conflict(
            conflict_target=[BeneficiaryMonth.program, BeneficiaryMonth.month],
            update={
                BeneficiaryMonth.beneficiaries: BeneficiaryMonth.beneficiaries
                + EXCLUDED.beneficiaries
            },
        ).execute()
    _stamp(enrollment_fingerprint())


def compute_stats(today: date | None = None, agency_id: int | None = None) -> Stats:
    """Every count: beneficiaries from the summaries, applications by GROUP BY;
    ``agency_id`` limits to one agency."""
    today = today or date.today()
    # Agency.name unaliased: peewee puts it on p.agency (an alias would leave
    # p.agency.name None).
    programs_query = Program.select(Program.id, Program.name, Agency.name).join(Agency)
    if agency_id is not None:
        programs_query = programs_query.where(Program.agency == agency_id)
    programs = {p.id: (p.name, p.agency.name) for p in programs_query}
    municipalities = {m.code: m.name for m in Municipality.select()}

    ensure_summary()
    beneficiaries = BeneficiaryCell.select(
        BeneficiaryCell.program,
        BeneficiaryCell.municipality,
        BeneficiaryCell.sex,
        BeneficiaryCell.birth_year,
        BeneficiaryCell.beneficiaries,
    )
    by_month = BeneficiaryMonth.select(
        BeneficiaryMonth.month, fn.SUM(BeneficiaryMonth.beneficiaries)
    ).group_by(BeneficiaryMonth.month)
    applications = (
        Application.select(
            Application.program,
            Application.municipality,
            Application.status,
            fn.COUNT(Application.id),
        )
        .where(Application.status != S.BORRADOR)
        .group_by(Application.program, Application.municipality, Application.status)
    )
    applications_month = (
        Application.select(_month(Application.submitted_at), fn.COUNT(Application.id))
        .where(Application.submitted_at.is_null(False))
        .group_by(*_POSITIONS[:1])
    )
    if agency_id is not None:
        ids = list(programs)
        beneficiaries = beneficiaries.where(BeneficiaryCell.program.in_(ids))
        by_month = by_month.where(BeneficiaryMonth.program.in_(ids))
        applications = applications.where(Application.program.in_(ids))
        applications_month = applications_month.where(Application.program.in_(ids))

    cells: Counter = Counter()
    for program_id, municipality, sex, year, n in tuples(beneficiaries):
        cells[(program_id, municipality or None, sex, age_group(today.year - year))] += n
    quotas = {
        c.program_id: c.quota
        for c in Call.select().where((Call.opens <= today) & (Call.closes >= today))
    }
    return Stats(
        programs=programs,
        municipalities=municipalities,
        cells=cells,
        enrolled_by_month=Counter(dict(tuples(by_month))),
        applications=Counter({(p, m, s): n for p, m, s, n in tuples(applications)}),
        applications_by_month=Counter(dict(tuples(applications_month))),
        quotas=quotas,
    )


def public_table(stats: Stats) -> list[dict]:
    """The open-data statistics table with small cells suppressed."""
    return [dict(row, beneficiarios=suppress(row["beneficiarios"])) for row in stats.table_rows()]


def published_roll(program: Program, today: date | None = None):
    """The legally published roll of one program, from the allowlist only;
    minors without their name."""
    today = today or date.today()
    query = (
        Enrollment.select(
            Citizen.given_names,
            Citizen.first_surname,
            Citizen.second_surname,
            Citizen.birth_date,
            Citizen.sex,
            Municipality.name,
            Enrollment.benefit_amount,
        )
        .join(Citizen)
        .join(Municipality, JOIN.LEFT_OUTER, on=(Citizen.municipality == Municipality.code))
        .where((Enrollment.program == program) & Enrollment.active)
        .order_by(Citizen.first_surname, Citizen.second_surname, Citizen.given_names)
        .tuples()
    )
    benefit = BENEFIT_KINDS.get(program.benefit_kind, program.benefit_kind)
    agency = program.agency.name
    for given, first, second, birth, sex, municipality, amount in query.iterator():
        born = birth if isinstance(birth, date) else date.fromisoformat(str(birth))
        minor = age_on(born, today) < ADULT_AGE
        yield {
            "nombre": MINOR_NAME if minor else public_name(given, first, second),
            "programa": program.name,
            "dependencia": agency,
            "beneficio": benefit,
            "monto": amount if amount is not None else "",
            "municipio": municipality or NO_MUNICIPALITY,
            "grupo_edad": age_group(today.year - born.year),
            "sexo": SEX_LABELS.get(sex, ""),
        }


def published_programs() -> list[Program]:
    """Programs with at least one active beneficiary, for the roll downloads."""
    with_people = Enrollment.select(Enrollment.program).where(Enrollment.active).distinct()
    return list(Program.select().where(Program.id.in_(with_people)).order_by(Program.name))


def series(rows: list[tuple[str, int]]) -> dict:
    """Chart data: labels, values and the scale's maximum."""
    return {"rows": rows, "max": max((n for _label, n in rows), default=0)}


def months(counter: Counter) -> list[tuple[str, int]]:
    return sorted(counter.items())
