"""The authorisation table: every route and method, the expected answer for every role.

A route added without an entry here fails `test_every_route_is_classified`. Each entry names
the roles a view admits; every other signed-in role must get 403, the anonymous the login
page. Routes on an organisation's object also say what another organisation's user gets (404).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask, url_for
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from portal.applications import receipts
from portal.applications import services as applications
from portal.mail import list_outbox
from portal.models import Role
from tests.conftest import TEST_PASSWORD
from tests.portal.helpers import complete_application, open_call

ADMIN, LEAD, ASSESSOR = Role.ADMIN, Role.LEAD_ASSESSOR, Role.ASSESSOR
SIGNATORY, DRAFTER, PARTY, LABOUR = (
    Role.SIGNATORY,
    Role.DRAFTER,
    Role.PARTY_MEMBER,
    Role.LABOUR_PARTY,
)
EVERYONE = frozenset(Role)
FUND = frozenset({SIGNATORY, DRAFTER})


@dataclass(frozen=True)
class Rule:
    """Who gets in; `public` routes admit the anonymous too; `own` routes are an a-kasse's."""

    admits: frozenset[Role]
    public: bool = False
    own: bool = False


def allow(*roles: Role, own: bool = False) -> Rule:
    return Rule(frozenset(roles), own=own)


PUBLIC = Rule(EVERYONE, public=True)

TABLE: dict[tuple[str, str], Rule] = {
    ("accounts.login", "GET"): PUBLIC,
    ("accounts.login", "POST"): PUBLIC,
    ("accounts.logout", "POST"): PUBLIC,
    ("accounts.language", "POST"): PUBLIC,
    ("accounts.change_password", "GET"): Rule(EVERYONE),
    ("accounts.change_password", "POST"): Rule(EVERYONE),
    ("accounts.reset_password", "GET"): PUBLIC,
    ("accounts.reset_password", "POST"): PUBLIC,
    # A signatory manages its own a-kasse's drafters; their own tests check the 404s.
    ("users.index", "GET"): allow(ADMIN, SIGNATORY),
    ("users.new", "GET"): allow(ADMIN, SIGNATORY),
    ("users.new", "POST"): allow(ADMIN, SIGNATORY),
    ("users.edit", "GET"): allow(ADMIN, SIGNATORY),
    ("users.edit", "POST"): allow(ADMIN, SIGNATORY),
    ("users.deactivate", "POST"): allow(ADMIN, SIGNATORY),
    ("users.reactivate", "POST"): allow(ADMIN, SIGNATORY),
    ("users.send_password_link", "POST"): allow(ADMIN, SIGNATORY),
    ("home.index", "GET"): Rule(EVERYONE),
    ("home.accessibility", "GET"): PUBLIC,
    ("applications.index", "GET"): Rule(FUND),
    ("applications.edit", "GET"): Rule(FUND),
    ("applications.edit", "POST"): Rule(FUND),
    ("applications.autosave", "POST"): Rule(FUND),
    ("applications.upload", "POST"): Rule(FUND, own=True),
    ("applications.download", "GET"): Rule(FUND, own=True),
    ("applications.remove", "POST"): Rule(FUND, own=True),
    ("applications.submit", "GET"): Rule(FUND, own=True),
    ("applications.submit", "POST"): Rule(FUND, own=True),
    ("applications.request_signature", "POST"): allow(DRAFTER, own=True),
    ("applications.version", "GET"): Rule(FUND, own=True),
    ("applications.receipt", "GET"): Rule(FUND, own=True),
    ("applications.withdraw", "GET"): Rule(FUND, own=True),
    ("applications.withdraw", "POST"): Rule(FUND, own=True),
    ("applications.status", "GET"): Rule(FUND, own=True),
    ("applications.answer", "POST"): allow(SIGNATORY, own=True),
    ("assessment.index", "GET"): allow(LEAD, ASSESSOR),
    ("assessment.overview", "GET"): allow(LEAD, ASSESSOR),
    ("assessment.assignments", "GET"): allow(LEAD),
    ("assessment.propose", "POST"): allow(LEAD),
    ("assessment.assign", "POST"): allow(LEAD),
    ("assessment.unassign", "POST"): allow(LEAD),
    ("assessment.read", "GET"): allow(LEAD, ASSESSOR),
    ("assessment.diff", "GET"): allow(LEAD, ASSESSOR),
    ("assessment.attachment", "GET"): allow(LEAD, ASSESSOR),
    ("assessment.declare", "GET"): allow(LEAD, ASSESSOR),
    ("assessment.declare", "POST"): allow(LEAD, ASSESSOR),
    ("assessment.score", "GET"): allow(LEAD, ASSESSOR),
    ("assessment.score", "POST"): allow(LEAD, ASSESSOR),
    ("assessment.reopen", "POST"): allow(LEAD),
    ("assessment.ask", "POST"): allow(LEAD, ASSESSOR),
    ("assessment.consolidate", "GET"): allow(LEAD),
    ("assessment.consolidate", "POST"): allow(LEAD),
    ("assessment.decide", "GET"): allow(LEAD),
    ("assessment.decide", "POST"): allow(LEAD),
    ("assessment.publish", "POST"): allow(LEAD),
    ("assessment.calibration", "GET"): allow(LEAD),
    ("assessment.export", "GET"): allow(LEAD, ASSESSOR),
    ("assessment.assessment_json", "GET"): allow(LEAD, ASSESSOR),
    ("dialogue.index", "GET"): allow(LABOUR, ADMIN, LEAD, ASSESSOR),
    ("dialogue.call_page", "GET"): allow(LABOUR, ADMIN, LEAD, ASSESSOR),
    ("dialogue.history", "GET"): allow(LABOUR, ADMIN, LEAD, ASSESSOR),
    ("dialogue.interpretation", "GET"): allow(LABOUR, ADMIN, LEAD, ASSESSOR),
    ("dialogue.packet_pdf", "GET"): allow(LABOUR, ADMIN, LEAD, ASSESSOR),
    ("dialogue.comment", "POST"): allow(LABOUR),
    ("dialogue.edit", "GET"): allow(LEAD),
    ("dialogue.edit", "POST"): allow(LEAD),
    ("dialogue.publish", "POST"): allow(LEAD),
    ("dialogue.publish_all", "POST"): allow(LEAD),
    ("dialogue.meeting", "GET"): allow(LEAD),
    ("dialogue.meeting", "POST"): allow(LEAD),
    ("dialogue.minutes", "POST"): allow(LEAD),
    ("calls.calls_list", "GET"): allow(ADMIN),
    ("calls.create_call", "GET"): allow(ADMIN),
    ("calls.create_call", "POST"): allow(ADMIN),
    ("calls.call_detail", "GET"): allow(ADMIN),
    ("calls.call_detail", "POST"): allow(ADMIN),
    ("calls.export", "GET"): allow(ADMIN),
    ("calls.dossier", "GET"): allow(ADMIN),
    ("calls.send_reminders", "POST"): allow(ADMIN),
    ("calls.edit_call", "GET"): allow(ADMIN),
    ("calls.edit_call", "POST"): allow(ADMIN),
    ("calls.close_call", "POST"): allow(ADMIN),
    ("calls.read_version", "GET"): allow(ADMIN),
    ("calls.inflow", "GET"): allow(ADMIN),
    ("calls.inflow", "POST"): allow(ADMIN),
    ("calls.withdraw_inflow", "POST"): allow(ADMIN),
    ("calls.criteria_sets", "GET"): allow(ADMIN),
    ("calls.create_criteria_set", "POST"): allow(ADMIN),
    ("calls.criteria_set", "GET"): allow(ADMIN),
    ("calls.publish_criteria_set", "POST"): allow(ADMIN),
    ("calls.version_criteria_set", "POST"): allow(ADMIN),
    ("calls.edit_criterion", "GET"): allow(ADMIN),
    ("calls.edit_criterion", "POST"): allow(ADMIN),
    ("proposals.index", "GET"): allow(PARTY, ADMIN, LEAD),
    ("proposals.start", "POST"): allow(ADMIN, LEAD),
    ("proposals.run", "GET"): allow(PARTY, ADMIN, LEAD),
    ("proposals.cancel", "POST"): allow(ADMIN, LEAD),
    ("proposals.rerun", "POST"): allow(ADMIN, LEAD),
    ("proposals.proposal", "GET"): allow(PARTY, ADMIN, LEAD),
    ("proposals.what_if", "POST"): allow(PARTY, ADMIN, LEAD),
    ("proposals.relax", "POST"): allow(PARTY, ADMIN, LEAD),
    ("proposals.note", "POST"): allow(PARTY, ADMIN, LEAD),
    ("proposals.position", "POST"): allow(PARTY, ADMIN, LEAD),
    ("proposals.present", "POST"): allow(ADMIN, LEAD),
    ("proposals.meeting", "GET"): allow(PARTY, ADMIN, LEAD),
    ("proposals.meeting_state", "GET"): allow(PARTY, ADMIN, LEAD),
    ("proposals.decide", "POST"): allow(ADMIN, LEAD),
    ("proposals.decision_pdf", "GET"): allow(PARTY, ADMIN, LEAD),
    ("proposals.packet_pdf", "GET"): allow(PARTY, ADMIN, LEAD),
    ("letters.index", "GET"): allow(ADMIN, LEAD),
    ("letters.generate", "POST"): allow(ADMIN, LEAD),
    ("letters.letter", "GET"): allow(ADMIN, LEAD),
    ("letters.letter_pdf", "GET"): allow(ADMIN, LEAD),
    ("letters.approve", "POST"): allow(ADMIN, LEAD),
    ("letters.discard", "POST"): allow(ADMIN, LEAD),
    ("letters.templates", "GET"): allow(ADMIN),
    ("letters.edit_template", "GET"): allow(ADMIN),
    ("letters.edit_template", "POST"): allow(ADMIN),
    ("letters.reset_template", "POST"): allow(ADMIN),
    ("letters.fund_index", "GET"): Rule(FUND),
    ("letters.fund_letter", "GET"): Rule(FUND, own=True),
    ("letters.fund_pdf", "GET"): Rule(FUND, own=True),
    ("letters.file_appeal", "POST"): allow(SIGNATORY, own=True),
    ("letters.appeals", "GET"): allow(ADMIN, LEAD, ASSESSOR),
    ("letters.appeal", "GET"): allow(ADMIN, LEAD, ASSESSOR),
    ("letters.assign", "POST"): allow(LEAD),
    ("letters.decide", "POST"): allow(ADMIN, LEAD, ASSESSOR),
    ("ops.outbox", "GET"): allow(ADMIN),
    ("ops.outbox_message", "GET"): allow(ADMIN),
    ("ops.audit_log", "GET"): allow(ADMIN),
}

IGNORED_METHODS = {"HEAD", "OPTIONS"}


def _routes(app: Flask) -> set[tuple[str, str]]:
    return {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
        for method in rule.methods or ()
        if method not in IGNORED_METHODS
    }


def test_every_route_is_classified(app: Flask) -> None:
    routes = _routes(app)
    missing = sorted(routes - TABLE.keys())
    stale = sorted(TABLE.keys() - routes)
    assert not missing, f"routes missing from the authorisation table: {missing}"
    assert not stale, f"table entries without a route: {stale}"


@pytest.fixture()
def world(app: Flask, db: Session, make_user: Any) -> dict[str, Any]:
    """One of each role (a-kasse roles in HK), HK's submitted application with an attachment
    and a receipt, and 3F's submitted application: the objects every route can point at."""
    users = {role: make_user(role, _org_for(role)) for role in Role}
    call = open_call(db)
    with app.app_context():
        own = _submitted(app, db, call, users[SIGNATORY])
        foreign = _submitted(app, db, call, make_user(SIGNATORY, "3F"))
    message = list_outbox(app.config["OUTBOX_DIR"])[0].name
    return {
        "users": users,
        "own": _url_args(call, own, message),
        "foreign": _url_args(call, foreign, message),
    }


def _org_for(role: Role) -> str:
    return {
        SIGNATORY: "HK",
        DRAFTER: "HK",
        PARTY: "AFTALEPARTIER",
        LABOUR: "ARBMARKPARTER",
    }.get(role, "STAR")


def _submitted(app: Flask, db: Session, call: Any, signatory: Any) -> Any:
    application = complete_application(db, call, signatory)
    version = applications.submit(db, signatory, application, application.revision)
    receipt = receipts.issue_receipt(db, version)
    db.commit()
    receipts.mail_receipt(db, app.config, version, receipt)
    db.commit()
    return application


def _url_args(call: Any, application: Any, message: str) -> dict[str, Any]:
    criterion = call.criteria_set.criteria[0]
    return {
        "call_id": call.id,
        "app_id": application.id,
        "number": 1,
        "attachment_id": 999_999,
        "set_id": call.criteria_set_id,
        "criterion_id": criterion.id,
        "name": message,
        "fmt": "csv",
        "version_id": application.versions[0].id,
        "assessment_id": 999_999,
        "assessor_id": 999_999,
        "request_id": 999_999,
        "run_id": 999_999,
        "proposal_id": 999_999,
        "interpretation_id": 999_999,
        "index": 0,
        "letter_id": 999_999,  # letters and appeals: their own tests check the 404s
        "appeal_id": 999_999,
        "kind": "eligible",
        "user_id": 999_999,  # user management: its own tests check the 404s
        "token": "ukendt",
        "stage": "afgoerelse",
    }


def _url(app: Flask, endpoint: str, args: dict[str, Any]) -> str:
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    with app.test_request_context():
        return url_for(endpoint, **{k: args[k] for k in rule.arguments})


@pytest.fixture()
def no_csrf_app(app: Flask) -> Flask:
    # CSRF is tested on its own; here every POST must reach the view's access check.
    app.config["WTF_CSRF_ENABLED"] = False
    return app


def _login(client: FlaskClient, email: str) -> None:
    response = client.post("/login", data={"email": email, "password": TEST_PASSWORD})
    assert response.status_code == 302, f"login failed for {email}"


def _answers(no_csrf_app: Flask, world: dict[str, Any], role: Role | None) -> list[str]:
    """Every route for one role; returns the disagreements with the table."""
    problems: list[str] = []
    client = no_csrf_app.test_client()
    if role is not None:
        _login(client, world["users"][role].email)
    for (endpoint, method), rule in sorted(TABLE.items()):
        if endpoint in ("accounts.logout", "accounts.login"):
            continue  # would end or replace the session the loop depends on; checked below
        url = _url(no_csrf_app, endpoint, world["own"])
        got = client.open(url, method=method, data={})
        expected = _expected(rule, role)
        if not _matches(expected, got):
            problems.append(f"{role or 'anonymous'} {method} {url}: {got.status_code} ≠ {expected}")
        if rule.own and role in rule.admits:
            foreign = _url(no_csrf_app, endpoint, world["foreign"])
            other = client.open(foreign, method=method, data={})
            if other.status_code != 404:
                problems.append(f"{role} {method} {foreign}: {other.status_code} ≠ 404")
    return problems


def _expected(rule: Rule, role: Role | None) -> str:
    if rule.public:
        return "in"
    if role is None:
        return "login"
    return "in" if role in rule.admits else "403"


def _matches(expected: str, response: Any) -> bool:
    code = response.status_code
    if expected == "login":
        return _is_login_redirect(response)
    if expected == "403":
        return code == 403
    # Admitted: the view ran. It may refuse the request (400, a 404 for a missing
    # attachment), but never with the access answers or an error.
    return code not in (401, 403) and code < 500 and not _is_login_redirect(response)


def _is_login_redirect(response: Any) -> bool:
    return response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_each_role_gets_the_tables_answer(no_csrf_app: Flask, world: dict[str, Any]) -> None:
    problems = [p for role in (None, *Role) for p in _answers(no_csrf_app, world, role)]
    assert problems == []


def test_login_page_is_open_to_the_anonymous(no_csrf_app: Flask) -> None:
    page = no_csrf_app.test_client().get("/login")
    assert page.status_code == 200 and 'name="password"' in page.get_data(as_text=True)


def test_logout_is_open_to_everyone_and_ends_the_session(
    no_csrf_app: Flask, world: dict[str, Any]
) -> None:
    client = no_csrf_app.test_client()
    _login(client, world["users"][ADMIN].email)
    assert client.get("/admin/runder").status_code == 200
    response = client.post("/logout")
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert _is_login_redirect(client.get("/admin/runder"))
