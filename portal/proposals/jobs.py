"""The worker side of a selection run.

`execute(run_id)` runs in a Huey worker: it marks the run running, solves in a child process
(so a cancel can stop it, and a crash of the solver cannot take the worker with it), writes a
heartbeat every second, and stores the proposals. A run whose heartbeat stops (the worker was
killed) is marked failed by `reap_stale_runs`, which the run pages and every worker start call:
a run is never "running" forever.

The child sends what the solver reports during the main solve (`selection.engine.Progress`:
objective, bound, gap) over the same queue as its answer; the parent keeps the latest and writes
it into `SelectionRun.progress` with the heartbeat, so at most one write a second however often
the solver reports, and once more with the run's end (the main solve's final figures).
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
        if outcome.get("progress") is not None:
            run.progress = outcome["progress"]
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
        return _follow(run_id, child, results)
    finally:
        child.join(timeout=5)
        if child.is_alive():
            child.kill()


def _follow(run_id: int, child: Any, results: Any) -> dict[str, Any]:
    """The child's answer, with the last progress it reported under "progress". Meanwhile,
    every second: the heartbeat with the progress reported since the last one, and a look at
    the cancel flag."""
    latest: dict[str, float] | None = None
    unsaved = False
    beat_at = time.monotonic() + HEARTBEAT_SECONDS
    while True:
        message = _receive(results, beat_at)
        if message is not None and "progress" not in message:
            return _with_progress(message, latest)
        if message is not None:
            latest, unsaved = message["progress"], True
        if time.monotonic() < beat_at:
            continue
        if not child.is_alive():
            answer = _last_answer(results) or {
                "error": f"the solver process ended with code {child.exitcode}"
            }
            return _with_progress(answer, latest)
        if _beat(run_id, latest if unsaved else None):
            child.terminate()
            return _with_progress({"cancelled": True}, latest)
        unsaved = False
        beat_at = time.monotonic() + HEARTBEAT_SECONDS


def _receive(results: Any, until: float) -> dict[str, Any] | None:
    try:
        return dict(results.get(timeout=max(0.0, until - time.monotonic())))
    except queue_module.Empty:
        return None


def _last_answer(results: Any) -> dict[str, Any] | None:
    """What a child that has ended left in the queue (it flushes the queue before it exits, so
    its answer may arrive just after the wait for it timed out)."""
    while (message := _receive(results, time.monotonic() + 0.2)) is not None:
        if "progress" not in message:
            return message
    return None


def _with_progress(answer: dict[str, Any], progress: dict[str, float] | None) -> dict[str, Any]:
    return {**answer, "progress": progress} if progress is not None else answer


def _beat(run_id: int, progress: dict[str, float] | None) -> bool:
    """Write the heartbeat (and new progress); True when the run has been cancelled meanwhile."""
    values: dict[str, Any] = {"heartbeat_at": utcnow()}
    if progress is not None:
        values["progress"] = progress
    with db.write_session() as session:
        # Not counted: once a second, it would clear every kept page; the run's page is
        # rendered each time, and its start and end count.
        db.uncounted(session)
        session.execute(update(SelectionRun).where(SelectionRun.id == run_id).values(**values))
        cancelled = session.scalar(
            select(SelectionRun.cancel_requested).where(SelectionRun.id == run_id)
        )
    return bool(cancelled)


def _child(problem: dict[str, Any], options: dict[str, Any], results: Any) -> None:
    """In the child process: parse, solve (sending the solver's progress), send back plain
    JSON."""
    try:
        from selection.engine import Progress
        from selection.problem import parse_problem
        from selection.solve import propose

        def progress(report: Progress) -> None:
            results.put({"progress": report.to_json()})

        started = time.perf_counter()
        proposal = propose(
            parse_problem(problem),
            time_limit=float(options.get("time_limit", 30.0)),
            alternatives=int(options.get("alternatives", 3)),
            explanations=bool(options.get("explanations", True)),
            lang="da",
            progress=progress,
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
