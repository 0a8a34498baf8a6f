"""Hardening: writes that lock before they read on SQLite, no silent overwrite by a first save,
receipts made outside the submission's transaction (and on demand), private caching headers on
every page, the __Host- session cookie, and the reconciliation of orphan upload files."""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from portal import create_app
from portal.applications import services as applications
from portal.applications import uploads
from portal.db import make_engine, write_engine
from portal.models import Answer, Application, Attachment, AuditEvent, Role, StoredFile
from tests.conftest import PG_URL, TEST_PASSWORD, app_config, csrf_token, login, run_queued_tasks
from tests.portal.helpers import complete_application, draft_form, open_call, pdf_bytes

# --- SQLite: a writing transaction holds the write lock from its first statement ------------


@pytest.mark.skipif(PG_URL is not None, reason="SQLite's lock modes; PostgreSQL has its own test")
def test_a_writing_session_locks_sqlite_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "lock.sqlite"
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (x INTEGER)"))
    probe = sqlite3.connect(path, timeout=0, isolation_level=None)

    writer = Session(bind=write_engine(engine))
    writer.execute(text("SELECT count(*) FROM t"))  # a read only: the lock is already held
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        probe.execute("BEGIN IMMEDIATE")
    writer.rollback()

    reader = Session(bind=engine)
    reader.execute(text("SELECT count(*) FROM t"))
    probe.execute("BEGIN IMMEDIATE")  # a reader does not keep writers out
    probe.execute("ROLLBACK")
    reader.close()
    engine.dispose()


# --- first saves -------------------------------------------------------------------------------


def test_a_first_save_does_not_overwrite_a_colleagues_first_save(
    app: Flask, db: Session, make_user
) -> None:
    call = open_call(db)
    first, second = make_user(Role.DRAFTER, "HK"), make_user(Role.DRAFTER, "HK", "hk2@test.dk")
    late, early = app.test_client(), app.test_client()
    login(late, first.email)
    login(early, second.email)
    url = f"/ansoegning/runde/{call.id}"
    late_page = late.get(url).get_data(as_text=True)  # opened before the application exists
    criterion = call.criteria_set.criteria[0]
    early_page = early.get(url).get_data(as_text=True)
    saved = early.post(
        url,
        data={
            **draft_form(call, **{f"answer_{criterion.id}": "Søren skrev først."}),
            "csrf_token": csrf_token(early_page),
        },
        follow_redirects=True,
    )
    assert "Kladden er gemt." in saved.get_data(as_text=True)

    refused = late.post(
        url,
        data={
            **draft_form(call, **{f"answer_{criterion.id}": "Frida skrev bagefter."}),
            "csrf_token": csrf_token(late_page),
        },
    ).get_data(as_text=True)

    assert "Ikke gemt endnu: en anden har gemt ansøgningen, mens du skrev" in refused
    assert "Frida skrev bagefter." in refused  # what was typed is kept on the page
    db.expire_all()
    stored = db.scalar(select(Answer.text).where(Answer.criterion_id == criterion.id))
    assert stored == "Søren skrev først."
    assert db.scalar(select(func.count(Application.id))) == 1


# --- receipts ----------------------------------------------------------------------------------


def test_a_missing_receipt_is_made_when_asked_for(app: Flask, db: Session, make_user) -> None:
    call = open_call(db)
    signatory = make_user(Role.SIGNATORY, "HK")
    application = complete_application(db, call, signatory)
    version = applications.submit(db, signatory, application, None)  # the server then stopped
    db.commit()
    assert db.scalar(select(func.count(StoredFile.id))) == 0
    client = app.test_client()
    login(client, signatory.email)

    response = client.get(f"/ansoegning/{application.id}/version/{version.number}/kvittering.pdf")

    assert response.data.startswith(b"%PDF")
    db.expire_all()
    kept = db.scalar(select(StoredFile))
    assert kept is not None and kept.version_id == version.id and kept.content == response.data
    again = client.get(f"/ansoegning/{application.id}/version/{version.number}/kvittering.pdf")
    assert again.data == response.data
    assert db.scalar(select(func.count(StoredFile.id))) == 1


def test_submission_keeps_one_receipt_made_after_the_commit_by_the_worker(
    app: Flask, db: Session, make_user
) -> None:
    call = open_call(db)
    signatory = make_user(Role.SIGNATORY, "HK")
    application = complete_application(db, call, signatory)
    client = app.test_client()
    login(client, signatory.email)
    page = client.get(f"/ansoegning/{application.id}/indsend").get_data(as_text=True)

    response = client.post(
        f"/ansoegning/{application.id}/indsend",
        data={"csrf_token": csrf_token(page), "revision": str(application.revision)},
        follow_redirects=True,
    )

    assert "Ansøgningen er indsendt som version 1" in response.get_data(as_text=True)
    db.expire_all()
    assert list(db.scalars(select(StoredFile))) == []  # not rendered under the write lock
    run_queued_tasks(app)
    db.expire_all()
    receipts = list(db.scalars(select(StoredFile)))
    assert len(receipts) == 1 and receipts[0].content.startswith(b"%PDF")


# --- headers and cookie ------------------------------------------------------------------------


def test_signed_in_error_pages_are_not_cached(client: FlaskClient, make_user) -> None:
    user = make_user(Role.ADMIN, "STAR")
    login(client, user.email)
    missing = client.get("/findes-ikke")
    wrong_method = client.delete("/")
    assert missing.status_code == 404 and missing.headers["Cache-Control"] == "no-store"
    assert wrong_method.status_code == 405 and wrong_method.headers["Cache-Control"] == "no-store"
    assert user.name in missing.get_data(as_text=True)


def test_a_secure_session_cookie_carries_the_host_prefix(
    database_url: str, tmp_path: Path, make_user
) -> None:
    user = make_user(Role.ADMIN, "STAR")
    secure = create_app(app_config(database_url, tmp_path, SESSION_COOKIE_SECURE=True))
    try:
        client = secure.test_client()
        page = client.get("/login").get_data(as_text=True)
        response = client.post(
            "/login",
            data={"email": user.email, "password": TEST_PASSWORD, "csrf_token": csrf_token(page)},
        )
        cookies = response.headers.getlist("Set-Cookie")
        session_cookie = next(c for c in cookies if c.startswith("__Host-forsoeg_session="))
        assert "Secure" in session_cookie and "Path=/" in session_cookie
        assert "Domain" not in session_cookie
    finally:
        secure.extensions["db_engine"].dispose()


# --- orphan upload files -----------------------------------------------------------------------


def test_reconcile_uploads_reports_then_deletes_only_old_orphans(
    app: Flask, db: Session, runner, make_user
) -> None:
    folder = app.config["UPLOAD_DIR"]
    call = open_call(db)
    signatory = make_user(Role.SIGNATORY, "HK")
    application = complete_application(db, call, signatory)
    kept_name = uploads.store(folder, pdf_bytes(1))
    applications.add_attachment(
        db,
        signatory,
        application,
        applications.NewAttachment(
            filename="bilag.pdf",
            stored_name=kept_name,
            size_bytes=100,
            pages=1,
            sha256="a" * 64,
            criterion_id=None,
        ),
        10**8,
    )
    db.commit()
    old_orphan = uploads.store(folder, pdf_bytes(2))
    young_orphan = uploads.store(folder, pdf_bytes(3))
    two_hours_ago = time.time() - 7200
    for name in (old_orphan, kept_name):
        os.utime(uploads.stored_path(folder, name), (two_hours_ago, two_hours_ago))

    report = runner.invoke(args=["reconcile-uploads"])
    assert report.exit_code == 0
    assert old_orphan in report.output and "1 file(s) without an attachment row" in report.output
    assert kept_name not in report.output and young_orphan not in report.output
    assert uploads.stored_path(folder, old_orphan).exists()

    deleted = runner.invoke(args=["reconcile-uploads", "--delete"])
    assert deleted.exit_code == 0 and "1 file(s) deleted" in deleted.output
    assert not uploads.stored_path(folder, old_orphan).exists()
    assert uploads.stored_path(folder, kept_name).exists()
    assert uploads.stored_path(folder, young_orphan).exists()
    db.expire_all()
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "uploads.orphans_deleted"))
    assert event is not None and event.data["files"] == [old_orphan]
    assert db.scalar(select(func.count(Attachment.id))) == 1


def test_reconcile_uploads_refuses_a_negative_age(runner) -> None:
    result = runner.invoke(args=["reconcile-uploads", "--min-age-minutes", "-5"])
    assert result.exit_code != 0 and "--min-age-minutes" in result.output
