"""Login, logout, sessions, throttling and CSRF through the real routes."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from portal.models import AuditEvent, LoginAttempt, Role, User, UserSession, utcnow
from tests.conftest import TEST_PASSWORD, csrf_token, login


def _count(db: Session, model: type) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(model)) or 0


def test_login_page_is_danish(client: FlaskClient) -> None:
    page = client.get("/login").get_data(as_text=True)
    assert '<html lang="da">' in page
    assert "Log ind med din e-mailadresse og adgangskode." in page
    assert 'name="csrf_token"' in page


def test_login_success_creates_server_side_session(
    client: FlaskClient, db: Session, make_user
) -> None:
    user = make_user(Role.SIGNATORY, "HK")
    response = login(client, user.email)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    start = client.get("/").get_data(as_text=True)
    assert "Velkommen, Test signatory" in start
    assert "HK Danmark A-kasse" in start
    sessions = db.scalars(select(UserSession).where(UserSession.user_id == user.id)).all()
    assert len(sessions) == 1 and sessions[0].revoked_at is None


def test_login_wrong_password_shows_danish_error_and_writes_only_attempt(
    client: FlaskClient, db: Session, make_user
) -> None:
    user = make_user(Role.ASSESSOR, "STAR")
    before_sessions = _count(db, UserSession)
    response = login(client, user.email, "forkert-adgangskode")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "E-mail eller adgangskode er forkert." in page
    assert _count(db, UserSession) == before_sessions
    attempts = db.scalars(select(LoginAttempt).where(LoginAttempt.email == user.email)).all()
    assert [a.success for a in attempts] == [False]


def test_login_unknown_email_gives_same_message(client: FlaskClient) -> None:
    page = login(client, "ingen@test.dk").get_data(as_text=True)
    assert "E-mail eller adgangskode er forkert." in page


def test_login_throttles_after_repeated_failures(client: FlaskClient, app, make_user) -> None:
    user = make_user(Role.ASSESSOR, "STAR")
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        login(client, user.email, "forkert")
    page = login(client, user.email, TEST_PASSWORD).get_data(as_text=True)
    assert "For mange mislykkede forsøg" in page
    assert "Velkommen" not in client.get("/", follow_redirects=True).get_data(as_text=True)


def test_login_inactive_account_is_refused(client: FlaskClient, db: Session, make_user) -> None:
    user = make_user(Role.ASSESSOR, "STAR")
    db.get(User, user.id).is_active = False
    db.commit()
    page = login(client, user.email).get_data(as_text=True)
    assert "Kontoen er spærret" in page


def test_demo_account_refused_outside_demo_mode(client: FlaskClient, make_user) -> None:
    user = make_user(Role.ADMIN, "STAR", is_demo=True)
    page = login(client, user.email).get_data(as_text=True)
    assert "Demokonti kan kun bruges" in page


def test_login_without_csrf_token_is_400_and_writes_nothing(
    client: FlaskClient, db: Session, make_user
) -> None:
    user = make_user(Role.ADMIN, "STAR")
    audit_before = _count(db, AuditEvent)
    response = client.post("/login", data={"email": user.email, "password": TEST_PASSWORD})
    assert response.status_code == 400
    assert "sikkerhedstoken mangler eller er udløbet" in response.get_data(as_text=True)
    assert _count(db, UserSession) == 0 and _count(db, AuditEvent) == audit_before


def test_logout_revokes_session_and_replayed_cookie_is_rejected(
    client: FlaskClient, db: Session, make_user
) -> None:
    user = make_user(Role.ADMIN, "STAR")
    login(client, user.email)
    old_cookie = client.get_cookie("forsoeg_session").value
    page = client.get("/").get_data(as_text=True)
    client.post("/logout", data={"csrf_token": csrf_token(page)})
    row = db.scalar(select(UserSession).where(UserSession.user_id == user.id))
    assert row.revoked_at is not None
    client.set_cookie("forsoeg_session", old_cookie)
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"] == "/login"


def test_tampered_session_cookie_is_anonymous(client: FlaskClient, make_user) -> None:
    user = make_user(Role.ADMIN, "STAR")
    login(client, user.email)
    cookie = client.get_cookie("forsoeg_session").value
    client.set_cookie("forsoeg_session", cookie[:-3] + ("AAA" if cookie[-3:] != "AAA" else "BBB"))
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"] == "/login"


def test_password_change_revokes_all_sessions(app, db: Session, make_user) -> None:
    user = make_user(Role.ADMIN, "STAR")
    first, second = app.test_client(), app.test_client()
    login(first, user.email)
    login(second, user.email)
    page = first.get("/adgangskode").get_data(as_text=True)
    response = first.post(
        "/adgangskode",
        data={
            "current": TEST_PASSWORD,
            "new": "et-helt-nyt-kodeord-2026",
            "repeat": "et-helt-nyt-kodeord-2026",
            "csrf_token": csrf_token(page),
        },
    )
    assert response.headers["Location"] == "/login"
    assert second.get("/").status_code == 302
    live = db.scalars(
        select(UserSession).where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
    ).all()
    assert live == []
    assert "Velkommen" in login_and_get(app.test_client(), user.email, "et-helt-nyt-kodeord-2026")


def login_and_get(client: FlaskClient, email: str, password: str) -> str:
    login(client, email, password)
    return client.get("/").get_data(as_text=True)


def test_password_change_form_keeps_errors_next_to_fields(client: FlaskClient, make_user) -> None:
    user = make_user(Role.ADMIN, "STAR")
    login(client, user.email)
    page = client.get("/adgangskode").get_data(as_text=True)
    response = client.post(
        "/adgangskode",
        data={
            "current": TEST_PASSWORD,
            "new": "kort",
            "repeat": "andet",
            "csrf_token": csrf_token(page),
        },
    )
    html = response.get_data(as_text=True)
    assert "Den nye adgangskode skal have mindst 12 tegn." in html
    assert 'id="new-error"' in html


def test_open_redirect_is_refused(client: FlaskClient, make_user) -> None:
    user = make_user(Role.ADMIN, "STAR")
    page = client.get("/login").get_data(as_text=True)
    response = client.post(
        "/login?next=//evil.example/x",
        data={"email": user.email, "password": TEST_PASSWORD, "csrf_token": csrf_token(page)},
    )
    assert response.headers["Location"] == "/"


def test_password_change_guesses_are_throttled(
    client: FlaskClient, app, db: Session, make_user
) -> None:
    user = make_user(Role.ADMIN, "STAR")
    login(client, user.email)
    page = client.get("/adgangskode").get_data(as_text=True)
    guess = {
        "new": "et-helt-nyt-kodeord-2026",
        "repeat": "et-helt-nyt-kodeord-2026",
        "csrf_token": csrf_token(page),
    }
    for attempt in range(app.config["LOGIN_MAX_FAILURES"]):
        html = client.post("/adgangskode", data={**guess, "current": f"gæt-{attempt}"}).get_data(
            as_text=True
        )
        assert "Den nuværende adgangskode er forkert." in html
    html = client.post("/adgangskode", data={**guess, "current": TEST_PASSWORD}).get_data(
        as_text=True
    )
    assert "For mange mislykkede forsøg" in html
    db.expire_all()
    assert db.get(User, user.id).password_hash.startswith("$argon2id$")
    assert login_and_get(app.test_client(), user.email, "et-helt-nyt-kodeord-2026") != ""
    assert "Velkommen" not in login_and_get(
        app.test_client(), user.email, "et-helt-nyt-kodeord-2026"
    )


def test_next_with_backslash_is_refused(client: FlaskClient, make_user) -> None:
    user = make_user(Role.ADMIN, "STAR")
    page = client.get("/login").get_data(as_text=True)
    response = client.post(
        "/login?next=/%5Cevil.example",
        data={"email": user.email, "password": TEST_PASSWORD, "csrf_token": csrf_token(page)},
    )
    assert response.headers["Location"] == "/"


def test_a_page_rendered_inside_a_writing_transaction_does_not_wait_for_itself(
    client: FlaskClient, db: Session, make_user: Any
) -> None:
    """A public page that reads first (a password link) and shows the signed-in user's menu
    afterwards: the session's last-seen time is due, but touching it would wait on the write
    lock the request itself holds on SQLite (30 s, then an error). It is touched on the next
    request instead."""
    user = make_user(Role.SIGNATORY, "HK")
    login(client, user.email)
    token = csrf_token(client.get("/adgangskode").get_data(as_text=True))
    long_ago = utcnow() - timedelta(minutes=5)
    db.execute(
        update(UserSession).where(UserSession.user_id == user.id).values(last_seen_at=long_ago)
    )
    db.commit()

    started = time.monotonic()
    reply = client.post("/adgangskode/ny/ukendt-link", data={"csrf_token": token})
    assert reply.status_code == 404
    assert user.name in reply.get_data(as_text=True)  # the menu shows who is signed in
    assert time.monotonic() - started < 5
    db.expire_all()
    seen = db.scalar(select(UserSession.last_seen_at).where(UserSession.user_id == user.id))
    assert seen == long_ago

    assert client.get("/").status_code == 200
    db.expire_all()
    seen = db.scalar(select(UserSession.last_seen_at).where(UserSession.user_id == user.id))
    assert seen > long_ago
