"""The privacy notice's versions, and when a person must accept it again.

Each version lists its purposes (finalidades, LGPDPPSO arts. 26-28). A person
accepts a version once; a later version that only rewords or adds detail does
not ask again, a version that adds, removes or changes a purpose does: the
consent given was for other purposes (art. 20). The record keeps the version
accepted and when (``Citizen.privacy_version``, ``privacy_accepted_at``), and
the audit trail every acceptance. A new version is added at the end of
:data:`VERSIONS`, with ``PRIVACY_VERSION`` in portal/citizens/record.py set to
its name (a test checks they agree).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from portal.messages import Message, _l


@dataclass(frozen=True)
class NoticeVersion:
    version: str
    published: dt.date
    purposes: tuple[Message, ...]
    # What changed from the version before, as people read it.
    changes: Message | None = None

    @property
    def purpose_keys(self) -> frozenset[str]:
        return frozenset(purpose.msgid for purpose in self.purposes)


PURPOSE_IDENTIFY = _l("Identificarle con su Llave Digital o en una oficina.")
PURPOSE_ELIGIBILITY = _l("Saber a qué programas sociales tiene derecho.")
PURPOSE_APPLICATIONS = _l("Tramitar sus solicitudes y revisar sus documentos.")
PURPOSE_DELIVERY = _l("Entregarle los apoyos.")
PURPOSE_NOTICES = _l("Avisarle del avance de sus trámites.")

VERSIONS: tuple[NoticeVersion, ...] = (
    NoticeVersion(
        "2026-01",
        dt.date(2026, 1, 15),
        (
            PURPOSE_IDENTIFY,
            PURPOSE_ELIGIBILITY,
            PURPOSE_APPLICATIONS,
            PURPOSE_DELIVERY,
            PURPOSE_NOTICES,
        ),
    ),
)


def current() -> NoticeVersion:
    return VERSIONS[-1]


def version_named(name: str) -> NoticeVersion | None:
    return next((v for v in VERSIONS if v.version == name), None)


def asks_again(accepted: str) -> bool:
    """Whether a person who accepted version ``accepted`` ("" for none) must
    accept the current one before going on."""
    if not accepted:
        return True
    version = version_named(accepted)
    return version is None or version.purpose_keys != current().purpose_keys


def changes_since(accepted: str) -> list[NoticeVersion]:
    """The versions published after ``accepted`` (all of them for none), oldest first."""
    names = [v.version for v in VERSIONS]
    start = names.index(accepted) + 1 if accepted in names else 0
    return list(VERSIONS[start:])
