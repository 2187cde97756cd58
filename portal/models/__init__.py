"""The portal's data, as peewee models: core tables plus one module per area.

The schema itself is created by the numbered scripts in ``migrations/``;
``tests/test_migrations.py`` fails when these models and the migrations drift
apart. An area that adds tables puts them in ``portal/models/<area>.py``, adds
them to ``ALL_MODELS`` below and writes a migration.
"""

from .accounts import CorrectionRequest, Identity
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
from .delivery import Credential, Delivery
from .oficina import Assistance, IdentityCheck
from .padron import (
    PADRON_MODELS,
    STATS_MODELS,
    BeneficiaryCell,
    BeneficiaryMonth,
    CitizenMerge,
    DuplicateCandidate,
    ImportBatch,
    ImportRejection,
    StatsState,
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

# Every model the portal owns, in dependency order; migrations must match it.
ALL_MODELS = [
    *CORE_MODELS,
    Identity,
    CorrectionRequest,
    ResumeCode,
    Notice,
    Outbox,
    *PADRON_MODELS,
    *STATS_MODELS,
    Credential,
    Delivery,
    IdentityCheck,
    Assistance,
]

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
__all__ += [
    "Assistance",
    "BeneficiaryCell",
    "BeneficiaryMonth",
    "CitizenMerge",
    "CorrectionRequest",
    "Credential",
    "Delivery",
    "DuplicateCandidate",
    "Identity",
    "ImportBatch",
    "IdentityCheck",
    "ImportRejection",
    "Notice",
    "Outbox",
    "ResumeCode",
    "StatsState",
]
