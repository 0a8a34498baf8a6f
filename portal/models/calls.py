"""Criteria sets, criteria, calls, deadline extensions and the calls' reported inflow."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.models.base import Base, _enum_check, utcnow

if TYPE_CHECKING:
    from portal.models.accounts import User


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


class InflowUpload(Base):
    """A reported inflow file of a call: newly registered per a-kasse and municipality for
    one year, as the administrator uploaded it (who, when, the file's name and SHA-256) and
    as read (`rows`: [fund id, municipality code, inflow] in the file's order).

    The call's latest upload is the inflow its new selection runs use, unless it has been
    withdrawn (the administrator went back to the modelled inflow). An upload is never deleted
    and what it holds never changes (a run names the upload it used); only its withdrawal is
    set later."""

    __tablename__ = "inflow_uploads"
    __table_args__ = (
        CheckConstraint("length(sha256) = 64", name="hash_is_sha256"),
        CheckConstraint("row_count >= 1", name="has_rows"),
        CheckConstraint("size_bytes >= 1", name="not_empty"),
        CheckConstraint("year >= 1900 AND year <= 2999", name="year_plausible"),
        CheckConstraint(
            "(withdrawn_at IS NULL) = (withdrawn_by_id IS NULL)", name="withdrawal_complete"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id"), index=True)
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)
    filename: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(Integer)
    year: Mapped[int] = mapped_column(Integer)
    row_count: Mapped[int] = mapped_column(Integer)
    # Read only when the inflow is used: a few thousand rows.
    rows: Mapped[list[Any]] = mapped_column(JSON, deferred=True)
    withdrawn_at: Mapped[datetime | None]
    withdrawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    uploaded_by: Mapped[User] = relationship(foreign_keys=[uploaded_by_id])
    withdrawn_by: Mapped[User | None] = relationship(foreign_keys=[withdrawn_by_id])
