"""The portal's data, as peewee models: core tables plus one module per area.

The schema itself is created by the numbered scripts in ``migrations/``;
``tests/test_migrations.py`` fails when these models and the migrations drift
apart. An area that adds tables puts them in ``portal/models/<area>.py``, adds
them to ``ALL_MODELS`` below and writes a migration.
"""

from .applications import Notice, Outbox
from .core import (
    LIVE_STATUSES,
    STAFF_ROLES,
    STATUSES,
    Agency,
    Application,
    ApplicationEvent,
    AuditEvent,
    BaseModel,
    Call,
    Citizen,
    DeliveryPoint,
    Document,
    Enrollment,
    JSONText,
    Municipality,
    Program,
    ProgramVersion,
    Requirement,
    StaffUser,
    WebSession,
    utcnow,
)
from .questionnaire import ResumeCode

CORE_MODELS = [
    Municipality,
    Agency,
    Program,
    ProgramVersion,
    Requirement,
    Call,
    DeliveryPoint,
    Citizen,
    StaffUser,
    Application,
    ApplicationEvent,
    Document,
    Enrollment,
    AuditEvent,
    WebSession,
]

from .accounts import CorrectionRequest, Identity  # noqa: E402

# Every model the portal owns, in dependency order; migrations must match it.
ALL_MODELS = [*CORE_MODELS]
ALL_MODELS += [Notice, Outbox]
ALL_MODELS += [ResumeCode]
ALL_MODELS += [Identity, CorrectionRequest]

__all__ = [
    "ALL_MODELS",
    "CORE_MODELS",
    "LIVE_STATUSES",
    "STAFF_ROLES",
    "STATUSES",
    "Agency",
    "Application",
    "ApplicationEvent",
    "AuditEvent",
    "BaseModel",
    "Call",
    "Citizen",
    "DeliveryPoint",
    "Document",
    "Enrollment",
    "JSONText",
    "Municipality",
    "Notice",
    "Outbox",
    "Program",
    "ProgramVersion",
    "Requirement",
    "StaffUser",
    "WebSession",
    "utcnow",
]
__all__ += ["ResumeCode"]

from .oficina import IdentityCheck  # noqa: E402

ALL_MODELS += [IdentityCheck]
