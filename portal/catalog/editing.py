"""Editing a program from the back office: validated like a catalog file, versioned.

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
"""

from __future__ import annotations

import dataclasses
from typing import Any

from portal.backoffice.audit import Actor, record
from portal.catalog import schema as catalog
from portal.catalog.store import (
    federal_roll_of,
    program_for_engine,
    save_calls,
    save_delivery_points,
    save_requirements,
)
from portal.messages import _l
from portal.models import Program, ProgramVersion, utcnow
from portal.vocabulary import AuditAction
from portal.web.database import write


class Conflict(Exception):
    """Someone saved the program after this edit started."""


class RemovalBlocked(ValueError):
    """A requirement or call in use would be removed."""


def catalog_dict(program: Program) -> dict[str, Any]:
    """The stored program in catalog-file shape (what program_from_dict reads)."""
    return program_for_engine(program).to_dict()


def validate(data: dict[str, Any], agency_slug: str) -> catalog.Program:
    """The edited program, or :class:`catalog.CatalogError` with every problem."""
    return catalog.program_from_dict(data, agencies=[agency_slug])


def changed_fields(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    return sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))


def save(
    program: Program,
    edited: catalog.Program,
    *,
    expected_version: int,
    actor: Actor,
    request_id: str = "",
) -> int:
    """Store ``edited`` as the program's next version; return the new version number.

    ``program`` is the row as the editor saw it (at ``expected_version``).
    """
    if edited.federal_roll is None:
        # The form does not offer the federal-roll keys (catalog files set them): kept.
        edited = dataclasses.replace(edited, federal_roll=federal_roll_of(program))
    with write():
        before = catalog_dict(program)
        now = utcnow()
        new_version = expected_version + 1
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
                eligibility=edited.to_dict()["eligibility"],
                version=new_version,
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
        ProgramVersion.create(
            program=program.id,
            version=new_version,
            snapshot=edited.to_dict(),
            created_at=now,
            created_by=f"{actor.kind}:{actor.id}",
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
    return new_version


def _save_requirements(program: Program, wanted: tuple[catalog.Requirement, ...]) -> None:
    in_use = save_requirements(program, wanted)
    if in_use:
        raise RemovalBlocked(
            _l(
                "Estos documentos ya se recibieron en solicitudes y no se pueden quitar: %(names)s",
                names=", ".join(r.name for r in in_use),
            )
        )


def _save_calls(program: Program, wanted: tuple[catalog.Call, ...]) -> None:
    in_use = save_calls(program, wanted)
    if in_use:
        raise RemovalBlocked(
            _l(
                "Estas convocatorias ya tienen solicitudes y no se pueden quitar: %(dates)s",
                dates=", ".join(f"{c.opens:%d/%m/%Y}" for c in in_use),
            )
        )
