"""The agency's assessment area and the a-kasse's status page through the real routes:
overview, assignment, declarations, sealed scoring, requests for information,
consolidation, decision, publication and the start pages."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date, timedelta
from html import unescape
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.assessment import rules, services
from portal.mail import OutboxItem, list_outbox, read_outbox
from portal.models import (
    Assessment,
    AssessmentStatus,
    Assignment,
    ConflictDeclaration,
    Consolidation,
    DecisionStatus,
    EligibilityDecision,
    InformationRequest,
    Role,
    User,
    utcnow,
)
from tests.conftest import csrf_token, login
from tests.portal.assessment.conftest import Trin2

SOEREN_MARKER = "Soeren-marker-Q7X"
SARA_MARKER = "Sara-marker-K4M"


# --- helpers -----------------------------------------------------------------------------------


def _text(response: Any) -> str:
    """The page as the reader sees it: HTML entities (quotes, apostrophes) decoded."""
    return unescape(response.get_data(as_text=True))


def _token(client: FlaskClient, url: str = "/") -> str:
    return csrf_token(client.get(url).get_data(as_text=True))


def _overview_table(html: str) -> str:
    match = re.search(
        r'<table class="table table--compact" id="overview">(.*?)</table>', html, re.S
    )
    assert match, "no overview table"
    return match.group(1)


def _outbox(app: Flask) -> list[OutboxItem]:
    return list_outbox(app.config["OUTBOX_DIR"])


def _mail_body(app: Flask, name: str) -> str:
    return read_outbox(app.config["OUTBOX_DIR"], name).get_body(("plain",)).get_content()


def _count(db: Session, model: type, **where: Any) -> int:
    db.expire_all()
    query = select(func.count()).select_from(model).filter_by(**where)
    return int(db.scalar(query) or 0)


def _entries(t: Trin2, text: str, score: int = 3) -> list[rules.ScoreEntry]:
    """A complete assessment of HK's application: every justification carries the text."""
    return [
        rules.ScoreEntry(c.id, score, f"{text} ({c.position})")
        for c in services.criteria_of(t.hk_version)
    ]


def _assign_and_declare(db: Session, t: Trin2, *people: User, version: Any = None) -> None:
    version = version or t.hk_version
    for person in people:
        services.add_assignment(db, t.lead, version, person)
        services.declare(db, person, version, False, "")
    db.commit()


def _submit(db: Session, who: User, t: Trin2, text: str, score: int = 3) -> Assessment:
    assessment = services.save_assessment(db, who, t.hk_version, _entries(t, text, score), True)
    db.commit()
    return assessment


def _score_form(t: Trin2, token: str, texts: dict[int, str], score: int = 3) -> dict[str, str]:
    """The scoring form as a browser posts it: a score on every criterion, the given texts."""
    data = {"csrf_token": token, "action": "submit"}
    for c in services.criteria_of(t.hk_version):
        data[f"score_{c.id}"] = str(score)
        data[f"justification_{c.id}"] = texts.get(c.id, "")
    return data


def _consolidation_form(t: Trin2, token: str) -> dict[str, str]:
    """The consolidation form signed off: score 3 with a reasoning on every criterion."""
    data = {"csrf_token": token, "action": "sign_off"}
    for c in services.criteria_of(t.hk_version):
        data[f"score_{c.id}"] = "3"
        data[f"reasoning_{c.id}"] = f"Konsolideret begrundelse {c.position}."
        data[f"dissent_assessor_{c.id}"] = ""
        data[f"dissent_{c.id}"] = ""
    return data


def _sign_off(db: Session, t: Trin2) -> None:
    entries = [
        services.ConsolidatedEntry(c.id, 3, f"Konsolideret begrundelse {c.position}.")
        for c in services.criteria_of(t.hk_version)
    ]
    services.save_consolidation(db, t.lead, t.hk_version, entries, sign_off=True)
    db.commit()


@pytest.fixture()
def t(db: Session, trin2: Trin2) -> Trin2:
    """The Trin 2 people with names that tell them apart on the pages."""
    trin2.lead.name = "Lene Leder"
    trin2.sara.name = "Sara Sagsbehandler"
    trin2.soeren.name = "Søren Sagsbehandler"
    db.commit()
    return trin2


@pytest.fixture()
def submitted(db: Session, t: Trin2) -> Trin2:
    """Both assessors assigned to HK's application, declared and submitted."""
    _assign_and_declare(db, t, t.sara, t.soeren)
    _submit(db, t.sara, t, SARA_MARKER)
    _submit(db, t.soeren, t, SOEREN_MARKER)
    return t


def _hk_name(t: Trin2) -> str:
    return t.hk_version.application.organisation.name


def _threef_name(t: Trin2) -> str:
    return t.threef_version.application.organisation.name


# --- 1. the overview ---------------------------------------------------------------------------


def test_overview_lead_sees_both_funds_with_links_to_the_reading_view(client, t) -> None:
    login(client, t.lead.email)
    page = _text(client.get(f"/vurdering/runde/{t.call.id}"))
    assert "2 ansøgninger kan vurderes." in page
    rows = _overview_table(page)
    assert "2 ansøgninger vist" in rows
    for version, name in ((t.hk_version, _hk_name(t)), (t.threef_version, _threef_name(t))):
        assert f'<a href="/vurdering/ansoegning/{version.id}">{name}</a>' in rows
    assert rows.count("Mangler 2 sagsbehandlere") == 2
    assert "Offentliggør afgørelserne" not in page  # nothing pending


def test_overview_filters_change_the_rows(client, db, t) -> None:
    _assign_and_declare(db, t, t.sara, t.soeren)
    services.request_information(
        db, t.lead, t.threef_version, "Hvor mange årsværk?", utcnow() + timedelta(days=7)
    )
    db.commit()
    login(client, t.lead.email)
    base = f"/vurdering/runde/{t.call.id}"

    gaps = _overview_table(_text(client.get(f"{base}?vis=mangler-fordeling")))
    assert _threef_name(t) in gaps and _hk_name(t) not in gaps
    assert "1 ansøgning vist" in gaps

    asked = _overview_table(_text(client.get(f"{base}?vis=oplysninger")))
    assert _threef_name(t) in asked and _hk_name(t) not in asked
    assert "Oplysninger efterspurgt, ikke besvaret" in asked

    ready = _overview_table(_text(client.get(f"{base}?vis=klar")))
    assert "Ingen ansøgninger passer til filteret." in ready
    _submit(db, t.sara, t, SARA_MARKER)
    _submit(db, t.soeren, t, SOEREN_MARKER, score=0)
    ready = _overview_table(_text(client.get(f"{base}?vis=klar")))
    assert _hk_name(t) in ready and _threef_name(t) not in ready
    assert "Konsolidér" in ready

    disagree = _overview_table(_text(client.get(f"{base}?vis=konflikt")))
    assert _hk_name(t) in disagree and "Uenige scorer (2 point eller mere)" in disagree

    everything = _overview_table(_text(client.get(f"{base}?vis=ukendt")))
    assert _hk_name(t) in everything and _threef_name(t) in everything


def test_overview_assessor_sees_by_default_only_applications_assigned_to_them(
    client, db, t
) -> None:
    services.add_assignment(db, t.lead, t.hk_version, t.sara)
    db.commit()
    login(client, t.sara.email)
    page = _text(client.get(f"/vurdering/runde/{t.call.id}"))
    rows = _overview_table(page)
    assert _hk_name(t) in rows and _threef_name(t) not in rows
    assert f'href="/vurdering/ansoegning/{t.hk_version.id}/erklaering"' in rows
    assert "Afgiv habilitetserklæring" in rows
    assert f'href="/vurdering/ansoegning/{t.hk_version.id}"' not in rows  # declare first
    assert "Fordel ansøgninger" not in page

    everything = _overview_table(_text(client.get(f"/vurdering/runde/{t.call.id}?vis=alle")))
    assert _threef_name(t) in everything
    assert f'href="/vurdering/ansoegning/{t.threef_version.id}"' not in everything


# --- 2. assignment -----------------------------------------------------------------------------


def test_propose_assigns_both_assessors_to_every_application(client, db, t) -> None:
    login(client, t.lead.email)
    token = _token(client, f"/vurdering/runde/{t.call.id}/fordeling")
    response = client.post(
        f"/vurdering/runde/{t.call.id}/fordeling/forslag",
        data={"csrf_token": token},
        follow_redirects=True,
    )
    page = _text(response)
    assert "Fordelingen er foreslået: 4 nye tildelinger." in page
    assert "Mangler" not in page
    db.expire_all()
    pairs = {(a.version_id, a.assessor_id) for a in db.scalars(select(Assignment))}
    assert pairs == {
        (v.id, person.id) for v in (t.hk_version, t.threef_version) for person in (t.sara, t.soeren)
    }
    assert all(a.assigned_by_id == t.lead.id for a in db.scalars(select(Assignment)))


def test_manual_assign_and_unassign(client, db, t) -> None:
    vid = t.hk_version.id
    login(client, t.lead.email)
    page = client.get(f"/vurdering/runde/{t.call.id}/fordeling").get_data(as_text=True)
    assert f'name="v{vid}-assessor"' in page
    response = client.post(
        f"/vurdering/fordeling/{vid}",
        data={f"v{vid}-csrf_token": csrf_token(page), f"v{vid}-assessor": str(t.sara.id)},
        follow_redirects=True,
    )
    assert f"Sara Sagsbehandler er tildelt ansøgningen fra {_hk_name(t)}." in _text(response)
    assert _count(db, Assignment, version_id=vid, assessor_id=t.sara.id) == 1
    assert _count(db, Assignment) == 1

    response = client.post(
        f"/vurdering/fordeling/{vid}/fjern/{t.sara.id}",
        data={"csrf_token": _token(client, f"/vurdering/runde/{t.call.id}/fordeling")},
        follow_redirects=True,
    )
    assert "Sara Sagsbehandler er fjernet fra ansøgningen." in _text(response)
    assert _count(db, Assignment) == 0


def test_an_assessor_who_has_started_is_not_offered_for_removal(client, db, t) -> None:
    vid = t.hk_version.id
    services.add_assignment(db, t.lead, t.hk_version, t.sara)
    services.add_assignment(db, t.lead, t.hk_version, t.soeren)
    services.declare(db, t.sara, t.hk_version, False, "")
    criteria = list(t.call.criteria_set.criteria)
    services.save_assessment(
        db, t.sara, t.hk_version, [rules.ScoreEntry(criteria[0].id, 2, "Ok.")], False
    )
    db.commit()
    login(client, t.lead.email)
    page = client.get(f"/vurdering/runde/{t.call.id}/fordeling").get_data(as_text=True)
    assert f"/vurdering/fordeling/{vid}/fjern/{t.soeren.id}" in page
    assert f"/vurdering/fordeling/{vid}/fjern/{t.sara.id}" not in page
    assert "har påbegyndt sin vurdering" in page


def test_assigning_an_assessor_with_a_declared_conflict_is_refused(client, db, t) -> None:
    vid = t.hk_version.id
    services.add_assignment(db, t.lead, t.hk_version, t.sara)
    services.declare(db, t.sara, t.hk_version, True, "Tidligere ansat i a-kassen.")
    db.commit()
    login(client, t.lead.email)
    page = client.get(f"/vurdering/runde/{t.call.id}/fordeling").get_data(as_text=True)
    select_html = re.search(rf'<select[^>]*name="v{vid}-assessor".*?</select>', page, re.S)
    assert select_html and "Sara Sagsbehandler" not in select_html.group(0)
    assert "Tidligere ansat i a-kassen." in page

    response = client.post(
        f"/vurdering/fordeling/{vid}",
        data={f"v{vid}-csrf_token": csrf_token(page), f"v{vid}-assessor": str(t.sara.id)},
        follow_redirects=True,
    )
    assert (
        "Sara Sagsbehandler har erklæret interessekonflikt for denne ansøgning og kan ikke "
        "tildeles den." in _text(response)
    )
    assert _count(db, Assignment) == 0


# --- 3. declaration first ----------------------------------------------------------------------


def test_assigned_assessor_is_sent_to_the_declaration_first(client, db, t) -> None:
    services.add_assignment(db, t.lead, t.hk_version, t.sara)
    db.commit()
    login(client, t.sara.email)
    for url in (
        f"/vurdering/ansoegning/{t.hk_version.id}",
        f"/vurdering/ansoegning/{t.hk_version.id}/vurdering",
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert response.headers["Location"].endswith(
            f"/vurdering/ansoegning/{t.hk_version.id}/erklaering"
        )
    page = _text(client.get(f"/vurdering/ansoegning/{t.hk_version.id}", follow_redirects=True))
    assert "Før du ser ansøgningens indhold, skal du erklære" in page
    assert "Svar på" not in page  # none of the a-kasse's answers yet
    assert _count(db, ConflictDeclaration) == 0


def test_unassigned_assessor_gets_404(client, db, t) -> None:
    services.add_assignment(db, t.lead, t.hk_version, t.sara)
    db.commit()
    login(client, t.soeren.email)
    for url in (
        f"/vurdering/ansoegning/{t.hk_version.id}",
        f"/vurdering/ansoegning/{t.hk_version.id}/erklaering",
        f"/vurdering/ansoegning/{t.hk_version.id}/vurdering",
    ):
        response = client.get(url)
        assert response.status_code == 404
        assert "Svar på" not in _text(response)
    assert _count(db, ConflictDeclaration) == 0


def test_no_conflict_declaration_opens_the_scoring_page(client, db, t) -> None:
    services.add_assignment(db, t.lead, t.hk_version, t.sara)
    db.commit()
    login(client, t.sara.email)
    url = f"/vurdering/ansoegning/{t.hk_version.id}/erklaering"
    response = client.post(
        url, data={"csrf_token": _token(client, url), "choice": "none", "reason": ""}
    )
    assert response.headers["Location"].endswith(
        f"/vurdering/ansoegning/{t.hk_version.id}/vurdering"
    )
    page = _text(client.get(response.headers["Location"]))
    assert "Din habilitetserklæring er registreret." in page and "Din vurdering" in page
    declared = db.scalar(select(ConflictDeclaration))
    assert declared.assessor_id == t.sara.id and not declared.has_conflict
    read = _text(client.get(f"/vurdering/ansoegning/{t.hk_version.id}"))
    assert "Svar på" in read and "ingen interessekonflikt" in read


def test_conflict_without_reason_keeps_the_choice_and_stores_nothing(client, db, t) -> None:
    services.add_assignment(db, t.lead, t.hk_version, t.sara)
    db.commit()
    login(client, t.sara.email)
    url = f"/vurdering/ansoegning/{t.hk_version.id}/erklaering"
    response = client.post(
        url, data={"csrf_token": _token(client, url), "choice": "conflict", "reason": "  "}
    )
    raw = response.get_data(as_text=True)
    page = unescape(raw)
    assert re.search(
        r'<span class="form-error-message" id="reason-error">.*?Beskriv interessekonflikten\.',
        page,
        re.S,
    )
    assert re.search(r'<input checked[^>]*value="conflict"', raw)
    assert not re.search(r'<input checked[^>]*value="none"', raw)
    assert _count(db, ConflictDeclaration) == 0
    assert _count(db, Assignment, assessor_id=t.sara.id) == 1


def test_conflict_removes_the_assignment_and_mails_the_lead(app, client, db, t) -> None:
    services.add_assignment(db, t.lead, t.hk_version, t.sara)
    db.commit()
    before = {item.name for item in _outbox(app)}
    login(client, t.sara.email)
    url = f"/vurdering/ansoegning/{t.hk_version.id}/erklaering"
    response = client.post(
        url,
        data={
            "csrf_token": _token(client, url),
            "choice": "conflict",
            "reason": "Min bror er formand for a-kassen.",
        },
        follow_redirects=True,
    )
    page = _text(response)
    assert "Din interessekonflikt er registreret, og du er fjernet fra ansøgningen." in page
    assert _count(db, Assignment) == 0
    declared = db.scalar(select(ConflictDeclaration))
    assert declared.has_conflict and declared.reason == "Min bror er formand for a-kassen."

    new = [item for item in _outbox(app) if item.name not in before]
    assert len(new) == 1
    assert new[0].to == t.lead.email
    assert (
        new[0].subject.strip()
        == f"Interessekonflikt: Sara Sagsbehandler kan ikke vurdere {_hk_name(t)}"
    )
    assert "Min bror er formand for a-kassen." in _mail_body(app, new[0].name)

    assert client.get(f"/vurdering/ansoegning/{t.hk_version.id}").status_code == 404


# --- 4. scoring --------------------------------------------------------------------------------


def test_scoring_with_a_missing_justification_shows_the_error_and_stores_nothing(
    client, db, t
) -> None:
    _assign_and_declare(db, t, t.sara)
    criteria = services.criteria_of(t.hk_version)
    missing = criteria[2]
    texts = {c.id: f"Typed-{c.position}-text" for c in criteria if c.id != missing.id}
    login(client, t.sara.email)
    url = f"/vurdering/ansoegning/{t.hk_version.id}/vurdering"
    response = client.post(url, data=_score_form(t, _token(client, url), texts))
    page = _text(response)
    assert "Vurderingen har 1 fejl; se ved kriterierne." in page
    assert re.search(
        rf'id="justification_{missing.id}-error">.*?Skriv en begrundelse\.', page, re.S
    )
    assert page.count("Skriv en begrundelse.") == 2  # summary and next to the field
    for c in criteria:
        if c.id != missing.id:
            assert f"Typed-{c.position}-text" in page
            assert f'id="justification_{c.id}-error"' not in page
    assert _count(db, Assessment) == 0


def test_complete_scoring_is_stored_and_a_second_post_is_refused(client, db, t) -> None:
    _assign_and_declare(db, t, t.sara)
    criteria = services.criteria_of(t.hk_version)
    login(client, t.sara.email)
    url = f"/vurdering/ansoegning/{t.hk_version.id}/vurdering"
    texts = {c.id: f"{SARA_MARKER} {c.position}" for c in criteria}
    response = client.post(url, data=_score_form(t, _token(client, url), texts))
    assert response.headers["Location"].endswith(
        f"/vurdering/ansoegning/{t.hk_version.id}#vurderinger"
    )
    page = _text(client.get(response.headers["Location"]))
    assert "Din vurdering er indsendt. Nu kan du se de andres vurderinger." in page
    db.expire_all()
    stored = db.scalar(select(Assessment))
    assert stored.status == AssessmentStatus.COMPLETED and stored.submitted_at is not None
    assert {s.criterion_id: (s.score, s.justification) for s in stored.scores} == {
        c.id: (3, texts[c.id]) for c in criteria
    }
    submitted_at = stored.submitted_at

    changed = {c.id: "Ændret efter indsendelse" for c in criteria}
    response = client.post(url, data=_score_form(t, _token(client, url), changed, score=0))
    page = _text(response)
    assert "Din vurdering er allerede indsendt og kan ikke ændres." in page
    db.expire_all()
    stored = db.scalar(select(Assessment))
    assert stored.submitted_at == submitted_at
    assert {s.criterion_id: (s.score, s.justification) for s in stored.scores} == {
        c.id: (3, texts[c.id]) for c in criteria
    }
    assert _count(db, Assessment) == 1


def test_refused_second_post_shows_the_stored_assessment(client, db, t) -> None:
    _assign_and_declare(db, t, t.sara)
    _submit(db, t.sara, t, SARA_MARKER)
    criteria = services.criteria_of(t.hk_version)
    login(client, t.sara.email)
    url = f"/vurdering/ansoegning/{t.hk_version.id}/vurdering"
    changed = {c.id: "Ændret efter indsendelse" for c in criteria}
    page = _text(client.post(url, data=_score_form(t, _token(client, url), changed, score=0)))
    assert "Din vurdering er allerede indsendt og kan ikke ændres." in page
    assert SARA_MARKER in page
    assert "Ændret efter indsendelse" not in page


# --- 5. the sealed rule ------------------------------------------------------------------------


def _cells(data: bytes) -> list[str]:
    book = load_workbook(io.BytesIO(data))
    return [
        str(cell.value)
        for sheet in book.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if cell.value is not None
    ]


def test_sealed_rule_hides_the_other_assessment_on_every_path_until_own_submission(
    app, client, db, make_user, t
) -> None:
    _assign_and_declare(db, t, t.sara, t.soeren)
    soeren = _submit(db, t.soeren, t, SOEREN_MARKER)
    services.save_assessment(db, t.sara, t.hk_version, _entries(t, SARA_MARKER)[:1], False)
    db.commit()
    vid, call_id = t.hk_version.id, t.call.id
    login(client, t.sara.email)

    read = _text(client.get(f"/vurdering/ansoegning/{vid}"))
    assert "De andre sagsbehandleres vurderinger er forseglede" in read
    assert SARA_MARKER in read  # her own draft
    assert SOEREN_MARKER not in read
    assert '<th scope="col">Søren Sagsbehandler</th>' not in read  # no column of his scores

    score = _text(client.get(f"/vurdering/ansoegning/{vid}/vurdering"))
    assert "Din vurdering" in score and SARA_MARKER in score
    assert SOEREN_MARKER not in score

    csv = client.get(f"/vurdering/runde/{call_id}/vurderinger.csv")
    csv_text = csv.get_data().decode("utf-8-sig")
    assert csv_text.startswith("A-kasse;Version;Kriterium;Sagsbehandler")
    assert SARA_MARKER in csv_text and "Kladde" in csv_text
    assert SOEREN_MARKER not in csv_text

    xlsx = client.get(f"/vurdering/runde/{call_id}/vurderinger.xlsx")
    cells = _cells(xlsx.get_data())
    assert "Begrundelse" in cells and any(SARA_MARKER in c for c in cells)
    assert not any(SOEREN_MARKER in c for c in cells)

    sealed_json = client.get(f"/vurdering/api/vurdering/{soeren.id}")
    assert sealed_json.status_code == 404
    assert SOEREN_MARKER not in sealed_json.get_data(as_text=True)

    overview = _text(client.get(f"/vurdering/runde/{call_id}"))
    assert SOEREN_MARKER not in overview

    make_user(Role.ADMIN, "STAR", email="admin@test.dk")
    admin = app.test_client()
    login(admin, "admin@test.dk")
    dossier = admin.get(f"/admin/ansoegning/{t.hk_version.application_id}/dossier.zip")
    with zipfile.ZipFile(io.BytesIO(dossier.get_data())) as archive:
        names = archive.namelist()
        assert any(name.endswith("/ansoegning.pdf") for name in names)
        for name in names:
            data = archive.read(name)
            for encoding in ("utf-8", "utf-16-be", "utf-16-le"):
                assert SOEREN_MARKER.encode(encoding) not in data, name

    # Sara submits: now the sealed rule opens Søren's submitted assessment to her.
    services.save_assessment(db, t.sara, t.hk_version, _entries(t, SARA_MARKER), True)
    db.commit()
    read = _text(client.get(f"/vurdering/ansoegning/{vid}"))
    assert SOEREN_MARKER in read and "vurderinger er forseglede" not in read
    csv_text = (
        client.get(f"/vurdering/runde/{call_id}/vurderinger.csv").get_data().decode("utf-8-sig")
    )
    assert SOEREN_MARKER in csv_text
    opened = client.get(f"/vurdering/api/vurdering/{soeren.id}")
    assert opened.status_code == 200
    body = opened.get_json()
    assert body["assessor_id"] == t.soeren.id and body["status"] == "completed"
    assert all(SOEREN_MARKER in s["justification"] for s in body["scores"])


def test_sealed_draft_of_the_other_assessor_stays_hidden_after_own_submission(
    client, db, t
) -> None:
    _assign_and_declare(db, t, t.sara, t.soeren)
    services.save_assessment(db, t.soeren, t.hk_version, _entries(t, SOEREN_MARKER), False)
    db.commit()
    _submit(db, t.sara, t, SARA_MARKER)
    draft = db.scalar(select(Assessment).where(Assessment.assessor_id == t.soeren.id))
    login(client, t.sara.email)
    read = _text(client.get(f"/vurdering/ansoegning/{t.hk_version.id}"))
    assert SARA_MARKER in read and SOEREN_MARKER not in read
    csv_text = (
        client.get(f"/vurdering/runde/{t.call.id}/vurderinger.csv").get_data().decode("utf-8-sig")
    )
    assert SARA_MARKER in csv_text and SOEREN_MARKER not in csv_text
    assert client.get(f"/vurdering/api/vurdering/{draft.id}").status_code == 404
    assert draft.status == AssessmentStatus.IN_PROGRESS


def test_consolidation_opens_the_scores_to_the_assessors_of_the_application_only(
    app, client, db, make_user, submitted
) -> None:
    t = submitted
    outsider = make_user(Role.ASSESSOR, "STAR", email="tove@test.dk")
    _assign_and_declare(db, t, outsider, version=t.threef_version)
    _sign_off(db, t)
    soeren = db.scalar(select(Assessment).where(Assessment.assessor_id == t.soeren.id))
    login(client, outsider.email)
    csv_text = (
        client.get(f"/vurdering/runde/{t.call.id}/vurderinger.csv").get_data().decode("utf-8-sig")
    )
    assert csv_text.startswith("A-kasse;") and SOEREN_MARKER not in csv_text
    assert SARA_MARKER not in csv_text
    sealed = client.get(f"/vurdering/api/vurdering/{soeren.id}")
    assert sealed.status_code == 404 and SOEREN_MARKER not in sealed.get_data(as_text=True)
    assert client.get(f"/vurdering/ansoegning/{t.hk_version.id}").status_code == 404

    sara = app.test_client()
    login(sara, t.sara.email)
    read = _text(sara.get(f"/vurdering/ansoegning/{t.hk_version.id}"))
    assert SOEREN_MARKER in read and SARA_MARKER in read


# --- 6. requests for information ---------------------------------------------------------------


def test_question_with_a_past_due_date_keeps_the_text_and_stores_nothing(
    app, client, db, t
) -> None:
    _assign_and_declare(db, t, t.sara)
    before = len(_outbox(app))
    login(client, t.sara.email)
    url = f"/vurdering/ansoegning/{t.hk_version.id}"
    response = client.post(
        f"{url}/spoergsmaal",
        data={
            "csrf_token": _token(client, url),
            "question": "Hvordan bemander I forløbene i Hovedstaden?",
            "answer_due": (date.today() - timedelta(days=1)).isoformat(),
        },
    )
    assert response.status_code == 400
    page = _text(response)
    assert re.search(r'id="answer_due-error">.*?Svarfristen skal ligge i fremtiden\.', page, re.S)
    assert "Hvordan bemander I forløbene i Hovedstaden?</textarea>" in page
    assert _count(db, InformationRequest) == 0
    assert len(_outbox(app)) == before


def test_question_with_a_due_date_in_year_9999_is_refused(app, client, db, t) -> None:
    _assign_and_declare(db, t, t.sara)
    login(client, t.sara.email)
    url = f"/vurdering/ansoegning/{t.hk_version.id}"
    response = client.post(
        f"{url}/spoergsmaal",
        data={
            "csrf_token": _token(client, url),
            "question": "Hvor mange afdelinger har I?",
            "answer_due": "9999-12-31",
        },
    )
    assert response.status_code == 400
    assert re.search(r'id="answer_due-error">.*?mellem år 2000 og 2100', _text(response), re.S)
    assert _count(db, InformationRequest) == 0


def test_information_request_is_mailed_and_answered_by_the_signatory_only(
    app, client, db, t
) -> None:
    _assign_and_declare(db, t, t.sara)
    app_id = t.hk_version.application_id
    status_url = f"/ansoegning/{app_id}/status"
    question = "Hvordan bemander I forløbene i Hovedstaden?"
    before = {item.name for item in _outbox(app)}
    login(client, t.sara.email)
    url = f"/vurdering/ansoegning/{t.hk_version.id}"
    response = client.post(
        f"{url}/spoergsmaal",
        data={
            "csrf_token": _token(client, url),
            "question": question,
            "answer_due": (date.today() + timedelta(days=14)).isoformat(),
        },
        follow_redirects=True,
    )
    page = _text(response)
    assert "Spørgsmålet er sendt til a-kassen." in page
    assert question in page and "Ikke besvaret endnu." in page
    db.expire_all()
    asked = db.scalar(select(InformationRequest))
    assert asked.question == question and asked.asked_by_id == t.sara.id
    assert asked.version_id == t.hk_version.id and asked.answer is None
    answer_url = f"/ansoegning/{app_id}/spoergsmaal/{asked.id}"
    new = [item for item in _outbox(app) if item.name not in before]
    assert len(new) == 1
    assert t.hk.email in new[0].to and t.threef.email not in new[0].to
    assert new[0].subject.strip() == "Styrelsen beder om oplysninger til jeres ansøgning"
    assert question in _mail_body(app, new[0].name)

    # The drafter sees the question but cannot answer it.
    drafter = app.test_client()
    login(drafter, t.hk_drafter.email)
    page = _text(drafter.get(status_url))
    assert question in page
    assert "Kun a-kassens tegningsberettigede kan svare." in page
    assert answer_url not in page
    response = drafter.post(
        answer_url,
        data={
            f"r{asked.id}-csrf_token": _token(drafter),
            f"r{asked.id}-answer": "Svar fra udkastskriveren.",
        },
    )
    assert response.status_code == 403
    db.expire_all()
    assert db.get(InformationRequest, asked.id).answer is None

    # 3F's signatory does not see HK's application at all.
    threef = app.test_client()
    login(threef, t.threef.email)
    response = threef.get(status_url)
    assert response.status_code == 404 and question not in _text(response)
    response = threef.post(
        answer_url,
        data={
            f"r{asked.id}-csrf_token": _token(threef),
            f"r{asked.id}-answer": "Svar fra den forkerte a-kasse.",
        },
    )
    assert response.status_code == 404
    db.expire_all()
    assert db.get(InformationRequest, asked.id).answer is None

    # HK's signatory sees the question and answers it.
    signatory = app.test_client()
    login(signatory, t.hk.email)
    page = _text(signatory.get(status_url))
    assert question in page
    assert "Oplysninger efterspurgt <strong>(her er sagen nu)</strong>" in page
    assert f'action="{answer_url}"' in page
    response = signatory.post(
        answer_url,
        data={f"r{asked.id}-csrf_token": _token(signatory, status_url), f"r{asked.id}-answer": ""},
    )
    assert response.status_code == 400
    assert re.search(rf'id="r{asked.id}-answer-error">.*?Skriv svaret\.', _text(response), re.S)
    db.expire_all()
    assert db.get(InformationRequest, asked.id).answer is None
    response = signatory.post(
        answer_url,
        data={
            f"r{asked.id}-csrf_token": _token(signatory, status_url),
            f"r{asked.id}-answer": "Vi ansætter to konsulenter mere.",
        },
        follow_redirects=True,
    )
    page = _text(response)
    assert "Svaret er sendt til styrelsen og lagt ved ansøgningen som tillæg." in page
    assert "Vi ansætter to konsulenter mere." in page
    assert "Under vurdering <strong>(her er sagen nu)</strong>" in page
    assert '<li class="">Oplysninger efterspurgt</li>' in page  # answered: still a step taken
    db.expire_all()
    answered = db.get(InformationRequest, asked.id)
    assert answered.answer == "Vi ansætter to konsulenter mere."
    assert answered.answered_by_id == t.hk.id

    response = signatory.post(
        answer_url,
        data={
            f"r{asked.id}-csrf_token": _token(signatory, status_url),
            f"r{asked.id}-answer": "Et andet svar.",
        },
        follow_redirects=True,
    )
    assert "Spørgsmålet er allerede besvaret." in _text(response)
    db.expire_all()
    assert db.get(InformationRequest, asked.id).answer == "Vi ansætter to konsulenter mere."

    read = _text(client.get(url))
    assert "Svar fra a-kassen" in read and "Vi ansætter to konsulenter mere." in read


# --- 7. consolidation, decision and publication ------------------------------------------------


def test_consolidation_dissent_without_text_shows_the_error_next_to_the_field(
    client, db, submitted
) -> None:
    t = submitted
    first = services.criteria_of(t.hk_version)[0]
    login(client, t.lead.email)
    url = f"/vurdering/ansoegning/{t.hk_version.id}/konsolidering"
    page = _text(client.get(url))
    assert SARA_MARKER in page and SOEREN_MARKER in page  # the lead sees both side by side
    data = _consolidation_form(t, _token(client, url))
    data[f"dissent_assessor_{first.id}"] = str(t.soeren.id)
    page = _text(client.post(url, data=data))
    assert "Konsolideringen har 1 fejl; se ved kriterierne." in page
    assert re.search(
        rf'id="dissent_{first.id}-error">.*?Skriv, hvad dissensen går ud på\.', page, re.S
    )
    assert "Konsolideret begrundelse 2.</textarea>" in page
    assert _count(db, Consolidation) == 0


def test_consolidation_sign_off_leads_to_the_decision_page(client, db, submitted) -> None:
    t = submitted
    first = services.criteria_of(t.hk_version)[0]
    login(client, t.lead.email)
    url = f"/vurdering/ansoegning/{t.hk_version.id}/konsolidering"
    data = _consolidation_form(t, _token(client, url))
    data[f"dissent_assessor_{first.id}"] = str(t.soeren.id)
    data[f"dissent_{first.id}"] = "Søren finder planen for vag."
    response = client.post(url, data=data)
    assert response.headers["Location"].endswith(
        f"/vurdering/ansoegning/{t.hk_version.id}/afgoerelse"
    )
    page = _text(client.get(response.headers["Location"]))
    assert "Konsolideringen er godkendt. Træf nu afgørelsen." in page
    assert "Afgørelse om støtteberettigelse" in page
    assert "alle kriterier er opfyldt" in page
    db.expire_all()
    consolidation = db.scalar(select(Consolidation))
    assert consolidation.signed_off_at is not None and consolidation.lead_id == t.lead.id
    dissent = next(s for s in consolidation.scores if s.criterion_id == first.id)
    assert dissent.dissent_assessor_id == t.soeren.id
    assert dissent.dissent == "Søren finder planen for vag."


def _decision_form(token: str, approved: list[str], capacity: str) -> dict[str, Any]:
    return {
        "csrf_token": token,
        "action": "save",
        "eligible": "yes",
        "reasoning": "A-kassen opfylder alle kriterier.",
        "override_reason": "",
        "approved": approved,
        "capacity": capacity,
    }


def test_decision_outside_the_requested_extent_is_refused(client, db, submitted) -> None:
    t = submitted
    _sign_off(db, t)
    covered = sorted(services.requested_covered(db, t.hk_version))
    assert "461" not in covered  # Odense lies outside Region Hovedstaden (and is no frikommune)
    login(client, t.lead.email)
    url = f"/vurdering/ansoegning/{t.hk_version.id}/afgoerelse"
    response = client.post(url, data=_decision_form(_token(client, url), [*covered, "461"], "2500"))
    page = _text(response)
    assert "Afgørelsen har fejl; se ved felterne." in page
    assert re.search(rf'id="approved-error">.*?{re.escape(rules.EXTENT_NOT_REQUESTED)}', page, re.S)
    assert _count(db, EligibilityDecision) == 0


def test_partial_decision_is_pending_until_published_and_then_shown_to_the_fund(
    app, client, db, submitted
) -> None:
    t = submitted
    _sign_off(db, t)
    covered = sorted(services.requested_covered(db, t.hk_version))
    half = covered[: len(covered) // 2]
    app_id = t.hk_version.application_id
    login(client, t.lead.email)
    url = f"/vurdering/ansoegning/{t.hk_version.id}/afgoerelse"
    response = client.post(url, data=_decision_form(_token(client, url), half, "2500"))
    assert response.headers["Location"].endswith(f"/vurdering/runde/{t.call.id}?vis=afventer")
    page = _text(client.get(response.headers["Location"]))
    assert "Afgørelsen er gemt som afventende." in page
    assert "1 afgørelse afventer offentliggørelse." in page
    assert _hk_name(t) in _overview_table(page)
    db.expire_all()
    decision = db.scalar(select(EligibilityDecision))
    assert decision.status == DecisionStatus.PENDING and decision.eligible
    assert decision.approved_capacity == 2500
    assert sorted(e.municipality_code for e in decision.extent) == half

    fund = app.test_client()
    login(fund, t.hk.email)
    status_url = f"/ansoegning/{app_id}/status"
    before = _text(fund.get(status_url))
    assert "Status for jeres ansøgning" in before
    assert "Under vurdering <strong>(her er sagen nu)</strong>" in before
    assert "Jeres a-kasse er" not in before and "Godkendt kapacitet" not in before

    mails_before = {item.name for item in _outbox(app)}
    response = client.post(
        f"/vurdering/runde/{t.call.id}/offentliggoer",
        data={"csrf_token": _token(client, f"/vurdering/runde/{t.call.id}")},
        follow_redirects=True,
    )
    assert "1 afgørelse er offentliggjort; a-kassen har fået besked." in _text(response)
    new = [item for item in _outbox(app) if item.name not in mails_before]
    assert len(new) == 1 and t.hk.email in new[0].to and t.threef.email not in new[0].to
    assert new[0].subject.strip() == f"Afgørelse om jeres ansøgning til «{t.call.title}»"
    body = _mail_body(app, new[0].name)
    assert "Styrelsen har truffet afgørelse" in body and SOEREN_MARKER not in body
    db.expire_all()
    decision = db.scalar(select(EligibilityDecision))
    assert decision.status == DecisionStatus.PUBLISHED and decision.published_at is not None

    again = client.post(
        f"/vurdering/runde/{t.call.id}/offentliggoer",
        data={"csrf_token": _token(client, f"/vurdering/runde/{t.call.id}")},
        follow_redirects=True,
    )
    assert "Der er ingen afventende afgørelser at offentliggøre." in _text(again)

    after = _text(fund.get(status_url))
    assert "Jeres a-kasse er støtteberettiget." in after
    assert "Afgjort <strong>(her er sagen nu)</strong>" in after
    assert "A-kassen opfylder alle kriterier." in after
    assert re.search(r"Godkendt kapacitet</dt><dd>2[.\u00a0]?500 forløb om året", after)
    for secret in (SARA_MARKER, SOEREN_MARKER, "Konsolideret begrundelse"):
        assert secret not in after


# --- 8. start pages ----------------------------------------------------------------------------


def test_start_page_of_an_assessor_leads_to_the_waiting_application(client, db, t) -> None:
    services.add_assignment(db, t.lead, t.hk_version, t.sara)
    db.commit()
    login(client, t.sara.email)
    page = _text(client.get("/"))
    link = (
        f'<a href="/vurdering/runde/{t.call.id}?vis=venter">1 ansøgning venter på din vurdering</a>'
    )
    assert link in page
    overview = _overview_table(_text(client.get(f"/vurdering/runde/{t.call.id}?vis=venter")))
    assert _hk_name(t) in overview and _threef_name(t) not in overview


def test_start_page_of_the_lead_shows_assignment_gaps(client, db, t) -> None:
    _assign_and_declare(db, t, t.sara, t.soeren)
    login(client, t.lead.email)
    page = _text(client.get("/"))
    assert f'<a href="/vurdering/runde/{t.call.id}/fordeling">Fordeling</a>' in page
    assert "1 ansøgning mangler sagsbehandlere." in page

    services.add_assignment(db, t.lead, t.threef_version, t.sara)
    services.add_assignment(db, t.lead, t.threef_version, t.soeren)
    db.commit()
    assert ">Fordeling</a>" not in _text(client.get("/"))


def test_start_page_of_the_signatory_links_to_the_status_page(client, t) -> None:
    app_id = t.hk_version.application_id
    login(client, t.hk.email)
    page = _text(client.get("/"))
    assert f'<a href="/ansoegning/{app_id}/status">Status og afgørelse</a>' in page
    assert "Ansøgningen er modtaget og venter på styrelsens vurdering." in page
    status = _text(client.get(f"/ansoegning/{app_id}/status"))
    assert "Modtaget <strong>(her er sagen nu)</strong>" in status
    assert "Spørgsmål fra styrelsen" not in status
    # No question was asked, so the case has no such step.
    assert "Oplysninger efterspurgt" not in status
    steps = re.findall(r"<li[^>]*>([^<(]+)", status.split('class="stage-list"')[1])
    assert [s.strip() for s in steps[:3]] == [
        "Modtaget",
        "Under vurdering",
        "Afgjort",
    ]
