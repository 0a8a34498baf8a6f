"""Trin 2: assessments, criterion scores, eligibility decisions and approved extents."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.models.base import Base, _enum_check, utcnow


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
