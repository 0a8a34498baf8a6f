"""Trin 2, the dialogue meeting with the labour-market parties: the agency's interpretation of
each criterion (versioned), the meeting itself (time, place, agenda, minutes) and the parties'
comments for it.

An interpretation is a draft until the lead publishes it; a published version never changes
(the database refuses an UPDATE or DELETE of it, see migration 0007), so a change after
publication is a new version with a note on what changed. Only the newest version of a
criterion can be a draft: a new version is made only when the newest one is published, and two
attempts at the same version number meet the unique constraint.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.models.base import Base, utcnow

if TYPE_CHECKING:
    from portal.models.accounts import User


class CriterionInterpretation(Base):
    """One version of the agency's interpretation of a criterion in a call."""

    __tablename__ = "criterion_interpretations"
    __table_args__ = (
        UniqueConstraint("call_id", "criterion_id", "version", name="uq_interpretation_version"),
        CheckConstraint("version >= 1", name="version_positive"),
        CheckConstraint("length(trim(text)) > 0", name="text_required"),
        CheckConstraint("version = 1 OR length(trim(change_note)) > 0", name="revision_has_note"),
        CheckConstraint(
            "(published_at IS NULL) = (published_by_id IS NULL)", name="publication_complete"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id"), index=True)
    criterion_id: Mapped[int] = mapped_column(ForeignKey("criteria.id"))
    version: Mapped[int] = mapped_column(Integer)
    # What counted as meeting the criterion, in plain Danish.
    text: Mapped[str] = mapped_column(Text)
    # Borderline examples: what just met it, and what just did not.
    borderline: Mapped[str] = mapped_column(Text, default="")
    # From version 2 on: what changed since the previous version, and why.
    change_note: Mapped[str] = mapped_column(Text, default="")
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_at: Mapped[datetime | None]
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    author: Mapped[User] = relationship(foreign_keys=[author_id])
    published_by: Mapped[User | None] = relationship(foreign_keys=[published_by_id])

    @property
    def is_published(self) -> bool:
        return self.published_at is not None


class DialogueMeeting(Base):
    """The call's dialogue meeting; the minutes are written after it has been held."""

    __tablename__ = "dialogue_meetings"
    __table_args__ = (
        UniqueConstraint("call_id", name="uq_meeting_per_call"),
        CheckConstraint("length(trim(place)) > 0", name="place_required"),
        CheckConstraint("length(trim(agenda)) > 0", name="agenda_required"),
        CheckConstraint(
            "(minutes IS NULL) = (minutes_recorded_at IS NULL)"
            " AND (minutes_recorded_at IS NULL) = (minutes_recorded_by_id IS NULL)",
            name="minutes_complete",
        ),
        CheckConstraint("minutes IS NULL OR length(trim(minutes)) > 0", name="minutes_not_blank"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id"))
    starts_at: Mapped[datetime]
    place: Mapped[str] = mapped_column(String(200))
    agenda: Mapped[str] = mapped_column(Text)
    # Whether the parties' page and the packet name the a-kasser (the lead decides).
    names_published: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    minutes: Mapped[str | None] = mapped_column(Text)
    minutes_recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    minutes_recorded_at: Mapped[datetime | None]

    minutes_recorded_by: Mapped[User | None] = relationship(foreign_keys=[minutes_recorded_by_id])


class PartyComment(Base):
    """A labour-market party's comment for the meeting, on one criterion or on the whole."""

    __tablename__ = "party_comments"
    __table_args__ = (
        CheckConstraint("length(trim(text)) > 0", name="text_required"),
        CheckConstraint("length(trim(party)) > 0", name="party_named"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id"), index=True)
    criterion_id: Mapped[int | None] = mapped_column(ForeignKey("criteria.id"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    # The party organisation the comment speaks for (the account's party, else its
    # organisation's name); its members see each other's comments, other parties do not.
    party: Mapped[str] = mapped_column(String(200))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    author: Mapped[User] = relationship()
