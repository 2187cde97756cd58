"""The registry of the portal's data: every area's peewee models, in dependency order.

Each area keeps its tables in ``portal/<area>/models.py``; this module imports
them all so that anything may write ``from portal.models import Citizen``. The
schema itself is created by the numbered scripts in ``migrations/``;
``tests/web/test_migrations.py`` fails when these models and the migrations
drift apart. An area that adds tables puts them in its ``models.py``, adds them
to ``ALL_MODELS`` below and writes a migration."""

from portal.applications.models import (
    Application,
    ApplicationEvent,
    Assistance,
    Document,
    Enrollment,
    Notice,
    Outbox,
)
from portal.appointments.models import APPOINTMENT_MODELS, Booking, Office, Slot
from portal.backoffice.models import AuditEvent, SignInThrottle, StaffUser
from portal.catalog.models import (
    Agency,
    Call,
    DeliveryPoint,
    Municipality,
    Program,
    ProgramVersion,
    Requirement,
)
from portal.citizens.models import (
    Citizen,
    CitizenFacts,
    Consent,
    CorrectionRequest,
    Identity,
    IdentityCheck,
)
from portal.complaints.models import COMPLAINT_MODELS, Complaint, ComplaintTally
from portal.delivery.models import Credential, Delivery, Recertification
from portal.eligibility.models import HouseholdMember, ResumeCode
from portal.field.models import FIELD_MODELS, FieldFile, FieldSubmission
from portal.models.periods import DeliveryDate
from portal.models.planning import (
    PLANNING_MODELS,
    Budget,
    DecisionTally,
    Goal,
    Indicator,
    PlanTally,
)
from portal.models.rights import RIGHTS_MODELS, ArcoRequest, BlackoutPeriod
from portal.outreach.models import ProgramTip
from portal.rolls.models import (
    PADRON_MODELS,
    CitizenMerge,
    DuplicateCandidate,
    ImportBatch,
    ImportRejection,
)
from portal.secretariat.models import (
    SECRETARIAT_MODELS,
    ReportObligation,
    StaffNotice,
    StaffOutbox,
    Submission,
    SubmissionItem,
    Thread,
    ThreadMessage,
    ThreadRead,
)
from portal.sms.models import SMS_MODELS, SmsCounter, SmsPart
from portal.territory.models import TERRITORY_MODELS, Locality, PostalSettlement
from portal.transparency.models import STATS_MODELS, BeneficiaryCell, BeneficiaryMonth, StatsState
from portal.vocabulary import LIVE_STATUSES, STAFF_ROLES, STATUSES
from portal.web.models import WebSession
from portal.web.tables import BaseModel, JSONText, utcnow

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
    CitizenFacts,
    Identity,
    CorrectionRequest,
    ResumeCode,
    Notice,
    Outbox,
    *PADRON_MODELS,
    *STATS_MODELS,
    Credential,
    Delivery,
    DeliveryDate,
    IdentityCheck,
    Assistance,
    SignInThrottle,
    *RIGHTS_MODELS,
    *PLANNING_MODELS,
    Recertification,
    *SMS_MODELS,
    *SECRETARIAT_MODELS,
    HouseholdMember,
    *APPOINTMENT_MODELS,
    *TERRITORY_MODELS,
    *COMPLAINT_MODELS,
    Consent,
    ProgramTip,
    *FIELD_MODELS,
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
    "ArcoRequest",
    "Assistance",
    "BlackoutPeriod",
    "BeneficiaryCell",
    "BeneficiaryMonth",
    "CitizenFacts",
    "CitizenMerge",
    "CorrectionRequest",
    "Credential",
    "Delivery",
    "DeliveryDate",
    "DuplicateCandidate",
    "Identity",
    "ImportBatch",
    "IdentityCheck",
    "Consent",
    "ProgramTip",
    "ImportRejection",
    "Locality",
    "PostalSettlement",
    "Notice",
    "Outbox",
    "Recertification",
    "HouseholdMember",
    "ResumeCode",
    "SignInThrottle",
    "SmsCounter",
    "SmsPart",
    "StatsState",
]
__all__ += ["Booking", "Office", "Slot"]
__all__ += ["Complaint", "ComplaintTally"]
__all__ += ["FieldFile", "FieldSubmission"]
__all__ += ["Budget", "DecisionTally", "Goal", "Indicator", "PlanTally"]
__all__ += ["ReportObligation", "StaffNotice", "StaffOutbox", "Submission", "SubmissionItem"]
__all__ += ["Thread", "ThreadMessage", "ThreadRead"]
