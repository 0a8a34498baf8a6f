"""Blueprints, error handlers and what every template can use."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Flask, abort, current_app, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import format_decimal, get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from portal import auth as auth_service
from portal.labels import APPLICATION_STATUS_LABELS, ROLE_LABELS

# Endpoints that highlight a navigation item besides its own.
ALSO_ACTIVE = {
    "admin.calls_list": {"admin.call_detail", "admin.create_call"},
    "admin.criteria_sets": {"admin.criteria_set", "admin.edit_criterion"},
    "admin.outbox": {"admin.outbox_message"},
}

# (endpoint, label, permission or None for everyone signed in); shown when the endpoint exists.
NAVIGATION = [
    ("main.index", _l("Forside"), None),
    ("applications.index", _l("Ansøgning"), "edit_application"),
    ("admin.calls_list", _l("Ansøgningsrunder"), "manage_calls"),
    ("admin.criteria_sets", _l("Kriteriesæt"), "manage_calls"),
    ("assessment.index", _l("Vurdering"), "assess"),
    ("selection.index", _l("Udvælgelse"), "review_selection"),
    ("dialogue.index", _l("Dialogmøde"), "read_interpretation"),
    ("admin.outbox", _l("Udbakke"), "read_outbox"),
    ("admin.audit_log", _l("Revisionslog"), "read_audit"),
]

ROLE_INTROS = {
    "admin": _l("Du administrerer ansøgningsrunder, kriteriesæt og brugere."),
    "lead_assessor": _l(
        "Du leder vurderingen af ansøgningerne og træffer afgørelser om "
        "støtteberettigelse og geografisk udstrækning."
    ),
    "assessor": _l("Du vurderer ansøgningerne kriterie for kriterie."),
    "signatory": _l("Du kan skrive, indsende og trække jeres a-kasses ansøgning tilbage."),
    "drafter": _l("Du kan skrive i jeres a-kasses ansøgning."),
    "party_member": _l("Du kan gennemgå forslag til udvælgelse af a-kasser og skrive egne noter."),
    "labour_party": _l("Du kan læse styrelsens fortolkning af kriterierne forud for dialogmødet."),
}


@dataclass(frozen=True)
class NavItem:
    url: str
    label: str
    active: bool


def require_permission(permission: str) -> ResponseReturnValue | None:
    """For a blueprint's before_request: send the anonymous to login, refuse the rest (403)."""
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    if not auth_service.can(current_user.user, permission):
        abort(403)
    return None


def init_app(app: Flask) -> None:
    from portal.views import admin, applications, errors, main
    from portal.views import auth as auth_views

    app.register_blueprint(auth_views.bp)
    app.register_blueprint(main.bp)
    app.register_blueprint(applications.bp)
    app.register_blueprint(admin.bp)
    errors.init_app(app)
    app.context_processor(_template_globals)
    app.add_template_filter(_number, "number")


def _nav_items() -> list[NavItem]:
    items = []
    for endpoint, label, permission in NAVIGATION:
        if endpoint not in current_app.view_functions:
            continue
        if permission and not auth_service.can(current_user.user, permission):
            continue
        active = _is_active(endpoint)
        items.append(NavItem(url_for(endpoint), str(label), active))
    return items


def _is_active(endpoint: str) -> bool:
    current = request.endpoint or ""
    if current == endpoint or current in ALSO_ACTIVE.get(endpoint, set()):
        return True
    blueprint = endpoint.split(".")[0]
    siblings = [e for e, _label, _perm in NAVIGATION if e.split(".")[0] == blueprint]
    return len(siblings) == 1 and current.split(".")[0] == blueprint


def _number(value: float | int | None) -> str:
    """A number in the user's locale (Danish: 12,5 and 37.500); a dash for none."""
    return "–" if value is None else str(format_decimal(value))


def _template_globals() -> dict[str, Any]:
    return {
        "current_locale": str(get_locale() or "da"),
        "role_label": lambda role: str(ROLE_LABELS.get(role, role)),
        "status_label": lambda status: str(APPLICATION_STATUS_LABELS.get(status, status)),
        "role_intro": lambda role: str(ROLE_INTROS.get(role, "")),
        "nav_items": _nav_items,
        "can": lambda permission: (
            current_user.is_authenticated and auth_service.can(current_user.user, permission)
        ),
    }
