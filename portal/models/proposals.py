"""Trin 3: selection runs, proposals, party notes and the decision."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.models.base import Base, utcnow


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
