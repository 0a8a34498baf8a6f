"""Trin 1: applications, answers, frozen versions and attachments."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

if TYPE_CHECKING:
    from portal.models.accounts import Organisation
    from portal.models.calls import Call

from portal.models.base import Base, _enum_check, utcnow


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
