"""A burst of submissions: N a-kasser submit their complete applications at the same moment to
the portal under gunicorn (sync workers) on loopback.

    .venv/bin/python bench/submit_burst.py [--funds 50] [--workers 4]
    .venv/bin/python bench/submit_burst.py --database-url postgresql+psycopg://u:p@host/db --wipe

Without --database-url the portal runs on a fresh SQLite file in a temporary folder. With it,
it runs on that database, which must be empty, or is emptied (its schema dropped) when --wipe
is given. The a-kasser of the reference data are topped up with made-up ones to N; each gets a
signatory (signed in through a server-side session, as a login makes it) and a complete
application in one open call. Every client first opens its submit page, then all post at once.

The background worker (`flask --app portal worker`) runs beside the server, as in production:
the submission commits and answers, the worker renders and mails the receipts afterwards.
Prints the submit requests' p50/p95/max seconds (queueing behind the other submissions
included), the burst's wall time, the number of answers that were not 2xx/3xx, and how long
until the worker had mailed every receipt; then checks that each a-kasse has one version, one
receipt and one receipt mail. Everything is bounded: one request waits at most --timeout seconds and
the server is killed at the end.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(share * len(ordered) + 0.5)))
    return ordered[rank - 1]


def prepare_database(url: str, wipe: bool) -> None:
    """Migrate and load the reference data; a PostgreSQL database must be empty or wiped."""
    from sqlalchemy import inspect, text
    from sqlalchemy.orm import Session

    from portal import migrate
    from portal.db import make_engine
    from portal.reference import load_reference_data

    engine = make_engine(url)
    if engine.dialect.name == "postgresql":
        if inspect(engine).get_table_names() and not wipe:
            sys.exit(f"{engine.url.render_as_string()} has tables: give --wipe to empty it first")
        if wipe:
            with engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
    migrate.upgrade(engine)
    with Session(engine) as db:
        load_reference_data(db)
        db.commit()
    engine.dispose()


def one_hash_per_password() -> None:
    """Users made here share one argon2 hash (the server still verifies in full)."""
    from portal.accounts import users

    real, cache = users.hash_password, {}

    def hash_once(password: str) -> str:
        if password not in cache:
            cache[password] = real(password)
        return cache[password]

    users.hash_password = hash_once  # type: ignore[assignment]


def user(db: Any, role: Any, short_id: str, email: str) -> Any:
    """A user of the organisation `short_id` with the test password."""
    from sqlalchemy import select

    from portal.accounts.users import NewUser, create_user
    from portal.models import Organisation
    from tests.conftest import TEST_PASSWORD

    org_id = db.scalar(select(Organisation.id).where(Organisation.short_id == short_id))
    made = create_user(
        db,
        None,
        NewUser(
            email=email.lower(),
            name=f"{role.value} {short_id}",
            role=role,
            password=TEST_PASSWORD,
            organisation_id=org_id,
        ),
    )
    db.commit()
    return made


def arrange(url: str, funds: int, workdir: Path) -> tuple[Any, list[tuple[int, str]]]:
    """An open call, N a-kasser with a signatory and a complete application each; returns the
    app (for reading afterwards) and (application id, session token) per a-kasse."""
    from portal import create_app
    from portal.models import Role
    from tests.conftest import app_config
    from tests.portal.helpers import complete_application, open_call
    from tests.reliability.test_concurrency import add_funds, fund_short_ids, session_token

    app = create_app(app_config(url, workdir, SECRET_KEY="bench-arrange"))
    one_hash_per_password()
    db = app.extensions["db_sessionmaker"]()
    with app.app_context():
        short_ids = fund_short_ids(db)
        short_ids += add_funds(db, max(0, funds - len(short_ids)), prefix="BENCH")
        call = open_call(db)
        clients = []
        for short_id in short_ids[:funds]:
            signatory = user(db, Role.SIGNATORY, short_id, f"sign-{short_id}@bench.dk")
            application = complete_application(db, call, signatory)
            clients.append((application.id, session_token(db, signatory)))
    db.close()
    return app, clients


def check(app: Any, clients: list[tuple[int, str]]) -> tuple[int, int, int]:
    """How many of the applications have exactly one version, how many receipts exist and how
    many receipt mails were sent."""
    from sqlalchemy import func, select

    from portal.models import ApplicationVersion, AuditEvent, StoredFile

    ids = [app_id for app_id, _ in clients]
    with app.extensions["db_sessionmaker"]() as db:
        per_app = dict(
            db.execute(
                select(ApplicationVersion.application_id, func.count())
                .where(ApplicationVersion.application_id.in_(ids))
                .group_by(ApplicationVersion.application_id)
            ).all()
        )
        receipts = db.scalar(
            select(func.count()).select_from(StoredFile).where(StoredFile.kind == "receipt")
        )
        mailed = db.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "mail.receipt_sent")
        )
    return sum(1 for n in per_app.values() if n == 1), int(receipts or 0), int(mailed or 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--funds", type=int, default=50, help="a-kasser submitting (max 200)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument("--database-url", help="PostgreSQL URL (default: a fresh SQLite file)")
    parser.add_argument("--wipe", action="store_true", help="empty the PostgreSQL database first")
    parser.add_argument("--timeout", type=float, default=180, help="seconds one request may take")
    args = parser.parse_args()
    if not 1 <= args.funds <= 200:
        parser.error("--funds must be between 1 and 200")

    from tests.conftest import csrf_token
    from tests.reliability.test_concurrency import LiveServer, at_once, revision_of

    with tempfile.TemporaryDirectory(prefix="submit-burst-") as tmp:
        workdir = Path(tmp)
        url = args.database_url or f"sqlite:///{workdir / 'bench.sqlite'}"
        kind = "postgresql" if url.startswith("postgresql") else "sqlite"
        started = time.perf_counter()
        prepare_database(url, args.wipe)
        app, clients = arrange(url, args.funds, workdir)
        arranged = time.perf_counter() - started
        server = LiveServer(url, workdir, workers=args.workers)
        try:
            server.start()
            server.start_worker()
            jobs = []
            for app_id, token in clients:
                browser = server.signed_in(token)
                browser.timeout = args.timeout
                page = browser.get(f"/ansoegning/{app_id}/indsend")
                if page.status != 200:
                    sys.exit(f"submit page of application {app_id}: HTTP {page.status}")
                form = {
                    "revision": str(revision_of(page.text)),
                    "csrf_token": csrf_token(page.text),
                }
                jobs.append((browser, f"/ansoegning/{app_id}/indsend", form))
            cpu_before, burst_started = server.cpu_seconds(), time.perf_counter()
            replies = at_once([partial(b.post, u, f) for b, u, f in jobs])
            burst = time.perf_counter() - burst_started
            cpu = server.cpu_seconds() - cpu_before
            deadline = burst_started + args.timeout
            while check(app, clients)[2] < args.funds and time.perf_counter() < deadline:
                time.sleep(0.25)
            all_mailed = time.perf_counter() - burst_started
        finally:
            server.stop()
        errors = server.errors_logged()
        one_version, receipts, mailed = check(app, clients)
        app.extensions["db_engine"].dispose()

    seconds = [r.seconds for r in replies]
    failed = sum(1 for r in replies if not 200 <= r.status < 400)
    print(
        f"submit burst: {args.funds} a-kasser at once, gunicorn {args.workers} sync workers, {kind}"
    )
    print(f"(arranged in {arranged:.1f} s; errors in the server's log: {len(errors)})")
    for line in errors[:5]:
        print("  " + line)
    print()
    heads = ("requests", "p50 s", "p95 s", "max s", "mean s", "burst s")
    print(" ".join(f"{h:>8}" for h in heads) + f" {'not 2xx/3xx':>12}")
    print(
        f"{len(replies):>8} {percentile(seconds, 0.50):>8.2f} {percentile(seconds, 0.95):>8.2f} "
        f"{max(seconds):>8.2f} {statistics.fmean(seconds):>8.2f} {burst:>8.2f} {failed:>12}"
    )
    print()
    print(f"applications with exactly one version: {one_version}/{args.funds}")
    print(f"receipts kept: {receipts}; receipt mails sent: {mailed}")
    print(f"every receipt mailed by the worker {all_mailed:.1f} s after the burst began")
    print(f"server CPU during the burst: {cpu:.1f} s, {cpu / len(replies):.2f} s per submission")
    if failed or errors or {one_version, receipts, mailed} != {args.funds}:
        sys.exit(1)


if __name__ == "__main__":
    main()
