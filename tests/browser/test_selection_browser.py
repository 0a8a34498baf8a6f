"""Trin 3 in Chromium, with a real worker process: the lead computes a proposal and presents
it; a party member follows the meeting view; a what-if locks an a-kasse in; the lead records
the decision, whose PDF names the chosen a-kasser."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import expect

from portal.models import RunKind, SelectionProposal, SelectionRun
from tests.conftest import TEST_PASSWORD
from tests.portal.proposals.arrange import arrange_trin3, pdf_text, selected_ids, squeezed
from tests.portal.proposals.conftest import computed_run
from tests.portal.proposals.worker import Worker, running_worker

PROPOSAL_URL = re.compile(r"/udvaelgelse/forslag/(\d+)$")
WAIT_MS = 90_000  # the run page refreshes itself until the worker is done


@pytest.fixture()
def worker(app: Flask, tmp_path: Path) -> Iterator[Worker]:
    with running_worker(app, tmp_path / "worker.log") as started:
        yield started


def _login(page, base: str, email: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{base}/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Adgangskode").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Log ind").click()
    page.wait_for_url(f"{base}/")


def _shown_run(db, page) -> SelectionRun:
    """The run whose proposal the page shows, as the database holds it now."""
    found = PROPOSAL_URL.search(page.url)
    assert found, page.url
    db.rollback()
    db.expire_all()
    proposal = db.get(SelectionProposal, int(found.group(1)))
    assert proposal is not None and proposal.rank == 1
    run = db.get(SelectionRun, proposal.run_id)
    assert run is not None
    return run


def test_browser_run_meeting_what_if_and_decision(
    app, live_server, page, db, worker: Worker, tmp_path: Path
) -> None:
    trin3 = arrange_trin3(app, db)
    base = live_server
    main = page.locator("main")

    # The lead computes a proposal; the run page follows the worker until it is done.
    _login(page, base, trin3.lead.email)
    page.get_by_role("link", name="Udvælgelse", exact=True).first.click()
    page.get_by_label("Højst antal a-kasser").fill("4")
    page.get_by_label("Antal alternativer").fill("1")
    page.get_by_role("button", name="Beregn forslag").click()
    page.screenshot(path=str(tmp_path / "1-beregning.png"), full_page=True)
    page.wait_for_url(PROPOSAL_URL, timeout=WAIT_MS)
    run = _shown_run(db, page)
    chosen = selected_ids(run)
    text = main.inner_text()
    assert f"Forslag fra beregning {run.id}" in text
    assert "Bevist optimal" in text
    assert f"{len(chosen)} a-kasser: {', '.join(chosen)}" in text
    assert "Alternativ 1" in text
    page.screenshot(path=str(tmp_path / "2-forslag.png"), full_page=True)

    # ... and presents it at the meeting.
    page.get_by_role("button", name="Præsentér dette forslag på mødet").click()
    assert "Forslaget vises nu på deltagernes skærme i mødevisningen." in main.inner_text()
    proposal_url = page.url

    # A party member follows the meeting view.
    _login(page, base, trin3.member_a.email)
    page.get_by_role("link", name="Udvælgelse", exact=True).first.click()
    page.get_by_role("link", name="Mødevisning").click()
    text = main.inner_text()
    assert f"Forslag fra beregning {run.id}" in text
    assert ", ".join(chosen) in text
    assert page.locator("figure.extent-map svg").count() == 1
    page.screenshot(path=str(tmp_path / "3-moedevisning.png"), full_page=True)

    # The member asks: what if an eligible a-kasse left out of the proposal had to be in?
    names = {f["id"]: f["name"] for f in run.problem["funds"]}
    eligible = sorted(f["id"] for f in run.problem["funds"] if f["eligible"])
    locked = next(i for i in eligible if i not in chosen)
    page.get_by_role("link", name=f"Forslag fra beregning {run.id}").click()
    page.get_by_role("group", name="Lås ind (skal være med)").get_by_label(names[locked]).check()
    page.screenshot(path=str(tmp_path / "4-hvad-hvis.png"), full_page=True)
    page.get_by_role("button", name="Beregn hvad-hvis").click()
    page.wait_for_url(lambda url: PROPOSAL_URL.search(url) and url != proposal_url, timeout=WAIT_MS)
    what_if = _shown_run(db, page)
    assert (what_if.kind, what_if.parent_id) == (RunKind.WHAT_IF, run.id)
    assert what_if.created_by_id == trin3.member_a.id
    assert locked in selected_ids(what_if)
    text = main.inner_text()
    assert f"Sammenlignet med beregning {run.id}:" in text
    assert f"ind: {locked}" in text
    assert f"Låst ind: {locked}." in text
    page.screenshot(path=str(tmp_path / "5-hvad-hvis-forslag.png"), full_page=True)

    # The lead records the parties' decision on the what-if's proposal.
    what_if_url = page.url
    _login(page, base, trin3.lead.email)
    page.goto(what_if_url)
    page.get_by_label("Beslutningsdato").fill("2026-03-02")
    page.get_by_label("Referat").fill("Partierne valgte forslaget med den låste a-kasse.")
    page.get_by_role("button", name="Registrér beslutningen").click()
    text = main.inner_text()
    assert "Aftalepartiernes beslutning er registreret; udvælgelsen er låst." in text
    assert "Aftalepartierne valgte dette forslag 2. marts 2026." in text
    page.screenshot(path=str(tmp_path / "6-beslutning.png"), full_page=True)

    # The decision's PDF names the chosen a-kasser.
    response = page.request.get(f"{base}/udvaelgelse/runde/{trin3.call.id}/beslutningsreferat.pdf")
    assert response.ok and response.headers["content-type"] == "application/pdf"
    (tmp_path / "beslutningsreferat.pdf").write_bytes(response.body())
    text = pdf_text(response.body())
    assert "Partierne valgte forslaget med den låste a-kasse." in text
    for fund in selected_ids(what_if):
        assert squeezed(names[fund]) in squeezed(text), fund
    assert squeezed(names[locked]) in squeezed(text)


def test_browser_meeting_view_follows_a_new_presentation_without_reloading(
    app, live_server, page, browser, db
) -> None:
    """The meeting view swaps in what the lead presents within seconds, without reloading the
    page (a reload every few seconds moved a screen reader's place); a member can stop and
    resume following."""
    trin3 = arrange_trin3(app, db)
    run = computed_run(db, trin3, alternatives=1)
    best, alternative = run.proposals[0], run.proposals[1]
    base = live_server
    lead = browser.new_context().new_page()

    def present(proposal: SelectionProposal) -> None:
        lead.goto(f"{base}/udvaelgelse/forslag/{proposal.id}")
        lead.get_by_role("button", name="Præsentér dette forslag på mødet").click()
        assert "Forslaget vises nu på deltagernes skærme" in lead.locator("main").inner_text()

    _login(lead, base, trin3.lead.email)
    present(best)
    _login(page, base, trin3.member_b.email)
    page.goto(f"{base}/udvaelgelse/runde/{trin3.call.id}/moede")
    shown = page.locator("#meeting-shown")
    expect(shown).to_contain_text(f"Forslag fra beregning {run.id}")
    page.evaluate("window.sameDocument = true")

    present(alternative)
    expect(shown).to_contain_text(f"Alternativ 1 fra beregning {run.id}", timeout=15_000)
    expect(page.locator("#meeting-live")).to_have_text("Et andet forslag præsenteres nu.")
    assert page.evaluate("window.sameDocument === true"), "the page was reloaded"
    assert page.locator("figure.extent-map svg").count() == 1

    # Stopped, the view keeps what it shows; resumed, it catches up.
    page.get_by_role("button", name="Stop med at følge præsentationen").click()
    present(best)
    page.wait_for_timeout(7_000)
    expect(shown).to_contain_text(f"Alternativ 1 fra beregning {run.id}")
    page.get_by_role("button", name="Følg præsentationen igen").click()
    expect(shown).to_contain_text(f"Forslag fra beregning {run.id}", timeout=15_000)
    assert page.evaluate("window.sameDocument === true")
