"""Background work through Huey: optimizer runs leave the web request and go to a worker.

`FLASK_QUEUE_URL` chooses the queue:

* unset: an embedded SQLite queue file (`queue.sqlite` in the instance folder), so the demo
  needs no extra server;
* `sqlite:////path/queue.sqlite`: that file;
* `postgresql://…` (also `postgresql+psycopg://…`): a PostgreSQL-backed queue (Huey's SQL
  storage on peewee), for workers on several hosts;
* `redis://…`: Redis (install the `redis` package).

Workers run with `flask --app portal worker`. Tasks are registered on the app's Huey instance
by the areas that own them (`portal.applications.jobs`: receipts; `portal.proposals.jobs`: runs).
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask, current_app
from huey import Huey, RedisHuey, SqliteHuey
from huey.contrib.sql_huey import SqlHuey

QUEUE_NAME = "forsoegsportalen"
# The tables Huey's SQL storage creates in a PostgreSQL database (not the portal's schema).
QUEUE_TABLES = frozenset({"kv", "schedule", "task"})


class QueueConfigurationError(ValueError):
    """FLASK_QUEUE_URL names a queue this portal cannot use."""


def make_huey(url: str | None, instance_path: str) -> Huey:
    if not url:
        Path(instance_path).mkdir(parents=True, exist_ok=True)  # absent in a fresh checkout
        return SqliteHuey(
            QUEUE_NAME, filename=str(Path(instance_path) / "queue.sqlite"), results=False, utc=True
        )
    scheme = url.split(":", 1)[0].lower()
    if scheme == "sqlite":
        path = url.split("///", 1)[1] if "///" in url else ""
        if not path:
            raise QueueConfigurationError(f"QUEUE_URL: no file in {url!r}")
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        return SqliteHuey(QUEUE_NAME, filename=path, results=False, utc=True)
    if scheme in ("postgresql", "postgres", "postgresql+psycopg"):
        database = "psycopg3://" + url.split("://", 1)[1]
        return SqlHuey(QUEUE_NAME, database=database, results=False, utc=True)
    if scheme in ("redis", "rediss"):
        return RedisHuey(QUEUE_NAME, url=url, results=False, utc=True)
    raise QueueConfigurationError(
        f"QUEUE_URL: unknown queue {scheme!r} (use sqlite, postgresql or redis)"
    )


def init_app(app: Flask) -> None:
    huey = make_huey(app.config.get("QUEUE_URL"), app.instance_path)
    app.extensions["huey"] = huey
    from portal.applications import jobs as application_jobs
    from portal.proposals import jobs as proposal_jobs

    application_jobs.register(app, huey)
    proposal_jobs.register(app, huey)


def huey() -> Huey:
    return current_app.extensions["huey"]  # type: ignore[no-any-return]
