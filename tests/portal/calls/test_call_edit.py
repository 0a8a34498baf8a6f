"""The administrator changes an open call's settings and closes it; both audited."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.applications import services as applications
from portal.errors import ApplicationError
from portal.forms import utc_to_local_naive
from portal.models import AuditEvent, Call, CallStatus, Role, utcnow
from tests.conftest import csrf_token, login
from tests.portal.helpers import complete_application, open_call


def _form(call: Call, **changes: str) -> dict[str, str]:
    data = {
        "title": call.title,
        "deadline_at": utc_to_local_naive(call.deadline_at).strftime("%Y-%m-%dT%H:%M"),
        "dialogue_meeting_on": "",
        "page_limit": str(call.page_limit),
        "page_limit_with_annexes": str(call.page_limit_with_annexes),
        "target_volume": str(call.target_volume),
        "min_share_percent": "25",
        "years": str(call.years),
        "national_inflow": str(call.national_inflow),
    }
    return {**data, **changes}


def _fresh(db: Session, call_id: int) -> Call:
    db.expire_all()
    found = db.get(Call, call_id)
    assert found is not None
    return found


def test_admin_changes_title_and_deadline_with_old_and_new_in_the_log(
    client, db: Session, make_user
) -> None:
    call = open_call(db)
    login(client, make_user(Role.ADMIN, "STAR").email)
    page = client.get(f"/admin/runder/{call.id}/rediger").get_data(as_text=True)
    assert 'value="Testrunde"' in page
    later = utc_to_local_naive(call.deadline_at + timedelta(days=7)).replace(
        second=0, microsecond=0
    )
    reply = client.post(
        f"/admin/runder/{call.id}/rediger",
        data={
            "csrf_token": csrf_token(page),
            **_form(call, title="Runde 2", deadline_at=later.strftime("%Y-%m-%dT%H:%M")),
        },
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "Rundens indstillinger er ændret og logget." in reply
    changed = _fresh(db, call.id)
    assert changed.title == "Runde 2"
    assert utc_to_local_naive(changed.deadline_at) == later
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "call.updated"))
    assert event is not None
    assert event.data["changes"]["title"] == ["Testrunde", "Runde 2"]
    assert set(event.data["changes"]) == {"title", "deadline_at"}


def test_a_deadline_moved_into_the_past_is_refused_at_the_field_and_kept(
    client, db: Session, make_user
) -> None:
    call = open_call(db)
    before = call.deadline_at
    login(client, make_user(Role.ADMIN, "STAR").email)
    page = client.get(f"/admin/runder/{call.id}/rediger").get_data(as_text=True)
    reply = client.post(
        f"/admin/runder/{call.id}/rediger",
        data={
            "csrf_token": csrf_token(page),
            **_form(call, title="Ny titel", deadline_at="2021-05-01T12:00"),
        },
    ).get_data(as_text=True)
    assert "Fristen kan ikke flyttes til et tidspunkt, der er passeret." in reply
    assert 'value="Ny titel"' in reply and 'value="2021-05-01T12:00"' in reply
    unchanged = _fresh(db, call.id)
    assert unchanged.title == "Testrunde" and unchanged.deadline_at == before
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "call.updated")) is None


def test_a_closed_call_takes_no_submission_and_no_more_changes(
    client, db: Session, make_user
) -> None:
    call = open_call(db)
    signer = make_user(Role.SIGNATORY, "HK")
    application = complete_application(db, call, signer)
    login(client, make_user(Role.ADMIN, "STAR").email)
    page = client.get(f"/admin/runder/{call.id}").get_data(as_text=True)
    assert "Luk runden" in page
    reply = client.post(
        f"/admin/runder/{call.id}/luk", data={"csrf_token": csrf_token(page)}, follow_redirects=True
    ).get_data(as_text=True)
    assert "Runden er lukket." in reply and "Luk runden</button>" not in reply
    assert _fresh(db, call.id).status == CallStatus.CLOSED
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "call.closed")) is not None

    edit = client.get(f"/admin/runder/{call.id}/rediger", follow_redirects=True)
    assert "Runden er lukket og kan ikke længere ændres." in edit.get_data(as_text=True)
    try:
        applications.submit(db, signer, application, application.revision)
    except ApplicationError:
        db.rollback()
    else:
        raise AssertionError("a closed call took a submission")
    assert utcnow() < call.deadline_at  # refused for being closed, not for the deadline


def test_admin_reads_every_submitted_version_in_the_browser(client, db: Session, make_user):
    call = open_call(db)
    signer = make_user(Role.SIGNATORY, "HK")
    application = complete_application(db, call, signer)
    applications.submit(db, signer, application, application.revision)
    db.commit()
    login(client, make_user(Role.ADMIN, "STAR").email)
    listing = client.get(f"/admin/runder/{call.id}").get_data(as_text=True)
    url = f"/admin/ansoegning/{application.id}/version/1"
    assert f'href="{url}"' in listing
    page = client.get(url).get_data(as_text=True)
    assert "Indsendt version 1" in page and application.versions[0].content_hash in page
    first_answer = application.versions[0].content["answers"]
    assert any(text and text[:40] in page for text in first_answer.values())
    assert "Kan indgå i forsøget" in page and "Hent dossier (zip)" in page
    assert client.get(f"/admin/ansoegning/{application.id}/version/2").status_code == 404


def test_a_call_past_its_deadline_still_takes_other_changes(client, db: Session, make_user):
    call = open_call(db)
    call.deadline_at = utcnow() - timedelta(hours=2, seconds=17)  # seconds, as a real one has
    db.commit()
    passed = call.deadline_at
    login(client, make_user(Role.ADMIN, "STAR").email)
    page = client.get(f"/admin/runder/{call.id}/rediger").get_data(as_text=True)
    reply = client.post(
        f"/admin/runder/{call.id}/rediger",
        data={"csrf_token": csrf_token(page), **_form(call, title="Runde med ny titel")},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "Rundens indstillinger er ændret og logget." in reply
    changed = _fresh(db, call.id)
    assert changed.title == "Runde med ny titel" and changed.deadline_at == passed


def test_the_call_list_says_when_an_open_calls_deadline_has_passed(client, db: Session, make_user):
    passed = open_call(db)
    passed.deadline_at = utcnow() - timedelta(hours=1)
    db.commit()
    login(client, make_user(Role.ADMIN, "STAR").email)
    listing = client.get("/admin/runder").get_data(as_text=True)
    assert listing.count("Åben for ansøgninger – fristen er passeret") == 1
