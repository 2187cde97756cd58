"""Program versions validated by the coordinating secretariat (issue 17, items 4 and 7).

With ``PROGRAM_REVIEWER=secretaria`` a draft the agency sends to review
(portal/catalog/versions.py ``submit``) also enters the secretariat's queue as a
submission of kind ``program_version``, in the same transaction, with one item
per part of the program (rules, documents, calls, examples) so validators
comment on each. Accepting it publishes the draft through
``versions.publish`` (the one validator runs again, examples included); if the
draft no longer validates or another version was published meanwhile, the
acceptance fails as a whole and the submission stays in the queue. Returning
it sends the draft back to the agency with the validators' comments as its
note. Under the default reviewer (``supervisor``) nothing here runs.
"""

from __future__ import annotations

from typing import Any

from portal.backoffice.audit import Actor
from portal.catalog import editing, versions
from portal.catalog import schema as catalog
from portal.messages import _l
from portal.models import Program, ProgramVersion, Submission
from portal.secretariat import validation

KIND = "program_version"
REVIEWER = "secretaria"
# Parts of a program's catalog-file snapshot a validator judges one by one.
PARTS = (
    ("eligibility", "Reglas de elegibilidad"),
    ("requirements", "Documentos que se piden"),
    ("calls", "Convocatorias"),
    ("benefit", "Apoyo que se entrega"),
    ("examples", "Ejemplos (casos de prueba)"),
)


def items_of(snapshot: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """The submission's items: each part of the draft present in it."""
    found = [(label, {key: snapshot[key]}) for key, label in PARTS if snapshot.get(key)]
    return found or [("Programa", {"name": snapshot.get("name", "")})]


def _sent_to_review(version: ProgramVersion, actor: Actor, reviewer: str) -> None:
    if reviewer != REVIEWER:
        return
    program = Program.get_by_id(version.program_id)
    validation.submit(
        KIND,
        version.id,
        program.agency,
        items_of(dict(version.snapshot)),
        actor,
        title=f"{program.name}, versión {version.version}",
    )


def _accepted(submission: Submission, actor: Actor) -> None:
    try:
        versions.publish(ProgramVersion.get_by_id(submission.ref_id), actor)
    except editing.Conflict as exc:
        raise validation.ValidationError(
            _l(
                "Se publicó otra versión del programa después de esta; la dependencia debe"
                " enviar una nueva."
            )
        ) from exc
    except (versions.VersionRefused, catalog.CatalogError) as exc:
        raise validation.ValidationError(
            _l("No se puede publicar esta versión: %(why)s", why=str(exc))
        ) from exc


def _returned(submission: Submission, actor: Actor, comments: str) -> None:
    version = ProgramVersion.get_by_id(submission.ref_id)
    if version.status == versions.VersionStatus.IN_REVIEW:
        versions.send_back(version, actor, comments or "Devuelta por la Secretaría.")


def init() -> None:
    """Hook the secretariat into the catalog's review (once)."""
    if _sent_to_review not in versions.on_submitted:
        versions.on_submitted.append(_sent_to_review)
    validation.register(KIND, _accepted)
    validation.register_returned(KIND, _returned)
