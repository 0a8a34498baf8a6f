"""Navigation and what every template can use.

A navigation link shows only when its view's `@requires` admits the user.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Flask, abort, current_app, request, url_for
from flask_babel import format_datetime, format_decimal, get_locale, gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from portal import db
from portal.access import Permission, can, current_can, view_permission
from portal.i18n import APPLICATION_STATUS_LABELS, CALL_STATUS_LABELS, ROLE_LABELS
from portal.models import Call, CallStatus, Organisation, OrganisationKind

# Endpoints that highlight a navigation item besides its own.
ALSO_ACTIVE = {
    "calls.calls_list": {"calls.call_detail", "calls.create_call", "calls.inflow"},
    "calls.criteria_sets": {"calls.criteria_set", "calls.edit_criterion"},
    "ops.outbox": {"ops.outbox_message"},
    "letters.index": {"letters.letter", "letters.templates", "letters.edit_template"},
    "letters.fund_index": {"letters.fund_letter"},
    "letters.appeals": {"letters.appeal"},
}

# (endpoint, label); shown when the endpoint exists and its view admits the user.
NAVIGATION = [
    ("home.index", _l("Forside")),
    ("applications.index", _l("Ansøgning")),
    ("calls.calls_list", _l("Ansøgningsrunder")),
    ("calls.criteria_sets", _l("Kriteriesæt")),
    ("assessment.index", _l("Vurdering")),
    ("proposals.index", _l("Udvælgelse")),
    ("dialogue.index", _l("Dialogmøde")),
    ("letters.index", _l("Breve")),
    ("letters.fund_index", _l("Breve")),
    ("letters.appeals", _l("Klager")),
    ("users.index", _l("Brugere")),
    ("ops.outbox", _l("Udbakke")),
    ("ops.audit_log", _l("Revisionslog")),
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


# A point in time as a sentence shows it, per language ("kl." is Danish only).
WHEN_PATTERNS = {"da": "d. MMMM y 'kl.' HH.mm", "en": "d MMMM y 'at' HH:mm"}
SECONDS = {"da": ".ss", "en": ":ss"}


WEEKDAY = {"da": "EEEE 'den' ", "en": "EEEE "}


def format_when(value: datetime, seconds: bool = False, weekday: bool = False) -> str:
    """`30. november 2026 kl. 14.05` in Danish, `30 November 2026 at 14:05` in English."""
    locale = str(get_locale() or "da")[:2]
    locale = locale if locale in WHEN_PATTERNS else "da"
    pattern = WHEN_PATTERNS[locale] + (SECONDS[locale] if seconds else "")
    if weekday:
        pattern = WEEKDAY[locale] + pattern
    return str(format_datetime(value, pattern))


def organisation_name(organisation: Organisation) -> str:
    """An organisation's name as the page's language has it: the agency's name is translated
    (it is the portal's own); a-kasser and parties keep the names they have."""
    if organisation.kind == OrganisationKind.AGENCY:
        return gettext(organisation.name)
    return organisation.name


def init_app(app: Flask) -> None:
    app.context_processor(_template_globals)
    app.add_template_filter(_number, "number")
    app.add_template_filter(format_when, "when")


def label(table: dict[str, str], key: str) -> str:
    """A label from one of `portal.i18n`'s tables, translated; the key itself if unknown."""
    return gettext(table[key]) if key in table else key


def call_or_404(call_id: int) -> Call:
    """A call as the areas' pages show it: a draft call does not exist for them."""
    call = db.session().get(Call, call_id)
    if call is None or call.status == CallStatus.DRAFT:
        abort(404)
    return call


def admits(endpoint: str) -> bool:
    """Would the view behind `endpoint` let the current user in?"""
    view = current_app.view_functions.get(endpoint)
    if view is None or not current_user.is_authenticated:
        return False
    permission = view_permission(view)
    return permission is None or can(current_user.user, permission)


def _nav_items() -> list[NavItem]:
    items = []
    for endpoint, text in NAVIGATION:
        if admits(endpoint):
            items.append(NavItem(url_for(endpoint), str(text), _is_active(endpoint)))
    return items


def _is_active(endpoint: str) -> bool:
    current = request.endpoint or ""
    if current == endpoint or current in ALSO_ACTIVE.get(endpoint, set()):
        return True
    blueprint = endpoint.split(".")[0]
    siblings = [e for e, _text in NAVIGATION if e.split(".")[0] == blueprint]
    return len(siblings) == 1 and current.split(".")[0] == blueprint


def _number(value: float | int | None) -> str:
    """A number in the user's locale (Danish: 12,5 and 37.500); a dash for none."""
    return "–" if value is None else str(format_decimal(value))


def _template_globals() -> dict[str, Any]:
    return {
        "current_locale": str(get_locale() or "da"),
        "role_label": lambda role: label(ROLE_LABELS, role),
        "status_label": lambda status: label(APPLICATION_STATUS_LABELS, status),
        "call_status_label": lambda status: label(CALL_STATUS_LABELS, status),
        "organisation_name": organisation_name,
        "role_intro": lambda role: str(ROLE_INTROS.get(role, "")),
        "nav_items": _nav_items,
        "can": lambda permission: current_can(Permission(permission)),
        "admits": admits,
    }
