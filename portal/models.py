"""ORM models for the whole workflow: Trin 1 (calls, criteria, applications), Trin 2
(assessments, eligibility, approved extents), Trin 3 (selection runs, proposals, decisions),
plus users, sessions and the audit log.

Models never import Flask. Business invariants are named constraints.
"""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON}


def _enum_check(column: str, enum_cls: type[enum.StrEnum], name: str) -> CheckConstraint:
    values = ", ".join(f"'{member.value}'" for member in enum_cls)
    return CheckConstraint(f"{column} IN ({values})", name=name)


# --- organisations, users, sessions -------------------------------------------------------


class OrganisationKind(enum.StrEnum):
    FUND = "fund"  # a-kasse
    AGENCY = "agency"  # STAR
    PARTY = "party"  # agreement party
    LABOUR_PARTY = "labour_party"  # labour-market party


class Role(enum.StrEnum):
    ADMIN = "admin"
    LEAD_ASSESSOR = "lead_assessor"
    ASSESSOR = "assessor"
    SIGNATORY = "signatory"
    DRAFTER = "drafter"
    PARTY_MEMBER = "party_member"
    LABOUR_PARTY = "labour_party"


class Organisation(Base):
    __tablename__ = "organisations"
    __table_args__ = (
        _enum_check("kind", OrganisationKind, "kind_known"),
        CheckConstraint("members IS NULL OR members >= 0", name="members_non_negative"),
        CheckConstraint("cvr IS NULL OR length(cvr) = 8", name="cvr_eight_digits"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    short_id: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    cvr: Mapped[str | None] = mapped_column(String(8))
    field: Mapped[str | None] = mapped_column(String(40))
    sector: Mapped[str | None] = mapped_column(String(20))
    size: Mapped[str | None] = mapped_column(String(20))
    members: Mapped[int | None]

    users: Mapped[list[User]] = relationship(back_populates="organisation")


class User(Base):
    __tablename__ = "users"
    __table_args__ = (_enum_check("role", Role, "role_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Demo accounts log in only while the portal runs in demo mode.
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    locale: Mapped[str | None] = mapped_column(String(5))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    password_changed_at: Mapped[datetime] = mapped_column(default=utcnow)

    organisation: Mapped[Organisation | None] = relationship(back_populates="users")


class UserSession(Base):
    """A server-side session; the cookie holds only a random token whose hash is stored here."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()


class LoginAttempt(Base):
    """Stored in the database so throttling holds across several server processes."""

    __tablename__ = "login_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    success: Mapped[bool] = mapped_column(Boolean)


# --- geography -----------------------------------------------------------------------------


class Region(Base):
    __tablename__ = "regions"

    code: Mapped[str] = mapped_column(String(4), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))


class Municipality(Base):
    __tablename__ = "municipalities"
    __table_args__ = (
        CheckConstraint("length(code) = 3", name="code_three_digits"),
        CheckConstraint("population >= 0", name="population_non_negative"),
    )

    code: Mapped[str] = mapped_column(String(3), primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"))
    population: Mapped[int]
    area_km2: Mapped[float] = mapped_column(Float)
    centroid_lon: Mapped[float] = mapped_column(Float)
    centroid_lat: Mapped[float] = mapped_column(Float)


class ExclusionList(Base):
    """Municipalities that may never be covered, e.g. the 2019 frikommuner."""

    __tablename__ = "exclusion_lists"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    period: Mapped[str] = mapped_column(String(100))
    source: Mapped[str] = mapped_column(Text)

    entries: Mapped[list[ExclusionEntry]] = relationship(
        order_by="ExclusionEntry.municipality_code"
    )


class ExclusionEntry(Base):
    __tablename__ = "exclusion_entries"
    __table_args__ = (UniqueConstraint("list_id", "municipality_code", name="uq_exclusion_entry"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    list_id: Mapped[int] = mapped_column(ForeignKey("exclusion_lists.id", ondelete="CASCADE"))
    municipality_code: Mapped[str] = mapped_column(ForeignKey("municipalities.code"))
    reason: Mapped[str] = mapped_column(Text)


# --- Trin 1: criteria, calls, applications ------------------------------------------------


class CriteriaSetStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"


class CriteriaSet(Base):
    """Versioned; publishing freezes it and a change makes a new version."""

    __tablename__ = "criteria_sets"
    __table_args__ = (
        _enum_check("status", CriteriaSetStatus, "status_known"),
        UniqueConstraint("family", "version", name="uq_criteria_set_version"),
        CheckConstraint("version >= 1", name="version_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    family: Mapped[str] = mapped_column(String(60))
    version: Mapped[int] = mapped_column(Integer, default=1)
    title: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default=CriteriaSetStatus.DRAFT)
    published_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    criteria: Mapped[list[Criterion]] = relationship(
        order_by="Criterion.position", cascade="all, delete-orphan"
    )


class Criterion(Base):
    __tablename__ = "criteria"
    __table_args__ = (
        UniqueConstraint("criteria_set_id", "position", name="uq_criterion_position"),
        CheckConstraint("scale_min < scale_max", name="scale_ordered"),
        CheckConstraint(
            "threshold >= scale_min AND threshold <= scale_max", name="threshold_on_scale"
        ),
        CheckConstraint("weight > 0", name="weight_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    criteria_set_id: Mapped[int] = mapped_column(ForeignKey("criteria_sets.id", ondelete="CASCADE"))
    position: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    guidance: Mapped[str] = mapped_column(Text)
    evidence: Mapped[str] = mapped_column(Text)
    scale_min: Mapped[int] = mapped_column(Integer, default=0)
    scale_max: Mapped[int] = mapped_column(Integer, default=4)
    # {"0": "Ikke belyst", ..., "4": "Fuldt ud opfyldt"}
    anchors: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    threshold: Mapped[int] = mapped_column(Integer, default=2)
    weight: Mapped[float] = mapped_column(Float, default=1.0)


class CallStatus(enum.StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"
    DECIDED = "decided"


class Call(Base):
    __tablename__ = "calls"
    __table_args__ = (
        _enum_check("status", CallStatus, "status_known"),
        CheckConstraint("opens_at < deadline_at", name="opens_before_deadline"),
        CheckConstraint("page_limit > 0", name="page_limit_positive"),
        CheckConstraint("page_limit_with_annexes >= page_limit", name="annex_limit_covers_pages"),
        CheckConstraint("target_volume > 0", name="target_volume_positive"),
        CheckConstraint("min_share > 0 AND min_share <= 1", name="min_share_fraction"),
        CheckConstraint("years >= 1", name="years_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    criteria_set_id: Mapped[int] = mapped_column(ForeignKey("criteria_sets.id"))
    status: Mapped[str] = mapped_column(String(20), default=CallStatus.DRAFT)
    opens_at: Mapped[datetime]
    deadline_at: Mapped[datetime]
    dialogue_meeting_on: Mapped[date | None] = mapped_column(Date)
    page_limit: Mapped[int] = mapped_column(Integer, default=10)
    page_limit_with_annexes: Mapped[int] = mapped_column(Integer, default=20)
    target_volume: Mapped[int] = mapped_column(Integer, default=37500)
    min_share: Mapped[float] = mapped_column(Float, default=0.25)
    years: Mapped[int] = mapped_column(Integer, default=4)
    national_inflow: Mapped[int] = mapped_column(Integer, default=150000)
    # The municipalities that may never be covered in this call (an ExclusionList name).
    exclusion_list: Mapped[str] = mapped_column(String(100), default="frikommuner-2019")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    criteria_set: Mapped[CriteriaSet] = relationship()


class DeadlineExtension(Base):
    __tablename__ = "deadline_extensions"
    __table_args__ = (UniqueConstraint("call_id", "organisation_id", name="uq_extension_per_fund"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    deadline_at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(Text)
    granted_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    granted_at: Mapped[datetime] = mapped_column(default=utcnow)


class ApplicationStatus(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    WITHDRAWN = "withdrawn"


class Application(Base):
    """The working copy an a-kasse edits; each submission freezes an ApplicationVersion."""

    __tablename__ = "applications"
    __table_args__ = (
        _enum_check("status", ApplicationStatus, "status_known"),
        UniqueConstraint("call_id", "organisation_id", name="uq_application_per_fund"),
        CheckConstraint(
            "capacity_courses IS NULL OR capacity_courses >= 0", name="capacity_non_negative"
        ),
        CheckConstraint("staff_fte IS NULL OR staff_fte >= 0", name="staff_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default=ApplicationStatus.DRAFT)
    # ["national"] | ["region:1084", ...] | ["101", "147", ...]
    requested_extent: Mapped[list[Any]] = mapped_column(JSON, default=list)
    capacity_courses: Mapped[int | None]
    staff_fte: Mapped[float | None] = mapped_column(Float)
    interviews_per_fte_week: Mapped[float | None] = mapped_column(Float)
    contact_name: Mapped[str | None] = mapped_column(String(200))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    contact_phone: Mapped[str | None] = mapped_column(String(40))
    withdrawal_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Optimistic lock: concurrent submits of the same draft yield one version.
    revision: Mapped[int] = mapped_column(Integer, default=0)

    call: Mapped[Call] = relationship()
    organisation: Mapped[Organisation] = relationship()
    answers: Mapped[list[Answer]] = relationship(cascade="all, delete-orphan")
    versions: Mapped[list[ApplicationVersion]] = relationship(
        order_by="ApplicationVersion.number", back_populates="application"
    )

    __mapper_args__ = {"version_id_col": revision}


class Answer(Base):
    __tablename__ = "answers"
    __table_args__ = (
        UniqueConstraint("application_id", "criterion_id", name="uq_answer_per_criterion"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"))
    criterion_id: Mapped[int] = mapped_column(ForeignKey("criteria.id"))
    text: Mapped[str] = mapped_column(Text, default="")


class ApplicationVersion(Base):
    """An immutable submitted version (a database trigger refuses updates and deletes)."""

    __tablename__ = "application_versions"
    __table_args__ = (
        UniqueConstraint("application_id", "number", name="uq_version_number"),
        CheckConstraint("number >= 1", name="number_positive"),
        CheckConstraint("length(content_hash) = 64", name="hash_is_sha256"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"))
    number: Mapped[int]
    submitted_at: Mapped[datetime]
    submitted_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    content_hash: Mapped[str] = mapped_column(String(64))

    application: Mapped[Application] = relationship(back_populates="versions")


class Attachment(Base):
    __tablename__ = "attachments"
    __table_args__ = (
        CheckConstraint("size_bytes > 0", name="size_positive"),
        UniqueConstraint("stored_name", name="uq_attachment_stored_name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    criterion_id: Mapped[int | None] = mapped_column(ForeignKey("criteria.id"))
    filename: Mapped[str] = mapped_column(String(255))
    stored_name: Mapped[str] = mapped_column(String(80))
    size_bytes: Mapped[int]
    pages: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Removed from the draft; kept while a submitted version refers to it.
    removed_at: Mapped[datetime | None]


# --- Trin 2: assessment, eligibility, extents ---------------------------------------------


class AssessmentStatus(enum.StrEnum):
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"


class Assessment(Base):
    __tablename__ = "assessments"
    __table_args__ = (
        _enum_check("status", AssessmentStatus, "status_known"),
        UniqueConstraint("version_id", "assessor_id", name="uq_assessment_per_assessor"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("application_versions.id"))
    assessor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(20), default=AssessmentStatus.IN_PROGRESS)
    summary: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    scores: Mapped[list[CriterionScore]] = relationship(cascade="all, delete-orphan")


class CriterionScore(Base):
    __tablename__ = "criterion_scores"
    __table_args__ = (
        UniqueConstraint("assessment_id", "criterion_id", name="uq_score_per_criterion"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id", ondelete="CASCADE"))
    criterion_id: Mapped[int] = mapped_column(ForeignKey("criteria.id"))
    score: Mapped[int]
    justification: Mapped[str] = mapped_column(Text, default="")


class EligibilityDecision(Base):
    """The agency's decision for one application version: eligible or not, and its extent."""

    __tablename__ = "eligibility_decisions"
    __table_args__ = (
        UniqueConstraint("version_id", name="uq_decision_per_version"),
        CheckConstraint(
            "eligible OR approved_capacity IS NULL", name="capacity_only_when_eligible"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("application_versions.id"))
    eligible: Mapped[bool] = mapped_column(Boolean)
    reasoning: Mapped[str] = mapped_column(Text)
    approved_capacity: Mapped[int | None]
    decided_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)

    extent: Mapped[list[ApprovedExtent]] = relationship(cascade="all, delete-orphan")


class ApprovedExtent(Base):
    """One covered municipality of an approved extent (never an excluded one)."""

    __tablename__ = "approved_extents"
    __table_args__ = (
        UniqueConstraint("decision_id", "municipality_code", name="uq_extent_municipality"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    decision_id: Mapped[int] = mapped_column(
        ForeignKey("eligibility_decisions.id", ondelete="CASCADE")
    )
    municipality_code: Mapped[str] = mapped_column(ForeignKey("municipalities.code"))


# --- Trin 3: selection runs, proposals, decisions -----------------------------------------


class SelectionRun(Base):
    """One optimizer run: the problem and proposal as plain JSON, as the contract defines."""

    __tablename__ = "selection_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id"))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    label: Mapped[str] = mapped_column(String(200))
    problem: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20))
    solve_seconds: Mapped[float | None] = mapped_column(Float)

    proposals: Mapped[list[SelectionProposal]] = relationship(
        order_by="SelectionProposal.rank", cascade="all, delete-orphan"
    )


class SelectionProposal(Base):
    __tablename__ = "selection_proposals"
    __table_args__ = (
        UniqueConstraint("run_id", "rank", name="uq_proposal_rank"),
        CheckConstraint("rank >= 1", name="rank_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("selection_runs.id", ondelete="CASCADE"))
    rank: Mapped[int]
    objective: Mapped[float | None] = mapped_column(Float)
    proposal: Mapped[dict[str, Any]] = mapped_column(JSON)


class PartyNote(Base):
    """An agreement-party member's own note on a proposal; visible only to its author."""

    __tablename__ = "party_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("selection_proposals.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SelectionDecision(Base):
    __tablename__ = "selection_decisions"
    __table_args__ = (UniqueConstraint("call_id", name="uq_decision_per_call"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id"))
    proposal_id: Mapped[int] = mapped_column(ForeignKey("selection_proposals.id"))
    decided_on: Mapped[date] = mapped_column(Date)
    minutes: Mapped[str] = mapped_column(Text)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


# --- outbox and audit ----------------------------------------------------------------------


class AuditEvent(Base):
    """Append-only and hash-chained. Triggers refuse UPDATE and DELETE; the unique previous
    hash makes a fork of the chain impossible."""

    __tablename__ = "audit_events"
    __table_args__ = (
        UniqueConstraint("prev_hash", name="uq_audit_events_prev_hash"),
        CheckConstraint("length(hash) = 64", name="hash_is_sha256"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(80), index=True)
    object_type: Mapped[str | None] = mapped_column(String(40))
    object_id: Mapped[str | None] = mapped_column(String(40))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class StoredFile(Base):
    """Generated documents kept as records (e.g. receipts), addressed by id."""

    __tablename__ = "stored_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    version_id: Mapped[int | None] = mapped_column(ForeignKey("application_versions.id"))
    filename: Mapped[str] = mapped_column(String(255))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
