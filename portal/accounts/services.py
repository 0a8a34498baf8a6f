"""Authentication services: login with throttling, server-side sessions, permissions.

Services take a database session and plain values; they flush and never commit.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, bindparam, func, select, text, update
from sqlalchemy.orm import Session, joinedload

from portal import audit
from portal.accounts.passwords import hash_password, needs_rehash, verify_password
from portal.db import GENERATION_NOW
from portal.errors import AccountError
from portal.models import LoginAttempt, User, UserSession, utcnow


class LoginRefused(AccountError):
    """Login failed; `code` says why (the catalogue in portal.errors has the Danish text)."""


@dataclass(frozen=True)
class LoginPolicy:
    demo_mode: bool
    max_failures: int
    window: timedelta
    session_lifetime: timedelta


def normalise_email(email: str) -> str:
    return email.strip().lower()


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _recent_failures(db: Session, email: str, since: datetime) -> list[datetime]:
    """Failures since the last success within the window."""
    last_success = db.scalar(
        select(func.max(LoginAttempt.at)).where(
            LoginAttempt.email == email, LoginAttempt.success.is_(True), LoginAttempt.at >= since
        )
    )
    start = max(since, last_success) if last_success else since
    return list(
        db.scalars(
            select(LoginAttempt.at)
            .where(
                LoginAttempt.email == email,
                LoginAttempt.success.is_(False),
                LoginAttempt.at >= start,
            )
            .order_by(LoginAttempt.at)
        )
    )


@dataclass(frozen=True)
class PasswordCheck:
    """A password verified before the writing transaction began: the slow hash comparison
    then holds no lock. Valid only while the stored hash is still `password_hash`."""

    password_hash: str | None
    ok: bool


def check_password_early(db: Session, email: str, password: str) -> PasswordCheck:
    stored = db.scalar(select(User.password_hash).where(User.email == normalise_email(email)))
    return PasswordCheck(stored, verify_password(stored, password))


def authenticate(
    db: Session, email: str, password: str, policy: LoginPolicy, early: PasswordCheck | None = None
) -> User:
    """Return the user or raise LoginRefused. Writes only the attempt and audit rows. With
    `early` (made on a reading session), the password is not verified again inside the lock
    unless the stored hash changed since."""
    email = normalise_email(email)
    _check_throttle(db, email, policy)
    user = db.scalar(select(User).where(User.email == email))
    stored = user.password_hash if user else None
    if early is not None and early.password_hash == stored:
        ok = early.ok
    else:
        ok = verify_password(stored, password)
    if not ok or user is None:
        _fail(db, email, "bad_credentials")
    assert user is not None
    if not user.is_active:
        _fail(db, email, "inactive", user)
    if user.is_demo and not policy.demo_mode:
        _fail(db, email, "demo_disabled", user)
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    db.add(LoginAttempt(email=email, success=True))
    return user


def _lock_attempts(db: Session, email: str) -> None:
    """Decide the throttle atomically: one check-and-record per e-mail at a time. SQLite's
    writing transactions hold the database's write lock already (`portal.db`); PostgreSQL
    takes a transaction-scoped advisory lock on the e-mail."""
    if db.get_bind().dialect.name == "postgresql":
        key = int.from_bytes(hashlib.sha256(email.encode()).digest()[:4], "big", signed=True)
        db.execute(text("SELECT pg_advisory_xact_lock(727002, :key)"), {"key": key})


def _check_throttle(db: Session, email: str, policy: LoginPolicy) -> None:
    """Refuse while this e-mail has had too many recent failures (login or password change)."""
    _lock_attempts(db, email)
    now = utcnow()
    failures = _recent_failures(db, email, now - policy.window)
    if len(failures) >= policy.max_failures:
        unlock = failures[-policy.max_failures] + policy.window
        minutes = max(1, int((unlock - now).total_seconds() // 60) + 1)
        audit.record(db, None, "login.throttled", email=email)
        raise LoginRefused("throttled", minutes=minutes)


def _fail(db: Session, email: str, code: str, user: User | None = None) -> None:
    db.add(LoginAttempt(email=email, success=False))
    audit.record(db, user.id if user else None, "login.failed", reason=code, email=email)
    db.flush()
    raise LoginRefused(code)


def open_session(db: Session, user: User, policy: LoginPolicy) -> str:
    """Create a server-side session and return its token (only the hash is stored)."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    db.add(
        UserSession(
            token_hash=token_hash(token),
            user_id=user.id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + policy.session_lifetime,
        )
    )
    audit.record(db, user.id, "login.succeeded", user)
    db.flush()
    return token


# Built once: every signed-in request runs it, and building the statement and its cache key
# costs about as much as running it. Plain columns: what decides whether the session is live,
# and the data generation (a kept page needs nothing more). The user, with their organisation,
# is loaded when a page first needs them (`session_user`).
_SESSION_BY_TOKEN = (
    select(
        UserSession.id,
        UserSession.user_id,
        UserSession.revoked_at,
        UserSession.expires_at,
        UserSession.last_seen_at,
        User.is_active,
        GENERATION_NOW,
    )
    .join(User, User.id == UserSession.user_id)
    .where(UserSession.token_hash == bindparam("token_hash"))
)
_USER_WITH_ORGANISATION = (
    select(User).where(User.id == bindparam("user_id")).options(joinedload(User.organisation))
)


@dataclass(frozen=True)
class LiveSession:
    id: int
    user_id: int
    last_seen_at: datetime
    generation: int  # the data generation, read in the same statement


def load_session(db: Session | Connection, token: str, idle: timedelta) -> LiveSession | None:
    """The live session for a cookie token, or None if unknown, revoked, expired, idle or of a
    deactivated user."""
    found = db.execute(_SESSION_BY_TOKEN, {"token_hash": token_hash(token)}).first()
    now = utcnow()
    if found is None or found.revoked_at is not None or found.expires_at <= now:
        return None
    if found.last_seen_at + idle <= now or not found.is_active:
        return None
    return LiveSession(found.id, found.user_id, found.last_seen_at, int(found.generation or 0))


def session_user(db: Session, user_id: int) -> User:
    """A live session's user, with their organisation."""
    return db.scalars(_USER_WITH_ORGANISATION, {"user_id": user_id}).one()


TOUCH_AFTER = timedelta(seconds=60)


def touch_due(row: LiveSession, now: datetime | None = None) -> bool:
    """Is the stored last-seen time old enough to be worth a write?"""
    return (now or utcnow()) - row.last_seen_at > TOUCH_AFTER


def touch_session(db: Session, session_id: int) -> None:
    db.execute(
        update(UserSession).where(UserSession.id == session_id).values(last_seen_at=utcnow())
    )


def revoke_session(db: Session, token: str) -> None:
    db.execute(
        update(UserSession)
        .where(UserSession.token_hash == token_hash(token), UserSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


def revoke_all_sessions(db: Session, user_id: int) -> int:
    result = db.execute(
        update(UserSession)
        .where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def change_password(db: Session, user: User, current: str, new: str, policy: LoginPolicy) -> None:
    """A wrong current password counts as a failed login, so a stolen session cannot be
    used to guess the password."""
    _check_throttle(db, user.email, policy)
    if not verify_password(user.password_hash, current):
        _fail(db, user.email, "bad_current_password", user)
    user.password_hash = hash_password(new)
    user.password_changed_at = utcnow()
    revoke_all_sessions(db, user.id)
    audit.record(db, user.id, "user.password_changed", user)
    db.flush()
