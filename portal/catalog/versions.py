"""Drafts, review and publishing of program versions (issue 17, item 4).

Every save in the back office (the guided editor, a translation) is a draft version (:func:`save_draft`): a
:class:`ProgramVersion` row with the edited program in catalog-file shape and
the published version it was edited from (``based_on``); the program itself,
its catalog and its questionnaire do not change. The agency admin sends the
draft to review (:func:`submit`); a reviewer publishes it (:func:`publish`) or
sends it back with a note (:func:`send_back`).

Who reviews is configurable (``PROGRAM_REVIEWER``): ``supervisor`` (the
default) is a supervisor of the program's own agency. :func:`publish` is the
seam for the secretariat's validation: its acceptance hook for a submission of
kind ``program_version`` calls ``publish(version, actor)``, which validates the
draft again with the one validator (examples included) and stores it through
:func:`portal.catalog.editing.save`.

Version numbers are never reused (:func:`portal.catalog.editing.next_version`):
a draft keeps its number when published.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from enum import StrEnum
from typing import Any

import yaml

from portal.backoffice.audit import Actor, record
from portal.catalog import editing
from portal.catalog import schema as catalog
from portal.messages import Refusal, _l
from portal.models import Program, ProgramVersion, utcnow
from portal.vocabulary import STATE_ROLES, AuditAction, Role
from portal.web.database import write
from portal.web.i18n import CONTENT_LANGUAGES


class VersionStatus(StrEnum):
    DRAFT = "borrador"
    IN_REVIEW = "en_revision"
    PUBLISHED = "publicada"
    SENT_BACK = "devuelta"


STATUS_LABELS = {
    VersionStatus.DRAFT: _l("Borrador"),
    VersionStatus.IN_REVIEW: _l("En revisión"),
    VersionStatus.PUBLISHED: _l("Publicada"),
    VersionStatus.SENT_BACK: _l("Devuelta para cambios"),
}
OPEN = (VersionStatus.DRAFT, VersionStatus.IN_REVIEW, VersionStatus.SENT_BACK)
# PROGRAM_REVIEWER -> the roles that publish. ``secretaria``: the coordinating
# secretariat validates the draft in its queue (portal/secretariat/program_versions.py,
# through :data:`on_submitted`); it belongs to no agency.
REVIEWERS = {"supervisor": (Role.SUPERVISOR,), "secretaria": (Role.SECRETARIA,)}
# Called inside submit()'s transaction with the version, the actor and the
# PROGRAM_REVIEWER setting (the secretariat puts the draft in its queue).
on_submitted: list[Callable[[ProgramVersion, Actor, str], None]] = []
HISTORY_LIMIT = 50  # versions listed on the history page, newest first
# Kept (in Spanish, like every stored text) on a draft a newer one replaced.
REPLACED = "Lo reemplazó un borrador más reciente."


class VersionRefused(Refusal):
    """A step the version's state does not allow; the message says why."""


def reviewer_roles(setting: str) -> tuple[str, ...]:
    """The staff roles that publish a program's drafts under ``PROGRAM_REVIEWER``."""
    return REVIEWERS.get(setting, REVIEWERS["supervisor"])


def may_review(user: Any, program: Program, setting: str = "supervisor") -> bool:
    """Whether ``user`` publishes or sends back ``program``'s drafts: a reviewer
    role of the program's own agency."""
    if user.role not in reviewer_roles(setting):
        return False
    return user.role in STATE_ROLES or user.agency_id == program.agency_id


def open_draft(program: Program) -> ProgramVersion | None:
    """The newest draft not yet published (edited, in review or sent back), if any."""
    return (
        ProgramVersion.select()
        .where(
            (ProgramVersion.program == program.id)
            & (ProgramVersion.status.in_([str(s) for s in OPEN]))
        )
        .order_by(ProgramVersion.version.desc())
        .first()
    )


def history(program: Program) -> list[ProgramVersion]:
    return list(program.versions.order_by(ProgramVersion.version.desc()).limit(HISTORY_LIMIT))


def save_draft(
    program: Program,
    edited: catalog.Program,
    *,
    based_on: int,
    actor: Actor,
    request_id: str = "",
) -> ProgramVersion:
    """Store ``edited`` as a draft version edited from published version ``based_on``.

    An open draft is replaced by the new one (one draft at a time per program,
    the newest edit). Raises :class:`editing.Conflict` when another version was
    published since ``based_on``, and :class:`catalog.CatalogError` when
    publishing it would be refused (:func:`editing.publication_problems`)."""
    with write():
        current = Program.get_by_id(program.id)
        if current.version != based_on:
            raise editing.Conflict()
        if problems := editing.publication_problems(current, edited):
            raise catalog.CatalogError(
                problems
            )  # said on the fields: this could never be published
        ProgramVersion.update(status=VersionStatus.SENT_BACK, review_note=REPLACED).where(
            (ProgramVersion.program == program.id)
            & (ProgramVersion.status.in_([str(s) for s in OPEN]))
            & (ProgramVersion.version > current.version)
        ).execute()
        draft = ProgramVersion.create(
            program=program.id,
            version=editing.next_version(current),
            snapshot=edited.to_dict(),
            created_by=f"{actor.kind}:{actor.id}",
            status=VersionStatus.DRAFT,
            based_on=based_on,
        )
        record(
            AuditAction.PROGRAM_DRAFT,
            actor,
            object_type="programa",
            object_id=program.slug,
            details={"version": draft.version, "base": based_on},
            request_id=request_id,
        )
    return draft


def working_copy(program: Program) -> catalog.Program:
    """What the admin goes on editing: the newest open draft, else the published program."""
    draft = open_draft(program)
    if draft is None:
        return editing.stored_program(program)
    return catalog.program_from_dict(
        dict(draft.snapshot), agencies=[program.agency.slug], run_examples=False
    )


def save_translation_draft(
    program: Program,
    lang: str,
    texts: Mapping[str, Any],
    *,
    based_on: int,
    actor: Actor,
    request_id: str = "",
) -> ProgramVersion:
    """Store ``texts`` (the ``i18n`` block of one language: empty fields dropped,
    nothing at all removes the language) in a new draft of the program, made from
    the open draft when there is one (so the edits in it go on) or else from the
    published program. Like every draft it is published only after review.

    Raises :class:`catalog.CatalogError` (nothing written) for an unknown
    language or a text that translates nothing or runs too long, and
    :class:`editing.Conflict` when another version was published since ``based_on``.
    """
    if lang not in CONTENT_LANGUAGES:
        raise catalog.CatalogError(
            [catalog.Problem("formulario", "", "i18n", f'idioma desconocido "{lang}"')]
        )
    draft = open_draft(program)
    data = dict(draft.snapshot) if draft is not None else editing.catalog_dict(program)
    translations = dict(data.get("i18n") or {})
    cleaned = _without_blanks(texts)
    if cleaned:
        translations[lang] = cleaned
    else:
        translations.pop(lang, None)
    data["i18n"] = translations
    edited = editing.validate(data, program.agency.slug)
    return save_draft(program, edited, based_on=based_on, actor=actor, request_id=request_id)


def _without_blanks(texts: Mapping[str, Any]) -> dict[str, Any]:
    """Texts with empty ones (a field left blank: no translation) taken out."""
    kept: dict[str, Any] = {}
    for key, value in texts.items():
        if isinstance(value, Mapping):
            inner = _without_blanks(value)
            if inner:
                kept[key] = inner
        elif isinstance(value, str):
            if value.strip():
                kept[key] = value
        elif value is not None:
            kept[key] = value
    return kept


def _transition(
    version: ProgramVersion,
    allowed: tuple[VersionStatus, ...],
    to: VersionStatus,
    actor: Actor,
    action: str,
    *,
    request_id: str,
    note: str = "",
) -> None:
    with write():
        changed = (
            ProgramVersion.update(
                status=to,
                review_note=note,
                **(
                    {"reviewed_by": f"{actor.kind}:{actor.id}", "reviewed_at": utcnow()}
                    if to is not VersionStatus.IN_REVIEW
                    else {}
                ),
            )
            .where(
                (ProgramVersion.id == version.id)
                & (ProgramVersion.status.in_([str(s) for s in allowed]))
            )
            .execute()
        )
        if changed != 1:
            raise VersionRefused(_l("Esta versión ya cambió de estado. Vuelva a abrirla."))
        record(
            action,
            actor,
            object_type="programa",
            object_id=version.program.slug,
            details={"version": version.version},
            request_id=request_id,
        )


def submit(
    version: ProgramVersion,
    actor: Actor,
    *,
    request_id: str = "",
    reviewer: str = "supervisor",
) -> None:
    """Send a draft (or one sent back) to review, by ``reviewer`` (PROGRAM_REVIEWER)."""
    with write():
        _transition(
            version,
            (VersionStatus.DRAFT, VersionStatus.SENT_BACK),
            VersionStatus.IN_REVIEW,
            actor,
            AuditAction.PROGRAM_SUBMIT,
            request_id=request_id,
        )
        for hook in on_submitted:
            hook(ProgramVersion.get_by_id(version.id), actor, reviewer)


def send_back(version: ProgramVersion, actor: Actor, note: str, *, request_id: str = "") -> None:
    """Return a draft in review to its agency with ``note`` (what to change)."""
    _transition(
        version,
        (VersionStatus.IN_REVIEW,),
        VersionStatus.SENT_BACK,
        actor,
        AuditAction.PROGRAM_SEND_BACK,
        request_id=request_id,
        note=note,
    )


def publish(version: ProgramVersion, actor: Actor, *, request_id: str = "") -> int:
    """Publish a draft in review: the program, its catalog and questionnaire take it.

    Validates the draft again (a rule, a document or an example may have become
    invalid since it was saved), so :class:`catalog.CatalogError` names what
    stops it; :class:`editing.Conflict` when another version was published
    since the draft's base; :class:`VersionRefused` when it is not in review.
    """
    if version.status != VersionStatus.IN_REVIEW:
        raise VersionRefused(_l("Solo se publica una versión enviada a revisión."))
    program = Program.get_by_id(version.program_id)
    edited = editing.validate(dict(version.snapshot), program.agency.slug)
    with write():
        claimed = (
            ProgramVersion.update(
                status=VersionStatus.PUBLISHED,
                reviewed_by=f"{actor.kind}:{actor.id}",
                reviewed_at=utcnow(),
            )
            .where(
                (ProgramVersion.id == version.id)
                & (ProgramVersion.status == VersionStatus.IN_REVIEW)
            )
            .execute()
        )
        if claimed != 1:
            raise VersionRefused(_l("Esta versión ya cambió de estado. Vuelva a abrirla."))
        if not program.active and version.based_on == 0 and program.version == version.version:
            # A new program's first version: the row already holds it.
            Program.update(active=True, updated_at=utcnow()).where(
                Program.id == program.id
            ).execute()
            record(
                AuditAction.PROGRAM_PUBLISH,
                actor,
                object_type="programa",
                object_id=program.slug,
                details={"version": version.version},
                request_id=request_id,
            )
            return version.version
        base = version.based_on if version.based_on else program.version
        if base != program.version:
            raise editing.Conflict()
        number = editing.save(
            program,
            edited,
            expected_version=base,
            actor=actor,
            request_id=request_id,
            draft=version,
        )
        record(
            AuditAction.PROGRAM_PUBLISH,
            actor,
            object_type="programa",
            object_id=program.slug,
            details={"version": number},
            request_id=request_id,
        )
    return number


def differences(before: dict[str, Any] | None, after: dict[str, Any]) -> list[tuple[str, str]]:
    """The lines that change from ``before`` to ``after`` (catalog-file shape, as
    YAML), each marked ``+`` (added), ``-`` (removed) or `` `` (context)."""

    def lines(data: dict[str, Any] | None) -> list[str]:
        if not data:
            return []
        return yaml.safe_dump(
            data, allow_unicode=True, sort_keys=False, default_flow_style=False
        ).splitlines()

    out: list[tuple[str, str]] = []
    for line in difflib.unified_diff(lines(before), lines(after), lineterm="", n=2):
        if line.startswith(("---", "+++", "@@")):
            if line.startswith("@@"):
                out.append(("…", ""))
            continue
        out.append((line[:1], line[1:]))
    return out
