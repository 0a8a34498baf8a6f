"""From interpretation to letter in Chromium: the lead publishes the agency's interpretation of
a criterion and a labour-market party reads it; the administrator approves a letter the lead
generated (the lead cannot), and HK's signatory finds it on the start page, reads it and opens
the PDF."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import select

from portal.letters import services
from portal.models import Letter, LetterStage, LetterStatus, Role
from tests.conftest import TEST_PASSWORD
from tests.portal.letters.arrange import arrange


def _login(page, base: str, email: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{base}/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Adgangskode").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Log ind").click()
    page.wait_for_url(f"{base}/")


def test_browser_from_interpretation_to_the_akasse_reading_its_letter(
    app, live_server, page, db, make_user, tmp_path: Path
) -> None:
    world = arrange(app, db)
    services.generate(db, world.lead, world.call, LetterStage.ELIGIBILITY)
    party = make_user(Role.LABOUR_PARTY, "ARBMARKPARTER", email="fh@test.dk")
    db.commit()
    base = live_server
    main = page.locator("main")
    first = world.call.criteria_set.criteria[0]

    # The lead writes the interpretation of the first criterion and publishes it.
    _login(page, base, world.lead.email)
    page.goto(f"{base}/dialog/runde/{world.call.id}")
    page.locator(f"main a[href$='/kriterium/{first.id}/fortolkning']").click()
    page.get_by_label("Styrelsens fortolkning").fill("Opfyldt ved samtale inden for to uger.")
    page.get_by_label("Grænsetilfælde").fill("En plan uden tal er ikke nok.")
    page.get_by_role("button", name="Gem som kladde").click()
    page.get_by_role("button", name=re.compile("^Offentliggør version 1")).first.click()
    assert "Version 1 af fortolkningen er offentliggjort" in main.inner_text()

    # A labour-market party reads it before the meeting.
    _login(page, base, party.email)
    page.get_by_role("link", name="Styrelsens fortolkning af kriterierne").click()
    text = main.inner_text()
    assert "Opfyldt ved samtale inden for to uger." in text
    assert "En plan uden tal er ikke nok." in text

    # The lead wrote the letters: there is no approval for them on HK's letter.
    _login(page, base, world.lead.email)
    page.get_by_role("link", name="3 breve venter på godkendelse").click()
    page.get_by_role("link", name="HK Danmark A-kasse").click()
    assert "Du har selv dannet brevet." in main.inner_text()
    assert page.get_by_role("button", name="Godkend og send brevet").count() == 0

    # The administrator reads it and approves it.
    _login(page, base, world.admin.email)
    page.get_by_role("link", name="3 breve venter på godkendelse").click()
    page.get_by_role("link", name="HK Danmark A-kasse").click()
    assert "Styrelsen har godkendt 12 af de 25 kommuner" in main.inner_text()
    page.screenshot(path=str(tmp_path / "1-godkend.png"), full_page=True)
    page.get_by_role("button", name="Godkend og send brevet").click()
    assert "Brevet er godkendt og sendt til HK Danmark A-kasse." in main.inner_text()
    db.expire_all()
    letter = db.scalar(select(Letter).where(Letter.status == LetterStatus.SENT))
    assert letter is not None and letter.approved_by_id == world.admin.id

    # HK's signatory finds the letter from the start page and reads it.
    _login(page, base, world.signatories["HK"].email)
    page.get_by_role("link", name="Breve fra styrelsen").click()
    page.get_by_role("link", name="Afgørelse om støtteberettigelse (delvis godkendt)").click()
    text = main.inner_text()
    assert "HK Danmark A-kasse opfylder kriterierne og er støtteberettiget" in text
    assert "Klagevejledning" in text and "Klagen skal være modtaget senest" in text
    assert page.locator("figure.extent-map svg").count() == 1
    assert page.get_by_label("Hvad klager I over, og hvorfor?").is_visible()
    page.screenshot(path=str(tmp_path / "2-akasse.png"), full_page=True)
    href = page.get_by_role("link", name="Hent brevet som PDF").get_attribute("href")
    pdf = page.request.get(f"{base}{href}")
    assert pdf.ok and pdf.body().startswith(b"%PDF-")


def test_letter_pages_pass_axe(app, live_server, browser, db) -> None:
    from tests.browser.test_accessibility import AXE, _violations

    world = arrange(app, db)
    letters = services.generate(db, world.lead, world.call, LetterStage.ELIGIBILITY)
    db.commit()
    sent = services.approve(db, world.admin, letters[0], 4)
    appeal = services.file_appeal(db, world.signatories["3F"], sent, "Vi er uenige.")
    db.commit()
    assert AXE.is_file(), "axe-core is missing: run `make install`"
    context = browser.new_context(locale="da-DK", bypass_csp=True)  # axe is an inline script
    page = context.new_page()
    pages = {
        world.admin.email: ["/breve/", f"/breve/{letters[1].id}", "/breve/skabeloner/partial"],
        world.lead.email: [f"/breve/klager/{appeal.id}"],
        world.signatories["3F"].email: ["/breve/akasse", f"/breve/akasse/{sent.id}"],
    }
    problems = {}
    for email, urls in pages.items():
        _login(page, live_server, email)
        for url in urls:
            page.goto(f"{live_server}{url}")
            problems[url] = _violations(page)
    context.close()
    assert problems == {url: [] for url in problems}
