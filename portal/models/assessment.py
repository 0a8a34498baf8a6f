"""Trin 2: assignments, conflict declarations, sealed assessments, consolidation, requests
for information, eligibility decisions and approved extents.

The approved extent is a subset of the requested one by a composite foreign key: an approved
municipality must be a row of `requested_municipalities` for the same version, and that table
holds only the covered municipalities (the call's frikommuner already taken out).
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    ForeignKeyConstraint,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.models.base import Base, _enum_check, utcnow


class AssessmentStatus(enum.StrEnum):
    IN_PROGRESS = "in_progress"  # a draft only its assessor sees
    COMPLETED = "completed"  # submitted and frozen (until the lead reopens it, with a reason)


class Assignment(Base):
    """An assessor assigned to a submitted version by the lead."""

    __tablename__ = "assignments"
    __table_args__ = (
        UniqueConstraint("version_id", "assessor_id", name="uq_assignment_per_assessor"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("application_versions.id"))
    assessor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    assigned_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    assigned_at: Mapped[datetime] = mapped_column(default=utcnow)


class ConflictDeclaration(Base):
    """Declared before the assessor sees the content: no conflict, or a conflict with a reason."""

    __tablename__ = "conflict_declarations"
    __table_args__ = (
        UniqueConstraint("version_id", "assessor_id", name="uq_declaration_per_assessor"),
        CheckConstraint("NOT has_conflict OR length(trim(reason)) > 0", name="conflict_has_reason"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("application_versions.id"))
    assessor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    has_conflict: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str] = mapped_column(Text, default="")
    declared_at: Mapped[datetime] = mapped_column(default=utcnow)


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
    submitted_at: Mapped[datetime | None]

    scores: Mapped[list[CriterionScore]] = relationship(cascade="all, delete-orphan")


class CriterionScore(Base):
    __tablename__ = "criterion_scores"
    __table_args__ = (
        UniqueConstraint("assessment_id", "criterion_id", name="uq_score_per_criterion"),
        CheckConstraint("score IS NULL OR score >= 0", name="score_not_negative"),
        CheckConstraint("NOT (cannot_assess AND score IS NOT NULL)", name="score_or_cannot_assess"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id", ondelete="CASCADE"))
    criterion_id: Mapped[int] = mapped_column(ForeignKey("criteria.id"))
    score: Mapped[int | None]
    # "Kan ikke vurderes – oplysninger mangler": not the same as a score of 0.
    cannot_assess: Mapped[bool] = mapped_column(Boolean, default=False)
    justification: Mapped[str] = mapped_column(Text, default="")


class Consolidation(Base):
    """The lead's consolidated scores for one version; sign-off freezes them."""

    __tablename__ = "consolidations"
    __table_args__ = (UniqueConstraint("version_id", name="uq_consolidation_per_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("application_versions.id"))
    lead_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    signed_off_at: Mapped[datetime | None]

    scores: Mapped[list[ConsolidatedScore]] = relationship(cascade="all, delete-orphan")


class ConsolidatedScore(Base):
    __tablename__ = "consolidated_scores"
    __table_args__ = (
        UniqueConstraint("consolidation_id", "criterion_id", name="uq_consolidated_criterion"),
        CheckConstraint("length(trim(reasoning)) > 0", name="reasoning_required"),
        CheckConstraint(
            "dissent_assessor_id IS NULL OR length(trim(dissent)) > 0", name="dissent_has_text"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    consolidation_id: Mapped[int] = mapped_column(
        ForeignKey("consolidations.id", ondelete="CASCADE")
    )
    criterion_id: Mapped[int] = mapped_column(ForeignKey("criteria.id"))
    score: Mapped[int | None]  # None: cannot be assessed on the information given
    reasoning: Mapped[str] = mapped_column(Text)
    dissent: Mapped[str] = mapped_column(Text, default="")
    dissent_assessor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The published interpretation of the criterion the score relied on (see
    # `portal.dialogue.services`); None while the criterion has none published.
    interpretation_id: Mapped[int | None] = mapped_column(
        ForeignKey("criterion_interpretations.id", name="fk_consolidated_scores_interpretation")
    )


class InformationRequest(Base):
    """A dated question to the a-kasse; the answer is an addendum, never an edit."""

    __tablename__ = "information_requests"
    __table_args__ = (
        CheckConstraint("length(trim(question)) > 0", name="question_required"),
        CheckConstraint("(answer IS NULL) = (answered_at IS NULL)", name="answer_has_time"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("application_versions.id"))
    question: Mapped[str] = mapped_column(Text)
    asked_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    asked_at: Mapped[datetime] = mapped_column(default=utcnow)
    answer_due_at: Mapped[datetime]
    answer: Mapped[str | None] = mapped_column(Text)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    answered_at: Mapped[datetime | None]


class RequestedMunicipality(Base):
    """A municipality the version's requested extent covers (frikommuner excluded)."""

    __tablename__ = "requested_municipalities"

    version_id: Mapped[int] = mapped_column(ForeignKey("application_versions.id"), primary_key=True)
    municipality_code: Mapped[str] = mapped_column(
        ForeignKey("municipalities.code"), primary_key=True
    )


class DecisionStatus(enum.StrEnum):
    PENDING = "pending"
    PUBLISHED = "published"


class EligibilityDecision(Base):
    """The agency's decision for one application version: eligible or not, and its extent."""

    __tablename__ = "eligibility_decisions"
    __table_args__ = (
        UniqueConstraint("version_id", name="uq_decision_per_version"),
        CheckConstraint(
            "eligible OR approved_capacity IS NULL", name="capacity_only_when_eligible"
        ),
        CheckConstraint(
            "approved_capacity IS NULL OR approved_capacity >= 1", name="capacity_positive"
        ),
        CheckConstraint("length(trim(reasoning)) > 0", name="reasoning_required"),
        CheckConstraint(
            "status = 'pending' OR published_at IS NOT NULL", name="published_has_time"
        ),
        _enum_check("status", DecisionStatus, "status_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("application_versions.id"))
    eligible: Mapped[bool] = mapped_column(Boolean)
    reasoning: Mapped[str] = mapped_column(Text)
    approved_capacity: Mapped[int | None]
    decided_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)
    # What the consolidated scores proposed; a different decision needs `override_reason`.
    proposed_eligible: Mapped[bool | None] = mapped_column(Boolean)
    override_reason: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default=DecisionStatus.PENDING)
    published_at: Mapped[datetime | None]

    extent: Mapped[list[ApprovedExtent]] = relationship(cascade="all, delete-orphan")


class ApprovedExtent(Base):
    """One covered municipality of an approved extent (never an excluded one)."""

    __tablename__ = "approved_extents"
    __table_args__ = (
        UniqueConstraint("decision_id", "municipality_code", name="uq_extent_municipality"),
        ForeignKeyConstraint(
            ["version_id", "municipality_code"],
            ["requested_municipalities.version_id", "requested_municipalities.municipality_code"],
            name="fk_approved_extents_requested",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    decision_id: Mapped[int] = mapped_column(
        ForeignKey("eligibility_decisions.id", ondelete="CASCADE")
    )
    version_id: Mapped[int] = mapped_column(ForeignKey("application_versions.id"))
    municipality_code: Mapped[str] = mapped_column(ForeignKey("municipalities.code"))
