"""The a-kasse's application through the real routes: drafts, submission, deadline,
extension, withdrawal, attachments, receipts and object-level permissions."""

from __future__ import annotations

import io
import subprocess
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.applications import deadlines
from portal.applications import jobs as receipt_jobs
from portal.applications import services as applications
from portal.mail import list_outbox
from portal.models import (
    Answer,
    Application,
    ApplicationStatus,
    ApplicationVersion,
    Attachment,
    AuditEvent,
    Role,
    StoredFile,
    utcnow,
)
from tests.conftest import csrf_token, login, run_queued_tasks
from tests.portal.helpers import complete_application, draft_data, draft_form, open_call, pdf_bytes


@pytest.fixture()
def call(db: Session):
    return open_call(db)


@pytest.fixture()
def drafter(make_user):
    return make_user(Role.DRAFTER, "HK")


@pytest.fixture()
def signatory(make_user):
    return make_user(Role.SIGNATORY, "HK")


def _post_draft(client: FlaskClient, call, **changes: str):
    page = client.get(f"/ansoegning/runde/{call.id}").get_data(as_text=True)
    data = draft_form(call, **changes)
    data["csrf_token"] = csrf_token(page)
    return client.post(f"/ansoegning/runde/{call.id}", data=data, follow_redirects=True)


def _versions(db: Session) -> list[ApplicationVersion]:
    db.expire_all()
    return list(db.scalars(select(ApplicationVersion).order_by(ApplicationVersion.id)))


def test_drafter_saves_draft_and_sees_checklist(client, db, call, drafter) -> None:
    login(client, drafter.email)
    page = _post_draft(client, call).get_data(as_text=True)
    assert "Kladden er gemt." in page
    assert "Ansøgningen er komplet. Send den til underskrift" in page
    app = db.scalar(select(Application))
    assert app.requested_extent == ["region:1084"] and app.capacity_courses == 5000
    assert db.scalar(select(func.count(Answer.id))) == 6


def test_draft_with_bad_values_keeps_input_and_saves_nothing(client, db, call, drafter) -> None:
    login(client, drafter.email)
    long_answer = "x" * 5000
    first = call.criteria_set.criteria[0].id
    page = _post_draft(client, call, cvr="12ab", **{f"answer_{first}": long_answer}).get_data(
        as_text=True
    )
    assert "CVR-nummeret skal være 8 cifre" in page
    assert 'id="cvr-error"' in page and 'value="12ab"' in page
    assert "Svaret må højst være 4000 tegn" in page
    assert long_answer in page
    assert db.scalar(select(func.count(Application.id))) == 0


def test_frikommune_cannot_be_requested(client, db, call, drafter) -> None:
    login(client, drafter.email)
    page = _post_draft(
        client, call, extent_kind="municipalities", municipalities=["101", "151"]
    ).get_data(as_text=True)
    assert "Ballerup er frikommune og kan ikke vælges." in page
    assert db.scalar(select(func.count(Application.id))) == 0


def test_edit_page_shows_frikommune_disabled_with_reason(client, call, drafter) -> None:
    login(client, drafter.email)
    page = client.get(f"/ansoegning/runde/{call.id}").get_data(as_text=True)
    assert 'id="muni-151" disabled' in page
    assert 'Ballerup <span class="excluded-reason">(frikommune)</span>' in page
    assert 'data-code="101"' in page  # the map


def test_drafter_cannot_submit(client, db, call, drafter) -> None:
    app = complete_application(db, call, drafter)
    login(client, drafter.email)
    page = client.get(f"/ansoegning/{app.id}/indsend").get_data(as_text=True)
    assert "Kun a-kassens tegningsberettigede kan indsende" in page
    response = client.post(
        f"/ansoegning/{app.id}/indsend",
        data={"revision": str(app.revision), "csrf_token": csrf_token(page)},
    )
    assert "Kun a-kassens tegningsberettigede kan indsende" in response.get_data(as_text=True)
    assert _versions(db) == []


def _submit(client: FlaskClient, app, revision=None):
    page = client.get(f"/ansoegning/{app.id}/indsend").get_data(as_text=True)
    rev = app.revision if revision is None else revision
    return client.post(
        f"/ansoegning/{app.id}/indsend",
        data={"revision": str(rev), "csrf_token": csrf_token(page)},
        follow_redirects=True,
    )


def test_signatory_submits_version_with_hash_receipt_and_mail(
    client, db, app, call, drafter, signatory
) -> None:
    application = complete_application(db, call, drafter)
    login(client, signatory.email)
    page = _submit(client, application).get_data(as_text=True)
    assert "Ansøgningen er indsendt som version 1" in page
    assert "Kvitteringen sendes pr. e-mail om et øjeblik" in page
    [version] = _versions(db)
    assert version.content_hash == applications.content_hash(version.content)
    assert version.content_hash in page
    assert db.get(Application, application.id).status == ApplicationStatus.SUBMITTED
    # The request left the receipt to the worker: nothing rendered or mailed yet.
    assert db.scalar(select(StoredFile).where(StoredFile.version_id == version.id)) is None
    assert list_outbox(app.config["OUTBOX_DIR"]) == []

    assert run_queued_tasks(app) == 1
    db.expire_all()
    receipt = db.scalar(select(StoredFile).where(StoredFile.version_id == version.id))
    assert receipt.content.startswith(b"%PDF")
    [mail] = list_outbox(app.config["OUTBOX_DIR"])
    assert "Kvittering" in mail.subject and signatory.email in mail.to
    actions = db.scalars(select(AuditEvent.action)).all()
    assert "application.submitted" in actions and actions.count("mail.receipt_sent") == 1


def test_receipt_task_twice_keeps_one_receipt_and_mails_once(
    client, db, app, call, drafter, signatory
) -> None:
    application = complete_application(db, call, drafter)
    login(client, signatory.email)
    _submit(client, application)
    [version] = _versions(db)
    # The a-kasse fetches the receipt before the worker ran: made on demand and kept.
    early = client.get(f"/ansoegning/{application.id}/version/1/kvittering.pdf")
    assert early.data.startswith(b"%PDF")
    with app.app_context():
        assert receipt_jobs.deliver(version.id) is True
        assert receipt_jobs.deliver(version.id) is True
    run_queued_tasks(app)
    db.expire_all()
    kept = db.scalars(select(StoredFile).where(StoredFile.version_id == version.id)).all()
    assert [k.content for k in kept] == [early.data]
    assert len(list_outbox(app.config["OUTBOX_DIR"])) == 1
    actions = db.scalars(select(AuditEvent.action)).all()
    assert actions.count("mail.receipt_sent") == 1


def test_submission_without_a_queue_renders_and_mails_in_the_request(
    client, db, app, call, drafter, signatory, tmp_path: Path
) -> None:
    application = complete_application(db, call, drafter)
    # A queue that cannot be opened (its file is a folder now): the submission still stands
    # and the receipt is made in the request.
    queue_file = tmp_path / "queue.sqlite"
    queue_file.unlink()
    queue_file.mkdir()
    login(client, signatory.email)
    page = _submit(client, application).get_data(as_text=True)
    assert "Kvitteringen er sendt pr. e-mail." in page
    [version] = _versions(db)
    assert db.scalar(select(StoredFile).where(StoredFile.version_id == version.id)) is not None
    assert len(list_outbox(app.config["OUTBOX_DIR"])) == 1


def test_receipt_pdf_text_holds_the_hash(
    client, db, call, drafter, signatory, tmp_path: Path
) -> None:
    application = complete_application(db, call, drafter)
    login(client, signatory.email)
    _submit(client, application)
    [version] = _versions(db)
    response = client.get(f"/ansoegning/{application.id}/version/1/kvittering.pdf")
    assert response.mimetype == "application/pdf"
    pdf = tmp_path / "kvittering.pdf"
    pdf.write_bytes(response.data)
    text = subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert version.content_hash in text
    assert "HK Danmark A-kasse" in text


def test_double_submit_yields_one_version(client, db, call, drafter, signatory) -> None:
    application = complete_application(db, call, drafter)
    login(client, signatory.email)
    revision = application.revision
    _submit(client, application, revision)
    page = _submit(client, application, revision).get_data(as_text=True)
    assert "Ansøgningen er ændret eller indsendt, siden du åbnede siden." in page
    assert len(_versions(db)) == 1


def test_concurrent_submits_yield_one_version(app, db, call, drafter, signatory) -> None:
    application = complete_application(db, call, drafter)
    revision = application.revision
    maker = app.extensions["db_sessionmaker"]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def attempt() -> None:
        with maker() as session:
            own = session.get(Application, application.id)
            actor = session.get(type(signatory), signatory.id)
            _ = own.call.criteria_set.criteria, own.answers, own.versions
            barrier.wait()
            try:
                applications.submit(session, actor, own, revision)
                session.commit()
                outcomes.append("ok")
            except Exception as error:  # noqa: BLE001 - the loser's error is the point
                session.rollback()
                outcomes.append(type(error).__name__)

    threads = [threading.Thread(target=attempt) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes).count("ok") == 1
    assert len(_versions(db)) == 1


def test_incomplete_application_is_not_submitted(client, db, call, drafter, signatory) -> None:
    application = complete_application(db, call, drafter)
    application.contact_email = None
    db.commit()
    login(client, signatory.email)
    page = _submit(client, application).get_data(as_text=True)
    assert "Ansøgningen mangler 1 punkt(er) på tjeklisten" in page
    assert _versions(db) == []


def test_deadline_passed_makes_application_read_only(client, db, call, drafter, signatory) -> None:
    application = complete_application(db, call, drafter)
    call.deadline_at = utcnow() - timedelta(minutes=1)
    db.commit()
    login(client, signatory.email)
    page = _submit(client, application).get_data(as_text=True)
    assert "Fristen er overskredet" in page
    edit = _post_draft(client, call, contact_name="Ny person").get_data(as_text=True)
    assert "Fristen er overskredet" in edit
    db.expire_all()
    assert db.get(Application, application.id).contact_name == "Karin Kontakt"
    assert _versions(db) == []


def test_extension_lets_one_fund_submit_after_deadline(
    client, db, call, drafter, signatory, make_user
) -> None:
    application = complete_application(db, call, drafter)
    admin = make_user(Role.ADMIN, "STAR")
    call.deadline_at = utcnow() - timedelta(minutes=1)
    applications.grant_extension(
        db,
        admin,
        call,
        applications.NewExtension(
            application.organisation_id, utcnow() + timedelta(days=2), "Nedbrud hos a-kassen"
        ),
    )
    db.commit()
    login(client, signatory.email)
    assert "Ansøgningen er indsendt som version 1" in _submit(client, application).get_data(
        as_text=True
    )
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "call.extension_granted"))
    assert event.data["reason"] == "Nedbrud hos a-kassen"


def test_withdraw_with_reason_then_submit_again(client, db, call, drafter, signatory) -> None:
    application = complete_application(db, call, drafter)
    login(client, signatory.email)
    _submit(client, application)
    page = client.get(f"/ansoegning/{application.id}/traek-tilbage").get_data(as_text=True)
    empty = client.post(
        f"/ansoegning/{application.id}/traek-tilbage",
        data={"reason": "", "csrf_token": csrf_token(page)},
    )
    assert "Skriv en begrundelse." in empty.get_data(as_text=True)
    client.post(
        f"/ansoegning/{application.id}/traek-tilbage",
        data={"reason": "Vi deltager ikke", "csrf_token": csrf_token(page)},
    )
    db.expire_all()
    withdrawn = db.get(Application, application.id)
    assert withdrawn.status == ApplicationStatus.WITHDRAWN
    assert withdrawn.withdrawal_reason == "Vi deltager ikke"
    assert deadlines.assessed_version(db, withdrawn) is None
    _submit(client, withdrawn)
    db.expire_all()
    again = db.get(Application, application.id)
    assert [v.number for v in again.versions] == [1, 2]
    assert deadlines.assessed_version(db, again).number == 2


def test_assessed_version_is_last_before_deadline(db, call, drafter, signatory) -> None:
    application = complete_application(db, call, drafter)
    applications.submit(db, signatory, application, None)
    applications.submit(
        db, signatory, application, None, now=call.deadline_at + timedelta(seconds=-1)
    )
    db.commit()
    assert deadlines.assessed_version(db, application).number == 2


def _upload(client: FlaskClient, call, application, data: bytes, filename: str) -> str:
    """Upload a file from the application page as a browser would; the page text after."""
    page = client.get(f"/ansoegning/runde/{call.id}").get_data(as_text=True)
    response = client.post(
        f"/ansoegning/{application.id}/bilag",
        data={
            "csrf_token": csrf_token(page),
            "criterion": "",
            "file": (io.BytesIO(data), filename),
        },
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    return response.get_data(as_text=True)


def test_upload_pdf_and_hash_covers_it(client, db, app, call, drafter) -> None:
    application = complete_application(db, call, drafter)
    before = applications.content_hash(applications.content_of(db, application))
    login(client, drafter.email)
    text = _upload(client, call, application, pdf_bytes(2), "Dokumentation.pdf")
    assert "Bilaget er tilføjet." in text
    attachment = db.scalar(select(Attachment))
    assert attachment.pages == 2 and attachment.filename == "Dokumentation.pdf"
    assert (Path(app.config["UPLOAD_DIR"]) / attachment.stored_name).is_file()
    db.expire_all()
    after = applications.content_hash(
        applications.content_of(db, db.get(Application, application.id))
    )
    assert after != before
    download = client.get(f"/ansoegning/{application.id}/bilag/{attachment.id}")
    assert download.data.startswith(b"%PDF")
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert "attachment" in download.headers["Content-Disposition"]


def test_upload_with_javascript_is_refused_in_danish(client, db, app, call, drafter) -> None:
    application = complete_application(db, call, drafter)
    login(client, drafter.email)
    text = _upload(client, call, application, pdf_bytes(1, javascript=True), "farlig.pdf")
    assert "JavaScript" in text
    assert db.scalar(select(func.count(Attachment.id))) == 0
    assert not any(Path(app.config["UPLOAD_DIR"]).glob("*.pdf"))


def test_annex_page_limit_is_enforced(client, db, call, drafter) -> None:
    application = complete_application(db, call, drafter)
    login(client, drafter.email)
    text = _upload(client, call, application, pdf_bytes(11), "lang.pdf")
    assert "Bilagene ville fylde 11 sider; grænsen for bilag er 10 sider." in text
    assert db.scalar(select(func.count(Attachment.id))) == 0


def test_other_organisations_application_is_404(
    client, db, call, drafter, signatory, make_user
) -> None:
    application = complete_application(db, call, drafter)
    applications.submit(db, signatory, application, None)
    db.commit()
    other = make_user(Role.SIGNATORY, "3F")
    login(client, other.email)
    for url in (
        f"/ansoegning/{application.id}/indsend",
        f"/ansoegning/{application.id}/version/1",
        f"/ansoegning/{application.id}/version/1/kvittering.pdf",
        f"/ansoegning/{application.id}/traek-tilbage",
    ):
        response = client.get(url)
        assert response.status_code == 404 and "Siden findes ikke" in response.get_data(
            as_text=True
        ), url


def test_agency_staff_cannot_open_fund_pages(client, call, make_user) -> None:
    assessor = make_user(Role.ASSESSOR, "STAR")
    login(client, assessor.email)
    response = client.get(f"/ansoegning/runde/{call.id}")
    assert response.status_code == 403 and "Ingen adgang" in response.get_data(as_text=True)


def test_autosave_saves_draft_as_json(client, db, call, drafter) -> None:
    login(client, drafter.email)
    page = client.get(f"/ansoegning/runde/{call.id}").get_data(as_text=True)
    data = draft_form(call, contact_name="Autogemt")
    response = client.post(
        f"/ansoegning/runde/{call.id}/autosave",
        data=data,
        headers={"X-CSRFToken": csrf_token(page)},
    )
    assert response.json["ok"] is True and "Automatisk gemt" in response.json["message"]
    assert db.scalar(select(Application.contact_name)) == "Autogemt"


def test_first_save_after_deadline_creates_nothing(client, db, drafter) -> None:
    call = open_call(db)
    call.deadline_at = utcnow() - timedelta(minutes=1)
    db.commit()
    login(client, drafter.email)
    page = client.get(f"/ansoegning/runde/{call.id}").get_data(as_text=True)
    assert "Ansøgningen kan kun læses." in page
    after = _post_draft(client, call).get_data(as_text=True)
    assert "Fristen er overskredet" in after
    assert db.scalar(select(func.count(Application.id))) == 0


def test_version_page_formats_numbers_the_danish_way(client, db, call, drafter, signatory) -> None:
    application = complete_application(db, call, drafter)
    application.staff_fte = 12.5
    db.commit()
    login(client, signatory.email)
    page = _submit(client, application).get_data(as_text=True)
    assert "5.000 forløb om året, 12,5 årsværk, 18 samtaler" in page


def test_bad_extent_values_are_refused_in_danish(client, db, call, drafter) -> None:
    login(client, drafter.email)
    for changes in (
        {"extent_kind": "municipalities", "municipalities": ["999", "101"]},
        {"extent_kind": "municipalities", "municipalities": ["0151", "101"]},
        {"extent_kind": "regions", "regions": ["bogus"]},
    ):
        page = _post_draft(client, call, **changes).get_data(as_text=True)
        assert "er ikke et gyldigt valg" in page, changes
    assert db.scalar(select(func.count(Application.id))) == 0


def test_duplicate_municipalities_are_stored_once(client, db, call, drafter) -> None:
    login(client, drafter.email)
    _post_draft(client, call, extent_kind="municipalities", municipalities=["101"] * 50 + ["147"])
    assert db.scalar(select(Application.requested_extent)) == ["101", "147"]


def test_non_numbers_in_form_fields_are_messages_not_errors(client, db, call, drafter) -> None:
    application = complete_application(db, call, drafter)
    login(client, drafter.email)
    page = _post_draft(
        client, call, staff_fte="sNaN", capacity_courses="mange", revision=str(application.revision)
    ).get_data(as_text=True)
    assert "Skriv et tal, fx 12,5." in page and "Skriv et helt tal." in page
    page = client.get(f"/ansoegning/{application.id}/indsend").get_data(as_text=True)
    response = client.post(
        f"/ansoegning/{application.id}/indsend",
        data={"revision": "abc", "csrf_token": csrf_token(page)},
    )
    assert response.status_code == 200 and _versions(db) == []


def test_stale_draft_keeps_typed_text_and_saves_nothing(
    client, db, call, drafter, make_user
) -> None:
    application = complete_application(db, call, drafter)
    old_revision = application.revision
    colleague = make_user(Role.SIGNATORY, "HK")
    applications.save_draft(
        db, colleague, application, draft_data(call, contact_name="Kollegaens ændring")
    )
    db.commit()
    login(client, drafter.email)
    page = _post_draft(
        client, call, contact_name="Min ændring", revision=str(old_revision)
    ).get_data(as_text=True)
    assert "Ikke gemt endnu: en anden har gemt ansøgningen, mens du skrev" in page
    assert 'value="Min ændring"' in page and "Kollegaens ændring" in page
    db.expire_all()
    assert db.get(Application, application.id).contact_name == "Kollegaens ændring"


def test_attachment_for_another_calls_criterion_is_refused(client, db, call, drafter) -> None:
    application = complete_application(db, call, drafter)
    login(client, drafter.email)
    page = client.get(f"/ansoegning/runde/{call.id}").get_data(as_text=True)
    response = client.post(
        f"/ansoegning/{application.id}/bilag",
        data={
            "csrf_token": csrf_token(page),
            "criterion": "99999",
            "file": (io.BytesIO(pdf_bytes(1)), "a.pdf"),
        },
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "Vælg en af mulighederne." in response.get_data(as_text=True)
    assert db.scalar(select(func.count(Attachment.id))) == 0
