"""A drafter writes the application and uploads a PDF; the signatory submits; the receipt PDF
holds the hash. All in Chromium through the real pages."""

from __future__ import annotations

import subprocess
from pathlib import Path

from sqlalchemy import select

from portal.models import ApplicationVersion, Role
from tests.conftest import TEST_PASSWORD
from tests.portal.helpers import open_call, pdf_bytes


def _login(page, base: str, email: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Adgangskode").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Log ind").click()
    page.wait_for_url(f"{base}/")


def _fill_application(page, call) -> None:
    page.get_by_label("CVR-nummer").fill("12345678")
    page.get_by_label("Antal medlemmer").fill("200000")
    page.get_by_label("Fagligt område").select_option("office_commerce")
    page.get_by_label("Sektor").select_option("mixed")
    for criterion in call.criteria_set.criteria:
        page.locator(f"#answer_{criterion.id}").fill(f"Vores indsats: {criterion.title}.")
    page.get_by_label("Udvalgte kommuner").check()
    page.locator("summary", has_text="Region Hovedstaden").click()
    page.get_by_label("København", exact=True).check()
    page.get_by_label("Frederiksberg", exact=True).check()
    assert page.get_by_label("Ballerup (frikommune)", exact=True).is_disabled()
    page.get_by_label("Forløb om året, a-kassen kan varetage").fill("4000")
    page.get_by_label("Medarbejdere til samtaler (årsværk)").fill("9")
    page.get_by_label("Samtaler pr. årsværk pr. uge").fill("18")
    page.get_by_label("Kontaktperson", exact=True).fill("Karin Kontakt")
    page.get_by_label("Kontaktpersonens e-mail").fill("karin@hk.example.dk")


def test_browser_drafter_writes_signatory_submits_receipt_has_hash(
    live_server, page, db, make_user, tmp_path: Path
) -> None:
    call = open_call(db)
    drafter = make_user(Role.DRAFTER, "HK")
    signatory = make_user(Role.SIGNATORY, "HK")

    _login(page, live_server, drafter.email)
    page.get_by_role("link", name="Ansøgning", exact=True).click()
    page.get_by_role("link", name="Åbn ansøgningen").click()
    _fill_application(page, call)
    page.get_by_role("button", name="Gem kladde").click()
    assert "Kladden er gemt." in page.locator("main").inner_text()
    assert "Ansøgningen er komplet. Send den til underskrift" in page.locator("main").inner_text()

    pdf = tmp_path / "dokumentation.pdf"
    pdf.write_bytes(pdf_bytes(2))
    page.get_by_label("PDF-fil").set_input_files(str(pdf))
    page.get_by_role("button", name="Upload bilag").click()
    assert "Bilaget er tilføjet." in page.locator("main").inner_text()
    page.get_by_role("button", name="Send til underskrift").click()
    assert "Ansøgningen er sendt til underskrift." in page.locator("main").inner_text()
    page.get_by_role("button", name="Log ud").click()

    _login(page, live_server, signatory.email)
    page.get_by_role("link", name="Kladde klar til underskrift fra Test drafter").click()
    page.get_by_role("button", name="Indsend ansøgningen").click()
    assert "Ansøgningen er indsendt som version 1" in page.locator("main").inner_text()

    version = db.scalar(select(ApplicationVersion))
    assert version.content["requested_extent"] == ["101", "147"]
    assert len(version.content["attachments"]) == 1
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Hent kvittering (PDF)").click()
    receipt = tmp_path / "kvittering.pdf"
    download_info.value.save_as(receipt)
    text = subprocess.run(
        ["pdftotext", str(receipt), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert version.content_hash in text


def test_browser_form_error_keeps_typed_text(live_server, page, db, make_user) -> None:
    call = open_call(db)
    drafter = make_user(Role.DRAFTER, "HK")
    _login(page, live_server, drafter.email)
    page.goto(f"{live_server}/ansoegning/runde/{call.id}")
    first = call.criteria_set.criteria[0]
    page.locator(f"#answer_{first.id}").fill("Et svar jeg ikke vil miste.")
    page.get_by_label("CVR-nummer").fill("12-34")
    page.get_by_role("button", name="Gem kladde").click()
    assert "CVR-nummeret skal være 8 cifre" in page.locator("#cvr-error").inner_text()
    assert page.locator(f"#answer_{first.id}").input_value() == "Et svar jeg ikke vil miste."
    assert page.get_by_label("CVR-nummer").input_value() == "12-34"
