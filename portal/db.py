"""Engine and per-request session. One commit per request, done by the view or CLI command.

On SQLite a transaction that may write takes the database's write lock when it begins
(`BEGIN IMMEDIATE`), before it reads anything: two writers can then never both read the same
state (the audit chain's head, a login throttle count, "no application yet") and both act on
it. Requests with a safe method (GET, HEAD, OPTIONS) read in a deferred transaction, so readers
never wait for each other; the little they write (a session's last-seen time) goes through
`write_session()`. Sessions made outside a request (command line, tests) are deferred unless
they ask for `write_session()`. PostgreSQL keeps its default; the few places that need more
there (`audit._lock_chain`, the login throttle) take an advisory lock.

Every transaction that changes what a page can show adds one to the data generation as it
commits, in that same transaction, so the new number becomes visible together with the change.
Engine events do it (`_note_write`, `_count_at_commit`), so the ORM, Core and raw SQL are
covered alike, from requests, the worker and the command line. The counter's row is locked
only for the commit: no other lock is taken after it, so it adds no lock-order deadlock.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from flask import Flask, current_app, g, has_request_context, request
from sqlalchemy import Connection, Engine, create_engine, event, literal_column, make_url, select
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql.elements import Label

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
MEMO = "portal_memo"
T = TypeVar("T")
M = TypeVar("M")
BEGIN_MODE = "sqlite_begin"  # execution option: "IMMEDIATE" or "DEFERRED" (the default)


# Writes to these tables change nothing a page shows: login attempts, the counter itself.
UNCOUNTED_TABLES = frozenset({"data_generation", "login_attempts", "alembic_version"})
# Nor does a session's last-seen time, written at most once a minute on its own (every other
# write to a session, such as a login or a revocation, counts).
_SESSION_TOUCH = re.compile(
    r'\s*UPDATE\s+"?user_sessions"?\s+SET\s+"?last_seen_at"?\s*=\s*(?:\?|%\(\w+\)s|:\w+)'
    r"(?:::[A-Z][A-Z ]*?)?(?:\s+WHERE\b[^,]*)?\s*$",  # PostgreSQL's driver adds a type cast
    re.IGNORECASE,
)
# Statements that change no data: reads, transaction control, session settings and schema
# changes (which need a restart anyway). Every other statement counts, so a kind of write this
# list does not know is counted rather than missed.
_NOT_A_WRITE = re.compile(
    r"\s*(?:SELECT|PRAGMA|SHOW|EXPLAIN|BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE|SET|CREATE|ALTER"
    r"|DROP|ANALYZE|VACUUM)\b",
    re.IGNORECASE,
)
_WITH_WRITE = re.compile(r"\s*WITH\b.*\b(?:INSERT|UPDATE|DELETE)\b", re.IGNORECASE | re.DOTALL)
_TARGET = re.compile(
    r'\s*(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|REPLACE\s+INTO|UPDATE(?:\s+OR\s+\w+)?|DELETE\s+FROM)\s+"?(\w+)',
    re.IGNORECASE,
)
_BUMP = (
    "INSERT INTO data_generation (id, n) VALUES (1, 1) "
    "ON CONFLICT (id) DO UPDATE SET n = data_generation.n + 1"
)
# A column of its own statement, or of another (the session's lookup reads it with the session).
GENERATION_NOW: Label[Any] = literal_column("(SELECT n FROM data_generation WHERE id = 1)").label(
    "generation"
)
GENERATION_SEEN = "portal_generation_seen"  # on `g`: the generation read with the session
PENDING = "portal_generation_pending"  # connection info: this transaction wrote, not counted yet
# Execution option for writes no page has to show at once: schema migrations (run with the
# portal stopped) and a running optimizer's heartbeat and progress (its own page is never kept).
UNCOUNTED = "portal_uncounted"
WROTE = "portal_wrote"  # flag on `g`: this request changed what a page can show


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
    else:
        engine = create_engine(url, pool_pre_ping=True)
    event.listen(engine, "before_cursor_execute", _note_write)
    event.listen(engine, "commit", _count_at_commit)
    # A savepoint released outside a transaction (SQLite's driver opens one for it) commits.
    event.listen(engine, "release_savepoint", _count_at_commit)
    event.listen(engine, "rollback", _transaction_ended)
    # A connection dropped without being closed goes back to the pool without the events above.
    event.listen(engine, "checkin", _connection_checked_in)
    return engine


def _note_write(
    conn: Any, _cursor: Any, statement: str, _params: Any, _context: Any, _many: bool
) -> None:
    """Remember that this transaction changed what a page can show."""
    if conn.info.get(PENDING) or not counts(statement):
        return
    if conn.get_execution_options().get(UNCOUNTED):
        return
    conn.info[PENDING] = True
    if has_request_context():
        g.setdefault(WROTE, True)


def uncounted(db_session: Session) -> None:
    """The session's transaction (about to begin) writes nothing a page has to show at once."""
    db_session.connection().execution_options(**{UNCOUNTED: True})


def _count_at_commit(conn: Any, *_args: Any) -> None:
    """Add one to the data generation in the transaction about to commit, if it wrote."""
    if conn.info.pop(PENDING, False):
        conn.exec_driver_sql(_BUMP)


def counts(statement: str) -> bool:
    """Does this statement change what a page can show?"""
    if _NOT_A_WRITE.match(statement):
        return False
    if statement.lstrip()[:4].upper() == "WITH":
        return _WITH_WRITE.match(statement) is not None
    target = _TARGET.match(statement)
    if target is not None and target.group(1).lower() in UNCOUNTED_TABLES:
        return False
    return _SESSION_TOUCH.match(statement) is None


def _transaction_ended(conn: Any, *_args: Any) -> None:
    conn.info.pop(PENDING, None)


def _connection_checked_in(_dbapi_connection: Any, record: Any) -> None:
    record.info.pop(PENDING, None)


def generation(db_session: Session) -> int:
    """The data generation as this session sees it now (0 before anything was counted)."""
    return int(db_session.execute(select(GENERATION_NOW)).scalar() or 0)


def request_generation() -> int:
    """The data generation as the request first saw it: read with the session's lookup when
    there was one (an older number is safe: what the request reads later is at least as new),
    else now."""
    seen = g.get(GENERATION_SEEN)
    return int(seen) if seen is not None else generation(session())


def read_alone() -> Connection:
    """A connection of its own for one short read outside the request's transaction, in
    autocommit where the database has one: on PostgreSQL the read then costs one round trip
    rather than three (`BEGIN`, the read, `ROLLBACK`). SQLite's driver reads outside a
    transaction anyway. Use it with `with`, so the connection goes back to the pool at once."""
    conn = engine().connect()
    try:
        if conn.dialect.name != "sqlite":
            conn.execution_options(isolation_level="AUTOCOMMIT")
    except BaseException:
        conn.close()
        raise
    return conn


def request_in_transaction() -> bool:
    """Has the request's (or command's) session begun a transaction?"""
    db_session = g.get("db_session")
    return db_session is not None and db_session.in_transaction()


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
