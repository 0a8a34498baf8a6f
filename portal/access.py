"""Who may do what: permissions per role, the view decorator, and object rules.

`Permission` names what a role may do; `ROLE_PERMISSIONS` is the one table. Views declare
theirs with `@requires(Permission.X)`, which the navigation reads, so a link shows only where
its view admits the user. Object rules are small named predicates (`can_see_application`),
used by views, services and exports alike; a view answers 404 when one says no.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort, redirect, request, url_for
from flask_login import current_user

from portal.models import (
    AGENCY_ROLES,
    FUND_ROLES,
    ROLES_BY_KIND,
    Application,
    Letter,
    LetterStatus,
    Role,
    User,
)


class Permission(enum.StrEnum):
    SIGNED_IN = "signed_in"
    MANAGE_USERS = "manage_users"
    MANAGE_CALLS = "manage_calls"
    READ_OUTBOX = "read_outbox"
    READ_AUDIT = "read_audit"
    EDIT_APPLICATION = "edit_application"
    SUBMIT_APPLICATION = "submit_application"
    REQUEST_SIGNATURE = "request_signature"
    ASSESS = "assess"
    LEAD_ASSESSMENT = "lead_assessment"
    RUN_SELECTION = "run_selection"
    REVIEW_SELECTION = "review_selection"
    READ_INTERPRETATION = "read_interpretation"
    COMMENT_ON_DIALOGUE = "comment_on_dialogue"
    MANAGE_LETTERS = "manage_letters"
    EDIT_LETTER_TEMPLATES = "edit_letter_templates"
    READ_LETTERS = "read_letters"
    FILE_APPEAL = "file_appeal"
    HANDLE_APPEALS = "handle_appeals"


ROLE_PERMISSIONS: dict[Permission, frozenset[Role]] = {
    Permission.SIGNED_IN: frozenset(Role),
    # The administrator manages every account; an a-kasse's signatory its own drafters
    # (`can_manage_user`).
    Permission.MANAGE_USERS: frozenset({Role.ADMIN, Role.SIGNATORY}),
    Permission.MANAGE_CALLS: frozenset({Role.ADMIN}),
    Permission.READ_OUTBOX: frozenset({Role.ADMIN}),
    Permission.READ_AUDIT: frozenset({Role.ADMIN}),
    Permission.EDIT_APPLICATION: FUND_ROLES,
    Permission.SUBMIT_APPLICATION: frozenset({Role.SIGNATORY}),
    # A drafter hands the finished draft to the signatories, who submit it.
    Permission.REQUEST_SIGNATURE: frozenset({Role.DRAFTER}),
    Permission.ASSESS: frozenset({Role.LEAD_ASSESSOR, Role.ASSESSOR}),
    Permission.LEAD_ASSESSMENT: frozenset({Role.LEAD_ASSESSOR}),
    Permission.RUN_SELECTION: frozenset({Role.ADMIN, Role.LEAD_ASSESSOR}),
    Permission.REVIEW_SELECTION: frozenset({Role.PARTY_MEMBER, Role.ADMIN, Role.LEAD_ASSESSOR}),
    Permission.READ_INTERPRETATION: frozenset(
        {Role.LABOUR_PARTY, Role.ADMIN, Role.LEAD_ASSESSOR, Role.ASSESSOR}
    ),
    Permission.COMMENT_ON_DIALOGUE: frozenset({Role.LABOUR_PARTY}),
    # Decision letters: made and approved (by a second person) by the administrator and the
    # lead; read by the a-kasse; appealed by its signatory; appeals handled by agency staff.
    Permission.MANAGE_LETTERS: frozenset({Role.ADMIN, Role.LEAD_ASSESSOR}),
    Permission.EDIT_LETTER_TEMPLATES: frozenset({Role.ADMIN}),
    Permission.READ_LETTERS: FUND_ROLES,
    Permission.FILE_APPEAL: frozenset({Role.SIGNATORY}),
    Permission.HANDLE_APPEALS: frozenset({Role.ADMIN, Role.LEAD_ASSESSOR, Role.ASSESSOR}),
}


def can(user: User | None, permission: Permission) -> bool:
    if user is None or not user.is_active:
        return False
    return Role(user.role) in ROLE_PERMISSIONS[permission]


# --- object rules --------------------------------------------------------------------------


def owns(user: User, organisation_id: int | None) -> bool:
    """Fund users see only their own organisation's objects."""
    return organisation_id is not None and user.organisation_id == organisation_id


def can_edit_application(user: User, application: Application) -> bool:
    return can(user, Permission.EDIT_APPLICATION) and owns(user, application.organisation_id)


def can_see_application(user: User, application: Application) -> bool:
    """The a-kasse's own people always; the agency once a version has been submitted."""
    if owns(user, application.organisation_id):
        return can(user, Permission.EDIT_APPLICATION)
    return Role(user.role) in AGENCY_ROLES and bool(application.versions)


def can_read_letter(user: User, letter: Letter) -> bool:
    """An a-kasse's people read its letters once they are sent; never a draft."""
    return (
        can(user, Permission.READ_LETTERS)
        and owns(user, letter.organisation_id)
        and letter.status == LetterStatus.SENT
    )


def can_see_user(actor: User, user: User) -> bool:
    """The administrator sees every account; a signatory those of its own a-kasse."""
    if not can(actor, Permission.MANAGE_USERS):
        return False
    return actor.role == Role.ADMIN or owns(actor, user.organisation_id)


def can_manage_user(actor: User, user: User) -> bool:
    """The administrator manages every account; a signatory only its own a-kasse's drafters
    (never a signatory, nor another organisation's people)."""
    if not can_see_user(actor, user):
        return False
    return actor.role == Role.ADMIN or user.role == Role.DRAFTER


def assignable_roles(actor: User, kind: str | None, organisation_id: int | None) -> list[Role]:
    """The roles `actor` may give an account in an organisation of `kind`."""
    if not can(actor, Permission.MANAGE_USERS) or kind not in ROLES_BY_KIND:
        return []
    if actor.role == Role.ADMIN:
        return list(ROLES_BY_KIND[kind])
    return [Role.DRAFTER] if owns(actor, organisation_id) else []


# --- views ---------------------------------------------------------------------------------

F = TypeVar("F", bound=Callable[..., Any])


def requires(permission: Permission) -> Callable[[F], F]:
    """Send the anonymous to the login page and refuse (403) a role without `permission`."""

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                target = request.full_path.rstrip("?")
                return redirect(url_for("accounts.login", next=None if target == "/" else target))
            if not can(current_user.user, permission):
                abort(403)
            return view(*args, **kwargs)

        wrapper.required_permission = permission  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate


def public(view: F) -> F:
    """Mark a view that anyone may open (login, language, static)."""
    view.required_permission = None  # type: ignore[attr-defined]
    return view


def view_permission(view: Callable[..., Any]) -> Permission | None:
    return getattr(view, "required_permission", None)


def current_user_model() -> User:
    """The signed-in user's ORM object (inside a view guarded by `requires`)."""
    return current_user.user  # type: ignore[no-any-return]


def current_can(permission: Permission) -> bool:
    return bool(current_user.is_authenticated) and can(current_user.user, permission)
