"""Editing a program from the back office: validated like a catalog file, versioned.

Nothing here is called by a view to publish: the back office saves drafts
(portal/catalog/versions.py) and :func:`save` runs only when a reviewer
publishes one (``versions.publish``).

An edit arrives in catalog-file shape (see docs/catalog.md) and goes through
:func:`portal.catalog.schema.program_from_dict`, the same validator as the catalog
files, so a rule an agency admin types is exactly as valid as one in YAML.
Saving bumps ``Program.version`` with a conditional update on the version the
admin saw (two admins editing at once: the second gets :class:`Conflict`),
writes a :class:`ProgramVersion` snapshot and the audit entry (with the fields
that changed) in the same transaction. Applications keep the
``program_version`` they were judged under.

Requirements and calls that applications already point at cannot be removed
(documents and applications reference them); they can still be edited.
Delivery points are saved by :func:`portal.catalog.store.save_delivery_points`,
as catalog loads save them: a removed point with deliveries is kept, inactive.

Translations (docs/languages.md) are part of the program and of each version:
:func:`portal.catalog.versions.save_translation_draft` stores one language's
texts as a draft, reviewed like any other change. An edit of the Spanish keeps the
translations whose Spanish text is unchanged (:func:`carry_translations`);
the translation of a text reworded, a document or a reason gone goes with it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from peewee import IntegrityError, fn

from portal.backoffice.audit import Actor, record
from portal.catalog import schema as catalog
from portal.catalog.schema import Problem
from portal.catalog.store import (
    announce_published,
    create_program,
    federal_roll_of,
    program_for_engine,
    save_calls,
    save_delivery_points,
    save_requirements,
)
from portal.messages import Text, _l
from portal.models import (
    Agency,
    Application,
    Call,
    Delivery,
    Document,
    Program,
    ProgramVersion,
    Requirement,
    utcnow,
)
from portal.vocabulary import AuditAction
from portal.web.database import write


class Conflict(Exception):
    """Someone saved the program after this edit started."""


class RemovalBlocked(ValueError):
    """A requirement or call in use would be removed."""


class SlugTaken(ValueError):
    """Another program already has the key a new program asks for."""


def carry_file_keys(before: Mapping[str, Any], data: dict[str, Any]) -> None:
    """Keep in ``data`` what only catalog files set and the editor's form does
    not offer, when the edit does not set it: the payment schedule and the
    re-certification rule. They are then validated with the edit, like any
    other key: a schedule against the edited period, a re-certification
    against the edited requirements (removing the document it asks for is
    refused, naming the field)."""
    stored = (before.get("benefit") or {}).get("schedule")
    benefit = data.setdefault("benefit", {})
    if stored and "schedule" not in benefit:
        benefit["schedule"] = stored
    if before.get("recertification") and "recertification" not in data:
        data["recertification"] = before["recertification"]


def _first_moved_period(program: Program, edited: catalog.Program) -> int | None:
    """The number of the first period already delivered that ``edited``'s schedule
    would move or renumber (each delivery is recorded against its period's
    number), or None."""
    from portal.delivery.periods import program_periods, schedule_periods

    schedule = edited.benefit.schedule
    old = [(p.starts, p.ends) for p in program_periods(program)]
    new = (
        [(p.starts, p.ends) for p in schedule_periods(schedule, edited.benefit.period)]
        if schedule
        else []
    )
    if old == new:
        return None
    first_changed = next(
        (n for n, (a, b) in enumerate(zip(old, new, strict=False), 1) if a != b),
        min(len(old), len(new)) + 1,
    )
    if first_changed > len(old) and first_changed > 1:
        return None  # periods only added after the last one: nothing delivered moves
    delivered = (
        Delivery.select(Delivery.id)
        .join(Application)
        .where((Application.program == program.id) & (Delivery.period >= first_changed))
        .exists()
    )
    return first_changed if delivered else None


def _moved_period_message(number: int) -> Text:
    return _l(
        "Periodicidad y calendario de pagos: ya hay entregas del periodo %(n)s o "
        "posteriores con el calendario actual, y este cambio movería sus fechas. "
        "Solo puede agregar periodos al final.",
        n=number,
    )


def _requirements_in_use_message(names: Iterable[str]) -> Text:
    return _l(
        "Estos documentos ya se recibieron en solicitudes y no se pueden quitar: %(names)s",
        names=", ".join(names),
    )


def _calls_in_use_message(opens: Iterable[dt.date]) -> Text:
    return _l(
        "Estas convocatorias ya tienen solicitudes y no se pueden quitar: %(dates)s",
        dates=", ".join(f"{d:%d/%m/%Y}" for d in opens),
    )


def _check_delivered_periods(program: Program, edited: catalog.Program) -> None:
    """Refuse a schedule or period that would move or renumber a period already
    delivered."""
    number = _first_moved_period(program, edited)
    if number is not None:
        raise RemovalBlocked(_moved_period_message(number))


def publication_problems(program: Program, edited: catalog.Program) -> list[Problem]:
    """What would stop ``edited`` from being published over ``program`` as it is
    now, read without writing: a delivered period moved, a document already
    received or a call that already has applications removed. A draft is
    refused with these when it is saved, so no version reaches review that
    publishing would refuse (publishing checks again: the registry may have
    changed meanwhile)."""
    problems: list[Problem] = []
    number = _first_moved_period(program, edited)
    if number is not None:
        problems.append(Problem("", "", "benefit.period", str(_moved_period_message(number))))
    wanted = {r.slug for r in edited.requirements}
    received = [
        r.name
        for r in Requirement.select().where(
            (Requirement.program == program.id) & Requirement.slug.not_in(wanted or {""})
        )
        if Document.select().where(Document.requirement == r.id).exists()
    ]
    if received:
        problems.append(
            Problem("", "", "requirements", str(_requirements_in_use_message(received)))
        )
    opens = {c.opens for c in edited.calls}
    applied = [
        c.opens
        for c in Call.select().where(Call.program == program.id).order_by(Call.opens)
        if c.opens not in opens and Application.select().where(Application.call == c.id).exists()
    ]
    if applied:
        problems.append(Problem("", "", "calls", str(_calls_in_use_message(applied))))
    return problems


def catalog_dict(program: Program) -> dict[str, Any]:
    """The stored program in catalog-file shape (what program_from_dict reads)."""
    return program_for_engine(program).to_dict()


def validate(data: dict[str, Any], agency_slug: str) -> catalog.Program:
    """The edited program, or :class:`catalog.CatalogError` with every problem."""
    return catalog.program_from_dict(data, agencies=[agency_slug])


def changed_fields(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """Top-level fields that differ; translations by language (``i18n.en``)."""
    changed = {k for k in set(before) | set(after) if before.get(k) != after.get(k)}
    if "i18n" in changed:
        changed.remove("i18n")
        old, new = before.get("i18n", {}), after.get("i18n", {})
        changed |= {
            f"i18n.{code}" for code in set(old) | set(new) if old.get(code) != new.get(code)
        }
    return sorted(changed)


def carry_translations(before: Mapping[str, Any], data: Mapping[str, Any]) -> dict[str, Any]:
    """The translations of the stored program (``before``, in catalog-file shape)
    that still translate ``data`` (the edit, not yet validated): a text is kept
    only while its Spanish is unchanged, so a translation of words the agency
    has since rewritten never shows; the reworded text reads in Spanish until
    someone translates it again."""

    def texts_of(program: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "name": program.get("name"),
            "summary": program.get("summary"),
            "description": program.get("description"),
            "population": program.get("population"),
            "benefit": (program.get("benefit") or {}).get("description"),
        }

    def documents_of(program: Mapping[str, Any]) -> dict[Any, Mapping[str, Any]]:
        items = program.get("requirements") or []
        return {r.get("slug"): r for r in items if isinstance(r, Mapping)}

    old_texts, new_texts = texts_of(before), texts_of(data)
    old_documents, new_documents = documents_of(before), documents_of(data)
    reasons = {c.get("reason") for c in data.get("eligibility") or [] if isinstance(c, Mapping)}
    carried: dict[str, Any] = {}
    for code, texts in (before.get("i18n") or {}).items():
        kept: dict[str, Any] = {
            key: value
            for key, value in texts.items()
            if key in new_texts and new_texts[key] and new_texts[key] == old_texts[key]
        }
        documents: dict[str, dict[str, str]] = {}
        for slug, translated in texts.get("requirements", {}).items():
            old, new = old_documents.get(slug, {}), new_documents.get(slug)
            if new is None:
                continue
            same = {k: v for k, v in translated.items() if new.get(k) and new.get(k) == old.get(k)}
            if same:
                documents[slug] = same
        if documents:
            kept["requirements"] = documents
        said = {r: t for r, t in texts.get("reasons", {}).items() if r in reasons}
        if said:
            kept["reasons"] = said
        if kept:
            carried[code] = kept
    return carried


def stored_program(program: Program) -> catalog.Program:
    """The program row as catalog data (its Spanish texts and translations)."""
    return program_for_engine(program)


def translation_texts(program: catalog.Program, lang: str) -> dict[str, Any]:
    """The texts ``program`` holds in ``lang`` (empty when none)."""
    return dict(program.i18n.get(lang, {}))


def save(
    program: Program,
    edited: catalog.Program,
    *,
    expected_version: int,
    actor: Actor,
    request_id: str = "",
    draft: ProgramVersion | None = None,
) -> int:
    """Store ``edited`` as the program's next version; return the new version number.

    ``program`` is the row as the editor saw it (at ``expected_version``).
    With ``draft`` (publishing a reviewed draft, portal/catalog/versions.py)
    the program takes the draft's number and the draft row becomes the
    published version; otherwise a new version row is written.
    """
    if edited.federal_roll is None:
        # The form does not offer the federal-roll keys (catalog files set them): kept.
        edited = dataclasses.replace(edited, federal_roll=federal_roll_of(program))
    if edited.recertification is None:
        # Nor the re-certification (catalog files set it): kept.
        edited = dataclasses.replace(
            edited, recertification=catalog.recertification_from_json(program.recertification)
        )
    with write():
        before = catalog_dict(program)
        _check_delivered_periods(program, edited)
        now = utcnow()
        new_version = draft.version if draft is not None else next_version(program)
        updated = (
            Program.update(
                name=edited.name,
                summary=edited.summary,
                description=edited.description or "",
                population=edited.population,
                exclusion_group=edited.exclusion_group,
                benefit_kind=edited.benefit.kind,
                benefit_amount=edited.benefit.amount,
                benefit_period=edited.benefit.period or "",
                benefit_description=edited.benefit.description or "",
                benefit_schedule=edited.benefit.schedule.to_dict()
                if edited.benefit.schedule
                else {},
                eligibility=edited.to_dict()["eligibility"],
                i18n=edited.to_dict().get("i18n", {}),
                examples=[e.to_dict() for e in edited.examples],
                version=new_version,
                # Publishing a draft of a new program puts it in the catalog.
                active=True if draft is not None else Program.active,
                updated_at=now,
            )
            .where((Program.id == program.id) & (Program.version == expected_version))
            .execute()
        )
        if updated != 1:
            raise Conflict()
        _save_requirements(program, edited.requirements)
        _save_calls(program, edited.calls)
        save_delivery_points(program, edited.delivery_points)
        if draft is None:
            ProgramVersion.create(
                program=program.id,
                version=new_version,
                snapshot=edited.to_dict(),
                created_at=now,
                created_by=f"{actor.kind}:{actor.id}",
                based_on=expected_version,
            )
        record(
            AuditAction.PROGRAM_EDIT,
            actor,
            object_type="programa",
            object_id=program.slug,
            details={
                "version": new_version,
                "campos": changed_fields(before, edited.to_dict()),
            },
            request_id=request_id,
        )
    announce_published([program.id])
    return new_version


def next_version(program: Program) -> int:
    """The number the program's next version (draft or published) takes: numbers
    are never reused, so a draft keeps its number when it is published."""
    highest = (
        ProgramVersion.select(fn.MAX(ProgramVersion.version))
        .where(ProgramVersion.program == program.id)
        .scalar()
    )
    return max(highest or 0, program.version) + 1


def _save_requirements(program: Program, wanted: tuple[catalog.Requirement, ...]) -> None:
    in_use = save_requirements(program, wanted)
    if in_use:
        raise RemovalBlocked(_requirements_in_use_message(r.name for r in in_use))


def _save_calls(program: Program, wanted: tuple[catalog.Call, ...]) -> None:
    in_use = save_calls(program, wanted)
    if in_use:
        raise RemovalBlocked(_calls_in_use_message(c.opens for c in in_use))


def create(edited: catalog.Program, *, actor: Actor, request_id: str = "") -> Program:
    """Store ``edited`` (validated by :func:`validate`) as a new program at version 1,
    a draft (inactive: in no catalog) until it is published, with its first
    :class:`ProgramVersion` and the audit entry, in one transaction.

    Raises :class:`SlugTaken` (nothing written) when its key is already used.
    """
    try:
        with write():
            if Program.select(Program.id).where(Program.slug == edited.slug).exists():
                raise SlugTaken(edited.slug)
            agency = Agency.get(Agency.slug == edited.agency)
            program = create_program(edited, agency)
            # Not offered to anyone until a reviewer publishes it (versions.publish).
            program.active = False
            program.save()
            ProgramVersion.create(
                program=program.id,
                version=1,
                snapshot=edited.to_dict(),
                created_at=program.updated_at,
                created_by=f"{actor.kind}:{actor.id}",
                status="borrador",
            )
            record(
                AuditAction.PROGRAM_CREATE,
                actor,
                object_type="programa",
                object_id=edited.slug,
                details={"version": 1},
                request_id=request_id,
            )
    except IntegrityError as exc:  # the same key created at the same moment
        raise SlugTaken(edited.slug) from exc
    return program
