"""The audit log page: Danish labels for every action the portal records, names and
organisations instead of ids, links to the objects, filters and pages."""

from __future__ import annotations

import ast
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from portal import audit
from portal.errors import MESSAGES
from portal.forms import COPENHAGEN
from portal.models import Role, User
from portal.ops.pages import ACTION_LABELS
from tests.conftest import login
from tests.portal.helpers import open_call, org_id

PORTAL = Path(__file__).resolve().parents[3] / "portal"
CODE = re.compile(r"[a-z_]+\.[a-z_]+")


def _recorded_codes() -> set[str]:
    """Every action code in the portal's source: the literal third argument of each
    `audit.record(...)` (both branches of a conditional), and, in a module that passes the
    code in a variable (`audit.record(db, None, action, ...)`), its literals that look like one
    (e.g. "mail.decision_published_sent" handed to a helper)."""
    found: set[str] = set()
    indirect: list[ast.AST] = []
    for path in PORTAL.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if _is_record_call(node) and len(node.args) >= 3:
                literals = _literals(node.args[2])
                found |= literals
                if not literals:
                    indirect.append(tree)
    families = {code.split(".")[0] for code in found}
    for tree in indirect:
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                value = node.value
                if CODE.fullmatch(value) and value.split(".")[0] in families:
                    found.add(value)
    return found - set(MESSAGES) - _endpoints()


def _is_record_call(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "record"
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "audit"
    )


def _literals(node: ast.AST) -> set[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        return _literals(node.body) | _literals(node.orelse)
    return set()


def _endpoints() -> set[str]:
    from portal import create_app

    app = create_app({"TESTING": True, "DATABASE_URL": "sqlite://"})
    return {rule.endpoint for rule in app.url_map.iter_rules()}


def test_every_recorded_action_has_a_danish_label() -> None:
    codes = _recorded_codes()
    assert {"user.created", "mail.receipt_sent", "application.submitted"} <= codes
    missing = sorted(codes - ACTION_LABELS.keys())
    assert missing == [], f"add a label to portal.ops.pages.ACTION_LABELS for {missing}"


def _admin(client: FlaskClient, make_user: Any) -> User:
    admin = make_user(Role.ADMIN, "STAR", email="admin@test.dk")
    admin.name = "Anne Admin"
    return admin


def test_log_shows_labels_names_organisations_and_links(
    client: FlaskClient, db: Session, make_user: Any
) -> None:
    admin = _admin(client, make_user)
    bo = make_user(Role.DRAFTER, "HK", email="bo@test.dk")
    bo.name = "Bo Bruger"
    call = open_call(db)
    audit.record(db, admin.id, "user.role_changed", bo, **{"from": "signatory", "to": "drafter"})
    audit.record(db, admin.id, "call.created", call)
    audit.record(db, None, "test.unknown_code")
    db.commit()
    login(client, admin.email)
    page = client.get("/admin/revisionslog").get_data(as_text=True)
    assert "Brugerens rolle ændret" in page and "Tegningsberettiget → Medarbejder (udkast)" in page
    assert f'<a href="/brugere/{admin.id}">Anne Admin</a>' in page
    assert "Styrelsen for Arbejdsmarked og Rekruttering" in page
    assert f'<a href="/brugere/{bo.id}">Bruger: Bo Bruger</a>' in page
    assert f'<a href="/admin/runder/{call.id}">Ansøgningsrunde: Testrunde</a>' in page
    assert "Logget ind" in page  # the administrator's own login
    assert "<code>test.unknown_code</code>" in page and "Systemet" in page
    assert "user.role_changed" not in page and "call.created" not in page


def test_log_filters_by_organisation_user_and_dates(
    client: FlaskClient, db: Session, make_user: Any
) -> None:
    admin = _admin(client, make_user)
    hk = make_user(Role.SIGNATORY, "HK", email="hk@test.dk")
    three_f = make_user(Role.SIGNATORY, "3F", email="3f@test.dk")
    audit.record(db, hk.id, "application.created", None)
    audit.record(db, three_f.id, "application.withdrawn", None)
    audit.record(db, admin.id, "user.deactivated", hk)
    db.commit()
    login(client, admin.email)

    def events(**args: str) -> str:
        return client.get("/admin/revisionslog", query_string=args).get_data(as_text=True)

    by_hk = events(organisation=str(org_id(db, "HK")))
    assert "Ansøgning oprettet" in by_hk and "Bruger spærret" in by_hk
    assert "Ansøgning trukket tilbage" not in by_hk
    assert f'<option selected value="{org_id(db, "HK")}">HK Danmark A-kasse</option>' in by_hk
    by_user = events(user=str(three_f.id))
    assert "Ansøgning trukket tilbage" in by_user and "Ansøgning oprettet" not in by_user
    about_hk = events(user=str(hk.id))
    assert "Bruger spærret" in about_hk  # done by the administrator, about HK's account
    today = datetime.now(COPENHAGEN).date()  # the filter's dates are Danish days
    assert "Ansøgning oprettet" in events(since=str(today - timedelta(days=1)), until=str(today))
    later = events(since=str(today + timedelta(days=2)))
    assert "Ingen hændelser passer til filtret." in later
    assert f'value="{today + timedelta(days=2)}"' in later


def test_log_filter_with_invalid_dates_shows_danish_errors_at_the_fields(
    client: FlaskClient, make_user: Any
) -> None:
    login(client, _admin(client, make_user).email)
    page = client.get(
        "/admin/revisionslog", query_string={"since": "2026-13-45", "until": "2026-01-01"}
    ).get_data(as_text=True)
    assert re.search(r'id="since-error">.*Skriv en gyldig dato', page)
    assert 'value="2026-13-45"' in page and "Ret filtret for at se hændelserne." in page
    page = client.get(
        "/admin/revisionslog", query_string={"since": "2026-03-02", "until": "2026-03-01"}
    ).get_data(as_text=True)
    assert re.search(r'id="until-error">.*Til-datoen skal ligge på eller efter fra-datoen', page)
    page = client.get("/admin/revisionslog", query_string={"since": "9999-01-01"})
    assert "Skriv en dato mellem år 2000 og 2100" in page.get_data(as_text=True)


def test_log_is_paged_and_keeps_the_filters(
    client: FlaskClient, db: Session, make_user: Any
) -> None:
    admin = _admin(client, make_user)
    for n in range(60):
        audit.record(db, admin.id, "criterion.updated", None, n=n)
    db.commit()
    login(client, admin.email)
    query = {"user": str(admin.id)}
    first = client.get("/admin/revisionslog", query_string=query).get_data(as_text=True)
    assert "62 hændelser. Side 1 af 2." in first  # the 60, the account and the login
    assert "Logget ind" in first and first.count("Kriterium ændret") == 49
    assert f'href="/admin/revisionslog?side=2&amp;user={admin.id}"' in first
    second = client.get("/admin/revisionslog", query_string={**query, "side": "2"})
    text = second.get_data(as_text=True)
    assert "Side 2 af 2." in text and text.count("Kriterium ændret") == 11
    assert f'href="/admin/revisionslog?side=1&amp;user={admin.id}"' in text
