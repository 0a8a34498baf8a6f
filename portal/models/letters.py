"""Decision letters to the a-kasser and their appeals.

A letter is generated as a draft from its kind's template and frozen there: subject, body,
complaint guidance and the facts the PDF shows (per-criterion reasons, the extent, the
capacity) never change afterwards. Only the letter date and the complaint deadline are set
when a second person approves it (`four_eyes`: the approver is never the author); the letter
is then sent. A decision has at most one live (not discarded) letter per stage.

An appeal is filed on a sent letter within its complaint deadline, handled by someone the lead
assigns who took no part in the original assessment, and ends upheld or changed; a changed
appeal keeps the decision's previous values in `previous`.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from portal.models.base import Base, _enum_check, utcnow


class LetterKind(enum.StrEnum):
    ELIGIBLE = "eligible"  # støtteberettiget, as applied for
    PARTIAL = "partial"  # støtteberettiget for less extent or capacity than applied for
    REJECTED = "rejected"  # ikke støtteberettiget
    SELECTED = "selected"  # udvalgt af aftalepartierne
    NOT_SELECTED = "not_selected"  # ikke udvalgt


class LetterStage(enum.StrEnum):
    ELIGIBILITY = "eligibility"  # after Trin 2
    SELECTION = "selection"  # after Trin 3


class LetterStatus(enum.StrEnum):
    DRAFT = "draft"  # waiting for a second person's approval
    SENT = "sent"  # approved, visible to the a-kasse, mailed
    DISCARDED = "discarded"  # withdrawn before sending


class LetterTemplate(Base):
    """The administrator's text for one kind of letter; a kind without a row uses the default
    text in `portal.letters.defaults`."""

    __tablename__ = "letter_templates"
    __table_args__ = (
        UniqueConstraint("kind", name="uq_letter_template_kind"),
        _enum_check("kind", LetterKind, "kind_known"),
        CheckConstraint("length(trim(subject)) > 0", name="subject_required"),
        CheckConstraint("length(trim(body)) > 0", name="body_required"),
        CheckConstraint("length(trim(guidance)) > 0", name="guidance_required"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    guidance: Mapped[str] = mapped_column(Text)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Letter(Base):
    __tablename__ = "letters"
    __table_args__ = (
        _enum_check("kind", LetterKind, "kind_known"),
        _enum_check("stage", LetterStage, "stage_known"),
        _enum_check("status", LetterStatus, "status_known"),
        CheckConstraint(
            "approved_by_id IS NULL OR approved_by_id <> created_by_id", name="four_eyes"
        ),
        CheckConstraint(
            "(status = 'sent') = (approved_by_id IS NOT NULL AND sent_at IS NOT NULL "
            "AND complaint_deadline IS NOT NULL)",
            name="sent_is_approved",
        ),
        CheckConstraint(
            "(status = 'discarded') = (discarded_at IS NOT NULL)", name="discard_has_time"
        ),
        CheckConstraint(
            "stage = 'eligibility' OR selection_decision_id IS NOT NULL",
            name="selection_letter_has_decision",
        ),
        CheckConstraint("length(trim(subject)) > 0", name="subject_required"),
        CheckConstraint("length(trim(body)) > 0", name="body_required"),
        # One live letter per decision and stage: generating twice, or at once, makes one.
        Index(
            "uq_letters_live_per_stage",
            "decision_id",
            "stage",
            unique=True,
            sqlite_where=text("status <> 'discarded'"),
            postgresql_where=text("status <> 'discarded'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("eligibility_decisions.id"))
    selection_decision_id: Mapped[int | None] = mapped_column(ForeignKey("selection_decisions.id"))
    stage: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default=LetterStatus.DRAFT)
    # Frozen at generation; `{dato}` and `{klagefrist}` are filled in when it is sent.
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    guidance: Mapped[str] = mapped_column(Text)
    facts: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    sent_at: Mapped[datetime | None]
    letter_date: Mapped[date | None] = mapped_column(Date)
    complaint_deadline: Mapped[date | None] = mapped_column(Date)
    recipients: Mapped[list[Any]] = mapped_column(JSON, default=list)
    mailed_at: Mapped[datetime | None]
    discarded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    discarded_at: Mapped[datetime | None]
    # The PDF as sent (rendered once, after the approval).
    pdf: Mapped[bytes | None] = mapped_column(LargeBinary)


class AppealStatus(enum.StrEnum):
    FILED = "filed"  # waiting for the lead to assign a handler
    ASSIGNED = "assigned"  # with its handler
    DECIDED = "decided"


class AppealOutcome(enum.StrEnum):
    UPHELD = "upheld"  # the decision stands
    CHANGED = "changed"  # the decision is changed as recorded


class Appeal(Base):
    __tablename__ = "appeals"
    __table_args__ = (
        UniqueConstraint("letter_id", name="uq_appeal_per_letter"),
        _enum_check("status", AppealStatus, "status_known"),
        CheckConstraint(
            "outcome IS NULL OR outcome IN ('upheld', 'changed')", name="outcome_known"
        ),
        CheckConstraint("length(trim(reasons)) > 0", name="reasons_required"),
        CheckConstraint("(status = 'filed') = (handler_id IS NULL)", name="handler_when_assigned"),
        CheckConstraint(
            "(status = 'decided') = (outcome IS NOT NULL)", name="outcome_when_decided"
        ),
        CheckConstraint(
            "outcome IS NULL OR (length(trim(outcome_reasoning)) > 0 AND decided_at IS NOT NULL)",
            name="outcome_has_reasoning",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    letter_id: Mapped[int] = mapped_column(ForeignKey("letters.id"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("eligibility_decisions.id"))
    filed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    filed_at: Mapped[datetime] = mapped_column(default=utcnow)
    reasons: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default=AppealStatus.FILED)
    handler_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    assigned_at: Mapped[datetime | None]
    outcome: Mapped[str | None] = mapped_column(String(20))
    outcome_reasoning: Mapped[str] = mapped_column(Text, default="")
    decided_at: Mapped[datetime | None]
    # The decision before a changed outcome, and after: {"eligible", "capacity", "extent"}.
    previous: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    changed_to: Mapped[dict[str, Any] | None] = mapped_column(JSON)
