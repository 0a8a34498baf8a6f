"""The worker side of a selection run.

`execute(run_id)` runs in a Huey worker: it marks the run running, solves in a child process
(so a cancel can stop it, and a crash of the solver cannot take the worker with it), writes a
heartbeat every second, and stores the proposals. A run whose heartbeat stops (the worker was
killed) is marked failed by `reap_stale_runs`, which the run pages and every worker start call:
a run is never "running" forever.
"""

from __future__ import annotations

import logging
import multiprocessing
import queue as queue_module
import time
from datetime import timedelta
from importlib.metadata import version as package_version
from typing import Any

from flask import Flask
from huey import Huey
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from portal import db
from portal.models import RunStatus, SelectionProposal, SelectionRun, utcnow

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 1.0
STALE_AFTER = timedelta(seconds=30)
TASK_NAME = "selection.run"

FAILED_WORKER = "Beregningen stoppede, fordi arbejdsprocessen blev afbrudt. Start den igen."
FAILED_SOLVER = "Beregningen fejlede: %s"


def register(app: Flask, huey: Huey) -> None:
    @huey.task(name=TASK_NAME, retries=0)  # type: ignore[untyped-decorator]
    def run_selection(run_id: int) -> None:
        with app.app_context():
            execute(run_id)

    app.extensions["selection_task"] = run_selection


def enqueue(app: Flask, run_id: int) -> None:
    app.extensions["selection_task"](run_id)


def solver_version() -> str:
    return f"HiGHS {package_version('highspy')} via PuLP {package_version('pulp')}"


def execute(run_id: int) -> None:
    """Run one queued selection run to its end (done, failed or cancelled)."""
    with db.write_session() as session:
        run = session.get(SelectionRun, run_id)
        if run is None or run.status != RunStatus.QUEUED:
            return
        if run.cancel_requested:
            _finish(run, RunStatus.CANCELLED, "")
            return
        now = utcnow()
        run.status, run.started_at, run.heartbeat_at = RunStatus.RUNNING, now, now
        run.solver, run.solver_version = "highs", solver_version()
        problem, options = dict(run.problem), dict(run.options)
    outcome = _solve_in_child(run_id, problem, options)
    with db.write_session() as session:
        run = session.get(SelectionRun, run_id)
        if run is None:
            return
        if outcome.get("cancelled"):
            _finish(run, RunStatus.CANCELLED, "")
        elif "error" in outcome:
            _finish(run, RunStatus.FAILED, FAILED_SOLVER % outcome["error"])
        else:
            _store(session, run, outcome["proposal"])


def _solve_in_child(
    run_id: int, problem: dict[str, Any], options: dict[str, Any]
) -> dict[str, Any]:
    context = multiprocessing.get_context("spawn")
    results: Any = context.Queue()
    child = context.Process(target=_child, args=(problem, options, results), daemon=True)
    child.start()
    try:
        while True:
            try:
                return dict(results.get(timeout=HEARTBEAT_SECONDS))
            except queue_module.Empty:
                pass
            if not child.is_alive():
                return {"error": f"the solver process ended with code {child.exitcode}"}
            if _beat(run_id):
                child.terminate()
                return {"cancelled": True}
    finally:
        child.join(timeout=5)
        if child.is_alive():
            child.kill()


def _beat(run_id: int) -> bool:
    """Write the heartbeat; True when the run has been cancelled meanwhile."""
    with db.write_session() as session:
        session.execute(
            update(SelectionRun).where(SelectionRun.id == run_id).values(heartbeat_at=utcnow())
        )
        cancelled = session.scalar(
            select(SelectionRun.cancel_requested).where(SelectionRun.id == run_id)
        )
    return bool(cancelled)


def _child(problem: dict[str, Any], options: dict[str, Any], results: Any) -> None:
    """In the child process: parse, solve, send back plain JSON."""
    try:
        from selection.problem import parse_problem
        from selection.solve import propose

        started = time.perf_counter()
        proposal = propose(
            parse_problem(problem),
            time_limit=float(options.get("time_limit", 30.0)),
            alternatives=int(options.get("alternatives", 3)),
            explanations=bool(options.get("explanations", True)),
            lang="da",
        )
        document = proposal.to_json()
        document["wall_seconds"] = round(time.perf_counter() - started, 3)
        results.put({"proposal": document})
    except Exception as error:  # noqa: BLE001 - reported to the user as the run's failure
        results.put({"error": f"{type(error).__name__}: {error}"})


def run_now(session: Session, run: SelectionRun) -> None:
    """Solve a queued run in this process and store it (seeding the demo; tests use workers)."""
    from selection.problem import parse_problem
    from selection.solve import propose

    run.status, run.started_at = RunStatus.RUNNING, utcnow()
    run.solver, run.solver_version = "highs", solver_version()
    started = time.perf_counter()
    document = propose(
        parse_problem(run.problem),
        time_limit=float(run.options.get("time_limit", 30.0)),
        alternatives=int(run.options.get("alternatives", 3)),
        explanations=bool(run.options.get("explanations", True)),
        lang="da",
    ).to_json()
    document["wall_seconds"] = round(time.perf_counter() - started, 3)
    _store(session, run, document)
    session.flush()


def _store(session: Session, run: SelectionRun, document: dict[str, Any]) -> None:
    alternatives = document.pop("alternatives", None) or []
    run.proposals = [
        SelectionProposal(rank=1, objective=document.get("objective"), proposal=document)
    ]
    for index, alternative in enumerate(alternatives, start=2):
        run.proposals.append(
            SelectionProposal(
                rank=index, objective=alternative.get("objective"), proposal=alternative
            )
        )
    run.result_status = str(document.get("status"))
    run.solve_seconds = document.get("wall_seconds") or document.get("solve_seconds")
    _finish(run, RunStatus.DONE, "")


def _finish(run: SelectionRun, status: RunStatus, message: str) -> None:
    run.status = status
    run.message = message
    run.finished_at = utcnow()


def _stale() -> Any:
    return (SelectionRun.status == RunStatus.RUNNING) & (
        SelectionRun.heartbeat_at < utcnow() - STALE_AFTER
    )


def has_stale_runs(session: Session) -> bool:
    """A read only: page views ask this before they take the write lock to reap."""
    return session.scalar(select(SelectionRun.id).where(_stale()).limit(1)) is not None


def reap_stale_runs(session: Session) -> int:
    """Mark failed every running run whose heartbeat stopped (its worker was killed)."""
    stale = list(session.scalars(select(SelectionRun).where(_stale())))
    for run in stale:
        _finish(run, RunStatus.FAILED, FAILED_WORKER)
    return len(stale)
