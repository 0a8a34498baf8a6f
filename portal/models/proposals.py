"""Trin 3: selection runs, proposals, party notes and positions, the meeting and the decision."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.models.base import Base, _enum_check, utcnow


class RunStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


class RunKind(enum.StrEnum):
    BASE = "base"  # targets from the call, nothing locked
    WHAT_IF = "what_if"  # locks, targets or a scenario changed from a parent run
    RERUN = "rerun"  # the parent's stored problem and options again
    RELAXATION = "relaxation"  # one relaxation of an infeasible parent


class SelectionRun(Base):
    """One optimizer run, reproducible: the `selection-problem/1` document as sent (and its
    SHA-256), the options, the solver and its version; the proposals it gave."""

    __tablename__ = "selection_runs"
    __table_args__ = (
        _enum_check("status", RunStatus, "status_known"),
        _enum_check("kind", RunKind, "kind_known"),
        CheckConstraint("length(input_hash) = 64", name="hash_is_sha256"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id"), index=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    label: Mapped[str] = mapped_column(String(200))
    problem: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20), default=RunStatus.QUEUED)
    solve_seconds: Mapped[float | None] = mapped_column(Float)
    kind: Mapped[str] = mapped_column(String(20), default=RunKind.BASE)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("selection_runs.id"))
    input_hash: Mapped[str] = mapped_column(String(64))
    # alternatives, time limit, gap, the changes of a what-if, the inflow source
    options: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    solver: Mapped[str | None] = mapped_column(String(40))
    solver_version: Mapped[str | None] = mapped_column(String(40))
    result_status: Mapped[str | None] = mapped_column(String(20))  # optimal, feasible, …
    message: Mapped[str] = mapped_column(Text, default="")
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    heartbeat_at: Mapped[datetime | None]
    # What the solver last reported while running: {"gap": …, "objective": …, "bound": …}.
    progress: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)

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
    positions: Mapped[list[Any]] = mapped_column(JSON, default=list)  # as they stood


class Stance(enum.StrEnum):
    SUPPORTS = "supports"
    CAN_ACCEPT = "can_accept"
    AGAINST = "against"


class PartyPosition(Base):
    """An agreement party's position on a proposal, recorded by one of its members and
    visible to every party."""

    __tablename__ = "party_positions"
    __table_args__ = (
        UniqueConstraint("proposal_id", "party", name="uq_position_per_party"),
        _enum_check("stance", Stance, "stance_known"),
        CheckConstraint("length(trim(party)) > 0", name="party_named"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("selection_proposals.id"))
    party: Mapped[str] = mapped_column(String(100))
    stance: Mapped[str] = mapped_column(String(20))
    comment: Mapped[str] = mapped_column(Text, default="")
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class MeetingPresentation(Base):
    """What the lead presents at the parties' meeting; the attendees' screens follow it."""

    __tablename__ = "meeting_presentations"

    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id"), primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("selection_proposals.id"))
    presented_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    presented_at: Mapped[datetime] = mapped_column(default=utcnow)
