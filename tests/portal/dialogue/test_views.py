"""The dialogue meeting through the real routes: the lead writes and publishes
interpretations, plans the meeting and records the minutes; a labour-market party reads what
is published, comments and downloads the packet; and never reads a draft or an assessor's
score."""

from __future__ import annotations

import re
import subprocess
from datetime import timedelta
from html import unescape
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.dialogue import services
from portal.dialogue.services import InterpretationData, MeetingData
from portal.models import (
    CriterionInterpretation,
    DialogueMeeting,
    PartyComment,
    utcnow,
)
from tests.conftest import csrf_token, login, require_tool
from tests.portal.dialogue.conftest import SARA_MARKER, SOEREN_MARKER, World

# --- helpers -----------------------------------------------------------------------------------


def _text(response: Any) -> str:
    return unescape(response.get_data(as_text=True))


def _token(client: FlaskClient, url: str) -> str:
    return csrf_token(client.get(url).get_data(as_text=True))


def _count(db: Session, model: type[Any], *where: Any) -> int:
    db.expire_all()
    return int(db.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def _as(client: FlaskClient, email: str) -> FlaskClient:
    """A new browser of the same app, signed in as `email`."""
    other = client.application.test_client()
    login(other, email)
    return other


def _pdftotext(pdf: bytes) -> str:
    require_tool("pdftotext", "poppler-utils")
    done = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True, timeout=60
    )
    return done.stdout.decode()


def _flat(text: str) -> str:
    """Text with runs of whitespace as one space (PDF lines break anywhere)."""
    return re.sub(r"\s+", " ", text)


def _call_url(w: World) -> str:
    return f"/dialog/runde/{w.t.call.id}"


def _edit_url(w: World, position: int) -> str:
    return f"{_call_url(w)}/kriterium/{w.criteria[position - 1].id}/fortolkning"


def _publish_all(db: Session, w: World) -> None:
    for criterion in w.criteria:
        services.save_interpretation(
            db,
            w.t.lead,
            w.t.call,
            criterion,
            InterpretationData(
                f"Fortolkning-{criterion.position}: hvad talte som opfyldt.",
                f"Grænsetilfælde-{criterion.position}.",
            ),
        )
    services.publish_drafts(db, w.t.lead, w.t.call)
    db.commit()


# --- the lead's register -----------------------------------------------------------------------


def test_lead_writes_a_draft_and_publishes_it_for_the_parties(
    client: FlaskClient, db: Session, world: World
) -> None:
    login(client, world.t.lead.email)
    url = _edit_url(world, 2)
    form = client.get(url)
    assert "Du skriver den første version" in _text(form)
    saved = client.post(
        url,
        data={
            "csrf_token": csrf_token(form.get_data(as_text=True)),
            "text": "Fysiske samtaler i de søgte kommuner tæller.",
            "borderline": "Kun digitale samtaler: ikke opfyldt.",
        },
    )
    assert saved.status_code == 302
    assert saved.headers["Location"].endswith(f"#kriterium-{world.criteria[1].id}")
    page = _text(client.get(_call_url(world)))
    assert "Version 1 af fortolkningen er gemt som kladde" in page
    assert "Kladde til version 1" in page
    draft = db.scalar(select(CriterionInterpretation))
    assert draft is not None and draft.published_at is None and draft.version == 1

    # The party does not see it yet.
    party = _as(client, world.fh.email)
    assert "Fysiske samtaler i de søgte kommuner" not in _text(party.get(_call_url(world)))

    lead = _as(client, world.t.lead.email)
    published = lead.post(
        f"/dialog/fortolkning/{draft.id}/offentliggoer",
        data={"csrf_token": _token(lead, _call_url(world))},
    )
    assert published.status_code == 302
    db.expire_all()
    assert db.get(CriterionInterpretation, draft.id).published_at is not None  # type: ignore[union-attr]

    party = _as(client, world.fh.email)
    page = _text(party.get(_call_url(world)))
    assert "Fysiske samtaler i de søgte kommuner tæller." in page
    assert "Kun digitale samtaler: ikke opfyldt." in page
    assert "Version 1, offentliggjort" in page


def test_an_empty_interpretation_is_refused_in_danish_and_nothing_is_stored(
    client: FlaskClient, db: Session, world: World
) -> None:
    login(client, world.t.lead.email)
    url = _edit_url(world, 1)
    refused = client.post(
        url,
        data={
            "csrf_token": _token(client, url),
            "text": "   \r\n  ",
            "borderline": "Et grænsetilfælde, der bliver stående i formularen.",
        },
    )
    page = _text(refused)
    assert refused.status_code == 400
    assert "Skriv styrelsens fortolkning af kriteriet." in page
    assert "Der er fejl i formularen" in page
    assert "Et grænsetilfælde, der bliver stående i formularen." in page
    assert _count(db, CriterionInterpretation) == 0


def test_a_revision_needs_a_change_note_and_the_history_shows_both_versions(
    client: FlaskClient, db: Session, world: World
) -> None:
    _publish_all(db, world)
    login(client, world.t.lead.email)
    url = _edit_url(world, 1)
    form = _text(client.get(url))
    assert "Version 1 er offentliggjort og ændres ikke" in form
    data = {"csrf_token": _token(client, url), "text": "Skærpet fortolkning.", "borderline": ""}
    refused = client.post(url, data=data)
    assert refused.status_code == 400
    assert "Skriv, hvad der er ændret i forhold til den offentliggjorte version." in _text(refused)
    assert _count(db, CriterionInterpretation) == 6
    client.post(url, data={**data, "change_note": "Kravet om årsværk er skærpet."})
    second = db.scalar(select(CriterionInterpretation).where(CriterionInterpretation.version == 2))
    assert second is not None
    services.publish_interpretation(db, world.t.lead, second)
    db.commit()

    party = _as(client, world.fh.email)
    history = _text(party.get(f"{_call_url(world)}/kriterium/{world.criteria[0].id}"))
    assert history.index("Version 2") < history.index("Version 1")
    assert "Kravet om årsværk er skærpet." in history
    assert "Skærpet fortolkning." in history and "Fortolkning-1: hvad talte som opfyldt." in history
    page = _text(party.get(_call_url(world)))
    assert "Se historikken (2 versioner)" in page


# --- what a labour-market party may see --------------------------------------------------------


def test_a_party_gets_404_for_a_draft_and_the_agency_reads_it(
    client: FlaskClient, db: Session, world: World
) -> None:
    _publish_all(db, world)
    draft = services.save_interpretation(
        db,
        world.t.lead,
        world.t.call,
        world.criteria[4],
        InterpretationData("Hemmelig-kladde-7Q.", "", "Under overvejelse."),
    )
    db.commit()
    login(client, world.fh.email)
    assert client.get(f"/dialog/fortolkning/{draft.id}").status_code == 404
    history = _text(client.get(f"{_call_url(world)}/kriterium/{world.criteria[4].id}"))
    assert "Hemmelig-kladde-7Q." not in history and "Version 1" in history
    assert "Hemmelig-kladde-7Q." not in _text(client.get(_call_url(world)))
    assert "Hemmelig-kladde-7Q." not in _pdftotext(
        client.get(f"{_call_url(world)}/dialogmoede.pdf").data
    )
    for agency in (world.t.sara, world.admin, world.t.lead):
        page = _as(client, agency.email).get(f"/dialog/fortolkning/{draft.id}")
        assert page.status_code == 200 and "Hemmelig-kladde-7Q." in _text(page)


def test_a_party_never_reads_an_assessors_score_nor_a_fund_name_before_they_are_published(
    client: FlaskClient, db: Session, decided: World
) -> None:
    w = decided
    _publish_all(db, w)
    hk_name = w.t.hk.organisation.name  # type: ignore[union-attr]
    login(client, w.fh.email)
    pages = [
        _text(client.get(url))
        for url in (
            "/",
            "/dialog/",
            _call_url(w),
            f"{_call_url(w)}/kriterium/{w.criteria[0].id}",
        )
    ]
    pages.append(_pdftotext(client.get(f"{_call_url(w)}/dialogmoede.pdf").data))
    for page in pages:
        for secret in (SARA_MARKER, SOEREN_MARKER, w.t.sara.name, w.t.soeren.name, hk_name):
            assert secret not in page
    # The distribution is there, as counts.
    assert "Fordeling af de konsoliderede scorer for kriterium 1" in pages[2]
    # Assessment pages stay closed to the party.
    assert client.get(f"/vurdering/ansoegning/{w.t.hk_version.id}").status_code == 403

    services.save_meeting(
        db, w.t.lead, w.t.call, MeetingData(utcnow() + timedelta(days=3), "Sted", "Punkt", True)
    )
    db.commit()
    page = _text(client.get(_call_url(w)))
    assert hk_name in page
    assert SARA_MARKER not in page and SOEREN_MARKER not in page


# --- comments ----------------------------------------------------------------------------------


def test_a_party_comments_and_sees_only_its_own_partys_comments(
    client: FlaskClient, db: Session, world: World
) -> None:
    login(client, world.fh.email)
    url = _call_url(world)
    sent = client.post(
        f"{url}/bemaerkning",
        data={
            "csrf_token": _token(client, url),
            "criterion": str(world.criteria[1].id),
            "text": "FH-bemærkning om geografisk forankring.",
        },
    )
    assert sent.status_code == 302 and sent.headers["Location"].endswith("#bemaerkninger")
    page = _text(client.get(url))
    assert "FH-bemærkning om geografisk forankring." in page
    assert "Fagbevægelsens Hovedorganisation" in page
    stored = db.scalar(select(PartyComment))
    assert stored is not None and stored.criterion_id == world.criteria[1].id

    other = _as(client, world.da.email)
    assert "FH-bemærkning" not in _text(other.get(url))
    lead = _as(client, world.t.lead.email)
    assert "FH-bemærkning om geografisk forankring." in _text(lead.get(url))


def test_an_empty_comment_is_refused_in_danish_and_nothing_is_stored(
    client: FlaskClient, db: Session, world: World
) -> None:
    login(client, world.fh.email)
    url = _call_url(world)
    refused = client.post(
        f"{url}/bemaerkning", data={"csrf_token": _token(client, url), "criterion": "", "text": " "}
    )
    assert refused.status_code == 400
    assert "Skriv bemærkningen." in _text(refused)
    assert _count(db, PartyComment) == 0


# --- the meeting, minutes and packet -----------------------------------------------------------


def test_lead_plans_the_meeting_and_records_minutes_after_it(
    client: FlaskClient, db: Session, world: World
) -> None:
    login(client, world.t.lead.email)
    url = f"{_call_url(world)}/moede"
    form = _text(client.get(url))
    assert "1. Velkomst og mødets formål" in form  # the proposed agenda
    saved = client.post(
        url,
        data={
            "csrf_token": _token(client, url),
            "starts_at": "2099-05-04T10:00",
            "place": "Njalsgade 72A, mødelokale 3",
            "agenda": "1. Velkomst\n2. Fortolkningerne",
        },
    )
    assert saved.status_code == 302
    meeting = db.scalar(select(DialogueMeeting))
    assert meeting is not None and meeting.starts_at.isoformat() == "2099-05-04T08:00:00+00:00"
    assert not meeting.names_published
    page = _text(client.get(_call_url(world)))
    assert "Njalsgade 72A, mødelokale 3" in page and "2. Fortolkningerne" in page

    early = client.post(
        f"{_call_url(world)}/referat",
        data={"csrf_token": _token(client, url), "minutes": "For tidligt."},
    )
    assert early.status_code == 302
    assert "Referatet kan først registreres, når dialogmødet er holdt." in _text(
        client.get(early.headers["Location"])
    )
    db.expire_all()
    assert db.scalar(select(DialogueMeeting)).minutes is None  # type: ignore[union-attr]

    services.save_meeting(
        db,
        world.t.lead,
        world.t.call,
        MeetingData(utcnow() - timedelta(hours=2), "Njalsgade 72A", "1. Velkomst", False),
    )
    db.commit()
    recorded = client.post(
        f"{_call_url(world)}/referat",
        data={"csrf_token": _token(client, url), "minutes": "Parterne drøftede kriterium 2."},
    )
    assert recorded.status_code == 302
    party = _as(client, world.fh.email)
    page = _text(party.get(_call_url(world)))
    assert "Parterne drøftede kriterium 2." in page and "Referat" in page
    assert "der kan ikke længere skrives bemærkninger" in page


def test_the_packet_holds_interpretations_agenda_distributions_and_decisions(
    client: FlaskClient, db: Session, decided: World
) -> None:
    w = decided
    _publish_all(db, w)
    services.save_meeting(
        db,
        w.t.lead,
        w.t.call,
        MeetingData(
            utcnow() + timedelta(days=5),
            "Njalsgade 72A",
            "1. Velkomst\n2. Dagsordenspunkt-om-fortolkninger",
        ),
    )
    db.commit()
    login(client, w.fh.email)
    response = client.get(f"{_call_url(w)}/dialogmoede.pdf")
    assert response.mimetype == "application/pdf"
    assert "dialogmoede-runde" in response.headers["Content-Disposition"]
    text = _flat(_pdftotext(response.data))
    assert "Materiale til dialogmødet med arbejdsmarkedets parter" in text
    assert "Dagsordenspunkt-om-fortolkninger" in text and "Njalsgade 72A" in text
    for criterion in w.criteria:
        assert f"Fortolkning-{criterion.position}: hvad talte som opfyldt." in text
        assert f"Grænsetilfælde-{criterion.position}." in text
    assert "Fordeling af de konsoliderede scorer" in text
    assert "Kan ikke vurderes" in text
    assert "Afgørelser om støtteberettigelse" in text
    assert "Støtteberettigede a-kasser 1" in text and "Ikke støtteberettigede 1" in text
    assert "frikommune" in text.lower()
    assert "Ingen a-kasse nævnes ved navn" in text
    assert w.t.hk.organisation.name not in text  # type: ignore[union-attr]


# --- start pages -------------------------------------------------------------------------------


def _task_links(html: str) -> list[str]:
    block = html.split('<ul class="task-list">', 1)[1].split("</ul>", 1)[0]
    return [unescape(href) for href in re.findall(r'href="([^"]+)"', block)]


def test_the_parties_start_page_leads_to_their_material(
    client: FlaskClient, db: Session, world: World
) -> None:
    login(client, world.fh.email)
    empty = _text(client.get("/"))
    assert "Styrelsen har endnu ikke offentliggjort sin fortolkning" in empty
    _publish_all(db, world)
    home = client.get("/")
    links = _task_links(home.get_data(as_text=True))
    assert f"{_call_url(world)}/dialogmoede.pdf" in links
    assert f"{_call_url(world)}#fortolkninger" in links
    assert "6 af 6 kriterier har en offentliggjort fortolkning" in _text(home)
    for link in links:
        assert client.get(link.split("#")[0]).status_code == 200, link


def test_the_leads_start_page_leads_to_the_register(
    client: FlaskClient, db: Session, world: World
) -> None:
    services.save_interpretation(
        db, world.t.lead, world.t.call, world.criteria[0], InterpretationData("Kladde.")
    )
    db.commit()
    login(client, world.t.lead.email)
    home = client.get("/")
    assert "0 af 6 kriterier offentliggjort, 1 kladde" in _text(home)
    link = f"{_call_url(world)}#fortolkninger"
    assert link in _task_links(home.get_data(as_text=True))
    assert client.get(_call_url(world)).status_code == 200
