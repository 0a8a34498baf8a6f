"""User management through the real routes: create, edit, deactivate, the one-time link to
choose a password (through the outbox), the last administrator, and who may manage whom."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from portal.mail import list_outbox, read_outbox
from portal.models import AuditEvent, PasswordResetToken, Role, User, UserSession, utcnow
from tests.conftest import TEST_PASSWORD, csrf_token, login
from tests.portal.helpers import org_id

NEW_PASSWORD = "et-nyt-og-langt-kodeord-2026"


def _count(db: Session, model: type) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(model)) or 0


def _actions(db: Session) -> list[str]:
    db.expire_all()
    return list(db.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def _post(client: FlaskClient, url: str, form_page: str, **data: Any) -> Any:
    token = csrf_token(client.get(form_page).get_data(as_text=True))
    return client.post(url, data={**data, "csrf_token": token})


def _mails(app: Flask) -> list[tuple[str, str, str]]:
    """(to, subject, body) of each outbox message, oldest first."""
    found = []
    for item in reversed(list_outbox(app.config["OUTBOX_DIR"])):
        message = read_outbox(app.config["OUTBOX_DIR"], item.name)
        body = message.get_body(preferencelist=("plain",))
        found.append((item.to, item.subject, body.get_content() if body else ""))
    return found


def _link_in(body: str) -> str:
    match = re.search(r"http://localhost(/adgangskode/ny/[A-Za-z0-9_-]+)", body)
    assert match, body
    return match.group(1)


def _admin(client: FlaskClient, make_user: Any) -> User:
    admin = make_user(Role.ADMIN, "STAR", email="admin@test.dk")
    login(client, admin.email)
    return admin


# --- create ---------------------------------------------------------------------------------


def test_admin_creates_a_user_who_chooses_a_password_through_the_mailed_link(
    app: Flask, client: FlaskClient, db: Session, make_user: Any
) -> None:
    admin = _admin(client, make_user)
    hk = org_id(db, "HK")
    response = _post(
        client,
        "/brugere/ny",
        "/brugere/ny",
        name="Bo Bruger",
        email="Bo@HK.example.dk",
        organisation=str(hk),
        role="drafter",
        party="",
    )
    user = db.scalar(select(User).where(User.email == "bo@hk.example.dk"))
    assert user is not None and response.headers["Location"] == f"/brugere/{user.id}"
    assert (user.name, user.role, user.organisation_id, user.is_active) == (
        "Bo Bruger",
        "drafter",
        hk,
        True,
    )
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Bo Bruger er oprettet" in page and "Link til ny adgangskode" in page
    events = db.scalars(select(AuditEvent).where(AuditEvent.object_id == str(user.id))).all()
    assert [(e.action, e.actor_id) for e in events] == [
        ("user.created", admin.id),
        ("user.password_link_sent", admin.id),
    ]
    [(to, subject, body)] = _mails(app)
    assert (
        to == "bo@hk.example.dk" and subject == "Din konto i Forsøgsportalen: vælg en adgangskode"
    )
    assert "medarbejder (udkast) (HK Danmark A-kasse)" in body and "udløber" in body
    anonymous = app.test_client()
    link = _link_in(body)
    assert "Vælg en adgangskode til bo@hk.example.dk" in anonymous.get(link).get_data(as_text=True)
    done = _post(anonymous, link, link, new=NEW_PASSWORD, repeat=NEW_PASSWORD)
    assert done.headers["Location"] == "/login"
    assert login(anonymous, "bo@hk.example.dk", NEW_PASSWORD).headers["Location"] == "/"
    assert "Velkommen, Bo Bruger" in anonymous.get("/").get_data(as_text=True)


def test_new_user_with_bad_input_keeps_it_shows_danish_errors_and_stores_nothing(
    app: Flask, client: FlaskClient, db: Session, make_user: Any
) -> None:
    _admin(client, make_user)
    users, events = _count(db, User), _count(db, AuditEvent)
    page = _post(
        client,
        "/brugere/ny",
        "/brugere/ny",
        name="Bo Bruger",
        email="ikke-en-adresse",
        organisation=str(org_id(db, "HK")),
        role="drafter",
    ).get_data(as_text=True)
    assert "Der er fejl i formularen" in page
    assert re.search(r'id="email-error">.*Skriv en gyldig e-mailadresse', page)
    assert 'value="Bo Bruger"' in page and 'value="ikke-en-adresse"' in page
    # The role must fit the organisation: an a-kasse has no assessors.
    page = _post(
        client,
        "/brugere/ny",
        "/brugere/ny",
        name="Bo Bruger",
        email="bo@hk.example.dk",
        organisation=str(org_id(db, "HK")),
        role="assessor",
    ).get_data(as_text=True)
    assert re.search(r'id="role-error">.*Rollen passer ikke til organisationen', page)
    assert '<option selected value="assessor">' in page
    assert 'value="bo@hk.example.dk"' in page
    # A party member needs a party.
    page = _post(
        client,
        "/brugere/ny",
        "/brugere/ny",
        name="Per Parti",
        email="per@parti.example.dk",
        organisation=str(org_id(db, "AFTALEPARTIER")),
        role="party_member",
        party="",
    ).get_data(as_text=True)
    assert re.search(r'id="party-error">.*Skriv hvilket parti', page)
    assert (_count(db, User), _count(db, AuditEvent)) == (users, events)
    assert _mails(app) == []


def test_new_user_with_an_email_in_use_is_refused_at_the_field(
    app: Flask, client: FlaskClient, db: Session, make_user: Any
) -> None:
    _admin(client, make_user)
    taken = make_user(Role.ASSESSOR, "STAR")
    users = _count(db, User)
    page = _post(
        client,
        "/brugere/ny",
        "/brugere/ny",
        name="Dobbelt",
        email=taken.email.upper(),
        organisation=str(org_id(db, "STAR")),
        role="assessor",
    ).get_data(as_text=True)
    assert re.search(r'id="email-error">.*Der findes allerede en bruger', page)
    assert _count(db, User) == users and _mails(app) == []


def test_new_user_is_not_stored_when_the_welcome_mail_cannot_be_sent(
    app: Flask, client: FlaskClient, db: Session, make_user: Any
) -> None:
    _admin(client, make_user)
    users, events = _count(db, User), _count(db, AuditEvent)
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=1, MAIL_USE_TLS=False)  # refused
    page = _post(
        client,
        "/brugere/ny",
        "/brugere/ny",
        name="Bo Bruger",
        email="bo@hk.example.dk",
        organisation=str(org_id(db, "HK")),
        role="drafter",
    ).get_data(as_text=True)
    assert re.search(r'id="email-error">.*E-mailen med linket kunne ikke sendes', page)
    assert 'value="Bo Bruger"' in page
    assert (_count(db, User), _count(db, AuditEvent)) == (users, events)
    assert _count(db, PasswordResetToken) == 0


# --- edit -----------------------------------------------------------------------------------


def test_admin_changes_name_and_role_and_both_are_audited(
    client: FlaskClient, db: Session, make_user: Any
) -> None:
    admin = _admin(client, make_user)
    sara = make_user(Role.ASSESSOR, "STAR", email="sara@test.dk")
    url = f"/brugere/{sara.id}"
    response = _post(client, url, url, name="Sara Leder", role="lead_assessor")
    assert response.headers["Location"] == url
    assert "Ændringerne er gemt." in client.get(url).get_data(as_text=True)
    db.expire_all()
    changed = db.get(User, sara.id)
    assert (changed.name, changed.role) == ("Sara Leder", "lead_assessor")
    events = db.scalars(
        select(AuditEvent).where(AuditEvent.object_id == str(sara.id)).order_by(AuditEvent.id)
    ).all()
    assert [(e.action, e.actor_id, e.data) for e in events[-2:]] == [
        ("user.role_changed", admin.id, {"from": "assessor", "to": "lead_assessor"}),
        ("user.updated", admin.id, {"fields": ["name"]}),
    ]


def test_a_fund_users_role_can_only_become_a_fund_role(
    client: FlaskClient, db: Session, make_user: Any
) -> None:
    _admin(client, make_user)
    drafter = make_user(Role.DRAFTER, "HK")
    url = f"/brugere/{drafter.id}"
    form = client.get(url).get_data(as_text=True)
    assert 'value="signatory"' in form and 'value="assessor"' not in form
    events = _count(db, AuditEvent)
    page = _post(client, url, url, name="Ny Navn", role="admin").get_data(as_text=True)
    assert re.search(r'id="role-error">.*Vælg en af mulighederne', page)
    assert 'value="Ny Navn"' in page
    db.expire_all()
    assert db.get(User, drafter.id).role == "drafter" and _count(db, AuditEvent) == events


# --- deactivate -----------------------------------------------------------------------------


def test_deactivation_ends_the_users_sessions_at_once(
    app: Flask, client: FlaskClient, db: Session, make_user: Any
) -> None:
    admin = _admin(client, make_user)
    sara = make_user(Role.ASSESSOR, "STAR", email="sara@test.dk")
    hers = app.test_client()
    login(hers, sara.email)
    assert "Velkommen" in hers.get("/").get_data(as_text=True)
    url = f"/brugere/{sara.id}"
    response = _post(client, f"{url}/spaer", url)
    assert response.headers["Location"] == url
    assert "er spærret og logget ud alle steder" in client.get(url).get_data(as_text=True)
    # Her existing cookie is refused on her next request.
    refused = hers.get("/")
    assert refused.status_code == 302 and refused.headers["Location"] == "/login"
    db.expire_all()
    assert db.get(User, sara.id).is_active is False
    sessions = db.scalars(select(UserSession).where(UserSession.user_id == sara.id)).all()
    assert sessions and all(s.revoked_at is not None for s in sessions)
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "user.deactivated"))
    assert event.actor_id == admin.id and event.data == {"sessions_revoked": 1}
    assert "Kontoen er spærret" in login(app.test_client(), sara.email).get_data(as_text=True)
    # Reactivated, she logs in again (the old sessions stay ended).
    _post(client, f"{url}/genaktiver", url)
    assert login(app.test_client(), sara.email).headers["Location"] == "/"
    assert hers.get("/").status_code == 302
    assert _actions(db)[-2:] == ["user.reactivated", "login.succeeded"]


def test_the_last_active_administrator_can_be_neither_demoted_nor_deactivated(
    client: FlaskClient, db: Session, make_user: Any
) -> None:
    admin = _admin(client, make_user)
    make_user(Role.ADMIN, "STAR", email="gammel-admin@test.dk").is_active = False
    db.commit()
    url = f"/brugere/{admin.id}"
    events = _count(db, AuditEvent)
    page = _post(client, url, url, name="Anne", role="assessor").get_data(as_text=True)
    assert re.search(r'id="role-error">.*mindst én aktiv administrator', page)
    assert 'value="Anne"' in page
    page = _post(client, f"{url}/spaer", url).get_data(as_text=True)
    assert re.search(r'id="deactivate-error">.*mindst én aktiv administrator', page)
    assert f'value="{admin.name}"' in page  # the details form beside it shows what is stored
    db.expire_all()
    stored = db.get(User, admin.id)
    assert (stored.role, stored.is_active, stored.name) == ("admin", True, admin.name)
    assert _count(db, AuditEvent) == events
    # With a second active administrator the first may step down.
    make_user(Role.ADMIN, "STAR", email="ny-admin@test.dk")
    stepped_down = _post(client, url, url, name=admin.name, role="assessor")
    assert stepped_down.headers["Location"] == "/"  # the user page is no longer theirs
    db.expire_all()
    assert db.get(User, admin.id).role == "assessor"
    assert client.get(url).status_code == 403


def test_an_administrator_cannot_lock_themselves_out(
    client: FlaskClient, db: Session, make_user: Any
) -> None:
    admin = _admin(client, make_user)
    make_user(Role.ADMIN, "STAR", email="anden-admin@test.dk")
    url = f"/brugere/{admin.id}"
    page = _post(client, f"{url}/spaer", url).get_data(as_text=True)
    assert re.search(r'id="deactivate-error">.*Du kan ikke spærre din egen konto', page)
    db.expire_all()
    assert db.get(User, admin.id).is_active is True


# --- who manages whom -----------------------------------------------------------------------


def test_signatory_manages_only_its_own_a_kasses_drafters(
    app: Flask, client: FlaskClient, db: Session, make_user: Any
) -> None:
    signatory = make_user(Role.SIGNATORY, "HK")
    own_drafter = make_user(Role.DRAFTER, "HK")
    other_signatory = make_user(Role.SIGNATORY, "HK", email="hk-2@test.dk")
    foreign_drafter = make_user(Role.DRAFTER, "3F")
    login(client, signatory.email)
    listing = client.get("/brugere").get_data(as_text=True)
    assert own_drafter.email in listing and other_signatory.email in listing
    assert foreign_drafter.email not in listing
    assert f'href="/brugere/{own_drafter.id}"' in listing
    assert f'href="/brugere/{other_signatory.id}"' not in listing
    # Whatever is posted, the new account is a drafter in the signatory's own a-kasse.
    _post(
        client,
        "/brugere/ny",
        "/brugere/ny",
        name="Nina Ny",
        email="nina@hk.example.dk",
        role="admin",
        organisation=str(org_id(db, "STAR")),
    )
    nina = db.scalar(select(User).where(User.email == "nina@hk.example.dk"))
    assert (nina.role, nina.organisation_id) == ("drafter", signatory.organisation_id)
    for other in (foreign_drafter, other_signatory, signatory):
        url = f"/brugere/{other.id}"
        assert client.get(url).status_code == 404
        form = client.get(f"/brugere/{own_drafter.id}").get_data(as_text=True)
        refused = client.post(f"{url}/spaer", data={"csrf_token": csrf_token(form)})
        assert refused.status_code == 404
    db.expire_all()
    assert db.get(User, foreign_drafter.id).is_active and db.get(User, other_signatory.id).is_active
    url = f"/brugere/{own_drafter.id}"
    assert _post(client, f"{url}/spaer", url).headers["Location"] == url
    db.expire_all()
    assert db.get(User, own_drafter.id).is_active is False


def test_other_roles_get_the_standard_refusal(client: FlaskClient, make_user: Any) -> None:
    drafter = make_user(Role.DRAFTER, "HK")
    login(client, make_user(Role.LEAD_ASSESSOR, "STAR").email)
    assert client.get("/brugere").status_code == 403
    assert client.get(f"/brugere/{drafter.id}").status_code == 403


# --- the one-time link ----------------------------------------------------------------------


def _send_link(client: FlaskClient, user: User) -> Any:
    url = f"/brugere/{user.id}"
    return _post(client, f"{url}/adgangskodelink", url)


def test_password_link_works_once_and_ends_every_session(
    app: Flask, client: FlaskClient, db: Session, make_user: Any
) -> None:
    admin = _admin(client, make_user)
    sara = make_user(Role.ASSESSOR, "STAR", email="sara@test.dk")
    hers = app.test_client()
    login(hers, sara.email)
    response = _send_link(client, sara)
    assert response.headers["Location"] == f"/brugere/{sara.id}"
    assert "Et link til at vælge en ny adgangskode er sendt til sara@test.dk" in client.get(
        response.headers["Location"]
    ).get_data(as_text=True)
    [(to, subject, body)] = _mails(app)
    assert to == "sara@test.dk" and subject == "Forsøgsportalen: vælg en ny adgangskode"
    link = _link_in(body)
    stored = db.scalar(select(PasswordResetToken).where(PasswordResetToken.user_id == sara.id))
    assert link.rsplit("/", 1)[1] not in stored.token_hash  # only the hash is kept
    assert stored.expires_at - stored.created_at == timedelta(hours=24)
    # The current password still works until the link is used.
    assert login(app.test_client(), sara.email).headers["Location"] == "/"
    anonymous = app.test_client()
    page = _post(anonymous, link, link, new="kort", repeat="kort").get_data(as_text=True)
    assert re.search(r'id="new-error">.*mindst 12 tegn', page)
    done = _post(anonymous, link, link, new=NEW_PASSWORD, repeat=NEW_PASSWORD)
    assert done.headers["Location"] == "/login"
    assert "Din adgangskode er gemt" in anonymous.get("/login").get_data(as_text=True)
    assert hers.get("/").headers["Location"] == "/login"
    db.expire_all()
    assert (
        db.scalars(
            select(UserSession).where(
                UserSession.user_id == sara.id, UserSession.revoked_at.is_(None)
            )
        ).all()
        == []
    )
    assert "E-mail eller adgangskode er forkert" in login(
        app.test_client(), sara.email, TEST_PASSWORD
    ).get_data(as_text=True)
    assert login(app.test_client(), sara.email, NEW_PASSWORD).headers["Location"] == "/"
    again = anonymous.get(link)
    assert again.status_code == 404 and "Linket virker ikke" in again.get_data(as_text=True)
    sent = db.scalar(select(AuditEvent).where(AuditEvent.action == "user.password_link_sent"))
    reset = db.scalar(select(AuditEvent).where(AuditEvent.action == "user.password_reset"))
    assert (sent.actor_id, sent.data["kind"]) == (admin.id, "reset")
    assert reset.actor_id == sara.id and reset.object_id == str(sara.id)


def test_password_link_expires_and_a_wrong_token_is_404(
    app: Flask, client: FlaskClient, db: Session, make_user: Any
) -> None:
    _admin(client, make_user)
    sara = make_user(Role.ASSESSOR, "STAR", email="sara@test.dk")
    _send_link(client, sara)
    link = _link_in(_mails(app)[0][2])
    anonymous = app.test_client()
    assert anonymous.get(link).status_code == 200
    assert anonymous.get(link[:-2] + "xx").status_code == 404
    assert anonymous.get("/adgangskode/ny/ukendt").status_code == 404
    past = utcnow() - timedelta(minutes=1)
    db.execute(
        update(PasswordResetToken)
        .where(PasswordResetToken.user_id == sara.id)
        .values(created_at=past - timedelta(hours=24), expires_at=past)
    )
    db.commit()
    expired = anonymous.get(link)
    assert expired.status_code == 404 and "udløbet" in expired.get_data(as_text=True)
    posted = _post(app.test_client(), link, "/login", new=NEW_PASSWORD, repeat=NEW_PASSWORD)
    assert posted.status_code == 404
    db.expire_all()
    assert login(app.test_client(), sara.email).headers["Location"] == "/"


def test_a_new_link_or_deactivation_makes_earlier_links_stop_working(
    app: Flask, client: FlaskClient, db: Session, make_user: Any
) -> None:
    _admin(client, make_user)
    sara = make_user(Role.ASSESSOR, "STAR", email="sara@test.dk")
    _send_link(client, sara)
    _send_link(client, sara)
    first, second = (_link_in(body) for _to, _subject, body in _mails(app))
    anonymous = app.test_client()
    assert anonymous.get(first).status_code == 404
    assert anonymous.get(second).status_code == 200
    url = f"/brugere/{sara.id}"
    _post(client, f"{url}/spaer", url)
    assert anonymous.get(second).status_code == 404
    page = _send_link(client, sara).get_data(as_text=True)
    assert re.search(r'id="password_link-error">.*Genaktivér den', page)
    assert len(_mails(app)) == 2
