"""User account services."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal import audit
from portal.accounts.passwords import hash_password
from portal.accounts.services import normalise_email
from portal.models import FUND_ROLES, Organisation, OrganisationKind, Role, User


class UserError(ValueError):
    pass


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
