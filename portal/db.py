"""Engine and per-request session. One commit per request, done by the view or CLI command.

On SQLite a transaction that may write takes the database's write lock when it begins
(`BEGIN IMMEDIATE`), before it reads anything: two writers can then never both read the same
state (the audit chain's head, a login throttle count, "no application yet") and both act on
it. Requests with a safe method (GET, HEAD, OPTIONS) read in a deferred transaction, so readers
never wait for each other; the little they write (a session's last-seen time) goes through
`write_session()`. Sessions made outside a request (command line, tests) are deferred unless
they ask for `write_session()`. PostgreSQL keeps its default; the few places that need more
there (`audit._lock_chain`, the login throttle) take an advisory lock.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from flask import Flask, current_app, g, has_request_context, request
from sqlalchemy import Engine, create_engine, event, make_url, select
from sqlalchemy.orm import Session, sessionmaker

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
MEMO = "portal_memo"
T = TypeVar("T")
M = TypeVar("M")
BEGIN_MODE = "sqlite_begin"  # execution option: "IMMEDIATE" or "DEFERRED" (the default)


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(url, pool_pre_ping=True)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    """A writing transaction starts with `BEGIN IMMEDIATE`; otherwise the driver's own
    behaviour stands (reads outside a transaction, a deferred `BEGIN` before the first write)."""
    mode = connection.get_execution_options().get(BEGIN_MODE, "DEFERRED")
    if mode not in ("IMMEDIATE", "DEFERRED"):
        raise ValueError(f"unknown SQLite begin mode {mode!r}")
    if mode == "IMMEDIATE":
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def write_engine(engine: Engine) -> Engine:
    """The engine for writing work: transactions that lock first on SQLite; unchanged elsewhere."""
    if engine.dialect.name != "sqlite":
        return engine
    return engine.execution_options(**{BEGIN_MODE: "IMMEDIATE"})


def init_app(app: Flask) -> None:
    engine = make_engine(app.config["DATABASE_URL"])
    app.extensions["db_engine"] = engine
    app.extensions["db_sessionmaker"] = sessionmaker(engine, expire_on_commit=False)
    app.teardown_appcontext(_close_session)


def engine() -> Engine:
    return current_app.extensions["db_engine"]  # type: ignore[no-any-return]


def session() -> Session:
    """The request's (or CLI command's) session, created on first use: a writing session,
    except for requests with a safe method."""
    if "db_session" not in g:
        maker = current_app.extensions["db_sessionmaker"]
        if has_request_context() and request.method not in SAFE_METHODS:
            g.db_session = maker(bind=write_engine(engine()))
        else:
            g.db_session = maker()
    return g.db_session  # type: ignore[no-any-return]


@contextmanager
def read_session() -> Iterator[Session]:
    """A session of its own that takes no write lock (for slow work before a writing step)."""
    own = current_app.extensions["db_sessionmaker"]()
    try:
        yield own
    finally:
        own.rollback()
        own.close()


@contextmanager
def write_session() -> Iterator[Session]:
    """A short writing transaction of its own (committed on success, rolled back on error)."""
    own = current_app.extensions["db_sessionmaker"](bind=write_engine(engine()))
    try:
        yield own
        own.commit()
    except BaseException:
        own.rollback()
        raise
    finally:
        own.close()


def _close_session(_exc: BaseException | None) -> None:
    db_session = g.pop("db_session", None)
    if db_session is not None:
        db_session.rollback()
        db_session.close()


def remembered(db_session: Session, key: Hashable, compute: Callable[[], T]) -> T:
    """A read that a page asks for several times (an extension, an assignment): within a
    request, done once and kept on the request's session until that session writes, commits or
    rolls back. Outside a request (command line, tests calling services) it is simply read.
    Writes through another session or a raw connection are not seen: use it only for rows the
    request's own session writes. Callers must not change what it returns."""
    if not has_request_context() or g.get("db_session") is not db_session:
        return compute()
    if db_session.new or db_session.deleted or db_session.dirty:
        # A query would flush these first (and the flush forgets what was kept).
        return compute()
    memo = db_session.info.setdefault(MEMO, {})
    if key not in memo:
        memo[key] = compute()
    return memo[key]  # type: ignore[no-any-return]


def remembered_one(db_session: Session, model: type[M], **where: Any) -> M | None:
    """The one row of `model` with these column values (or None), remembered as above."""
    key = (model.__name__, *sorted(where.items()))
    return remembered(
        db_session, key, lambda: db_session.scalars(select(model).filter_by(**where)).first()
    )


def _forget(db_session: Session, *_args: Any) -> None:
    db_session.info.pop(MEMO, None)


def _forget_on_write(state: Any) -> None:
    if not state.is_select:
        _forget(state.session)


for _event in ("after_flush", "after_commit", "after_rollback", "after_soft_rollback"):
    event.listen(Session, _event, _forget)
event.listen(Session, "do_orm_execute", _forget_on_write)
