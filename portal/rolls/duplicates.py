"""Probable duplicate people: one person recorded twice under two CURPs.

An exact CURP match cannot happen (the column is unique), but a mistyped CURP
or name can. Pairs are proposed to staff, never merged on their own. Each
records why it was found (its ``kind``, a code of :data:`REASONS`):

* ``apellidos_invertidos``: same birth date and sex, the surnames in the other
  order (and the same given names);
* ``fecha_invertida``: day and month of the birth date swapped (same sex),
  names that score at least :data:`NAME_THRESHOLD`;
* ``curp_transpuesta``: two neighbouring characters of the CURP swapped;

* ``nombre``: same birth date, sex and state of birth (the block, read through
  the ``citizen_birth_date_sex`` index) and names that score at least
  :data:`NAME_THRESHOLD` with rapidfuzz's ``token_sort_ratio`` on names without
  accents or case (word order does not count: "GARCÍA LÓPEZ ANA" = "Ana García
  López");
* ``curp``: CURPs one character apart, found with one pass per position over a
  dictionary keyed by the CURP without that position (no pairwise comparison).

:func:`merge` moves applications and enrollments to the surviving record,
keeps a :class:`~portal.models.CitizenMerge` with a snapshot of the removed
one, and is audited; :func:`dismiss` marks a pair as not the same person.

Two ways to look: :func:`find_candidates` goes through the whole registry
(``flask padron duplicates``), and :func:`check_people` compares a few people
with their block only, which is what the queue does as people are added
(portal/rolls/tasks.py): a digital-ID sign-in or a counter registration that
creates a record, and a roll import once it finishes, in chunks of
:data:`CHECK_CHUNK`. A person's block is read through two indexes: the people
born on the same day, or on the day with day and month swapped, of the same
sex (``citizen_birth_date_sex``), and the CURPs one substitution or one
transposition away (the unique index on ``curp``: an ``IN`` list of the
variants, each with its own check digit). Its cost depends on how many people
share a birth date and sex (about N / 66,000 in a registry of N), not on a
scan of the registry (bench/duplicates_incremental.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from peewee import fn
from rapidfuzz import fuzz

from portal.applications import workflow as apps
from portal.backoffice import audit
from portal.citizens import curp as curp_rules
from portal.messages import _l
from portal.models import (
    LIVE_STATUSES,
    Application,
    Assistance,
    Citizen,
    CitizenMerge,
    DuplicateCandidate,
    Enrollment,
    IdentityCheck,
    ImportBatch,
    Notice,
    Program,
    utcnow,
)
from portal.rolls.reading import normalize_text
from portal.transparency import changes as open_data
from portal.vocabulary import ApplicationStatus as S
from portal.vocabulary import AuditAction
from portal.web import values
from portal.web.database import locked, write
from portal.web.formatting import local_date
from portal.web.sessions import end_sessions_of
from portal.web.tables import tuples

NAME_THRESHOLD = 90.0
CURP_LENGTH_COMPARED = 17  # the check digit follows from the other 17
CHECK_CHUNK = 500  # people per queue task when a roll's people are checked

# Why a pair was found: the code kept in DuplicateCandidate.kind and its label for staff.
REASONS = {
    "nombre": _l("Misma fecha de nacimiento, sexo y entidad; nombre parecido"),
    "curp": _l("La CURP difiere en un carácter"),
    "curp_transpuesta": _l("La CURP tiene dos caracteres contiguos intercambiados"),
    "fecha_invertida": _l("Día y mes de nacimiento intercambiados"),
    "apellidos_invertidos": _l("Los apellidos están en orden inverso"),
}

# The characters each of the first 17 positions of a CURP may hold
# (portal/citizens/curp.py validates the same shape).
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_DIGITS = "0123456789"
_CURP_ALPHABETS = (
    *[_LETTERS] * 4, *[_DIGITS] * 6, "HMX", *[_LETTERS] * 5, _LETTERS + _DIGITS,
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Pair:
    a: int  # the lower id
    b: int
    score: float
    kind: str


def _name(given: str, first: str, second: str) -> str:
    return normalize_text(f"{given} {first} {second}")


def _blocks(batch: int = 50_000) -> Iterator[list[tuple[int, str, str]]]:
    """Citizens grouped by (birth date, sex, state of birth) as (id, curp, name)."""
    query = (
        Citizen.select(
            Citizen.id,
            Citizen.curp,
            Citizen.given_names,
            Citizen.first_surname,
            Citizen.second_surname,
            Citizen.birth_date,
            Citizen.sex,
        )
        .order_by(Citizen.birth_date, Citizen.sex)
        .tuples()
    )
    current_key = None
    block: list[tuple[int, str, str]] = []
    for cid, curp, given, first, second, birth, sex in query.iterator():
        key = (birth, sex)
        if key != current_key:
            yield from _by_state(block)
            block, current_key = [], key
        block.append((cid, curp, _name(given, first, second)))
    yield from _by_state(block)


def _by_state(block: list[tuple[int, str, str]]) -> Iterator[list[tuple[int, str, str]]]:
    if len(block) < 2:
        return
    states: dict[str, list[tuple[int, str, str]]] = {}
    for person in block:
        states.setdefault(person[1][11:13], []).append(person)
    yield from (people for people in states.values() if len(people) > 1)


def name_pairs(threshold: float = NAME_THRESHOLD) -> Iterator[Pair]:
    for people in _blocks():
        for i, (id1, _c1, name1) in enumerate(people):
            for id2, _c2, name2 in people[i + 1 :]:
                score = fuzz.token_sort_ratio(name1, name2, score_cutoff=threshold)
                if score:
                    yield Pair(min(id1, id2), max(id1, id2), round(score, 1), "nombre")


def curp_pairs() -> Iterator[Pair]:
    """CURPs that differ in exactly one of the first 17 characters."""
    # iterator(): the rows are read once, without the query's own cache of them.
    rows: list[tuple[int, str, str, str, str]] = list(
        Citizen.select(
            Citizen.id,
            Citizen.curp,
            Citizen.given_names,
            Citizen.first_surname,
            Citizen.second_surname,
        )
        .tuples()
        .iterator()
    )
    for position in range(CURP_LENGTH_COMPARED):
        seen: dict[str, int] = {}
        for k, (_cid, curp, *_names) in enumerate(rows):
            key = curp[:position] + curp[position + 1 :]
            other = seen.setdefault(key, k)
            if other != k:
                a, b = rows[other], rows[k]
                score = fuzz.token_sort_ratio(_name(*a[2:]), _name(*b[2:]))
                yield Pair(min(a[0], b[0]), max(a[0], b[0]), round(score, 1), "curp")


def find_candidates(threshold: float = NAME_THRESHOLD) -> list[Pair]:
    """Every probable pair, once (a CURP pair wins over a name pair); people an
    unfinished roll import is creating are left out (see :func:`staged_people`)."""
    pairs: dict[tuple[int, int], Pair] = {}
    for pair in name_pairs(threshold):
        pairs[(pair.a, pair.b)] = pair
    for pair in curp_pairs():
        pairs[(pair.a, pair.b)] = pair
    staged = staged_people()
    return [p for p in pairs.values() if p.a not in staged and p.b not in staged]


def _staged_enrollments():
    unfinished = ImportBatch.select(ImportBatch.id.cast("text")).where(
        ImportBatch.status != "terminado"
    )
    return (
        Enrollment.select(Enrollment.citizen)
        .join(Citizen)
        .where(
            (Enrollment.active == False)  # noqa: E712
            & Enrollment.ended_on.is_null()
            & (Citizen.origin == "import")
            & Enrollment.import_batch.in_(unfinished)
        )
        .distinct()
    )


def staged_people() -> set[int]:
    """Citizen records created by a roll import that has not finished: its
    enrollments are staged, and the records go if it fails
    (portal/rolls/writing.py), so no pair should name them yet."""
    return {e.citizen_id for e in _staged_enrollments()}


def _staged_among(citizen_ids: Iterable[int]) -> set[int]:
    """:func:`staged_people` among ``citizen_ids`` only (read through the
    enrollments' citizen index)."""
    ids = sorted(set(citizen_ids))
    if not ids:
        return set()
    query = _staged_enrollments().where(Enrollment.citizen.in_(ids))
    return {e.citizen_id for e in query}


# --- One person against their block (the queue) ------------------------------------------


@dataclass(frozen=True, slots=True)
class Person:
    id: int
    curp: str
    given: str  # normalized (portal/rolls/reading.py normalize_text)
    first: str
    second: str
    birth_date: dt.date
    sex: str

    @property
    def name(self) -> str:
        return " ".join(p for p in (self.given, self.first, self.second) if p)


_PERSON_COLUMNS = (
    Citizen.id,
    Citizen.curp,
    Citizen.given_names,
    Citizen.first_surname,
    Citizen.second_surname,
    Citizen.birth_date,
    Citizen.sex,
)


def _people(query) -> list[Person]:
    return [
        Person(
            cid,
            curp,
            normalize_text(given),
            normalize_text(first),
            normalize_text(second or ""),
            birth if isinstance(birth, dt.date) else dt.date.fromisoformat(str(birth)),
            sex,
        )
        for cid, curp, given, first, second, birth, sex in query.tuples()
    ]


def swapped_day_and_month(day: dt.date) -> dt.date | None:
    """The date with day and month swapped, when that is another real date."""
    if day.day > 12 or day.day == day.month:
        return None
    return day.replace(month=day.day, day=day.month)


def curp_variants(curp: str) -> dict[str, str]:
    """Every CURP one substitution (``curp``) or one transposition of
    neighbouring characters (``curp_transpuesta``) away among the first 17,
    each with its own check digit, as the unique index holds them."""
    first17 = curp[:CURP_LENGTH_COMPARED]
    if len(first17) < CURP_LENGTH_COMPARED:
        return {}
    variants: dict[str, str] = {}
    for i, alphabet in enumerate(_CURP_ALPHABETS):
        for char in alphabet:
            if char != first17[i]:
                other = first17[:i] + char + first17[i + 1 :]
                variants[other + curp_rules.check_digit(other)] = "curp"
    for i in range(CURP_LENGTH_COMPARED - 1):
        if first17[i] != first17[i + 1]:
            other = first17[:i] + first17[i + 1] + first17[i] + first17[i + 2 :]
            variants.setdefault(other + curp_rules.check_digit(other), "curp_transpuesta")
    variants.pop(curp, None)
    return variants


def reason_for(
    p: Person, q: Person, curp_kind: str | None, threshold: float = NAME_THRESHOLD
) -> tuple[str, float] | None:
    """Why ``p`` and ``q`` may be one person (a code of :data:`REASONS` and the
    names' score), or None. A CURP variant is a reason on its own, as in
    :func:`curp_pairs`; a birth date or name variant needs the rest to agree."""
    score = round(fuzz.token_sort_ratio(p.name, q.name), 1)
    same_sex = p.sex == q.sex
    if (
        same_sex
        and p.birth_date == q.birth_date
        and p.given == q.given
        and p.first != p.second
        and (p.first, p.second) == (q.second, q.first)
    ):
        return "apellidos_invertidos", score
    if same_sex and swapped_day_and_month(p.birth_date) == q.birth_date and score >= threshold:
        return "fecha_invertida", score
    if curp_kind is not None:
        return curp_kind, score
    if (
        same_sex
        and p.birth_date == q.birth_date
        and p.curp[11:13] == q.curp[11:13]
        and score >= threshold
    ):
        return "nombre", score
    return None


def pairs_for(citizen_ids: Iterable[int], threshold: float = NAME_THRESHOLD) -> list[Pair]:
    """The probable pairs of each of ``citizen_ids`` with the people of their block.

    Two indexed reads per person, whatever the size of the registry: the
    people of the same sex born on the same day or on the day with day and
    month swapped (``citizen_birth_date_sex``), and the CURPs of
    :func:`curp_variants` (the unique index on ``curp``). People a roll
    import is still creating are left out, as in :func:`find_candidates`.
    """
    ids = sorted(set(citizen_ids))
    if not ids:
        return []
    pairs: dict[tuple[int, int], Pair] = {}
    for p in _people(Citizen.select(*_PERSON_COLUMNS).where(Citizen.id.in_(ids))):
        days = [p.birth_date]
        swapped = swapped_day_and_month(p.birth_date)
        if swapped is not None:
            days.append(swapped)
        others: dict[int, tuple[Person, str | None]] = {
            q.id: (q, None)
            for q in _people(
                Citizen.select(*_PERSON_COLUMNS).where(
                    Citizen.birth_date.in_(days) & (Citizen.sex == p.sex) & (Citizen.id != p.id)
                )
            )
        }
        variants = curp_variants(p.curp)
        for q in _people(Citizen.select(*_PERSON_COLUMNS).where(Citizen.curp.in_(list(variants)))):
            others[q.id] = (q, variants[q.curp])
        for q, curp_kind in others.values():
            found = reason_for(p, q, curp_kind, threshold)
            if found is not None:
                a, b = min(p.id, q.id), max(p.id, q.id)
                pairs.setdefault((a, b), Pair(a, b, found[1], found[0]))
    staged = _staged_among({pid for pair in pairs for pid in pair})
    return [p for p in pairs.values() if p.a not in staged and p.b not in staged]


def store_new(pairs: Iterable[Pair]) -> int:
    """Save the pairs not listed yet (whatever their status: a dismissed pair
    stays dismissed); returns how many were new. The unique index on
    (citizen_a, citizen_b), the lower id first, makes a pair found twice at
    the same moment one row."""
    wanted = {(p.a, p.b): p for p in pairs}
    if not wanted:
        return 0
    now = utcnow()
    with write():
        known = {
            (a, b)
            for a, b in tuples(
                DuplicateCandidate.select(
                    DuplicateCandidate.citizen_a, DuplicateCandidate.citizen_b
                ).where(DuplicateCandidate.citizen_a.in_(sorted({a for a, _ in wanted})))
            )
            if (a, b) in wanted
        }
        new = [p for key, p in wanted.items() if key not in known]
        if new:
            DuplicateCandidate.insert_many(
                [
                    {
                        "citizen_a": p.a,
                        "citizen_b": p.b,
                        "score": p.score,
                        "kind": p.kind,
                        "created_at": now,
                    }
                    for p in new
                ]
            ).on_conflict_ignore().execute()
    return len(new)


def check_people(citizen_ids: Iterable[int]) -> int:
    """Compare these people with their blocks and store the new pairs (the
    queue's task, portal/rolls/tasks.py); running it again stores nothing."""
    return store_new(pairs_for(citizen_ids))


def roll_people(batch_id: int, chunk: int | None = None) -> Iterator[list[int]]:
    """The people a finished roll import created, ``chunk`` ids at a time
    (:data:`CHECK_CHUNK` by default), read once through the enrollments'
    ``import_batch`` index."""
    chunk = chunk or CHECK_CHUNK
    batch = ImportBatch.get_or_none(ImportBatch.id == batch_id)
    if batch is None or batch.status != "terminado" or batch.started_at is None:
        return
    query = (
        Enrollment.select(Enrollment.citizen)
        .join(Citizen)
        .where(
            (Enrollment.import_batch == str(batch_id))
            & (Citizen.origin == "import")
            & (Citizen.created_at >= batch.started_at)
        )
        .tuples()
    )
    ids = sorted({cid for (cid,) in query.iterator()})
    for start in range(0, len(ids), chunk):
        yield ids[start : start + chunk]


def store_candidates(pairs: Iterable[Pair], chunk: int = 2000) -> int:
    """Save new pairs; pairs already listed (or dismissed) are left as they are."""
    now = utcnow()
    rows = [
        {"citizen_a": p.a, "citizen_b": p.b, "score": p.score, "kind": p.kind, "created_at": now}
        for p in pairs
    ]
    before = DuplicateCandidate.select().count()
    with write():
        for start in range(0, len(rows), chunk):
            DuplicateCandidate.insert_many(
                rows[start : start + chunk]
            ).on_conflict_ignore().execute()
    return DuplicateCandidate.select().count() - before


# --- Side by side (the review page) --------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Holdings:
    """What a record holds: its applications and enrollments, counted and by program."""

    applications: int
    application_programs: list[str]
    enrollments: int  # active ones
    enrollment_programs: list[str]


@dataclass(frozen=True, slots=True)
class FieldRow:
    label: object  # a lazy translation
    first: str
    second: str

    @property
    def differs(self) -> bool:
        return self.first != self.second


@dataclass(frozen=True, slots=True)
class Comparison:
    pair: DuplicateCandidate
    people: tuple[Citizen, Citizen]
    reason: object  # the label of the pair's kind, a lazy translation
    fields: list[FieldRow]
    holdings: tuple[Holdings, Holdings]


_COMPARED = (
    (_l("CURP"), lambda c: c.curp),
    (_l("Nombre(s)"), lambda c: c.given_names),
    (_l("Primer apellido"), lambda c: c.first_surname),
    (_l("Segundo apellido"), lambda c: c.second_surname or ""),
    (_l("Fecha de nacimiento"), lambda c: c.birth_date.strftime("%d/%m/%Y")),
    (_l("Sexo"), lambda c: values.sex_label(c.sex)),
    (_l("Entidad de nacimiento (CURP)"), lambda c: values.birth_state_name(c.curp[11:13])),
    (_l("Municipio"), lambda c: values.municipality_name(c.municipality_id)),
    (_l("Origen del registro"), lambda c: values.record_value("origin", c.origin)),
    (_l("Alta"), lambda c: local_date(c.created_at).strftime("%d/%m/%Y")),
)


def reason_label(kind: str) -> object:
    return REASONS.get(kind, kind)


def _holdings(citizen_ids: list[int]) -> dict[int, Holdings]:
    """Applications and active enrollments of these people, with their programs'
    names: two grouped queries through the citizen indexes."""
    applications: dict[int, dict[str, int]] = {cid: {} for cid in citizen_ids}
    for cid, name, count in tuples(
        Application.select(Application.citizen, Program.name, fn.COUNT(Application.id))
        .join(Program, on=(Application.program == Program.id))
        .where(Application.citizen.in_(citizen_ids))
        .group_by(Application.citizen, Program.name)
    ):
        applications[cid][name] = count
    enrollments: dict[int, dict[str, int]] = {cid: {} for cid in citizen_ids}
    for cid, name, count in tuples(
        Enrollment.select(Enrollment.citizen, Program.name, fn.COUNT(Enrollment.id))
        .join(Program, on=(Enrollment.program == Program.id))
        .where(Enrollment.citizen.in_(citizen_ids) & Enrollment.active)
        .group_by(Enrollment.citizen, Program.name)
    ):
        enrollments[cid][name] = count
    return {
        cid: Holdings(
            sum(applications[cid].values()),
            sorted(applications[cid]),
            sum(enrollments[cid].values()),
            sorted(enrollments[cid]),
        )
        for cid in citizen_ids
    }


def compare(pairs: Iterable[DuplicateCandidate]) -> list[Comparison]:
    """Each pair's two records field by field, with what each holds."""
    rows = list(pairs)
    ids = sorted({p.citizen_a_id for p in rows} | {p.citizen_b_id for p in rows})
    if not ids:
        return []
    people = {c.id: c for c in Citizen.select().where(Citizen.id.in_(ids))}
    holdings = _holdings(ids)
    comparisons = []
    for pair in rows:
        a, b = people[pair.citizen_a_id], people[pair.citizen_b_id]
        comparisons.append(
            Comparison(
                pair,
                (a, b),
                reason_label(pair.kind),
                [FieldRow(label, value(a), value(b)) for label, value in _COMPARED],
                (holdings[a.id], holdings[b.id]),
            )
        )
    return comparisons


class MergeError(ValueError):
    """A merge or dismissal that cannot be done; ``message`` is for people
    (a lazy translation: worded in the language of whoever reads it)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _snapshot(citizen: Citizen) -> dict:
    return {
        "curp": citizen.curp,
        "given_names": citizen.given_names,
        "first_surname": citizen.first_surname,
        "second_surname": citizen.second_surname,
        "birth_date": citizen.birth_date.isoformat(),
        "sex": citizen.sex,
        "municipality": citizen.municipality_id,
        "origin": citizen.origin,
        "created_at": citizen.created_at.isoformat(),
    }


def _end_duplicates(
    survivor: Citizen, merged: Citizen, actor: audit.Actor
) -> tuple[list[int], list[int]]:
    """End what may exist only once, through the domain functions that own it.

    The survivor's applications and enrollments stay. The other record's live
    application to a call the survivor also applied to is cancelled (ending
    its enrollment if it was approved); its active enrollment in an exclusion
    group the survivor already receives is ended. A delivered application
    cannot be undone, so a merge that would need to is refused: keep that
    record instead, or, when both were delivered, report the double payment.
    """
    mine = {
        (a.program_id, a.call_id): a
        for a in Application.select().where(
            (Application.citizen == survivor.id) & Application.status.in_(LIVE_STATUSES)
        )
    }
    reason = "Registro duplicado de la misma persona: se conserva el otro registro."
    cancelled, ended = [], []
    for app in Application.select().where(
        (Application.citizen == merged.id) & Application.status.in_(LIVE_STATUSES)
    ):
        kept = mine.get((app.program_id, app.call_id))
        if kept is None:
            continue
        if app.status == S.ENTREGADA:
            name = Program.get_by_id(app.program_id).name
            raise MergeError(
                _l(
                    "Los dos registros recibieron «%(program)s» en la misma convocatoria: es un "
                    "pago duplicado. Repórtelo a la supervisión antes de unirlos.",
                    program=name,
                )
                if kept.status == S.ENTREGADA
                else _l(
                    "El registro que se quitaría ya recibió «%(program)s»: conserve ese registro.",
                    program=name,
                )
            )
        apps.cancel(app, actor, reason)
        cancelled.append(app.id)
    # One draft per person and call (application_one_draft_per_call): the
    # survivor's draft stays, the other record's draft for that call is cancelled.
    drafting = Application.select(Application.call).where(
        (Application.citizen == survivor.id) & (Application.status == S.BORRADOR)
    )
    for app in Application.select().where(
        (Application.citizen == merged.id)
        & (Application.status == S.BORRADOR)
        & Application.call.in_(drafting)
    ):
        apps.cancel(app, actor, reason)
        cancelled.append(app.id)
    kept_keys = {
        e.exclusion_key
        for e in Enrollment.select().where((Enrollment.citizen == survivor.id) & Enrollment.active)
    }
    for enrollment in Enrollment.select().where(
        (Enrollment.citizen == merged.id) & Enrollment.active
    ):
        if enrollment.exclusion_key not in kept_keys:
            continue
        source = Application.get_or_none(Application.id == enrollment.application_id)
        if source is not None and source.status == S.APROBADA:
            apps.cancel(source, actor, reason)
            cancelled.append(source.id)
        else:
            apps.end_enrollment(enrollment, actor, reason)
        ended.append(enrollment.id)
    return cancelled, ended


def _check_rules_hold(survivor: Citizen, merged_id: int, on: dt.date) -> None:
    """Every benefit that moves to the survivor must fit its rules with the
    survivor's data: a merge never puts a person outside a program's group."""
    moving = (
        Program.select()
        .join(Enrollment)
        .where((Enrollment.citizen == merged_id) & Enrollment.active)
    )
    for program in moving:
        outside = apps.rule_reasons(survivor, program, on)
        if outside:
            raise MergeError(
                _l(
                    "Con los datos del registro que se conserva, la persona no cumple las reglas "
                    "de «%(program)s» (%(reasons)s). Conserve el otro registro o "
                    "corrija los datos antes de unirlos.",
                    program=program.name,
                    reasons=" ".join(outside),
                )
            )


MAX_REASON = 500  # characters of the reason staff give for a decision


def _reason(text: str, required: bool) -> str:
    reason = " ".join((text or "").split())
    if required and not reason:
        raise MergeError(_l("Escriba por qué son la misma persona antes de unir los registros."))
    if len(reason) > MAX_REASON:
        raise MergeError(_l("El motivo admite hasta %(count)s caracteres.", count=MAX_REASON))
    if audit.holds_personal_data(reason):
        # It goes to the audit trail, which never holds them.
        raise MergeError(
            _l("No escriba CURP, correos ni teléfonos en el motivo: describa lo que revisó.")
        )
    return reason


def merge(
    candidate_id: int,
    survivor_id: int,
    actor: audit.Actor,
    staff_id: int | None,
    *,
    reason: str,
) -> CitizenMerge:
    """Keep ``survivor_id``, move the other record's history to it and remove it.

    ``reason`` is why staff judged them one person (required); it is kept in
    the merge record and the audit entry.

    Where both records hold something that may exist only once (an active
    enrollment in the same exclusion group, a live application to the same
    call), the survivor's stays and the other is ended (enrollment) or
    cancelled with a reason on its timeline (application), then moved too.
    """
    stated = _reason(reason, required=True)
    today = dt.date.today()
    with write():
        candidate = locked(
            DuplicateCandidate.select().where(DuplicateCandidate.id == candidate_id)
        ).first()
        if candidate is None or candidate.status != "pendiente":
            raise MergeError(_l("Este par ya se resolvió o no existe."))
        ids = {candidate.citizen_a_id, candidate.citizen_b_id}
        if survivor_id not in ids:
            raise MergeError(_l("Elija cuál de los dos registros se conserva."))
        (merged_id,) = ids - {survivor_id}
        merged = Citizen.get_by_id(merged_id)

        survivor = Citizen.get_by_id(survivor_id)
        cancelled, ended = _end_duplicates(survivor, merged, actor)
        _check_rules_hold(survivor, merged_id, today)
        enrollments = (
            Enrollment.update(citizen=survivor_id).where(Enrollment.citizen == merged_id).execute()
        )
        if enrollments:
            # The published roll names the survivor now (portal/transparency/changes.py).
            open_data.mark_changed(open_data.BENEFICIARIES)
        applications = (
            Application.update(citizen=survivor_id)
            .where(Application.citizen == merged_id)
            .execute()
        )
        # The person keeps their inbox, and who helped them at the counter
        # still may not decide their cases.
        for model in (Notice, Assistance, IdentityCheck):
            model.update(citizen=survivor_id).where(model.citizen == merged_id).execute()
        # Earlier merges into the removed record now name the survivor.
        CitizenMerge.update(survivor=survivor_id).where(
            CitizenMerge.survivor == merged_id
        ).execute()
        record = CitizenMerge.create(
            survivor=survivor_id,
            merged_citizen_id=merged_id,
            merged_snapshot=_snapshot(merged),
            moved={
                "applications": applications,
                "enrollments": enrollments,
                "ended_enrollments": ended,
                "cancelled_applications": cancelled,
                "candidate": {"id": candidate.id, "score": candidate.score, "kind": candidate.kind},
                "reason": stated,
            },
            merged_by=staff_id,
        )
        # This pair and any other naming the removed record go with it (ON DELETE
        # CASCADE); the merge record above is their history.
        merged.delete_instance()
        end_sessions_of("ciudadano", merged_id)
        audit.record(
            AuditAction.CITIZEN_MERGE,
            actor,
            object_type="citizen",
            object_id=survivor_id,
            details={
                "merged_citizen_id": merged_id,
                "applications": applications,
                "enrollments": enrollments,
                "merge_id": record.id,
                "kind": candidate.kind,
                "motivo": stated,
            },
        )
    return record


def dismiss(
    candidate_id: int, actor: audit.Actor, staff_id: int | None, *, reason: str = ""
) -> None:
    """Mark the pair as two people; ``reason`` (optional) goes to the audit entry."""
    stated = _reason(reason, required=False)
    with write():
        updated = (
            DuplicateCandidate.update(status="descartado", decided_by=staff_id, decided_at=utcnow())
            .where(
                (DuplicateCandidate.id == candidate_id) & (DuplicateCandidate.status == "pendiente")
            )
            .execute()
        )
        if not updated:
            raise MergeError(_l("Este par ya se resolvió o no existe."))
        audit.record(
            AuditAction.DUPLICATE_DISMISS,
            actor,
            object_type="duplicate_candidate",
            object_id=candidate_id,
            details={"motivo": stated} if stated else None,
        )
