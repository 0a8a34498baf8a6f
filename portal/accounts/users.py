"""User accounts: creation (command line and user management), changes, deactivation, and
one-time links to choose a password.

Services take the acting user and plain data; they flush and never commit. A refusal the user
can act on is a `UserRefused` that names the form field its message belongs to.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, selectinload

from portal import audit
from portal.access import assignable_roles, can_manage_user, can_see_user
from portal.accounts.passwords import hash_password
from portal.accounts.services import normalise_email, revoke_all_sessions, token_hash
from portal.errors import AccountError
from portal.models import (
    FUND_ROLES,
    LoginAttempt,
    Organisation,
    OrganisationKind,
    PasswordResetToken,
    Role,
    User,
    utcnow,
)


class UserError(ValueError):
    pass


class UserRefused(AccountError):
    """A user-management action refused; `field` is where the form shows the message."""

    def __init__(self, code: str, field: str, **params: Any) -> None:
        super().__init__(code, **params)
        self.field = field


@dataclass(frozen=True)
class NewUser:
    email: str
    name: str
    role: Role
    password: str
    organisation_id: int | None = None
    is_demo: bool = False


def create_user(db: Session, actor_id: int | None, data: NewUser) -> User:
    email = normalise_email(data.email)
    if "@" not in email:
        raise UserError(f"email: not an e-mail address: {data.email!r}")
    if db.scalar(select(User.id).where(User.email == email)) is not None:
        raise UserError(f"email: a user with {email!r} exists already")
    if len(data.password) < 12 and not data.is_demo:
        raise UserError("password: must be at least 12 characters")
    _check_organisation(db, data.role, data.organisation_id)
    user = User(
        email=email,
        name=data.name,
        role=data.role,
        password_hash=hash_password(data.password),
        organisation_id=data.organisation_id,
        is_demo=data.is_demo,
    )
    db.add(user)
    db.flush()
    audit.record(db, actor_id, "user.created", user, role=str(data.role))
    return user


def _check_organisation(db: Session, role: Role, organisation_id: int | None) -> None:
    if role in FUND_ROLES:
        org = db.get(Organisation, organisation_id) if organisation_id is not None else None
        if org is None or org.kind != OrganisationKind.FUND:
            raise UserError(f"organisation: role {role} needs an a-kasse, got {organisation_id!r}")
    elif organisation_id is not None and db.get(Organisation, organisation_id) is None:
        raise UserError(f"organisation: no organisation with id {organisation_id!r}")


# --- user management -----------------------------------------------------------------------


@dataclass(frozen=True)
class UserFilter:
    organisation_id: int | None = None
    role: str | None = None
    active: bool | None = None


def listing(db: Session, actor: User, wanted: UserFilter) -> list[User]:
    """The accounts `actor` may see, filtered, by organisation and name."""
    query = select(User).options(selectinload(User.organisation)).order_by(User.name, User.id)
    if actor.role != Role.ADMIN:
        query = query.where(User.organisation_id == actor.organisation_id)
    if wanted.organisation_id is not None:
        query = query.where(User.organisation_id == wanted.organisation_id)
    if wanted.role:
        query = query.where(User.role == wanted.role)
    if wanted.active is not None:
        query = query.where(User.is_active.is_(wanted.active))
    users = [u for u in db.scalars(query) if can_see_user(actor, u)]
    return sorted(users, key=lambda u: (u.organisation.name if u.organisation else "", u.name))


@dataclass(frozen=True)
class NewAccount:
    """An account made in user management: the person chooses the password through a link."""

    email: str
    name: str
    organisation_id: int
    role: Role
    party: str | None = None


def add_user(db: Session, actor: User, data: NewAccount) -> User:
    organisation = db.get(Organisation, data.organisation_id)
    if organisation is None:
        raise UserRefused("role_not_for_organisation", "organisation")
    _check_role(actor, organisation, data.role)
    email = normalise_email(data.email)
    if db.scalar(select(User.id).where(User.email == email)) is not None:
        raise UserRefused("email_taken", "email")
    party = _party(data.role, data.party)
    # Nobody knows this password; the person chooses one through the mailed link.
    user = create_user(
        db,
        actor.id,
        NewUser(email, data.name.strip(), data.role, secrets.token_urlsafe(32), organisation.id),
    )
    user.party = party
    return user


def _check_role(actor: User, organisation: Organisation, role: Role) -> None:
    if role not in assignable_roles(actor, organisation.kind, organisation.id):
        raise UserRefused("role_not_for_organisation", "role")


def _party(role: Role, party: str | None) -> str | None:
    """Party members need their party; the labour-market parties may name their organisation."""
    party = (party or "").strip() or None
    if role == Role.PARTY_MEMBER and party is None:
        raise UserRefused("party_missing", "party")
    return party if role in (Role.PARTY_MEMBER, Role.LABOUR_PARTY) else None


@dataclass(frozen=True)
class AccountChanges:
    name: str
    role: Role
    party: str | None = None


def change_user(db: Session, actor: User, user: User, data: AccountChanges) -> None:
    """Name, role and party; a role change from administrator keeps another one active."""
    _require_manager(actor, user)
    role = Role(data.role)
    if role != user.role:
        kind = user.organisation.kind if user.organisation else None
        if role not in assignable_roles(actor, kind, user.organisation_id):
            raise UserRefused("role_not_for_organisation", "role")
        if user.role == Role.ADMIN and user.is_active:
            _keep_an_admin(db, user, "role")
    party = _party(role, data.party)
    changed = {
        key: [str(old) if old is not None else None, new]
        for key, old, new in (("name", user.name, data.name.strip()), ("party", user.party, party))
        if old != new
    }
    if role != user.role:
        audit.record(db, actor.id, "user.role_changed", user, **{"from": user.role, "to": role})
        user.role = role
    if changed:
        user.name = data.name.strip()
        user.party = party
        audit.record(db, actor.id, "user.updated", user, fields=sorted(changed))
    db.flush()


def deactivate(db: Session, actor: User, user: User) -> int:
    """Lock the account: its sessions end at once and its unused links stop working.
    Returns how many sessions were revoked."""
    _require_manager(actor, user)
    if not user.is_active:
        return 0
    if user.role == Role.ADMIN:
        _keep_an_admin(db, user, "deactivate")
    if user.id == actor.id:
        raise UserRefused("own_account", "deactivate")
    user.is_active = False
    revoked = revoke_all_sessions(db, user.id)
    _drop_unused_links(db, user)
    audit.record(db, actor.id, "user.deactivated", user, sessions_revoked=revoked)
    db.flush()
    return revoked


def reactivate(db: Session, actor: User, user: User) -> None:
    _require_manager(actor, user)
    if user.is_active:
        return
    user.is_active = True
    audit.record(db, actor.id, "user.reactivated", user)
    db.flush()


def _require_manager(actor: User, user: User) -> None:
    if not can_manage_user(actor, user):
        raise UserRefused("not_allowed", "name")


def _keep_an_admin(db: Session, user: User, field: str) -> None:
    """Refuse to leave the portal without an active administrator. The active administrators'
    rows are locked in id order (PostgreSQL), so two administrators demoting each other at the
    same time cannot both succeed; SQLite's writing transactions are serialised already."""
    admins = db.scalars(
        select(User.id)
        .where(User.role == Role.ADMIN, User.is_active.is_(True))
        .order_by(User.id)
        .with_for_update()
    ).all()
    if not [admin for admin in admins if admin != user.id]:
        raise UserRefused("last_admin", field)


# --- one-time links to choose a password ---------------------------------------------------


@dataclass(frozen=True)
class IssuedLink:
    token: str
    expires_at: datetime


def issue_password_link(
    db: Session, actor: User, user: User, lifetime: timedelta, *, welcome: bool = False
) -> IssuedLink:
    """A new link for `user` (earlier unused ones stop working). The caller mails the token;
    only its hash is stored."""
    _require_manager(actor, user)
    if not user.is_active:
        raise UserRefused("user_inactive", "password_link")
    _drop_unused_links(db, user)
    token = secrets.token_urlsafe(32)
    now = utcnow()
    link = PasswordResetToken(
        token_hash=token_hash(token),
        user_id=user.id,
        created_by_id=actor.id,
        created_at=now,
        expires_at=now + lifetime,
    )
    db.add(link)
    db.flush()
    audit.record(
        db,
        actor.id,
        "user.password_link_sent",
        user,
        kind="welcome" if welcome else "reset",
        expires_at=link.expires_at.isoformat(),
    )
    return IssuedLink(token, link.expires_at)


def pending_link(db: Session, user: User) -> PasswordResetToken | None:
    """The user's unused, unexpired link, if any (the page says until when it works)."""
    return db.scalar(
        select(PasswordResetToken)
        .where(
            PasswordResetToken.user_id == user.id,
            PasswordResetToken.used_at.is_(None),
            PasswordResetToken.expires_at > utcnow(),
        )
        .order_by(PasswordResetToken.id.desc())
        .limit(1)
    )


def find_link(db: Session, token: str) -> PasswordResetToken | None:
    """The link for a token if it still works: unused, unexpired, for an active account."""
    link = db.scalar(
        select(PasswordResetToken).where(PasswordResetToken.token_hash == token_hash(token))
    )
    if link is None or link.used_at is not None or link.expires_at <= utcnow():
        return None
    return link if link.user.is_active else None


def set_password_by_link(db: Session, link: PasswordResetToken, password: str) -> User | None:
    """Use the link once: the new password, every session of the account revoked. None when
    the link was used meanwhile (the claim is one conditional update, so it wins only once)."""
    user = link.user
    password_hash = hash_password(password)
    now = utcnow()
    claimed = db.execute(
        update(PasswordResetToken)
        .where(PasswordResetToken.id == link.id, PasswordResetToken.used_at.is_(None))
        .values(used_at=now)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        return None
    user.password_hash = password_hash
    user.password_changed_at = now
    revoked = revoke_all_sessions(db, user.id)
    db.flush()
    _drop_unused_links(db, user)
    # The link proved who the person is: earlier failed logins no longer hold the e-mail locked.
    db.add(LoginAttempt(email=user.email, success=True))
    audit.record(db, user.id, "user.password_reset", user, sessions_revoked=revoked)
    db.flush()
    return user


def _drop_unused_links(db: Session, user: User) -> None:
    db.execute(
        delete(PasswordResetToken).where(
            PasswordResetToken.user_id == user.id, PasswordResetToken.used_at.is_(None)
        )
    )
