"""Fixtures: app, client, runner and a throwaway database.

The suite runs on SQLite by default and on PostgreSQL when TEST_DATABASE_URL is set. The
schema is migrated once per run; each test starts from a copy (SQLite) or a truncated and
reloaded database (PostgreSQL).
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import text
from sqlalchemy.orm import Session

from portal import create_app, migrate
from portal.accounts.users import NewUser, create_user
from portal.db import make_engine
from portal.models import Base, Organisation, Role, User
from portal.reference import load_reference_data

TEST_PASSWORD = "korrekt-hest-batteri-haefteklamme"


def require_tool(path_or_name: str, package: str) -> str:
    """A system tool the suite needs; `make install` provides it, so its absence fails."""
    found = shutil.which(path_or_name)
    if found is None:
        pytest.fail(f"{path_or_name} is missing: run `make install` (Debian package {package})")
    return found


PG_URL = os.environ.get("TEST_DATABASE_URL")


def _prepare_reference(url: str) -> None:
    engine = make_engine(url)
    migrate.upgrade(engine)
    with Session(engine) as db:
        load_reference_data(db)
        db.commit()
    engine.dispose()


@pytest.fixture(scope="session")
def database_template(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A migrated database with reference data: a SQLite file, or the PostgreSQL URL."""
    if PG_URL:
        engine = make_engine(PG_URL)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
        _prepare_reference(PG_URL)
        return PG_URL
    path = tmp_path_factory.mktemp("db") / "template.sqlite"
    _prepare_reference(f"sqlite:///{path}")
    return str(path)


# Reference tables are loaded once per run and left in place between tests.
REFERENCE_TABLES = {
    "regions",
    "municipalities",
    "exclusion_lists",
    "exclusion_entries",
    "organisations",
}


def _reset_postgres(url: str) -> None:
    engine = make_engine(url)
    tables = ", ".join(
        f'"{t.name}"' for t in Base.metadata.sorted_tables if t.name not in REFERENCE_TABLES
    )
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture()
def database_url(database_template: str, tmp_path: Path) -> str:
    if PG_URL:
        _reset_postgres(PG_URL)
        return PG_URL
    target = tmp_path / "test.sqlite"
    shutil.copy(database_template, target)
    return f"sqlite:///{target}"


def app_config(database_url: str, tmp_path: Path, **extra: Any) -> dict[str, Any]:
    """The test app's configuration: its database, and folders and queue of its own."""
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "DATABASE_URL": database_url,
        "OUTBOX_DIR": str(tmp_path / "outbox"),
        "UPLOAD_DIR": str(tmp_path / "uploads"),
        "QUEUE_URL": f"sqlite:///{tmp_path / 'queue.sqlite'}",
        **extra,
    }


@pytest.fixture()
def app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    app = create_app(app_config(database_url, tmp_path))
    yield app
    app.extensions["db_engine"].dispose()


def run_queued_tasks(app: Flask) -> int:
    """Execute what is waiting in the app's queue the way the worker does (Huey's own dequeue
    and execute, in this process); returns how many tasks ran."""
    huey = app.extensions["huey"]
    ran = 0
    while (task := huey.dequeue()) is not None:
        huey.execute(task)
        ran += 1
    return ran


@pytest.fixture()
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture()
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture()
def db(app: Flask) -> Iterator[Session]:
    """A session outside any request, for arranging and asserting database state."""
    session = app.extensions["db_sessionmaker"]()
    yield session
    session.rollback()
    session.close()


@pytest.fixture()
def make_user(db: Session) -> Any:
    def factory(
        role: Role, organisation: str | None = None, email: str | None = None, **extra: Any
    ) -> User:
        org_id = None
        if organisation is not None:
            org_id = db.query(Organisation.id).filter_by(short_id=organisation).scalar()
        address = email or f"{role.value}-{organisation or 'x'}@test.dk".lower()
        user = create_user(
            db,
            None,
            NewUser(
                email=address,
                name=f"Test {role.value}",
                role=role,
                password=TEST_PASSWORD,
                organisation_id=org_id,
                **extra,
            ),
        )
        db.commit()
        return user

    return factory


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html)
    if match is None:
        match = re.search(r'id="csrf_token" name="csrf_token" type="hidden" value="([^"]+)"', html)
    assert match, "no CSRF token in page"
    return match.group(1)


def login(client: FlaskClient, email: str, password: str = TEST_PASSWORD) -> Any:
    page = client.get("/login").get_data(as_text=True)
    return client.post(
        "/login", data={"email": email, "password": password, "csrf_token": csrf_token(page)}
    )
