"""A real background worker for the tests: `flask --app portal worker` in a process group of
its own, on the test's database and queue, killed (with its solver children) at the end."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy.orm import Session

from portal.models import SelectionRun

ROOT = Path(__file__).resolve().parents[3]
WAIT_SECONDS = 90.0


class Worker:
    def __init__(self, app: Flask, log_path: Path) -> None:
        self.app = app
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    def environment(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("FLASK_")}
        env.update(
            {
                "FLASK_DATABASE_URL": self.app.config["DATABASE_URL"],
                "FLASK_QUEUE_URL": self.app.config["QUEUE_URL"],
                "FLASK_SECRET_KEY": self.app.config["SECRET_KEY"],
                "FLASK_OUTBOX_DIR": self.app.config["OUTBOX_DIR"],
                "FLASK_UPLOAD_DIR": self.app.config["UPLOAD_DIR"],
                "FLASK_TESTING": "true",
                "PYTHONUNBUFFERED": "1",
            }
        )
        return env

    def start(self) -> Worker:
        assert self.process is None, "the worker runs already"
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "flask", "--app", "portal", "worker", "--workers", "2"],
                cwd=ROOT,
                env=self.environment(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: the solver children die with it
            )
        return self

    def kill(self) -> None:
        """SIGKILL to the worker and its solver processes: nothing gets to clean up."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)
        self.process = None

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


@contextlib.contextmanager
def running_worker(app: Flask, log_path: Path, *, start: bool = True) -> Iterator[Worker]:
    worker = Worker(app, log_path)
    if start:
        worker.start()
    try:
        yield worker
    finally:
        worker.kill()


def wait_for(
    condition: Callable[[], Any], worker: Worker, what: str, timeout: float = WAIT_SECONDS
) -> Any:
    """Poll until `condition()` is truthy; fail with the worker's log after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        found = condition()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(
                f"not within {timeout:.0f} s: {what}\n--- worker log:\n{worker.log()}"
            )
        if worker.process is not None and worker.process.poll() is not None:
            raise AssertionError(
                f"the worker exited (status {worker.process.returncode}) while waiting for "
                f"{what}:\n{worker.log()}"
            )
        time.sleep(0.1)


def fresh_run(db: Session, run_id: int) -> SelectionRun:
    """The run as the database holds it now (a new transaction, nothing cached)."""
    db.rollback()  # ends the transaction: a new snapshot on SQLite
    db.expire_all()  # a rollback outside a transaction expires nothing
    run = db.get(SelectionRun, run_id)
    assert run is not None
    return run


def wait_for_status(
    db: Session, worker: Worker, run_id: int, *statuses: str, timeout: float = WAIT_SECONDS
) -> SelectionRun:
    return wait_for(  # type: ignore[no-any-return]
        lambda: (run := fresh_run(db, run_id)).status in statuses and run,
        worker,
        f"run {run_id} {' or '.join(statuses)}",
        timeout,
    )
