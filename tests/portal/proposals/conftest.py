"""Trin 3 fixtures: a call with published Trin 2 decisions, and a computed run.

On SQLite the call is arranged once per run and each test starts from a copy of that database
(arranging costs a second); on PostgreSQL it is arranged again in each test's clean database.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import make_url, text
from sqlalchemy.orm import Session

from portal import create_app
from portal.models import SelectionRun
from portal.proposals import jobs, services
from portal.proposals.problem import Targets
from tests.conftest import PG_URL
from tests.portal.proposals.arrange import Trin3, Trin3Ids, arrange_trin3, ids_of, load_trin3

# Four a-kasser at most: the best proposal then leaves FOA and Metal out, so there is
# something to lock in.
BASE_TARGETS = Targets(funds_max=4)


@pytest.fixture(scope="session")
def trin3_template(
    database_template: str, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, Trin3Ids]:
    """A SQLite database with the call arranged (SQLite runs only)."""
    assert not PG_URL
    folder = tmp_path_factory.mktemp("trin3")
    path = folder / "trin3.sqlite"
    shutil.copy(database_template, path)
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret-key",
            "DATABASE_URL": f"sqlite:///{path}",
            "OUTBOX_DIR": str(folder / "outbox"),
            "UPLOAD_DIR": str(folder / "uploads"),
            "QUEUE_URL": f"sqlite:///{folder / 'queue.sqlite'}",
        }
    )
    db = app.extensions["db_sessionmaker"]()
    try:
        ids = ids_of(arrange_trin3(app, db))
        db.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
    finally:
        db.close()
        app.extensions["db_engine"].dispose()
    return path, ids


@pytest.fixture()
def database_url(database_url: str, request: pytest.FixtureRequest) -> str:
    """The suite's database; on SQLite, for a test using `trin3`, the arranged copy."""
    if PG_URL or "trin3" not in request.fixturenames:
        return database_url
    template, _ids = request.getfixturevalue("trin3_template")
    target = make_url(database_url).database
    assert target is not None
    shutil.copy(template, target)
    return database_url


@pytest.fixture()
def trin3(app: Flask, db: Session, request: pytest.FixtureRequest) -> Trin3:
    if PG_URL:
        return arrange_trin3(app, db)
    _template, ids = request.getfixturevalue("trin3_template")
    return load_trin3(db, ids)


def computed_run(
    db: Session, trin3: Trin3, targets: Targets = BASE_TARGETS, **options: Any
) -> SelectionRun:
    """A run started by the lead and solved here (no worker), committed."""
    run = services.start_run(
        db, trin3.lead, trin3.call, targets, label="Forslag til udvælgelse", options=options
    )
    jobs.run_now(db, run)
    db.commit()
    return run


@pytest.fixture()
def base_run(db: Session, trin3: Trin3) -> SelectionRun:
    """The best proposal and one alternative, without explanations (quick to solve)."""
    return computed_run(db, trin3, alternatives=1, explanations=False)
