"""Trin 3 pages through the routes, as the lead, the administrator and the party members:
the runs, the proposal with its figures, what-ifs and relaxations, the meeting, the PDFs."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from portal.models import Role, RunKind, RunStatus, SelectionRun, User, utcnow
from portal.proposals import jobs, services
from portal.proposals.problem import Targets
from tests.portal.proposals.arrange import (
    PARTY_A,
    PARTY_B,
    arrange_trin3,
    pdf_text,
    selected_ids,
    signed_in,
    squeezed,
    token,
)
from tests.portal.proposals.conftest import computed_run

INDEX = "/udvaelgelse/"


def _runs(db) -> int:
    db.rollback()
    db.expire_all()
    return db.scalar(select(func.count()).select_from(SelectionRun))


def _run_id(response) -> int:
    assert response.status_code == 302, response.status_code
    found = re.search(r"/udvaelgelse/beregning/(\d+)$", response.headers["Location"])
    assert found, response.headers["Location"]
    return int(found.group(1))


def _html(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.get_data(as_text=True)


def _section(html: str, start: str, end: str | None = None) -> str:
    assert start in html, start
    rest = html.split(start, 1)[1]
    return rest.split(end, 1)[0] if end else rest


@pytest.fixture()
def full_run(db, trin3) -> SelectionRun:
    """Three alternatives and the explanations, as the start form asks for by default."""
    return computed_run(db, trin3, alternatives=3, explanations=True)


# --- the index and the run page --------------------------------------------------------------


def test_index_before_publication_says_why_nothing_can_be_computed(app, db) -> None:
    trin3 = arrange_trin3(app, db, publish=False)

    html = _html(signed_in(app, trin3.lead), INDEX)
    assert "Der kan først beregnes forslag, når afgørelserne" in html
    assert "Beregn forslag" not in html
    assert "Ingen beregninger endnu." in html


def test_index_lists_the_runs_for_every_role_and_the_form_for_runners(
    app, db, trin3, base_run
) -> None:
    for user, runner in (
        (trin3.lead, True),
        (trin3.admin, True),
        (trin3.member_a, False),
        (trin3.member_b, False),
    ):
        html = _html(signed_in(app, user), INDEX)
        table = _section(html, "Beregninger i runden", "</table>")
        assert f'href="/udvaelgelse/beregning/{base_run.id}"' in table, user.email
        assert "Forslag til udvælgelse" in table and "Færdig" in table, user.email
        assert "Bevist optimal" in table, user.email
        assert ("Beregn forslag" in html) is runner, user.email
        assert "Mødevisning" in html, user.email
    signatory = signed_in(app, db.scalar(select(User).where(User.email == "3f@test.dk")))
    assert signatory.get(INDEX).status_code == 403


def test_a_started_run_waits_in_the_queue_and_can_be_cancelled(app, db, trin3) -> None:
    lead = signed_in(app, trin3.lead)
    response = lead.post(
        f"/udvaelgelse/runde/{trin3.call.id}/beregn",
        data={
            "csrf_token": token(lead, INDEX),
            "funds_max": "4",
            "granularity": "region",
            "alternatives": "2",
        },
    )
    run_id = _run_id(response)
    db.rollback()
    db.expire_all()
    run = db.get(SelectionRun, run_id)
    assert (run.status, run.kind, run.options["alternatives"]) == ("queued", "base", 2)
    assert run.problem["targets"]["funds_max"] == 4
    # Committed, then enqueued: the task waits in the app's queue for a worker.
    assert app.extensions["huey"].pending_count() == 1

    url = f"/udvaelgelse/beregning/{run_id}"
    for client in (lead, signed_in(app, trin3.member_a)):
        html = _html(client, url)
        assert "I kø: venter på en ledig arbejdsproces." in html
        # Refreshed at the run's own address, without a fragment the form may have added.
        assert f'<meta http-equiv="refresh" content="2; url={url}">' in html
        assert run.input_hash in html
        assert ("Afbryd beregningen" in html) is (client is lead)

    response = lead.post(f"{url}/afbryd", data={"csrf_token": token(lead, url)})
    assert response.status_code == 302
    html = _html(lead, response.headers["Location"])
    assert "Beregningen afbrydes." in html and "Afbrudt." in html
    assert 'http-equiv="refresh"' not in html
    assert "Kør igen" in html
    db.rollback()
    db.expire_all()
    assert db.get(SelectionRun, run_id).status == RunStatus.CANCELLED


def test_a_start_form_with_errors_starts_nothing(app, db, trin3) -> None:
    lead = signed_in(app, trin3.lead)
    response = lead.post(
        f"/udvaelgelse/runde/{trin3.call.id}/beregn",
        data={
            "csrf_token": token(lead, INDEX),
            "funds_min": "5",
            "funds_max": "3",
            "granularity": "region",
            "alternatives": "2",
        },
        follow_redirects=True,
    )
    html = response.get_data(as_text=True)
    assert "Beregningen er ikke startet" in html
    assert "Højst antal skal være mindst lige så stort som mindst." in html
    assert _runs(db) == 0
    assert app.extensions["huey"].pending_count() == 0


def test_a_done_run_hands_over_to_its_proposal(app, db, trin3, base_run) -> None:
    member = signed_in(app, trin3.member_a)
    response = member.get(f"/udvaelgelse/beregning/{base_run.id}")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/forslag/{base_run.proposals[0].id}")
    html = _html(member, f"/udvaelgelse/beregning/{base_run.id}?vis=status")
    assert "Færdig." in html and 'http-equiv="refresh"' not in html
    assert base_run.solver_version in html and "Modelleret" in html


def test_a_running_run_shows_the_solvers_gap_once_it_reported_one(app, db, trin3) -> None:
    run = services.start_run(
        db, trin3.lead, trin3.call, Targets(funds_max=4), label="Forslag til udvælgelse"
    )
    run.status, run.started_at, run.heartbeat_at = RunStatus.RUNNING, utcnow(), utcnow()
    db.commit()
    url = f"/udvaelgelse/beregning/{run.id}"
    member = signed_in(app, trin3.member_a)

    html = _html(member, url)
    assert "Regner …" in html and 'http-equiv="refresh"' in html
    assert "Aktuelt gab" not in html  # nothing reported yet

    run.progress = {"gap": 0.01234, "objective": 0.0972, "bound": 0.096}
    db.commit()
    html = _html(member, url)
    status = _section(html, '<div class="run-status"', "</div>")
    assert "Aktuelt gab: 1,2 %" in status
    assert "Gabet er, hvor langt det bedste fundne forslag højst kan være" in status


def test_a_finished_runs_page_shows_the_proposals_status_not_the_last_report(
    app, db, trin3, base_run
) -> None:
    base_run.progress = {"gap": 0.5, "objective": 1.0, "bound": 0.5}
    db.commit()
    html = _html(signed_in(app, trin3.lead), f"/udvaelgelse/beregning/{base_run.id}?vis=status")
    assert "Færdig." in html and "Bevist optimal" in html
    assert "Aktuelt gab" not in html

    document = dict(base_run.proposals[0].proposal, status="feasible", gap=0.0123)
    base_run.proposals[0].proposal = document
    db.commit()
    html = _html(signed_in(app, trin3.lead), f"/udvaelgelse/beregning/{base_run.id}?vis=status")
    assert "tidsgrænsen stoppede beregningen med et gab på 1,23 %" in html
    assert "Bevist optimal" not in html and "Aktuelt gab" not in html


# --- the proposal page -------------------------------------------------------------------------


def test_proposal_page_shows_status_gauges_shares_funds_and_alternatives(
    app, db, trin3, full_run
) -> None:
    best = full_run.proposals[0]
    chosen = selected_ids(full_run)
    names = {f["id"]: f["name"] for f in full_run.problem["funds"]}
    for user in (trin3.lead, trin3.admin, trin3.member_a):
        html = _html(signed_in(app, user), f"/udvaelgelse/forslag/{best.id}")
        assert f"Forslag fra beregning {full_run.id}" in html, user.email
        assert "Bevist optimal" in html
        assert f"{len(chosen)} a-kasser: {', '.join(chosen)}" in html

        gauges = _section(html, "<caption>Målene</caption>", "</table>")
        for row in ("Forløb om året", "Andel af de nyindplacerede", "Antal a-kasser"):
            assert row in gauges, row
        assert "<meter" in gauges and "Ja" in gauges

        assert "Andelene bygger på modelleret tilgang" in html
        for dimension in ("Fagligt område", "Sektor", "Størrelse", "Region"):
            assert f"{dimension}: mål og opnået andel" in html, dimension
        assert "Region Hovedstaden" in _section(html, "Region: mål og opnået andel", "</table>")

        table = _section(html, "De valgte a-kasser", "</table>")
        assert "(modelleret tilgang)" in table
        rows = re.findall(r'<th scope="row">([^<]+)</th>', table)
        assert sorted(rows) == sorted(names[i] for i in chosen)

        why = _section(html, "Hvorfor med, hvorfor ikke med", "</ul>")
        assert "(med)" in why and "(ikke med)" in why
        assert names["Metal"] in why  # left out, and told why

        alternatives = _section(html, "Alternativer side om side")
        for rank in (1, 2, 3):
            assert f"Alternativ {rank}</a>" in alternatives
        assert 'class="extent-map"' in alternatives

        assert ("Dine noter" in html) is (user is trin3.member_a)
        assert ("Mødet og beslutningen" in html) is (user is not trin3.member_a)


def test_an_alternative_compares_itself_with_the_proposal(app, db, trin3, full_run) -> None:
    alternative = full_run.proposals[1]
    diff = services.difference(full_run.proposals[0].proposal, alternative.proposal)
    html = _html(signed_in(app, trin3.member_b), f"/udvaelgelse/forslag/{alternative.id}")
    assert f"Alternativ 1 fra beregning {full_run.id}" in html
    expected = f"I forhold til forslaget: ind {', '.join(diff.added) or '–'}, ud "
    assert expected in html
    assert "Alternativer side om side" not in html


def test_an_infeasible_what_if_shows_the_diagnosis_and_relaxations_become_runs(
    app, db, trin3, base_run
) -> None:
    lead = signed_in(app, trin3.lead)
    url = f"/udvaelgelse/forslag/{base_run.proposals[0].id}"
    response = lead.post(
        f"{url}/hvad-hvis",
        data={
            "whatif-csrf_token": token(lead, url),
            "whatif-exclude": ["3F", "FOA"],
        },
    )
    what_if = db.get(SelectionRun, _run_id(response))
    assert (what_if.kind, what_if.parent_id) == (RunKind.WHAT_IF, base_run.id)
    assert what_if.problem["locks"] == {"include": [], "exclude": ["3F", "FOA"]}
    assert what_if.problem["targets"]["funds_max"] == 4  # the parent's targets stay
    jobs.run_now(db, what_if)
    db.commit()
    assert what_if.result_status == "infeasible"

    page = f"/udvaelgelse/forslag/{what_if.proposals[0].id}"
    html = _html(lead, page)
    assert "Målene kan ikke nås på én gang." in html
    # Compared with its parent it says there is no selection, not that every a-kasse left.
    assert "ingen udvælgelse opfylder målene med disse ændringer" in html
    assert "ud: " not in html
    diagnosis = _section(html, 'id="diagnose"', "</section>")
    assert "Hvorfor målene ikke kan nås" in diagnosis
    relaxations = what_if.proposals[0].proposal["diagnosis"]["relaxations"]
    for finding in what_if.proposals[0].proposal["diagnosis"]["findings"]:
        assert finding["da"].split(" (")[0] in diagnosis
    assert "Beregn med denne ændring" in diagnosis
    assert "Registrér aftalepartiernes beslutning" not in html  # nothing to decide on

    # A party member at the meeting takes up a relaxation.
    member = signed_in(app, trin3.member_a)
    assert "Beregn med denne ændring" in _html(member, page)
    index = next(i for i, r in enumerate(relaxations) if r["target"] == "lock_exclude")
    response = member.post(f"{page}/lemp/{index}", data={"csrf_token": token(member, page)})
    relaxed = db.get(SelectionRun, _run_id(response))
    assert (relaxed.kind, relaxed.parent_id) == (RunKind.RELAXATION, what_if.id)
    assert relaxed.created_by_id == trin3.member_a.id
    assert relaxed.problem["locks"]["exclude"] == []
    assert relaxed.label == relaxations[index]["text"]["da"]
    assert relaxed.status == RunStatus.QUEUED
    assert lead.post(f"{page}/lemp/99", data={"csrf_token": token(lead, page)}).status_code == 404


def test_a_party_members_what_if_locking_in_shows_what_changed(app, db, trin3, base_run) -> None:
    assert "Metal" not in selected_ids(base_run)
    member = signed_in(app, trin3.member_b)
    url = f"/udvaelgelse/forslag/{base_run.proposals[0].id}"
    response = member.post(
        f"{url}/hvad-hvis",
        data={"whatif-csrf_token": token(member, url), "whatif-include": "Metal"},
    )
    what_if = db.get(SelectionRun, _run_id(response))
    assert (what_if.kind, what_if.created_by_id) == (RunKind.WHAT_IF, trin3.member_b.id)
    html = _html(member, f"/udvaelgelse/beregning/{what_if.id}")
    assert "I kø: venter på en ledig arbejdsproces." in html
    assert "Afbryd beregningen" not in html  # cancelling stays with the lead
    jobs.run_now(db, what_if)
    db.commit()

    assert "Metal" in selected_ids(what_if)
    html = _html(member, f"/udvaelgelse/forslag/{what_if.proposals[0].id}")
    assert f"Sammenlignet med beregning {base_run.id}:" in html
    assert "ind: Metal" in html
    assert "Låst ind: Metal. Låst ude: –." in html


def test_a_what_if_locking_an_a_kasse_in_and_out_starts_nothing(app, db, trin3, base_run) -> None:
    lead = signed_in(app, trin3.lead)
    url = f"/udvaelgelse/forslag/{base_run.proposals[0].id}"
    before = _runs(db)
    response = lead.post(
        f"{url}/hvad-hvis",
        data={
            "whatif-csrf_token": token(lead, url),
            "whatif-include": ["Metal", "FOA"],
            "whatif-exclude": ["Metal", "3F"],
        },
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "En a-kasse kan ikke både låses ind og ude: Metal." in html
    assert "Hvad-hvis-beregningen er ikke startet; ret fejlene i formularen." in html
    # The choices stay ticked.
    for name, value in (("include", "FOA"), ("include", "Metal"), ("exclude", "3F")):
        assert re.search(rf'<input checked [^>]*name="whatif-{name}" [^>]*value="{value}"', html)
    assert _runs(db) == before
    assert app.extensions["huey"].pending_count() == 0


def test_notes_and_positions_through_the_page(app, db, trin3, base_run) -> None:
    url = f"/udvaelgelse/forslag/{base_run.proposals[0].id}"
    a, b = signed_in(app, trin3.member_a), signed_in(app, trin3.member_b)
    a.post(f"{url}/note", data={"note-csrf_token": token(a, url), "note-text": "Min egen note."})
    a.post(
        f"{url}/holdning",
        data={
            "position-csrf_token": token(a, url),
            "position-stance": "supports",
            "position-comment": "A støtter.",
        },
    )
    response = b.post(
        f"{url}/holdning",
        data={
            "position-csrf_token": token(b, url),
            "position-stance": "against",
            "position-comment": "B er imod.",
        },
        follow_redirects=True,
    )
    assert "Partiets holdning er registreret" in response.get_data(as_text=True)

    db.rollback()
    db.expire_all()
    positions = {
        p.party: (p.stance, p.comment) for p in services.positions_of(db, base_run.proposals[0])
    }
    assert positions == {PARTY_A: ("supports", "A støtter."), PARTY_B: ("against", "B er imod.")}
    html_a, html_b = _html(a, url), _html(b, url)
    assert "Min egen note." in html_a and "Min egen note." not in html_b
    for html in (html_a, html_b, _html(signed_in(app, trin3.lead), url)):
        section = _section(html, 'id="holdninger"', "</section>")
        assert "A støtter." in section and "B er imod." in section
    assert f"{PARTY_B}: holdning til forslaget" in html_b


# --- the meeting, the decision and the PDFs ----------------------------------------------------


def test_the_meeting_page_follows_the_presented_proposal(
    app, db, trin3, full_run, make_user
) -> None:
    meeting = f"/udvaelgelse/runde/{trin3.call.id}/moede"
    member = signed_in(app, trin3.member_b)
    html = _html(member, meeting)
    assert "Intet forslag præsenteres endnu." in html
    # The page does not reload itself on a timer: its script asks the state URL instead.
    assert 'http-equiv="refresh"' not in html
    state_url = f"{meeting}/tilstand"
    assert f'data-state-url="{state_url}" data-shown=""' in html
    assert member.get(state_url).get_json() == {"shown": ""}

    lead = signed_in(app, trin3.lead)
    best = full_run.proposals[0]
    url = f"/udvaelgelse/forslag/{best.id}"
    response = lead.post(f"{url}/praesenter", data={"csrf_token": token(lead, url)})
    assert response.status_code == 302
    assert "Dette forslag vises nu på mødet." in _html(lead, url)

    html = _html(member, meeting)
    first = member.get(state_url).get_json()["shown"]
    assert first.startswith(f"{best.id}@")
    assert f'data-shown="{first}"' in html
    assert f"Forslag fra beregning {full_run.id}" in html
    assert f'href="/udvaelgelse/forslag/{best.id}"' in html
    assert ", ".join(selected_ids(full_run)) in html
    assert "<caption>Målene</caption>" in html

    second = full_run.proposals[1]
    alt_url = f"/udvaelgelse/forslag/{second.id}"
    lead.post(f"{alt_url}/praesenter", data={"csrf_token": token(lead, alt_url)})
    html = _html(member, meeting)
    assert f"Alternativ 1 fra beregning {full_run.id}" in html
    assert ", ".join(selected_ids(full_run, rank=2)) in html
    assert member.get(state_url).get_json()["shown"].startswith(f"{second.id}@")
    # Presenting the first proposal again is a change the page must notice too.
    lead.post(f"{url}/praesenter", data={"csrf_token": token(lead, url)})
    again = member.get(state_url).get_json()["shown"]
    assert again.startswith(f"{best.id}@") and again != first
    # Only those who may follow the meeting learn what it shows.
    fund = signed_in(app, make_user(Role.SIGNATORY, "HK"))
    refused = fund.get(state_url)
    assert refused.status_code == 403 and refused.get_json() is None
    assert app.test_client().get(state_url).status_code == 302


def test_the_decision_through_the_page_and_its_pdf(app, db, trin3, full_run) -> None:
    best = full_run.proposals[0]
    services.set_position(db, trin3.member_a, best, "supports", "Et bredt udvalg.")
    db.commit()
    url = f"/udvaelgelse/forslag/{best.id}"
    pdf_url = f"/udvaelgelse/runde/{trin3.call.id}/beslutningsreferat.pdf"
    member = signed_in(app, trin3.member_a)
    assert member.get(pdf_url).status_code == 404  # nothing decided yet

    lead = signed_in(app, trin3.lead)
    response = lead.post(
        f"{url}/beslut",
        data={
            "decision-csrf_token": token(lead, url),
            "decision-decided_on": "2026-03-02",
            "decision-minutes": "Partierne valgte forslaget på mødet den 2. marts.",
        },
        follow_redirects=True,
    )
    html = response.get_data(as_text=True)
    assert "Aftalepartiernes beslutning er registreret; udvælgelsen er låst." in html
    assert "Aftalepartierne valgte dette forslag 2. marts 2026." in html
    assert "Beregn hvad-hvis" not in html
    assert "Registrér holdning" not in _html(member, url)
    # A position posted after the decision is refused with the Danish reason.
    response = member.post(
        f"{url}/holdning",
        data={"position-csrf_token": token(member, url), "position-stance": "against"},
        follow_redirects=True,
    )
    assert "udvælgelsen er låst" in response.get_data(as_text=True)
    db.rollback()
    db.expire_all()
    assert [p.stance for p in services.positions_of(db, best)] == ["supports"]
    index = _html(member, INDEX)
    assert "Aftalepartierne traf beslutning 2. marts 2026; udvælgelsen er låst." in index
    assert "Beregn forslag" not in _html(lead, INDEX)

    response = member.get(pdf_url)
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert "beslutningsreferat" in response.headers["Content-Disposition"]
    text = pdf_text(response.data)
    assert "Beslutningsreferat: udvælgelse af a-kasser" in text
    assert "Partierne valgte forslaget på mødet den 2. marts." in text
    assert f"{PARTY_A}: støtter – Et bredt udvalg." in text
    names = {f["id"]: f["name"] for f in full_run.problem["funds"]}
    for fund in selected_ids(full_run):
        assert squeezed(names[fund]) in squeezed(text), fund
    assert full_run.input_hash in squeezed(text)
    assert "modelleret" in text


def test_the_meeting_packet_pdf_holds_the_proposal_and_its_alternatives(
    app, db, trin3, full_run
) -> None:
    member = signed_in(app, trin3.member_b)
    response = member.get(f"/udvaelgelse/beregning/{full_run.id}/moedemateriale.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = pdf_text(response.data)
    assert "Mødemateriale: forslag til udvælgelse af a-kasser" in text
    assert "Bevist optimal" in text
    for rank in (1, 2, 3):
        assert f"Alternativ {rank}" in text
    names = {f["id"]: f["name"] for f in full_run.problem["funds"]}
    for fund in selected_ids(full_run, rank=2):
        assert squeezed(names[fund]) in squeezed(text), fund

    queued = services.start_run(db, trin3.lead, trin3.call, Targets(), label="I kø")
    db.commit()
    assert member.get(f"/udvaelgelse/beregning/{queued.id}/moedemateriale.pdf").status_code == 404
