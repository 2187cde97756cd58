"""How many documents are kept: the upload caps, and which old versions go.

``workflow.add_document`` calls :func:`settle` right after it creates the new
version, inside its transaction, and :func:`discard` after the commit:

* **what is kept** — a version replaced while the application is still a
  draft is deleted, row and encrypted file: a draft has never been submitted
  (no status leads back to it), so no reviewer has seen that version and no
  decision or correction can point to it. Once the application has been
  submitted, every version stays: the reviewer compares the new file with the
  one they rejected, and the decisions and corrections refer to it.
* **the caps** — after that, at most ``MAX_VERSIONS_PER_REQUIREMENT`` versions
  of one requirement, ``MAX_APPLICATION_UPLOAD_MB`` for all the documents of
  an application and ``MAX_CITIZEN_UPLOAD_MB`` for all of a person's
  documents. Beyond them the upload is refused with
  :class:`~portal.applications.uploads.UploadRejected` (shown as 422); raising
  inside the transaction rolls back the new row and the deletions, and the
  workflow removes the new file, so nothing is written.

The files of deleted versions are removed only after the commit
(:func:`discard`), so a rollback never leaves a row without its file; a crash
between the commit and the removal leaves files without rows, which the
storage sweep deletes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import current_app, has_app_context
from peewee import fn

from portal.applications.storage import Storage
from portal.applications.uploads import UploadRejected
from portal.messages import Text, _l
from portal.models import Application, Citizen, Document
from portal.vocabulary import ApplicationStatus, DocumentStatus
from portal.web.database import locked

MB = 1024 * 1024
DEFAULTS = {
    "MAX_VERSIONS_PER_REQUIREMENT": 5,
    "MAX_APPLICATION_UPLOAD_MB": 30,
    "MAX_CITIZEN_UPLOAD_MB": 80,
}


@dataclass(frozen=True)
class Limits:
    versions_per_requirement: int
    application_bytes: int
    citizen_bytes: int

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Limits:
        def setting(name: str) -> int:
            return int(config.get(name, DEFAULTS[name]))

        return cls(
            versions_per_requirement=setting("MAX_VERSIONS_PER_REQUIREMENT"),
            application_bytes=setting("MAX_APPLICATION_UPLOAD_MB") * MB,
            citizen_bytes=setting("MAX_CITIZEN_UPLOAD_MB") * MB,
        )

    @classmethod
    def current(cls) -> Limits:
        return cls.from_config(current_app.config if has_app_context() else DEFAULTS)


def settle(document: Document, limits: Limits | None = None) -> list[str]:
    """Delete the versions ``document`` replaces that no reviewer may need,
    then check the caps with ``document`` counted; return the storage keys
    of the deleted versions, for :func:`discard` once committed.

    Call inside the transaction that created ``document``.
    """
    limits = limits or Limits.current()
    application = Application.get_by_id(document.application_id)
    # One person's uploads, one at a time: on PostgreSQL two uploads would
    # otherwise each count the other's bytes as absent (SQLite's write
    # transaction is already exclusive).
    locked(Citizen.select(Citizen.id).where(Citizen.id == application.citizen_id)).get()
    same_requirement = (Document.application == document.application_id) & (
        Document.requirement == document.requirement_id
    )
    replaced = list(
        Document.select(Document.id, Document.storage_key).where(
            same_requirement
            & (Document.id != document.id)
            & (Document.status == DocumentStatus.PENDIENTE)
            & Document.reviewed_by.is_null()
        )
    )
    keys: list[str] = []
    if application.status == ApplicationStatus.BORRADOR and replaced:
        Document.delete().where(Document.id.in_([row.id for row in replaced])).execute()
        keys = [row.storage_key for row in replaced]
    _check(document, application, limits)
    return keys


def _check(document: Document, application: Application, limits: Limits) -> None:
    versions = (
        Document.select()
        .where(
            (Document.application == document.application_id)
            & (Document.requirement == document.requirement_id)
        )
        .count()
    )
    if versions > limits.versions_per_requirement:
        raise UploadRejected(
            "too_many_versions",
            _versions_message(limits.versions_per_requirement),
        )
    application_bytes = _total(Document.application == application.id)
    if application_bytes > limits.application_bytes:
        raise UploadRejected(
            "application_quota",
            _quota_message("application", limits.application_bytes),
        )
    citizen_bytes = _total(
        Document.application.in_(
            Application.select(Application.id).where(Application.citizen == application.citizen_id)
        )
    )
    if citizen_bytes > limits.citizen_bytes:
        raise UploadRejected("citizen_quota", _quota_message("citizen", limits.citizen_bytes))


def _total(condition: Any) -> int:
    return int(Document.select(fn.COALESCE(fn.SUM(Document.size), 0)).where(condition).scalar())


def _versions_message(maximum: int) -> Text:
    return _l(
        # One sentence for any maximum: "1 versiones" read wrong when the cap is 1.
        "Ya llegó al máximo de versiones de este documento (%(maximum)s). Si necesita "
        "cambiarlo otra vez, acuda a una oficina de atención.",
        maximum=maximum,
    )


def _quota_message(scope: str, maximum: int) -> Text:
    megabytes = maximum // MB
    if scope == "application":
        return _l(
            "Los documentos de esta solicitud ya suman el máximo de %(maximum)s MB. Envíe "
            "archivos más pequeños (por ejemplo, una foto en lugar de un escaneo de alta "
            "resolución).",
            maximum=megabytes,
        )
    return _l(
        "Sus documentos en el portal ya suman el máximo de %(maximum)s MB. Envíe archivos más "
        "pequeños o acuda a una oficina de atención.",
        maximum=megabytes,
    )


def discard(keys: list[str], storage: Storage) -> None:
    """Remove the files of deleted versions; call after the commit."""
    for key in keys:
        storage.delete(key)
