"""axe-core (installed from npm by make install) finds no serious or critical WCAG 2.1 A/AA
violations on the main pages."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from portal.models import Role
from tests.conftest import TEST_PASSWORD
from tests.portal.helpers import complete_application, open_call

AXE = Path(__file__).parents[2] / "node_modules/axe-core/axe.min.js"
RULESET = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


@pytest.fixture()
def axe_page(browser):  # type: ignore[no-untyped-def]
    if not AXE.is_file():
        pytest.fail(f"axe-core is missing at {AXE}: run `make install`")
    # axe is injected as an inline script, which the portal's CSP rightly refuses.
    context = browser.new_context(locale="da-DK", bypass_csp=True)
    page = context.new_page()
    yield page
    context.close()


def _violations(page) -> list[str]:  # type: ignore[no-untyped-def]
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async (rules) => await axe.run(document, rules)", RULESET)
    return [
        f"{v['id']}: {v['help']} ({len(v['nodes'])})"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def _login(page, base: str, email: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base}/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Adgangskode").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Log ind").click()
    page.wait_for_url(f"{base}/")


def test_login_and_error_pages_pass_axe(live_server, axe_page) -> None:
    axe_page.goto(f"{live_server}/login")
    assert _violations(axe_page) == []
    axe_page.goto(f"{live_server}/findes-ikke")
    assert _violations(axe_page) == []


def test_application_pages_pass_axe(live_server, axe_page, db, make_user) -> None:
    call = open_call(db)
    drafter = make_user(Role.DRAFTER, "HK")
    app = complete_application(db, call, drafter)
    _login(axe_page, live_server, drafter.email)
    assert _violations(axe_page) == []
    axe_page.goto(f"{live_server}/ansoegning/runde/{call.id}")
    assert _violations(axe_page) == []
    axe_page.goto(f"{live_server}/ansoegning/{app.id}/indsend")
    assert _violations(axe_page) == []


def test_admin_pages_pass_axe(live_server, axe_page, db, make_user) -> None:
    call = open_call(db)
    admin = make_user(Role.ADMIN, "STAR")
    _login(axe_page, live_server, admin.email)
    for path in (
        f"/admin/runder/{call.id}",
        "/admin/runder/ny",
        "/admin/kriterier",
        f"/admin/kriterier/{call.criteria_set_id}",
        "/admin/revisionslog",
    ):
        axe_page.goto(f"{live_server}{path}")
        assert _violations(axe_page) == [], path


def test_assessment_pages_pass_axe(app, live_server, axe_page, db, make_user) -> None:
    from portal.assessment import services
    from portal.assessment.rules import ScoreEntry
    from tests.portal.assessment.conftest import close_deadline, submit_for

    call = open_call(db)
    lead = make_user(Role.LEAD_ASSESSOR, "STAR", email="leder@test.dk")
    sara = make_user(Role.ASSESSOR, "STAR", email="sara@test.dk")
    soeren = make_user(Role.ASSESSOR, "STAR", email="soeren@test.dk")
    hk = make_user(Role.SIGNATORY, "HK", email="hk@test.dk")
    with app.app_context():
        version = submit_for(db, call, hk)
        close_deadline(db, call)
        criteria = list(call.criteria_set.criteria)
        for person in (sara, soeren):
            services.add_assignment(db, lead, version, person)
            services.declare(db, person, version, False, "")
            entries = [ScoreEntry(c.id, 3, "Konkret.") for c in criteria]
            services.save_assessment(db, person, version, entries, True)
        consolidated = [services.ConsolidatedEntry(c.id, 3, "Enige.") for c in criteria]
        services.save_consolidation(db, lead, version, consolidated, sign_off=True)
        db.commit()
    _login(axe_page, live_server, lead.email)
    assert _violations(axe_page) == []
    for path in (
        "/vurdering/",
        f"/vurdering/runde/{call.id}",
        f"/vurdering/runde/{call.id}/fordeling",
        f"/vurdering/runde/{call.id}/kalibrering",
        f"/vurdering/ansoegning/{version.id}",
        f"/vurdering/ansoegning/{version.id}/konsolidering",
        f"/vurdering/ansoegning/{version.id}/afgoerelse",
    ):
        axe_page.goto(f"{live_server}{path}")
        assert _violations(axe_page) == [], path
    axe_page.context.clear_cookies()
    _login(axe_page, live_server, sara.email)
    axe_page.goto(f"{live_server}/vurdering/ansoegning/{version.id}/vurdering")
    assert _violations(axe_page) == []
    axe_page.context.clear_cookies()
    _login(axe_page, live_server, hk.email)
    axe_page.goto(f"{live_server}/ansoegning/{version.application_id}/status")
    assert _violations(axe_page) == []


def test_user_management_pages_pass_axe(live_server, axe_page, db, make_user) -> None:
    from portal.accounts import users

    admin = make_user(Role.ADMIN, "STAR")
    drafter = make_user(Role.DRAFTER, "HK")
    link = users.issue_password_link(db, admin, drafter, timedelta(hours=1))
    db.commit()
    _login(axe_page, live_server, admin.email)
    for path in (
        "/brugere",
        "/brugere?role=drafter&status=active",
        "/brugere/ny",
        f"/brugere/{drafter.id}",
        f"/admin/revisionslog?user={admin.id}",
        "/admin/revisionslog?since=2026-13-45",
    ):
        axe_page.goto(f"{live_server}{path}")
        assert _violations(axe_page) == [], path
    # A form sent with errors: the summary and the messages at the fields.
    axe_page.goto(f"{live_server}/brugere/ny")
    axe_page.get_by_role("button", name="Opret og send link").click()
    assert axe_page.locator("#error-summary").is_visible()
    assert _violations(axe_page) == []
    axe_page.context.clear_cookies()
    for path in (f"/adgangskode/ny/{link.token}", "/adgangskode/ny/ukendt"):
        axe_page.goto(f"{live_server}{path}")
        assert _violations(axe_page) == [], path


def test_selection_pages_pass_axe(app, live_server, axe_page, db) -> None:
    """Trin 3: the runs, a proposal with its maps and figures, and the meeting view before and
    after a proposal is swapped in while a party member follows it."""
    from portal.proposals import services
    from tests.portal.proposals.arrange import arrange_trin3
    from tests.portal.proposals.conftest import computed_run

    trin3 = arrange_trin3(app, db)
    run = computed_run(db, trin3, alternatives=1, explanations=True)
    meeting = f"/udvaelgelse/runde/{trin3.call.id}/moede"
    _login(axe_page, live_server, trin3.member_b.email)
    axe_page.goto(f"{live_server}{meeting}")
    assert "Intet forslag præsenteres endnu." in axe_page.locator("main").inner_text()
    assert _violations(axe_page) == [], meeting
    services.present(db, trin3.lead, run.proposals[1])
    db.commit()
    axe_page.get_by_text(f"Alternativ 1 fra beregning {run.id}").wait_for(timeout=15_000)
    assert _violations(axe_page) == [], f"{meeting} after the swap"
    for path in (
        "/udvaelgelse/",
        f"/udvaelgelse/beregning/{run.id}",
        f"/udvaelgelse/forslag/{run.proposals[0].id}",
    ):
        axe_page.goto(f"{live_server}{path}")
        assert _violations(axe_page) == [], path
