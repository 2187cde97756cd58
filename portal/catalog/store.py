"""The program catalog in the database: load validated catalogs, read them back.

:func:`load_catalog` writes a validated :class:`portal.catalog.schema.Catalog` into the
core tables in one transaction. It is idempotent: a program whose data is the
same as in the database is left untouched; a changed one gets ``version + 1``
and an immutable :class:`ProgramVersion` snapshot, so an application can say
which rules it was judged by. Programs absent from the file are left alone: an
agency may load a file with only its own programs. Requirements, calls and
delivery points are updated in place, matched by slug, opening date and name,
because documents, applications and deliveries refer to those rows.

:func:`engine_catalog` gives the compiled catalog of the active programs for
the eligibility engine. Compiling thousands of programs takes a while, so it is
cached per process and rebuilt only when the programs table changes (count,
versions or last update). Code that edits a program outside
:func:`load_catalog` must bump ``Program.updated_at`` (and ``version`` when the
rules change) for the cache to notice.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Collection, Hashable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeVar

from flask import has_request_context, request
from peewee import fn, prefetch

from portal.backoffice import audit
from portal.catalog.geography import load_state
from portal.catalog.schema import (
    Benefit,
    CatalogError,
    FederalRoll,
    conditions_from_json,
    examples_from_json,
    recertification_from_json,
    schedule_from_json,
)
from portal.catalog.schema import Call as CallData
from portal.catalog.schema import Catalog as CatalogData
from portal.catalog.schema import DeliveryPoint as DeliveryPointData
from portal.catalog.schema import Program as ProgramData
from portal.catalog.schema import Requirement as RequirementData
from portal.eligibility.engine import CompiledCatalog, compile_catalog
from portal.messages import Joined, Text, _l
from portal.models import (
    Agency,
    Application,
    Call,
    Delivery,
    DeliveryPoint,
    Document,
    Municipality,
    Program,
    ProgramVersion,
    Requirement,
    utcnow,
)
from portal.web.database import write
from portal.web.extensions import db
from portal.web.tables import BaseModel, Prepared, Slot

K = TypeVar("K", bound=Hashable)
M = TypeVar("M", bound=BaseModel)


log = logging.getLogger("portal.catalog")

# Called with program ids after a transaction that published a new version of
# those programs commits: the screening for people who may receive them
# registers its task here (portal/outreach/tasks.py).
after_published: list[Callable[[list[int]], None]] = []


def announce_published(program_ids: list[int]) -> None:
    """Tell the listeners; a queue that cannot take the task does not undo the
    publication (the daily screening of the calls opening still runs)."""
    if not program_ids:
        return
    for listener in after_published:
        try:
            listener(list(program_ids))
        except Exception as exc:  # noqa: BLE001 - any queue failure
            log.error("no se pudo encolar la revisión de personas: %s", type(exc).__name__)


class LoadError(ValueError):
    """A catalog that is valid on its own but cannot replace what the database holds,
    e.g. it drops a call that already has applications. Nothing is written."""

    def __init__(self, problems: list[Text]):
        self.problems = problems
        super().__init__(Joined(problems, "\n"))


@dataclass
class LoadSummary:
    """What a load did, by slug."""

    agencies_created: list[str] = field(default_factory=list)
    agencies_updated: list[str] = field(default_factory=list)
    programs_created: list[str] = field(default_factory=list)
    programs_updated: list[str] = field(default_factory=list)
    programs_unchanged: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(
            self.agencies_created
            or self.agencies_updated
            or self.programs_created
            or self.programs_updated
        )


def load_catalog(
    catalog: CatalogData, *, actor: str = "sistema", overwrite: Collection[str] = ()
) -> LoadSummary:
    """Upsert the catalog's agencies and programs; see the module docstring.

    ``actor`` names who loaded it in each new :class:`ProgramVersion` (never a
    personal datum: a staff id such as ``personal:12`` or ``sistema``).
    A program whose last version was saved from the back office and that the
    file would change is a conflict: the load is refused naming it, unless its
    slug is in ``overwrite`` (the person loading chose the file's version).
    Raises :class:`LoadError` (and writes nothing) when the database cannot take
    the file as it is.
    """
    summary = LoadSummary()
    published: list[int] = []
    with write():
        agencies = _upsert_agencies(catalog, summary)
        problems: list[Text] = []
        for data in catalog.programs:
            existing = Program.get_or_none(Program.slug == data.slug)
            if existing is None:
                program = create_program(data, agencies[data.agency])
                summary.programs_created.append(data.slug)
            elif existing.active and _as_stored(existing) == data.to_dict():
                summary.programs_unchanged.append(data.slug)
                continue
            elif data.slug not in overwrite and (edit := web_edit(existing)) is not None:
                problems.append(
                    _l(
                        'programa "%(slug)s": la versión %(v)s se guardó en la oficina '
                        "(%(by)s) y el archivo la reemplazaría. Copie ese cambio al archivo, "
                        "o cárguelo con --sobrescribir %(slug)s para quedarse con el archivo.",
                        slug=data.slug,
                        v=edit.version,
                        by=edit.created_by,
                    )
                )
                continue
            else:
                program = _update_program(existing, data, agencies[data.agency], problems)
                summary.programs_updated.append(data.slug)
            ProgramVersion.create(
                program=program,
                version=program.version,
                snapshot=data.to_dict(),
                created_by=actor,
            )
            published.append(program.id)
        if problems:
            raise LoadError(problems)
        if summary.changed:
            audit.record(
                "catalogo.cargar",
                audit.SYSTEM,
                object_type="catalogo",
                details={
                    "por": actor,
                    "programas_nuevos": summary.programs_created,
                    "programas_cambiados": summary.programs_updated,
                    "dependencias_nuevas": summary.agencies_created,
                },
            )
    announce_published(published)
    return summary


def web_edit(program: Program) -> ProgramVersion | None:
    """The newest version saved from the back office that a file load would
    replace or leave behind (``created_by`` a staff actor, ``personal:<id>``):
    the published version when it came from the office, or a draft not yet
    published (portal/catalog/versions.py; a load would publish over it
    without review). None when the program last came from a file."""
    latest = (
        ProgramVersion.select()
        .where(
            (ProgramVersion.program == program.id)
            & (
                (ProgramVersion.version == program.version)
                | (
                    (ProgramVersion.version > program.version)
                    & (ProgramVersion.status != "publicada")
                )
            )
        )
        .order_by(ProgramVersion.version.desc())
        .first()
    )
    if latest is None or not latest.created_by.startswith("personal:"):
        return None
    return latest


def _upsert_agencies(catalog: CatalogData, summary: LoadSummary) -> dict[str, Agency]:
    by_slug = {
        a.slug: a
        for a in Agency.select().where(Agency.slug.in_([a.slug for a in catalog.agencies]))
    }
    for data in catalog.agencies:
        agency = by_slug.get(data.slug)
        if agency is None:
            by_slug[data.slug] = Agency.create(slug=data.slug, name=data.name)
            summary.agencies_created.append(data.slug)
        elif agency.name != data.name:
            agency.name = data.name
            agency.save()
            summary.agencies_updated.append(data.slug)
    return by_slug


def _ensure_municipalities(codes: set[str]) -> None:
    """Delivery points refer to municipality rows; add the ones still missing.

    Names come from the state's municipality file; a code of another state
    (a catalog may list a federal office) is stored under its code until the
    municipality list names it.
    """
    if not codes:
        return
    known = {
        m.code for m in Municipality.select(Municipality.code).where(Municipality.code.in_(codes))
    }
    missing = codes - known
    if not missing:
        return
    names = {m.code: m.name for m in load_state().municipalities}
    Municipality.insert_many(
        [
            {"code": code, "name": names.get(code, code), "state_code": code[:2]}
            for code in sorted(missing)
        ]
    ).execute()


def _program_fields(data: ProgramData, agency: Agency) -> dict[str, Any]:
    return {
        "agency": agency,
        "name": data.name,
        "summary": data.summary,
        "description": data.description or "",
        "population": data.population,
        "exclusion_group": data.exclusion_group,
        "benefit_kind": data.benefit.kind,
        "benefit_amount": data.benefit.amount,
        "benefit_period": data.benefit.period or "",
        "benefit_description": data.benefit.description or "",
        "benefit_schedule": data.benefit.schedule.to_dict() if data.benefit.schedule else {},
        "eligibility": data.to_dict()["eligibility"],
        "i18n": data.to_dict().get("i18n", {}),
        **federal_roll_fields(data.federal_roll),
        "recertification": data.recertification.to_dict() if data.recertification else {},
        "examples": [e.to_dict() for e in data.examples],
        "active": True,
    }


def federal_roll_fields(federal: FederalRoll | None) -> dict[str, str]:
    """The program's federal-roll columns (all empty when the catalog names none)."""
    return {
        "federal_program_code": federal.program_code if federal else "",
        "federal_intra_program_code": federal.intra_program_code if federal else "",
        "federal_payment_method": federal.payment_method if federal else "",
    }


def federal_roll_of(program: Program) -> FederalRoll | None:
    """The program row's federal-roll keys, as the catalog gave them."""
    if not program.federal_program_code:
        return None
    return FederalRoll(
        program_code=program.federal_program_code,
        intra_program_code=program.federal_intra_program_code,
        payment_method=program.federal_payment_method,
    )


def create_program(data: ProgramData, agency: Agency) -> Program:
    """A new program row with its documents, calls and points (at version 1)."""
    program = Program.create(
        slug=data.slug, version=1, updated_at=utcnow(), **_program_fields(data, agency)
    )
    for position, requirement in enumerate(data.requirements):
        Requirement.create(program=program, position=position, **_requirement_fields(requirement))
    for call in data.calls:
        Call.create(program=program, opens=call.opens, closes=call.closes, quota=call.quota)
    save_delivery_points(program, data.delivery_points)
    return program


def _update_program(
    program: Program, data: ProgramData, agency: Agency, problems: list[Text]
) -> Program:
    owner = f'programa "{data.slug}"'
    for name, value in _program_fields(data, agency).items():
        setattr(program, name, value)
    # Version numbers are never reused: a draft saved on the web may hold the next one.
    highest = (
        ProgramVersion.select(fn.MAX(ProgramVersion.version))
        .where(ProgramVersion.program == program.id)
        .scalar()
    )
    program.version = max(highest or 0, program.version) + 1
    program.updated_at = utcnow()
    program.save()

    # Requirements and calls are matched by their keys, so documents and
    # applications that point at them keep pointing at the same rows.
    for requirement in save_requirements(program, data.requirements):
        problems.append(
            _l(
                '%(owner)s: requirements: el documento "%(slug)s" ya tiene archivos de '
                "solicitudes; no se puede quitar",
                owner=owner,
                slug=requirement.slug,
            )
        )
    for call in save_calls(program, data.calls):
        problems.append(
            _l(
                "%(owner)s: calls: la convocatoria que abre el %(opens)s ya tiene "
                "solicitudes; no se puede quitar",
                owner=owner,
                opens=call.opens.isoformat(),
            )
        )
    save_delivery_points(program, data.delivery_points)
    return program


def _requirement_fields(requirement: RequirementData) -> dict[str, Any]:
    return {
        "slug": requirement.slug,
        "name": requirement.name,
        "hint": requirement.hint or "",
        "formats": ",".join(requirement.formats),
        "optional": requirement.optional,
    }


def save_requirements(program: Program, wanted: Sequence[RequirementData]) -> list[Requirement]:
    """Make ``wanted`` the program's requirements, matched by slug and updated in place.

    Catalog loads and the back office's program form both save through here. A
    requirement no longer wanted is deleted unless applications already sent
    files for it: those are kept and returned, for the caller to refuse the change.
    """
    existing = {r.slug: r for r in Requirement.select().where(Requirement.program == program.id)}
    blocked = _delete_unwanted(
        existing,
        {r.slug for r in wanted},
        lambda row: Document.select().where(Document.requirement == row.id).exists(),
    )
    for position, requirement in enumerate(wanted):
        fields = {"position": position, **_requirement_fields(requirement)}
        row = existing.get(requirement.slug)
        if row is None:
            Requirement.create(program=program.id, **fields)
        else:
            Requirement.update(**fields).where(Requirement.id == row.id).execute()
    return blocked


# Called, inside the transaction that saves them, with the id of each kept call
# whose quota was raised or removed: the applications workflow registers the
# move-up of its waiting list here (the catalog depends on no other area).
on_calls_saved: list[Callable[[int], object]] = []


def save_calls(program: Program, wanted: Sequence[CallData]) -> list[Call]:
    """Make ``wanted`` the program's calls, matched by opening date and updated in place.

    As :func:`save_requirements`: a call that already has applications is kept
    and returned instead of deleted.
    """
    existing = {c.opens: c for c in Call.select().where(Call.program == program.id)}
    blocked = _delete_unwanted(
        existing,
        {c.opens for c in wanted},
        lambda row: Application.select().where(Application.call == row.id).exists(),
    )
    for call in wanted:
        row = existing.get(call.opens)
        if row is None:
            Call.create(program=program.id, opens=call.opens, closes=call.closes, quota=call.quota)
        else:
            Call.update(closes=call.closes, quota=call.quota).where(Call.id == row.id).execute()
            if call.quota is None or (row.quota is not None and call.quota > row.quota):
                for hook in on_calls_saved:
                    hook(row.id)
    return blocked


def _delete_unwanted(existing: dict[K, M], wanted: set[K], in_use: Callable[[M], bool]) -> list[M]:
    """Delete the rows of ``existing`` whose key is not ``wanted``, except those
    ``in_use``, which are returned."""
    kept = []
    for key, row in existing.items():
        if key in wanted:
            continue
        if in_use(row):
            kept.append(row)
        else:
            row.delete_instance()
    return kept


def save_delivery_points(program: Program, wanted: Sequence[DeliveryPointData]) -> None:
    """Make ``wanted`` the program's delivery points, updating rows in place.

    Catalog loads and the back office's program form both save through here.
    Points are matched by name (unique within a program): a listed point is
    updated (and offered again if it had been retired), a new one is added. A
    point no longer listed is deleted if nothing refers to it; one where
    deliveries were recorded (``Delivery.point`` is ``ON DELETE RESTRICT``)
    is kept with ``active = False``, so those deliveries still name it and
    ``/entrega`` no longer offers it. Renaming a point therefore retires the
    old name: past deliveries keep the name they were made under.
    """
    _ensure_municipalities({p.municipality for p in wanted})
    rows = list(
        DeliveryPoint.select().where(DeliveryPoint.program == program.id).order_by(DeliveryPoint.id)
    )
    by_name: dict[str, DeliveryPoint] = {}
    for row in rows:
        by_name.setdefault(row.name, row)
    kept: set[int] = set()
    for position, point in enumerate(wanted):
        fields = {
            "address": point.address,
            "municipality": point.municipality,
            "lat": point.lat,
            "lon": point.lon,
            "hours": point.hours,
            "position": position,
            "active": True,
        }
        stored = by_name.get(point.name)
        if stored is None:
            DeliveryPoint.create(program=program.id, name=point.name, **fields)
        else:
            DeliveryPoint.update(**fields).where(DeliveryPoint.id == stored.id).execute()
            kept.add(stored.id)
    gone = [row.id for row in rows if row.id not in kept]
    if gone:
        used = Delivery.select(Delivery.point).where(Delivery.point.in_(gone))
        DeliveryPoint.update(active=False).where(
            DeliveryPoint.id.in_(gone) & DeliveryPoint.id.in_(used)
        ).execute()
        DeliveryPoint.delete().where(
            DeliveryPoint.id.in_(gone) & DeliveryPoint.id.not_in(used)
        ).execute()


def _as_stored(program: Program) -> dict[str, Any] | None:
    """The program as the database holds it, in catalog-file shape (None if unreadable)."""
    try:
        return program_for_engine(program).to_dict()
    except CatalogError:
        return None


def program_for_engine(program: Program) -> ProgramData:
    """A program row and its requirements, calls and delivery points as catalog data.

    Works on a row fetched with :func:`peewee.prefetch` without further queries.
    Raises :class:`CatalogError` if the stored rules no longer validate.
    """
    requirements = sorted(program.requirements, key=lambda r: (r.position, r.id))
    calls = sorted(program.calls, key=lambda c: c.opens)
    # Retired points (kept for their deliveries) are no longer part of the program.
    points = sorted(
        (p for p in program.delivery_points if p.active), key=lambda p: (p.position, p.id)
    )
    return ProgramData(
        slug=program.slug,
        name=program.name,
        agency=program.agency.slug,
        summary=program.summary,
        population=program.population,
        benefit=Benefit(
            kind=program.benefit_kind,
            amount=program.benefit_amount,
            period=program.benefit_period or None,
            description=program.benefit_description or None,
            schedule=schedule_from_json(program.benefit_schedule),
        ),
        eligibility=conditions_from_json(program.eligibility, owner=f'programa "{program.slug}"'),
        requirements=tuple(
            RequirementData(
                slug=r.slug,
                name=r.name,
                formats=tuple(f for f in r.formats.split(",") if f),
                hint=r.hint or None,
                optional=r.optional,
            )
            for r in requirements
        ),
        calls=tuple(CallData(opens=c.opens, closes=c.closes, quota=c.quota) for c in calls),
        delivery_points=tuple(
            DeliveryPointData(
                name=p.name,
                address=p.address,
                municipality=p.municipality_id or "",
                lat=p.lat,
                lon=p.lon,
                hours=p.hours,
            )
            for p in points
        ),
        description=program.description or None,
        exclusion_group=program.exclusion_group,
        i18n=program.i18n or {},
        federal_roll=federal_roll_of(program),
        recertification=recertification_from_json(program.recertification),
        examples=examples_from_json(program.examples),
    )


def active_programs() -> list[ProgramData]:
    """Every active program with its requirements, calls and points, in name order."""
    programs = (
        Program.select(Program, Agency)
        .join(Agency)
        .where(Program.active)
        .order_by(Program.name, Program.id)
    )
    rows = prefetch(programs, Requirement, Call, DeliveryPoint)
    return [program_for_engine(row) for row in rows]


class _EngineCache:
    """One compiled catalog per process, keyed by a fingerprint of the programs table."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.key: tuple | None = None
        self.compiled: CompiledCatalog | None = None

    def get(self) -> CompiledCatalog:
        key = _fingerprint()
        compiled = self.compiled
        if compiled is not None and key == self.key:
            return compiled
        with self.lock:
            if self.compiled is None or key != self.key:
                self.compiled = compile_catalog(active_programs())
                self.key = key
            return self.compiled


_engine_cache = _EngineCache()


_FINGERPRINT = Prepared(
    lambda: Program.select(
        fn.COUNT(Program.id),
        fn.SUM(Program.version),
        fn.MAX(Program.updated_at),
        fn.SUM(Program.active.cast("integer")),
    ).tuples()
)
_QUOTA_USED = Prepared(
    lambda: (
        Call.select(Program.slug, Call.places_taken)
        .join(Program)
        .where(Program.active & (Call.opens <= Slot("on")) & (Call.closes >= Slot("on")))
        .tuples()
    )
)


def _fingerprint() -> tuple:
    count, versions, updated, actives = next(iter(_FINGERPRINT()))
    # The database is part of the key: tests (and tools) may bind several in one process.
    return (id(db.obj), count, versions, str(updated), actives)


def engine_catalog() -> CompiledCatalog:
    """The compiled catalog of all active programs, rebuilt only when programs change.

    In a request, whether the programs changed is asked once: a page that
    judges the person (the case page's blockers, the reasons it shows, the
    languages offered) reads the fingerprint once, not once per use. A request
    that edits the catalog redirects, so it never reads it back stale.
    """
    if not has_request_context():
        return _engine_cache.get()
    found: CompiledCatalog | None = getattr(request, "_vu_engine_catalog", None)
    if found is None:
        found = _engine_cache.get()
        request._vu_engine_catalog = found  # type: ignore[attr-defined]
    return found


def quota_used(on: date) -> dict[str, int]:
    """Places taken in each program's call open on ``on``, by program slug.

    Read from each call's counter (``Call.places_taken``: its applications in
    a live status), which the applications workflow keeps in the transaction
    of every change of status: one row per open call, whatever the number of
    applications or people.
    """
    return dict(_QUOTA_USED(on=on))
