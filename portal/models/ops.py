"""The append-only audit log, stored files (receipts) and the data generation."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from portal.models.base import Base, utcnow


class AuditEvent(Base):
    """Append-only and hash-chained. Triggers refuse UPDATE and DELETE; the unique previous
    hash makes a fork of the chain impossible."""

    __tablename__ = "audit_events"
    __table_args__ = (
        UniqueConstraint("prev_hash", name="uq_audit_events_prev_hash"),
        CheckConstraint("length(hash) = 64", name="hash_is_sha256"),
        # "The last time this happened to this object" (hand-overs, receipts mailed, letters).
        Index("ix_audit_events_object", "object_type", "object_id", "action"),
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
    __table_args__ = (UniqueConstraint("version_id", "kind", name="uq_stored_file_per_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    version_id: Mapped[int | None] = mapped_column(ForeignKey("application_versions.id"))
    filename: Mapped[str] = mapped_column(String(255))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class DataGeneration(Base):
    """One row whose number grows with every transaction that changes what a page can show
    (`portal.db` counts them); a page kept for a session is valid while the number is the
    same (`portal.pagecache`)."""

    __tablename__ = "data_generation"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    n: Mapped[int] = mapped_column(BigInteger, default=0)
