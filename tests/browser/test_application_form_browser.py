"""The application form in Chromium where its defects lived in the browser: text typed just
before leaving the page, leaving with changes that cannot be saved, two writers' conflict,
and focus on the error summary."""

from __future__ import annotations

import time
from pathlib import Path

from playwright.sync_api import expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models import Answer, Application, Role
from tests.browser.test_application_browser import _login
from tests.portal.helpers import complete_application, open_call


def _stored_answer(db: Session, criterion_id: int, expected: str, seconds: float = 10) -> str:
    """The saved answer, waiting for a save that the closing page sent on its way out."""
    deadline = time.monotonic() + seconds
    text = ""
    while time.monotonic() < deadline:
        db.expire_all()
        text = db.scalar(select(Answer.text).where(Answer.criterion_id == criterion_id)) or ""
        if text == expected:
            break
        time.sleep(0.1)
    return text


def test_browser_text_typed_just_before_leaving_is_saved(live_server, page, db, make_user) -> None:
    call = open_call(db)
    drafter = make_user(Role.DRAFTER, "HK")
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.type), dialog.dismiss()))
    _login(page, live_server, drafter.email)
    page.goto(f"{live_server}/ansoegning/runde/{call.id}")
    first = call.criteria_set.criteria[0]
    typed = "Skrevet og straks videre til forsiden."
    page.locator(f"#answer_{first.id}").fill(typed)
    page.get_by_role("link", name="Forside", exact=True).click()
    page.wait_for_url(f"{live_server}/")
    assert _stored_answer(db, first.id, typed) == typed
    assert dialogs == []


def test_browser_leaving_with_changes_that_cannot_be_saved_asks_first(
    live_server, page, db, make_user
) -> None:
    call = open_call(db)
    drafter = make_user(Role.DRAFTER, "HK")
    application = complete_application(db, call, drafter)
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.type), dialog.dismiss()))
    _login(page, live_server, drafter.email)
    page.goto(f"{live_server}/ansoegning/runde/{call.id}")
    page.get_by_label("CVR-nummer").fill("12-34")
    expect(page.locator("#autosave-status")).to_contain_text("Ikke gemt", timeout=15000)
    first = call.criteria_set.criteria[0]
    page.locator(f"#answer_{first.id}").fill("Tekst, der ikke kan gemmes, før CVR er rettet.")
    page.get_by_role("link", name="Forside", exact=True).click()
    page.wait_for_timeout(1000)
    assert dialogs == ["beforeunload"]
    assert page.url == f"{live_server}/ansoegning/runde/{call.id}"  # stayed, text and all
    assert "ikke kan gemmes" in page.locator(f"#answer_{first.id}").input_value()
    db.expire_all()
    assert db.get(Application, application.id).organisation.cvr == "12345678"


def test_browser_conflict_shows_both_versions_and_a_merge_is_saved(
    live_server, browser, page, db, make_user
) -> None:
    call = open_call(db)
    drafter = make_user(Role.DRAFTER, "HK")
    signatory = make_user(Role.SIGNATORY, "HK")
    complete_application(db, call, drafter)
    first = call.criteria_set.criteria[0]
    box = f"#answer_{first.id}"
    other = browser.new_context(locale="da-DK").new_page()
    try:
        _login(other, live_server, drafter.email)
        _login(page, live_server, signatory.email)
        for each in (other, page):
            each.goto(f"{live_server}/ansoegning/runde/{call.id}")
        other.locator(box).fill("Kollegaens svar.")
        other.get_by_role("button", name="Gem kladde").click()
        expect(other.locator("main")).to_contain_text("Kladden er gemt.")

        page.locator(box).fill("Mit svar.")
        page.get_by_role("button", name="Gem kladde").click()
        summary = page.locator("#conflict-summary")
        expect(summary).to_contain_text("Ikke gemt endnu")
        expect(summary).to_be_focused()
        panel = page.locator(f"#conflict-answer_{first.id}")
        expect(panel).to_contain_text("Kollegaens svar.")
        assert page.locator(box).input_value() == "Mit svar."

        panel.get_by_role("radio", name="Den anden version").check()
        assert page.locator(box).input_value() == "Kollegaens svar."
        panel.get_by_role("radio", name="Flet dem").check()
        assert page.locator(box).input_value() == "Mit svar.\n\nKollegaens svar."
        page.locator(box).fill("Mit svar og kollegaens, flettet.")
        page.get_by_role("button", name="Gem kladde").click()
        expect(page.locator("main")).to_contain_text("Kladden er gemt.")
        assert _stored_answer(db, first.id, "Mit svar og kollegaens, flettet.") == (
            "Mit svar og kollegaens, flettet."
        )
    finally:
        other.context.close()


def test_browser_focus_moves_to_the_error_summary_at_the_top(
    live_server, page, db, make_user, tmp_path: Path
) -> None:
    call = open_call(db)
    drafter = make_user(Role.DRAFTER, "HK")
    complete_application(db, call, drafter)
    _login(page, live_server, drafter.email)
    page.goto(f"{live_server}/ansoegning/runde/{call.id}")
    page.get_by_label("CVR-nummer").fill("12-34")
    page.get_by_role("button", name="Gem kladde").click()
    expect(page.locator("#cvr-error")).to_contain_text("CVR-nummeret skal være 8 cifre")
    expect(page.locator("#error-summary")).to_be_focused()
    summary = page.locator("#error-summary").bounding_box()
    checklist = page.locator("#checklist-heading").bounding_box()
    assert summary is not None and checklist is not None and summary["y"] < checklist["y"]

    page.goto(f"{live_server}/ansoegning/runde/{call.id}")
    bad = tmp_path / "bilag.pdf"
    bad.write_bytes(b"ikke en pdf")
    page.get_by_label("PDF-fil").set_input_files(str(bad))
    page.get_by_role("button", name="Upload bilag").click()
    expect(page.locator("#file-error")).to_contain_text("Filen er ikke en PDF-fil.")
    expect(page.locator("#upload-form .error-summary")).to_be_focused()
    box = page.locator("#upload-form .error-summary").bounding_box()
    assert box is not None and 0 <= box["y"] < page.viewport_size["height"]  # in view


def test_browser_new_form_states_pass_axe(live_server, browser, db, make_user, tmp_path) -> None:
    """The conflict, the refused upload, the hand-over and the submitted version: no serious
    or critical WCAG 2.1 A/AA violations."""
    from tests.browser.test_accessibility import AXE, _violations

    assert AXE.is_file(), f"axe-core is missing at {AXE}: run `make install`"
    call = open_call(db)
    drafter = make_user(Role.DRAFTER, "HK")
    signatory = make_user(Role.SIGNATORY, "HK")
    complete_application(db, call, drafter)
    context = browser.new_context(locale="da-DK", bypass_csp=True)  # axe is an inline script
    other = browser.new_context(locale="da-DK").new_page()
    try:
        page = context.new_page()
        _login(other, live_server, signatory.email)
        _login(page, live_server, drafter.email)
        edit = f"{live_server}/ansoegning/runde/{call.id}"
        for each in (other, page):
            each.goto(edit)
        box = f"#answer_{call.criteria_set.criteria[0].id}"
        other.locator(box).fill("Underskriverens svar.")
        other.get_by_role("button", name="Gem kladde").click()
        expect(other.locator("main")).to_contain_text("Kladden er gemt.")
        page.locator(box).fill("Mit svar.")
        page.get_by_role("button", name="Gem kladde").click()
        expect(page.locator("#conflict-summary")).to_be_visible()
        assert _violations(page) == [], "conflict"

        page.goto(edit)
        bad = tmp_path / "bilag.pdf"
        bad.write_bytes(b"ikke en pdf")
        page.get_by_label("PDF-fil").set_input_files(str(bad))
        page.get_by_role("button", name="Upload bilag").click()
        expect(page.locator("#file-error")).to_be_visible()
        assert _violations(page) == [], "upload"

        page.goto(edit)
        page.get_by_role("button", name="Send til underskrift").click()
        expect(page.locator("#handed-over")).to_be_visible()
        assert _violations(page) == [], "hand-over"

        other.goto(f"{live_server}/")
        other.get_by_role("link", name="Kladde klar til underskrift fra Test drafter").click()
        other.get_by_role("button", name="Indsend ansøgningen").click()
        expect(other.locator("main")).to_contain_text("Ansøgningen er indsendt som version 1")
        page.goto(edit)
        expect(page.locator("#submitted-version")).to_contain_text("Indsendt version 1")
        assert _violations(page) == [], "submitted"
    finally:
        other.context.close()
        context.close()
