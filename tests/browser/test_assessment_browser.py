"""Trin 2 in Chromium: the lead assigns, an assessor declares, scores every criterion and
submits; the lead consolidates, decides a partial extent on the map and list, publishes; the
a-kasse reads the decision."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from portal.assessment import services
from portal.assessment.rules import ScoreEntry
from portal.models import (
    ApprovedExtent,
    DecisionStatus,
    EligibilityDecision,
    Role,
)
from tests.conftest import TEST_PASSWORD
from tests.portal.assessment.conftest import close_deadline, submit_for
from tests.portal.helpers import open_call


def _login(page, base: str, email: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{base}/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Adgangskode").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Log ind").click()
    page.wait_for_url(f"{base}/")


def test_browser_assignment_to_published_decision(
    app, live_server, page, db, make_user, tmp_path: Path
) -> None:
    call = open_call(db)
    lead = make_user(Role.LEAD_ASSESSOR, "STAR", email="leder@test.dk")
    sara = make_user(Role.ASSESSOR, "STAR", email="sara@test.dk")
    soeren = make_user(Role.ASSESSOR, "STAR", email="soeren@test.dk")
    hk = make_user(Role.SIGNATORY, "HK", email="hk@test.dk")
    with app.app_context():
        version = submit_for(db, call, hk)  # Region Hovedstaden, 5000 courses a year
    close_deadline(db, call)
    criteria = list(call.criteria_set.criteria)
    base = live_server
    main = page.locator("main")

    # The lead proposes an assignment.
    _login(page, base, lead.email)
    page.get_by_role("link", name="Vurdering", exact=True).click()
    page.get_by_role("link", name=call.title).click()
    page.get_by_role("link", name="Fordel ansøgninger").click()
    page.get_by_role("button", name="Foreslå fordeling").click()
    assert "Fordelingen er foreslået: 2 nye tildelinger." in main.inner_text()
    page.screenshot(path=str(tmp_path / "1-fordeling.png"), full_page=True)

    # Sara declares no conflict, scores every criterion and submits.
    _login(page, base, sara.email)
    page.get_by_role("link", name="1 ansøgning venter på din vurdering").click()
    page.get_by_role("link", name="Afgiv habilitetserklæring").click()
    page.get_by_label("Jeg har ingen interessekonflikt").check()
    page.get_by_role("button", name="Afgiv erklæring").click()
    assert "Din habilitetserklæring er registreret." in main.inner_text()
    for criterion in criteria:
        page.locator(f"#score_{criterion.id}-3").check()
        page.locator(f"#justification_{criterion.id}").fill(f"Konkret beskrevet ({criterion.id}).")
    page.screenshot(path=str(tmp_path / "2-vurdering.png"), full_page=True)
    page.get_by_role("button", name="Indsend vurderingen").click()
    assert "Din vurdering er indsendt." in main.inner_text()
    assert "Konkret beskrevet" in page.locator("#vurderinger ~ div").first.inner_text()

    # Søren's assessment arrives through the service (the same page, tested above).
    with app.app_context():
        services.declare(db, soeren, version, False, "")
        services.save_assessment(
            db, soeren, version, [ScoreEntry(c.id, 2, "Tilstrækkeligt.") for c in criteria], True
        )
        db.commit()

    # The lead consolidates, with Søren's dissent on the first criterion.
    _login(page, base, lead.email)
    page.goto(f"{base}/vurdering/runde/{call.id}")
    page.get_by_role("link", name="Konsolidér").click()
    for criterion in criteria:
        page.locator(f"#score_{criterion.id}").select_option("3")
        page.locator(f"#reasoning_{criterion.id}").fill("Svaret er konkret og dokumenteret.")
    page.locator(f"#dissent_assessor_{criteria[0].id}").select_option(label=soeren.name)
    page.locator(f"#dissent_{criteria[0].id}").fill("Søren vurderer kapaciteten til 2.")
    page.get_by_role("button", name="Godkend konsolideringen").click()
    assert "Konsolideringen er godkendt." in main.inner_text()

    # The decision: eligible, Copenhagen taken out on the map, capacity lowered.
    assert page.get_by_label("Støtteberettiget", exact=True).is_checked()
    page.locator("#approved-map [data-code='101']").click()
    assert not page.get_by_label("København", exact=True).is_checked()
    page.get_by_role("button", name="Vis valget på kortet").click()
    assert not page.get_by_label("København", exact=True).is_checked()
    page.get_by_label("Begrundelse for afgørelsen").fill("Alle kriterier er opfyldt.")
    page.get_by_label("Godkendt kapacitet (forløb om året)").fill("6000")
    page.get_by_role("button", name="Gem afgørelsen").click()
    assert "Den godkendte kapacitet må ikke overstige den ansøgte kapacitet." in main.inner_text()
    assert page.get_by_label("Begrundelse for afgørelsen").input_value() == (
        "Alle kriterier er opfyldt."
    )
    page.get_by_label("Godkendt kapacitet (forløb om året)").fill("3000")
    page.screenshot(path=str(tmp_path / "3-afgoerelse.png"), full_page=True)
    page.get_by_role("button", name="Gem afgørelsen").click()
    assert "Afgørelsen er gemt som afventende." in main.inner_text()
    page.get_by_role("button", name="Offentliggør afgørelserne").click()
    assert "1 afgørelse er offentliggjort; a-kassen har fået besked." in main.inner_text()

    db.expire_all()
    decision = db.scalar(select(EligibilityDecision))
    assert decision.status == DecisionStatus.PUBLISHED and decision.approved_capacity == 3000
    approved = set(db.scalars(select(ApprovedExtent.municipality_code)))
    covered = services.requested_covered(db, version)
    assert approved == covered - {"101"} and approved

    # The a-kasse reads its decision; no individual score or justification is shown.
    _login(page, base, hk.email)
    page.get_by_role("link", name="Status og afgørelse").click()
    text = main.inner_text()
    assert "Jeres a-kasse er støtteberettiget." in text
    assert "3.000 forløb om året" in text
    assert "Konkret beskrevet" not in text and "Tilstrækkeligt." not in text
    assert page.locator("figure.extent-map svg").count() == 1
    page.screenshot(path=str(tmp_path / "4-akasse.png"), full_page=True)
