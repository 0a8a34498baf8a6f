"""The data generation (`portal.db`) and the pages kept per session (`portal.pagecache`)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_login import login_required
from sqlalchemy import event, false, select, text, update
from sqlalchemy.orm import Session

from portal import audit, create_app, pagecache
from portal import db as portal_db
from portal.accounts import services as auth
from portal.db import UNCOUNTED_TABLES, counts, generation, make_engine
from portal.models import Base, Call, LoginAttempt, Role, UserSession
from portal.pagecache import Kept, PageCache
from tests.conftest import app_config, login
from tests.portal.helpers import open_call
from tests.reliability.test_concurrency import login_policy


class Statements:
    """Counts the statements the app's engine runs (a kept page runs one: the session's lookup,
    which reads the data generation too)."""

    def __init__(self, app: Flask) -> None:
        self.n = 0
        event.listen(app.extensions["db_engine"], "before_cursor_execute", self._count)

    def _count(self, *_args: Any) -> None:
        self.n += 1

    def during(self, client: FlaskClient, path: str) -> tuple[int, str]:
        before = self.n
        page = client.get(path).get_data(as_text=True)
        return self.n - before, page


def _page_cache(app: Flask) -> PageCache:
    return app.extensions["page_cache"]  # type: ignore[no-any-return]


# --- the data generation -----------------------------------------------------------------------


def test_a_write_to_any_counted_table_adds_one_per_transaction(db: Session) -> None:
    start = generation(db)
    counted = [t for t in Base.metadata.sorted_tables if t.name not in UNCOUNTED_TABLES]
    assert len(counted) >= 40
    for table in counted:  # the statements SQLAlchemy writes, each in its own transaction
        before = generation(db)
        key = next(iter(table.primary_key.columns))
        db.execute(update(table).where(false()).values({key: key}))
        db.commit()
        assert generation(db) == before + 1, table.name
    # Several writes in one transaction count once; the ORM, Core and raw SQL alike.
    call = open_call(db)
    before = generation(db)
    call.title = "Ny titel"
    db.flush()
    db.execute(update(Call).where(Call.id == call.id).values(page_limit=12))
    db.execute(text("UPDATE calls SET years = 3"))
    db.commit()
    assert generation(db) == before + 1
    assert generation(db) > start + len(counted)


@pytest.mark.parametrize(
    ("statement", "counted"),
    [
        ("SELECT calls.id FROM calls WHERE calls.id = ?", False),
        ("SELECT users.id FROM users WHERE users.id = %(id)s FOR UPDATE", False),
        ("SELECT pg_advisory_xact_lock(727001)", False),
        ("BEGIN IMMEDIATE", False),
        ("SAVEPOINT sa_savepoint_1", False),
        ("PRAGMA foreign_keys=ON", False),
        ("CREATE INDEX ix_x ON calls (title)", False),
        ('INSERT INTO "calls" (title) VALUES (?)', True),
        ("INSERT OR IGNORE INTO answers (text) VALUES (?)", True),
        ("REPLACE INTO answers (text) VALUES (?)", True),
        ("DELETE FROM answers WHERE answers.id = ?", True),
        ("WITH gone AS (DELETE FROM answers RETURNING id) SELECT count(*) FROM gone", True),
        ("WITH recent AS (SELECT id FROM calls) SELECT * FROM recent", False),
        ("MERGE INTO answers USING x ON true WHEN MATCHED THEN DELETE", True),  # unknown: counts
        ("INSERT INTO login_attempts (email, success) VALUES (?, ?)", False),
        ("UPDATE user_sessions SET last_seen_at=? WHERE user_sessions.id = ?", False),
        (
            "UPDATE user_sessions SET last_seen_at=%(last_seen_at)s::TIMESTAMP WITH TIME ZONE "
            "WHERE user_sessions.id = %(id_1)s::INTEGER",
            False,
        ),
        ("UPDATE user_sessions SET revoked_at=? WHERE user_sessions.token_hash = ?", True),
        ("UPDATE user_sessions SET last_seen_at=?, revoked_at=? WHERE user_sessions.id = ?", True),
    ],
)
def test_which_statements_count(statement: str, counted: bool) -> None:
    assert counts(statement) is counted


def test_a_session_touch_login_attempts_and_work_rolled_back_leave_the_generation(
    db: Session, make_user: Any
) -> None:
    token = auth.open_session(db, make_user(Role.SIGNATORY, "HK"), login_policy())
    db.commit()
    session_id = db.scalar(
        select(UserSession.id).where(UserSession.token_hash == auth.token_hash(token))
    )
    before = generation(db)
    auth.touch_session(db, session_id)
    db.add(LoginAttempt(email="a@b.dk", success=False))
    db.commit()
    assert generation(db) == before
    db.execute(text("UPDATE calls SET years = 3"))
    db.rollback()
    assert generation(db) == before
    auth.revoke_session(db, token)  # any other write to a session counts
    db.commit()
    assert generation(db) == before + 1


def test_a_connection_back_in_the_pool_or_a_savepoint_rolled_back_counts_again(
    app: Flask, db: Session
) -> None:
    engine = app.extensions["db_engine"]
    before = generation(db)
    with engine.connect() as conn:  # closed without a commit: the pool rolls it back
        conn.execute(text("UPDATE calls SET years = 3"))
    with engine.connect() as conn:  # most likely the same connection again
        conn.execute(text("UPDATE calls SET years = 3"))
        conn.commit()
    assert generation(db) == before + 1
    with engine.connect() as conn:
        outer = conn.begin()
        savepoint = conn.begin_nested()
        conn.execute(text("UPDATE calls SET years = 3"))
        savepoint.rollback()
        conn.execute(text("UPDATE calls SET years = 2"))
        outer.commit()
    assert generation(db) == before + 2


def test_whenever_a_change_is_visible_its_count_is_too(app: Flask, db: Session, call: Call) -> None:
    """A savepoint released on a connection whose driver opened no transaction (SQLite's) commits
    what it holds: the count goes with it."""
    engine = app.extensions["db_engine"]
    before = generation(db)
    with engine.connect() as conn:
        nested = conn.begin_nested()
        conn.execute(update(Call).where(Call.id == call.id).values(title="Sparet"))
        nested.commit()
        db.rollback()
        title = db.scalar(select(Call.title).where(Call.id == call.id))
        assert (title == "Sparet") <= (generation(db) > before)
        conn.commit()
    db.rollback()
    assert db.scalar(select(Call.title).where(Call.id == call.id)) == "Sparet"
    assert generation(db) > before


def test_an_uncounted_transaction_leaves_the_generation(app: Flask, db: Session) -> None:
    """What a running optimizer writes every second (`proposals.jobs._beat`)."""
    before = generation(db)
    with app.app_context(), portal_db.write_session() as session:
        portal_db.uncounted(session)
        session.execute(text("UPDATE calls SET years = 3"))
    assert generation(db) == before


def test_another_process_writing_is_seen(app: Flask, db: Session) -> None:
    other = make_engine(app.config["DATABASE_URL"])  # another process's own engine
    before = generation(db)
    with other.begin() as conn:
        conn.execute(text("UPDATE calls SET years = 3"))
    other.dispose()
    assert generation(db) == before + 1


# --- pages kept per session --------------------------------------------------------------------


@pytest.fixture()
def call(db: Session) -> Call:
    return open_call(db)


@pytest.fixture()
def hk(app: Flask, make_user: Any) -> FlaskClient:
    make_user(Role.SIGNATORY, "HK")
    client = app.test_client()
    login(client, "signatory-hk@test.dk")
    return client


def test_a_page_is_kept_for_its_session_until_the_data_changes(
    app: Flask, db: Session, call: Call, hk: FlaskClient
) -> None:
    statements = Statements(app)
    path = f"/ansoegning/runde/{call.id}"
    rendered, first = statements.during(hk, path)
    _, second = statements.during(hk, path)  # the first set the CSRF token: not kept
    served, third = statements.during(hk, path)
    assert rendered > 5
    assert served == 1  # the session's lookup (with the generation)
    assert third == second
    assert "Testrunde" in third

    db.execute(update(Call).where(Call.id == call.id).values(title="Omdøbt runde"))
    db.commit()
    read_again, fourth = statements.during(hk, path)
    assert read_again > 5
    assert "Omdøbt runde" in fourth and "Testrunde" not in fourth


def test_pages_are_kept_per_session(
    app: Flask, db: Session, call: Call, hk: FlaskClient, make_user: Any
) -> None:
    make_user(Role.SIGNATORY, "3F")
    three_f = app.test_client()
    login(three_f, "signatory-3f@test.dk")
    second_hk = app.test_client()
    login(second_hk, "signatory-hk@test.dk")
    path = f"/ansoegning/runde/{call.id}"
    for _ in range(3):
        hk_page = hk.get(path).get_data(as_text=True)
        three_f_page = three_f.get(path).get_data(as_text=True)
        second_page = second_hk.get(path).get_data(as_text=True)
    assert "Ansøgning fra HK" in hk_page and "Ansøgning fra 3F" in three_f_page
    assert "3F" not in hk_page.split("<h1>")[1].split("</h1>")[0]
    # The same person signed in twice: each page carries its own session's CSRF token.
    assert _csrf(hk_page) != _csrf(second_page)
    assert len(_page_cache(app)) == 3


def _csrf(page: str) -> str:
    return page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]


def test_a_pending_message_and_the_language_are_part_of_the_page(
    app: Flask, call: Call, hk: FlaskClient
) -> None:
    path = f"/ansoegning/runde/{call.id}"
    for _ in range(3):
        hk.get(path)
    with hk.session_transaction() as session:
        session["_flashes"] = [("success", "Besked fra sidste handling")]
    assert "Besked fra sidste handling" in hk.get(path).get_data(as_text=True)
    assert "Besked fra sidste handling" not in hk.get(path).get_data(as_text=True)
    with hk.session_transaction() as session:
        session["lang"] = "en"
    english = hk.get(path).get_data(as_text=True)
    assert 'lang="en"' in english and "Application from HK" in english


def test_a_session_gone_idle_is_not_served_a_kept_page(
    database_url: str, tmp_path: Path, db: Session, make_user: Any
) -> None:
    app = create_app(
        app_config(database_url, tmp_path, SESSION_IDLE_SECONDS=1, PAGE_CACHE_SECONDS=60)
    )
    call = open_call(db)
    make_user(Role.SIGNATORY, "HK")
    client = app.test_client()
    login(client, "signatory-hk@test.dk")
    path = f"/ansoegning/runde/{call.id}"
    for _ in range(3):
        assert client.get(path).status_code == 200
    assert len(_page_cache(app)) == 1
    before = generation(db)
    time.sleep(1.1)  # idle: nothing is written, the session is refused when it is read
    reply = client.get(path)
    assert reply.status_code == 302 and "/login" in reply.headers["Location"]
    assert generation(db) == before
    app.extensions["db_engine"].dispose()


@pytest.fixture()
def short_lived(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    """An app keeping pages for 1 s, with two pages of its own: one that writes on every
    view and one that answers JSON."""
    app = create_app(app_config(database_url, tmp_path, PAGE_CACHE_SECONDS=1.0))
    views = {"writes": 0, "json": 0, "files": 0}

    @app.get("/skriver")
    @login_required
    def writes() -> str:
        views["writes"] += 1
        audit.record(portal_db.session(), None, "test.viewed", None)
        portal_db.session().commit()
        return f"<!doctype html><title>Skriver</title><p>{views['writes']}</p>"

    @app.get("/json")
    @login_required
    def answers_json() -> dict[str, int]:
        views["json"] += 1
        return {"n": views["json"]}

    @app.get("/filer")
    @login_required
    def shows_files() -> str:
        pagecache.not_kept()
        views["files"] += 1
        return f"<!doctype html><title>Filer</title><p>{views['files']}</p>"

    app.extensions["test_views"] = views
    yield app
    app.extensions["db_engine"].dispose()


def test_kept_pages_expire_and_only_pure_html_reads_are_kept(
    short_lived: Flask, make_user: Any, db: Session
) -> None:
    call = open_call(db)
    make_user(Role.SIGNATORY, "HK")
    client = short_lived.test_client()
    login(client, "signatory-hk@test.dk")
    statements = Statements(short_lived)
    path = f"/ansoegning/runde/{call.id}"
    client.get(path)
    client.get(path)
    assert statements.during(client, path)[0] == 1
    time.sleep(1.05)
    assert statements.during(client, path)[0] > 5  # expired: rendered again

    views = short_lived.extensions["test_views"]
    for _ in range(3):
        client.get("/skriver")
        client.get("/json")
        client.get("/filer")
    assert views == {"writes": 3, "json": 3, "files": 3}
    # A static file is neither kept nor a reason to read the session.
    assert statements.during(client, "/static/application.js")[0] == 0


def test_the_cache_keeps_to_its_byte_budget_least_recently_used_first_out() -> None:
    cache = PageCache(seconds=60, max_bytes=100)

    def page(generation: int, size: int) -> Kept:
        return Kept(generation, time.monotonic() + 60, 200, (), b"x" * size)

    cache.put(("a",), page(1, 40))
    cache.put(("b",), page(1, 40))
    assert cache.get(("a",), 1) is not None  # a is now the most recently used
    cache.put(("c",), page(1, 40))
    assert cache.get(("b",), 1) is None
    assert cache.get(("a",), 1) is not None and cache.get(("c",), 1) is not None
    assert cache.size == 82  # each: 40 bytes of body and a key of one character
    assert cache.get(("a",), 2) is None  # another generation: dropped
    assert cache.size == 41
    cache.put(("d",), page(1, 101))  # larger than the whole budget: not kept
    assert cache.get(("d",), 1) is None and len(cache) == 1


def test_no_cache_when_switched_off(database_url: str, tmp_path: Path) -> None:
    app = create_app(app_config(database_url, tmp_path, PAGE_CACHE_SECONDS=0))
    assert "page_cache" not in app.extensions
    app.extensions["db_engine"].dispose()
