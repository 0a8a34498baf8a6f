"""Letters and appeals through the routes: pages, refusals in Danish, the outbox mail with its
PDF, what each a-kasse may see, and the start pages' cards."""

from __future__ import annotations

import re
from datetime import timedelta
from email.message import EmailMessage
from typing import Any

from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.letters import services
from portal.mail import list_outbox, read_outbox
from portal.models import (
    Appeal,
    AppealStatus,
    Letter,
    LetterStage,
    LetterStatus,
    LetterTemplate,
    Organisation,
)
from tests.portal.letters.arrange import World
from tests.portal.letters.conftest import as_user
from tests.portal.proposals.arrange import token


def _text(response: Any) -> str:
    return response.get_data(as_text=True)


def _generate(app: Flask, world: World) -> dict[str, Letter]:
    lead = as_user(app, world.lead)
    response = lead.post(
        f"/breve/runde/{world.call.id}/dan/afgoerelse", data={"csrf_token": token(lead, "/breve/")}
    )
    assert response.status_code == 302
    assert "3 breve er dannet og venter på en anden persons godkendelse." in _text(
        lead.get(response.headers["Location"])
    )
    return _letters(app)


def _letters(app: Flask) -> dict[str, Letter]:
    """The letters by a-kasse short id."""
    db = app.extensions["db_sessionmaker"]()
    try:
        rows = db.execute(select(Letter, Organisation.short_id).join(Organisation)).all()
        return {short_id: letter for letter, short_id in rows}
    finally:
        db.close()


def _approve(app: Flask, user: Any, letter: Letter) -> Any:
    client = as_user(app, user)
    page = f"/breve/{letter.id}"
    return client, client.post(f"{page}/godkend", data={"csrf_token": token(client, page)})


# --- templates ---------------------------------------------------------------------------------


def test_template_with_unknown_placeholder_is_refused_at_the_field(
    app: Flask, db: Session, world: World
) -> None:
    admin = as_user(app, world.admin)
    page = admin.get("/breve/skabeloner/eligible")
    html = _text(page)
    assert page.status_code == 200 and "Brevskabelon: Støtteberettiget" in html
    # The preview uses a real published decision: 3F's.
    assert "3F A-kasse (Fagligt Fælles Forbunds A-kasse, 3FA) opfylder kriterierne" in html
    form = {
        "csrf_token": token(admin, "/breve/skabeloner/eligible"),
        "subject": "Afgørelse: {a_kasse}",
        "body": "Kære {a_kasse}\n\n{afgørelse}\n\n{begrundelse}\n\n{kriterier}\n\n{kapasitet}",
        "guidance": "Klag senest {klagefrist}.",
        "action": "save",
    }
    refused = admin.post("/breve/skabeloner/eligible", data=form)
    html = _text(refused)
    assert refused.status_code == 400
    assert "Skabelonen har fejl; se ved felterne. Intet er gemt." in html
    error = re.search(r'id="body-error">.*?</span>(.*?)</span>', html, re.S)
    assert error and "Ukendte flettefelter: {kapasitet}." in error.group(1)
    assert "Tilladte flettefelter: {a_kasse}, {runde}, {dato}, {klagefrist}" in error.group(1)
    assert db.scalar(select(func.count(LetterTemplate.id))) == 0
    form["body"] = form["body"].replace("{kapasitet}", "{kapacitet}")
    form["action"] = "preview"
    preview = _text(admin.post("/breve/skabeloner/eligible", data=form))
    assert "16.000 forløb om året" in preview and "Klag senest" in preview
    assert db.scalar(select(func.count(LetterTemplate.id))) == 0
    form["action"] = "save"
    saved = admin.post("/breve/skabeloner/eligible", data=form)
    assert saved.status_code == 302
    assert db.scalar(select(LetterTemplate.body)) == form["body"]


# --- generation, four eyes, sending ------------------------------------------------------------


def test_the_author_is_refused_and_a_second_person_sends_with_the_pdf(
    app: Flask, db: Session, world: World
) -> None:
    letters = _generate(app, world)
    hk = letters["HK"]
    lead, response = _approve(app, world.lead, hk)
    shown = _text(lead.get(response.headers["Location"]))
    assert "Du har selv dannet brevet og kan ikke godkende det" in shown
    assert "Godkend og send brevet" not in shown  # no button for the author
    db.expire_all()
    assert db.get(Letter, hk.id).status == LetterStatus.DRAFT  # type: ignore[union-attr]
    assert list_outbox(app.config["OUTBOX_DIR"]) == []

    admin, response = _approve(app, world.admin, hk)
    assert "Brevet er godkendt og sendt til HK Danmark A-kasse." in _text(
        admin.get(response.headers["Location"])
    )
    db.expire_all()
    sent = db.get(Letter, hk.id)
    assert sent is not None and sent.status == LetterStatus.SENT and sent.mailed_at is not None
    assert sent.pdf is not None and sent.pdf.startswith(b"%PDF-")
    (item,) = list_outbox(app.config["OUTBOX_DIR"])
    mail: EmailMessage = read_outbox(app.config["OUTBOX_DIR"], item.name)
    assert mail["To"] == "hk@test.dk, kontakt@hk.example.dk"
    assert (
        mail["Subject"] == "Afgørelse om støtteberettigelse (delvis godkendt): HK Danmark A-kasse"
    )
    (attachment,) = list(mail.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_content() == sent.pdf
    assert attachment.get_filename() == f"afgoerelse-{hk.id}.pdf"


def test_the_akasse_reads_only_its_own_sent_letters(app: Flask, db: Session, world: World) -> None:
    letters = _generate(app, world)
    _approve(app, world.admin, letters["HK"])
    hk = as_user(app, world.signatories["HK"])
    listing = _text(hk.get("/breve/akasse"))
    assert "Afgørelse om støtteberettigelse (delvis godkendt): HK Danmark A-kasse" in listing
    page = _text(hk.get(f"/breve/akasse/{letters['HK'].id}"))
    assert "Styrelsen har godkendt 12 af de 25 kommuner" in page and "Klagevejledning" in page
    assert "Send klagen" in page
    pdf = hk.get(f"/breve/akasse/{letters['HK'].id}/pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF-")
    drafter = as_user(app, world.hk_drafter)
    assert "Kun a-kassens tegningsberettigede kan klage" in _text(
        drafter.get(f"/breve/akasse/{letters['HK'].id}")
    )
    # Another a-kasse's letter, and a draft (MA's is not approved), are not there.
    threef = as_user(app, world.signatories["3F"])
    assert threef.get(f"/breve/akasse/{letters['HK'].id}").status_code == 404
    assert threef.get(f"/breve/akasse/{letters['HK'].id}/pdf").status_code == 404
    ma = as_user(app, world.signatories["MA"])
    assert ma.get(f"/breve/akasse/{letters['MA'].id}").status_code == 404
    assert "I har ikke fået breve fra styrelsen endnu." in _text(ma.get("/breve/akasse"))
    # The a-kasse's status page leads to its letters.
    status = _text(hk.get(f"/ansoegning/{world.versions['HK'].application_id}/status"))
    assert 'href="/breve/akasse"' in status


# --- appeals -----------------------------------------------------------------------------------


def _sent_ma(app: Flask, db: Session, world: World) -> Letter:
    letters = _generate(app, world)
    _approve(app, world.admin, letters["MA"])
    db.expire_all()
    letter = db.get(Letter, letters["MA"].id)
    assert letter is not None
    return letter


def test_complaint_after_the_deadline_or_on_another_akasses_letter_is_refused(
    app: Flask, db: Session, world: World
) -> None:
    letter = _sent_ma(app, db, world)
    page = f"/breve/akasse/{letter.id}"
    hk = as_user(app, world.signatories["HK"])
    other = hk.post(f"{page}/klage", data={"csrf_token": token(hk, "/adgangskode"), "reasons": "x"})
    assert other.status_code == 404
    letter.complaint_deadline = services.today() - timedelta(days=1)
    db.commit()
    ma = as_user(app, world.signatories["MA"])
    assert "Klagefristen udløb" in _text(ma.get(page))  # no form any more; a stale page posts
    csrf = token(ma, "/adgangskode")
    response = ma.post(f"{page}/klage", data={"csrf_token": csrf, "reasons": "Vi er uenige."})
    shown = _text(ma.get(response.headers["Location"]))
    deadline = services.rules.danish_date(letter.complaint_deadline)
    assert f"Klagefristen udløb {deadline}. Klagen kan ikke modtages, og intet er gemt." in shown
    assert db.scalar(select(func.count(Appeal.id))) == 0


def test_appeal_from_complaint_to_changed_decision(app: Flask, db: Session, world: World) -> None:
    letter = _sent_ma(app, db, world)
    page = f"/breve/akasse/{letter.id}"
    ma = as_user(app, world.signatories["MA"])
    empty = ma.post(f"{page}/klage", data={"csrf_token": token(ma, page), "reasons": " "})
    assert empty.status_code == 400 and "Skriv, hvad I klager over, og hvorfor." in _text(empty)
    filed = ma.post(
        f"{page}/klage", data={"csrf_token": token(ma, page), "reasons": "Kriterium 5 er belyst."}
    )
    assert "Klagen er modtaget." in _text(ma.get(filed.headers["Location"]))
    appeal = db.scalar(select(Appeal))
    assert appeal is not None and appeal.status == AppealStatus.FILED

    lead = as_user(app, world.lead)
    assert "1 klage venter på en sagsbehandler" in _text(lead.get("/"))
    appeal_page = f"/breve/klager/{appeal.id}"
    html = _text(lead.get(appeal_page))
    assert world.klara.name in html and f">{world.sara.name}<" not in html
    csrf = token(lead, appeal_page)
    took_part = lead.post(
        f"{appeal_page}/tildel", data={"csrf_token": csrf, "handler": world.sara.id}
    )
    assert (
        f"{world.sara.name} har deltaget i vurderingen af ansøgningen og kan ikke behandle klagen."
        in _text(lead.get(took_part.headers["Location"]))
    )
    lead.post(f"{appeal_page}/tildel", data={"csrf_token": csrf, "handler": world.klara.id})
    db.expire_all()
    assert db.get(Appeal, appeal.id).handler_id == world.klara.id  # type: ignore[union-attr]
    # Sara is no handler of it: the appeal does not exist for her.
    assert as_user(app, world.sara).get(appeal_page).status_code == 404

    klara = as_user(app, world.klara)
    home = _text(klara.get("/"))
    assert "1 klage venter på din afgørelse" in home and 'href="/breve/klager"' in home
    outcome = {
        "csrf_token": token(klara, appeal_page),
        "outcome": "changed",
        "reasoning": "Svaret belyser profilafklaringen.",
        "eligible": "yes",
        "approved": ["101", "147"],
        "capacity": "9000",
    }
    too_much = klara.post(f"{appeal_page}/afgoer", data=outcome)
    assert too_much.status_code == 400
    assert "Den godkendte kapacitet må ikke overstige den ansøgte kapacitet." in _text(too_much)
    outcome["capacity"] = "1500"
    decided = klara.post(f"{appeal_page}/afgoer", data=outcome)
    assert "Klagen er afgjort: afgørelsen er ændret" in _text(
        klara.get(decided.headers["Location"])
    )
    decision = world.decisions["MA"]
    db.expire_all()
    db.refresh(decision)
    assert decision.eligible and decision.approved_capacity == 1500
    assert sorted(e.municipality_code for e in decision.extent) == ["101", "147"]
    seen = _text(ma.get(page))
    assert "Afgørelsen ændres" in seen and "Svaret belyser profilafklaringen." in seen


# --- start pages -------------------------------------------------------------------------------


def test_start_pages_lead_to_the_letters(app: Flask, db: Session, world: World) -> None:
    letters = services.generate(db, world.lead, world.call, LetterStage.ELIGIBILITY)
    db.commit()
    admin = as_user(app, world.admin)
    home = _text(admin.get("/"))
    assert "3 breve venter på godkendelse" in home
    assert "Du kan godkende og sende 3 af dem" in home
    assert admin.get("/breve/").status_code == 200
    lead_home = _text(as_user(app, world.lead).get("/"))
    assert "Du kan godkende og sende 0 af dem" in lead_home
    services.approve(db, world.admin, letters[0], 4)
    db.commit()
    hk = as_user(app, world.signatories["HK"])
    hk_home = _text(hk.get("/"))
    assert "Breve fra styrelsen" in hk_home and 'href="/breve/akasse"' in hk_home
    assert hk.get("/breve/akasse").status_code == 200
