"""Organisations, users, server-side sessions and login attempts."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.models.base import Base, _enum_check, utcnow


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


AGENCY_ROLES = frozenset({Role.ADMIN, Role.LEAD_ASSESSOR, Role.ASSESSOR})
FUND_ROLES = frozenset({Role.SIGNATORY, Role.DRAFTER})

# The roles an account in an organisation of each kind can have, in the order forms list them.
ROLES_BY_KIND: dict[str, tuple[Role, ...]] = {
    OrganisationKind.AGENCY: (Role.ADMIN, Role.LEAD_ASSESSOR, Role.ASSESSOR),
    OrganisationKind.FUND: (Role.SIGNATORY, Role.DRAFTER),
    OrganisationKind.PARTY: (Role.PARTY_MEMBER,),
    OrganisationKind.LABOUR_PARTY: (Role.LABOUR_PARTY,),
}


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
    # An agreement-party member's party (its positions are the party's), e.g. "Venstre".
    party: Mapped[str | None] = mapped_column(String(100))
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


class PasswordResetToken(Base):
    """A one-time link to choose a password: mailed to the user, valid until `expires_at`, used
    at most once. Only the token's SHA-256 is stored, like a session's."""

    __tablename__ = "password_reset_tokens"
    __table_args__ = (
        CheckConstraint("length(token_hash) = 64", name="hash_is_sha256"),
        CheckConstraint("expires_at > created_at", name="expires_after_creation"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(foreign_keys=[user_id])
