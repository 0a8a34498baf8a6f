"""ORM models by area, re-exported here so `from portal.models import X` works everywhere.

Models never import Flask. Business invariants are named constraints. One Alembic history
covers every module.
"""

from portal.models.accounts import (
    AGENCY_ROLES,
    FUND_ROLES,
    LoginAttempt,
    Organisation,
    OrganisationKind,
    Role,
    User,
    UserSession,
)
from portal.models.applications import (
    Answer,
    Application,
    ApplicationStatus,
    ApplicationVersion,
    Attachment,
)
from portal.models.assessment import (
    ApprovedExtent,
    Assessment,
    AssessmentStatus,
    Assignment,
    ConflictDeclaration,
    ConsolidatedScore,
    Consolidation,
    CriterionScore,
    DecisionStatus,
    EligibilityDecision,
    InformationRequest,
    RequestedMunicipality,
)
from portal.models.base import NAMING_CONVENTION, Base, UTCDateTime, utcnow
from portal.models.calls import (
    Call,
    CallStatus,
    CriteriaSet,
    CriteriaSetStatus,
    Criterion,
    DeadlineExtension,
)
from portal.models.ops import AuditEvent, StoredFile
from portal.models.proposals import (
    MeetingPresentation,
    PartyNote,
    PartyPosition,
    RunKind,
    RunStatus,
    SelectionDecision,
    SelectionProposal,
    SelectionRun,
    Stance,
)
from portal.models.reference import ExclusionEntry, ExclusionList, Municipality, Region

__all__ = [
    "Assignment",
    "ConflictDeclaration",
    "Consolidation",
    "ConsolidatedScore",
    "DecisionStatus",
    "InformationRequest",
    "RequestedMunicipality",
    "AGENCY_ROLES",
    "FUND_ROLES",
    "Answer",
    "Application",
    "ApplicationStatus",
    "ApplicationVersion",
    "ApprovedExtent",
    "Assessment",
    "AssessmentStatus",
    "Attachment",
    "AuditEvent",
    "Base",
    "Call",
    "CallStatus",
    "CriteriaSet",
    "CriteriaSetStatus",
    "Criterion",
    "CriterionScore",
    "DeadlineExtension",
    "EligibilityDecision",
    "ExclusionEntry",
    "ExclusionList",
    "LoginAttempt",
    "Municipality",
    "NAMING_CONVENTION",
    "Organisation",
    "OrganisationKind",
    "MeetingPresentation",
    "PartyNote",
    "PartyPosition",
    "RunKind",
    "RunStatus",
    "Stance",
    "Region",
    "Role",
    "SelectionDecision",
    "SelectionProposal",
    "SelectionRun",
    "StoredFile",
    "UTCDateTime",
    "User",
    "UserSession",
    "utcnow",
]
