"""The worker path end to end: a real `flask --app portal worker` process takes runs from the
queue (an SQLite file, or PostgreSQL when the suite runs on it), solves them in its child
process and stores the proposals; runs are repeated, cancelled, and left failed by a killed
worker."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, update

from portal import create_app
from portal import db as portal_db
from portal.mail import list_outbox
from portal.models import Role, RunKind, RunStatus, SelectionRun, StoredFile, utcnow
from portal.proposals import jobs, services
from portal.proposals.problem import problem_hash
from tests.conftest import PG_URL, csrf_token, login
from tests.portal.helpers import complete_application, open_call
from tests.portal.proposals.arrange import selected_ids, signed_in, token
from tests.portal.proposals.worker import (
    Worker,
    fresh_run,
    running_worker,
    wait_for,
    wait_for_status,
)

INDEX = "/udvaelgelse/"
# Quick to solve: four a-kasser at most, whole regions.
QUICK = {"funds_max": "4", "granularity": "region", "alternatives": "3"}
# Slow enough to be caught running: single municipalities and five alternatives.
SLOW = {"granularity": "municipality", "alternatives": "5"}
UNDER_WAY = (RunStatus.RUNNING, RunStatus.DONE, RunStatus.FAILED)


@pytest.fixture(params=["sqlite", "postgresql"])
def queue_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "postgresql":
        if not PG_URL:
            pytest.skip(
                "PostgreSQL-backed queue: no PostgreSQL configured (set TEST_DATABASE_URL, "
                "as CI does, to run the worker on a PostgreSQL queue)"
            )
        return PG_URL
    return f"sqlite:///{tmp_path / 'queue.sqlite'}"


@pytest.fixture()
def app(database_url: str, tmp_path: Path, queue_url: str) -> Iterator[Flask]:
    """The suite's app, on the parametrised queue; the queue starts and ends empty."""
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret-key",
            "DATABASE_URL": database_url,
            "OUTBOX_DIR": str(tmp_path / "outbox"),
            "UPLOAD_DIR": str(tmp_path / "uploads"),
            "QUEUE_URL": queue_url,
        }
    )
    huey = app.extensions["huey"]
    huey.flush()
    yield app
    storage = huey.storage
    if hasattr(storage, "database"):
        # Huey's tables on PostgreSQL (kv, schedule, task) share the portal's schema, which
        # the migrations test compares with the models: they leave with the test.
        storage.database.drop_tables([storage.KV, storage.Schedule, storage.Task])
        storage.database.close()
    else:
        huey.flush()
    app.extensions["db_engine"].dispose()


@pytest.fixture()
def worker(app: Flask, tmp_path: Path) -> Iterator[Worker]:
    with running_worker(app, tmp_path / "worker.log") as started:
        yield started


def _start(client: Any, call_id: int, fields: dict[str, str]) -> int:
    response = client.post(
        f"/udvaelgelse/runde/{call_id}/beregn",
        data={"csrf_token": token(client, INDEX), **fields},
    )
    assert response.status_code == 302, response.status_code
    found = re.search(r"/beregning/(\d+)$", response.headers["Location"])
    assert found, response.headers["Location"]
    return int(found.group(1))


def _post(client: Any, url: str, page: str) -> Any:
    response = client.post(url, data={"csrf_token": token(client, page)})
    assert response.status_code == 302, (url, response.status_code)
    return response


def test_a_run_through_the_worker_and_the_same_result_again(app, db, trin3, worker: Worker) -> None:
    lead = signed_in(app, trin3.lead)
    run_id = _start(lead, trin3.call.id, QUICK)

    run = wait_for_status(db, worker, run_id, RunStatus.DONE, RunStatus.FAILED)
    assert run.status == RunStatus.DONE, run.message
    assert run.result_status == "optimal"
    assert [p.rank for p in run.proposals] == [1, 2, 3, 4]
    assert all(p.proposal["status"] == "optimal" for p in run.proposals)
    assert len({tuple(selected_ids(run, rank)) for rank in (1, 2, 3, 4)}) == 4
    assert run.solver == "highs"
    assert run.solver_version == jobs.solver_version()
    assert run.solver_version.startswith("HiGHS ")
    assert run.input_hash == problem_hash(run.problem)
    assert run.started_at <= run.heartbeat_at and run.finished_at >= run.started_at
    assert run.message == ""
    assert run.solve_seconds is not None and run.solve_seconds > 0
    best = run.proposals[0]
    assert best.objective == best.proposal["objective"]
    # The solver's last report, stored with the run's end: the main solve's final figures.
    assert run.progress is not None
    assert run.progress["gap"] == pytest.approx(best.proposal["gap"], abs=1e-6)
    assert run.progress["objective"] == pytest.approx(best.objective, abs=1e-6)
    assert best.proposal["explanations"], "explanations were asked for"

    # The run page hands over to the proposal.
    response = lead.get(f"/udvaelgelse/beregning/{run_id}")
    assert response.headers["Location"].endswith(f"/udvaelgelse/forslag/{best.id}")
    html = lead.get(response.headers["Location"]).get_data(as_text=True)
    assert "Bevist optimal" in html and "Alternativer side om side" in html

    # "Kør igen": the same stored problem and options give the same proposals.
    status_page = f"/udvaelgelse/beregning/{run_id}?vis=status"
    response = _post(lead, f"/udvaelgelse/beregning/{run_id}/igen", status_page)
    again_id = int(response.headers["Location"].rsplit("/", 1)[1])
    again = wait_for_status(db, worker, again_id, RunStatus.DONE, RunStatus.FAILED)
    assert again.status == RunStatus.DONE, again.message
    assert (again.kind, again.parent_id) == (RunKind.RERUN, run_id)
    assert again.input_hash == run.input_hash and again.problem == run.problem
    assert services.same_result(fresh_run(db, run_id), fresh_run(db, again_id))
    html = lead.get(f"/udvaelgelse/forslag/{fresh_run(db, again_id).proposals[0].id}").get_data(
        as_text=True
    )
    assert "gav samme forslag og alternativer som beregning" in html
    assert run.input_hash[:12] in html


def test_a_running_runs_page_shows_the_gap_the_solver_reported(
    app, db, trin3, worker: Worker
) -> None:
    lead = signed_in(app, trin3.lead)
    run_id = _start(lead, trin3.call.id, SLOW)

    def reported() -> SelectionRun | None:
        found = fresh_run(db, run_id)
        ended = found.status not in (RunStatus.QUEUED, RunStatus.RUNNING)
        return found if found.progress is not None or ended else None

    # From the solver in the child, over the queue to the worker, which writes it with the
    # heartbeat (the main solve reports at least once, with its final figures).
    run = wait_for(reported, worker, f"progress of run {run_id}")
    assert run.status == RunStatus.RUNNING, "finished before its progress could be seen"
    progress = run.progress
    assert set(progress) == {"gap", "objective", "bound"}
    assert 0 <= progress["bound"] <= progress["objective"] and progress["gap"] >= 0

    page = f"/udvaelgelse/beregning/{run_id}"
    html = lead.get(page).get_data(as_text=True)
    assert "Regner …" in html, "finished while its page was read"
    assert re.search(r"Aktuelt gab: \d+(,\d)? %", html), html

    _post(lead, f"{page}/afbryd", page)
    wait_for_status(db, worker, run_id, RunStatus.CANCELLED, RunStatus.DONE, RunStatus.FAILED)
    assert "Aktuelt gab" not in lead.get(page).get_data(as_text=True)


def test_cancel_a_queued_and_a_running_run(app, db, trin3, tmp_path: Path) -> None:
    lead = signed_in(app, trin3.lead)
    with running_worker(app, tmp_path / "worker.log", start=False) as worker:
        # Queued while no worker runs, and cancelled there.
        queued_id = _start(lead, trin3.call.id, QUICK)
        page = f"/udvaelgelse/beregning/{queued_id}"
        _post(lead, f"{page}/afbryd", page)
        assert fresh_run(db, queued_id).status == RunStatus.CANCELLED

        worker.start()
        running_id = _start(lead, trin3.call.id, SLOW)
        running = wait_for_status(db, worker, running_id, *UNDER_WAY)
        assert running.status == RunStatus.RUNNING, "finished before it could be cancelled"
        page = f"/udvaelgelse/beregning/{running_id}"
        assert "Regner …" in lead.get(page).get_data(as_text=True)
        _post(lead, f"{page}/afbryd", page)

        cancelled = wait_for_status(
            db, worker, running_id, RunStatus.CANCELLED, RunStatus.DONE, RunStatus.FAILED
        )
        assert cancelled.status == RunStatus.CANCELLED
        assert cancelled.cancel_requested and cancelled.finished_at is not None
        assert cancelled.proposals == [] and cancelled.result_status is None
        html = lead.get(page).get_data(as_text=True)
        assert "Afbrudt." in html and 'http-equiv="refresh"' not in html

        # The worker took the cancelled run's task too, and left the run alone.
        wait_for(lambda: app.extensions["huey"].pending_count() == 0, worker, "an empty queue")
        queued = fresh_run(db, queued_id)
        assert queued.status == RunStatus.CANCELLED
        assert queued.started_at is None and queued.proposals == []
        assert worker.alive()


def test_a_killed_worker_leaves_its_run_failed(app, db, trin3, worker: Worker) -> None:
    lead = signed_in(app, trin3.lead)
    run_id = _start(lead, trin3.call.id, SLOW)
    running = wait_for_status(db, worker, run_id, *UNDER_WAY)
    assert running.status == RunStatus.RUNNING, "finished before the worker could be killed"
    wait_for(lambda: fresh_run(db, run_id).heartbeat_at is not None, worker, "a heartbeat")

    worker.kill()  # SIGKILL to the worker and its solver process

    assert fresh_run(db, run_id).status == RunStatus.RUNNING
    with app.app_context():
        with portal_db.write_session() as session:
            assert jobs.reap_stale_runs(session) == 0  # the heartbeat is still fresh
        db.execute(
            update(SelectionRun)
            .where(SelectionRun.id == run_id)
            .values(heartbeat_at=utcnow() - jobs.STALE_AFTER - timedelta(seconds=5))
        )
        db.commit()
        with portal_db.write_session() as session:
            assert jobs.reap_stale_runs(session) == 1

    run = fresh_run(db, run_id)
    assert run.status == RunStatus.FAILED
    assert run.message == jobs.FAILED_WORKER
    assert run.finished_at is not None and run.proposals == []
    html = lead.get(f"/udvaelgelse/beregning/{run_id}").get_data(as_text=True)
    assert "Fejlet." in html
    assert "Beregningen stoppede, fordi arbejdsprocessen blev afbrudt. Start den igen." in html
    assert "Kør igen" in html and 'http-equiv="refresh"' not in html


def test_the_worker_renders_and_mails_a_submitted_receipt(app, db, make_user, worker: Worker):
    """The submission answers at once; the worker process keeps the receipt and mails it."""
    call = open_call(db)
    signatory = make_user(Role.SIGNATORY, "HK", email="tegner@hk.dk")
    application = complete_application(db, call, signatory)
    client = app.test_client()
    login(client, signatory.email)
    page = client.get(f"/ansoegning/{application.id}/indsend").get_data(as_text=True)
    client.post(
        f"/ansoegning/{application.id}/indsend",
        data={"revision": str(application.revision), "csrf_token": csrf_token(page)},
    )
    [mail] = wait_for(
        lambda: list_outbox(app.config["OUTBOX_DIR"]), worker, "the receipt mail in the outbox"
    )
    assert "Kvittering" in mail.subject and "tegner@hk.dk" in mail.to
    db.rollback()
    kept = db.scalars(select(StoredFile).where(StoredFile.kind == "receipt")).all()
    assert len(kept) == 1 and kept[0].content.startswith(b"%PDF")
