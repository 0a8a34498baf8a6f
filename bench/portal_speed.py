"""How fast the portal's pages are under gunicorn, next to a bare Flask "hello" app served by the
same gunicorn settings (the portal's own, portal/gunicorn_config.py) in the same run.

    .venv/bin/python bench/portal_speed.py [--clients 50] [--requests 2000] [--workers 4]
    .venv/bin/python bench/portal_speed.py --database-url postgresql+psycopg://u:p@host/db --wipe

The portal gets a fresh SQLite file in a temporary folder (or the given PostgreSQL database, which
must be empty or is emptied with --wipe), with the reference data, an open call in which HK has a
complete draft, and a call past its deadline with one submitted application per a-kasse. Signed-in
sessions are made for a signatory and a drafter of HK, the lead assessor and an assessor.

Each server is loaded by --clients threads without think time until --requests requests have been
answered (or --max-seconds has passed), after --warmup requests under the same load that are not
counted (each worker's first view of a page compiles its templates and SQL; that cold start is not
what the ratio is about): the portal's pages in turn (start page, application form, assessment
overview, reading view, each for the roles that see it), the hello app its one page. The portal is
loaded twice: as it runs by default, serving a page kept for the session while the data is
unchanged (`PAGE_CACHE_SECONDS`, portal/pagecache.py), and with that switched off, so every request
renders its page. With --writes-per-second, a draft is changed that often during both portal runs,
as a-kasser do while they write, so kept pages go stale. Printed for each: per page p50 and p95 in
milliseconds and p50 and p95 as multiples of the hello page's, and the CPU time one request of the
page costs in-process (Flask's test client, `time.process_time`, after a warm-up), the heaviest
page marked; then each server's throughput, its CPU time per request (its processes' own
accounting) and the clients' CPU time.

Latencies include the wait for a free worker: with 50 clients and 4 sync workers most of a
request's time is queueing, which is why the ratio to the bare page matters more than the
absolute figures. The clients run on the same machine as the server and take CPU from it.
"""

from __future__ import annotations

import argparse
import itertools
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def hello_app() -> Any:
    """The bare comparison: Flask answering one small page, nothing else."""
    from flask import Flask

    app = Flask("hello")

    @app.get("/")
    def hello() -> str:
        return "<!doctype html><title>Hej</title><p>Hello</p>"

    return app


@dataclass(frozen=True)
class Page:
    name: str
    role: str
    path: str


@dataclass
class Load:
    """What one server answered under load."""

    seconds: dict[Page, list[float]]
    failures: int
    wall: float
    server_cpu: float
    client_cpu: float
    writes: int = 0

    @property
    def requests(self) -> int:
        return sum(len(v) for v in self.seconds.values()) + self.failures


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(share * len(ordered) + 0.5)))
    return ordered[rank - 1]


def arrange(url: str, workdir: Path) -> tuple[Any, list[Page], dict[str, str]]:
    """The database's content; returns the app, the pages and a session token per role."""
    from bench.submit_burst import one_hash_per_password, user
    from portal import create_app
    from portal.models import Role
    from tests.conftest import app_config
    from tests.portal.assessment.conftest import close_deadline, submit_for
    from tests.portal.helpers import complete_application, open_call
    from tests.reliability.test_concurrency import fund_short_ids, session_token

    app = create_app(app_config(url, workdir, SECRET_KEY="bench-arrange"))
    one_hash_per_password()
    db = app.extensions["db_sessionmaker"]()
    with app.app_context():
        drafting = open_call(db)
        closed = open_call(db)
        signatories = {
            s: user(db, Role.SIGNATORY, s, f"sign-{s}@bench.dk") for s in fund_short_ids(db)
        }
        versions = {s: submit_for(db, closed, signatory) for s, signatory in signatories.items()}
        close_deadline(db, closed)
        complete_application(db, drafting, signatories["HK"])
        people = {
            "signatory": signatories["HK"],
            "drafter": user(db, Role.DRAFTER, "HK", "draft-hk@bench.dk"),
            "lead assessor": user(db, Role.LEAD_ASSESSOR, "STAR", "lead@bench.dk"),
            "assessor": user(db, Role.ASSESSOR, "STAR", "assessor@bench.dk"),
        }
        tokens = {role: session_token(db, person) for role, person in people.items()}
        form = f"/ansoegning/runde/{drafting.id}"
        overview = f"/vurdering/runde/{closed.id}"
        pages = [Page("start page", role, "/") for role in people] + [
            Page("application form", "signatory", form),
            Page("application form", "drafter", form),
            Page("assessment overview", "lead assessor", overview),
            Page("assessment overview", "assessor", overview),
            Page("reading view", "lead assessor", f"/vurdering/ansoegning/{versions['HK'].id}"),
        ]
    db.close()
    return app, pages, tokens


def load(
    server: Any,
    pages: list[Page],
    tokens: dict[str, str],
    args: argparse.Namespace,
    write: Callable[[], None] | None = None,
) -> Load:
    """--clients threads, each with its own browser per role, request the pages in turn; with
    `write`, a thread of its own calls it --writes-per-second times a second meanwhile."""
    signed_in = {
        role: server.signed_in(token) if token else server.browser()
        for role, token in tokens.items()
    }
    for page in pages:  # every page answers before the clock starts
        reply = signed_in[page.role].get(page.path)
        if reply.status != 200:
            sys.exit(f"{page.name} ({page.role}): HTTP {reply.status} {reply.text[:200]}")
    # Warm-up under the same load, not counted: each worker's first view of a page compiles its
    # templates and SQL (45-150 ms of CPU), and which worker takes a connection is the kernel's
    # choice, so only a load spread over all workers reaches every worker with every page.
    _, warm_failures = clients(pages, signed_in, args, args.warmup)
    if warm_failures:
        sys.exit(f"{warm_failures} of {args.warmup} warm-up requests failed")
    changes = Changes(write, args.writes_per_second) if write and args.writes_per_second else None
    cpu_before, client_before = server.cpu_seconds(), time.process_time()
    started = time.perf_counter()
    if changes is not None:
        changes.start()
    try:
        seconds, failures = clients(pages, signed_in, args, args.requests)
        wall = time.perf_counter() - started
    finally:
        writes = changes.stop() if changes is not None else 0
    return Load(
        seconds,
        failures,
        wall,
        server.cpu_seconds() - cpu_before,
        time.process_time() - client_before,
        writes,
    )


class Changes(threading.Thread):
    """Calls `write` `per_second` times a second until stopped."""

    def __init__(self, write: Callable[[], None], per_second: float) -> None:
        super().__init__(daemon=True)
        self.write = write
        self.interval = 1 / per_second
        self.done = threading.Event()
        self.count = 0
        self.error: Exception | None = None

    def run(self) -> None:
        while not self.done.wait(self.interval):
            try:
                self.write()
            except Exception as error:  # reported when stopped
                self.error = error
                return
            self.count += 1

    def stop(self) -> int:
        """How many changes were made; a failed change ends the run."""
        self.done.set()
        self.join()
        if self.error is not None:
            sys.exit(f"a change to the draft failed: {self.error!r}")
        return self.count


def draft_writer(app: Any) -> Callable[[], None]:
    """A change of the kind a-kasser make all day: HK's draft gets a new contact phone number,
    through the portal's engine (so it is counted like any change), one transaction each."""
    from sqlalchemy import update

    from portal.models import Application, ApplicationStatus

    maker = app.extensions["db_sessionmaker"]
    numbers = itertools.count(10_000_000)

    def write() -> None:
        with maker() as db, db.begin():
            db.execute(
                update(Application)
                .where(Application.status == ApplicationStatus.DRAFT)
                .values(contact_phone=str(next(numbers)))
            )

    return write


def clients(
    pages: list[Page], signed_in: dict[str, Any], args: argparse.Namespace, requests: int
) -> tuple[dict[Page, list[float]], int]:
    """--clients threads request the pages in turn until `requests` have been answered; each
    page's response times and the number of failed requests."""
    numbers = itertools.count()
    lock = threading.Lock()
    seconds: dict[Page, list[float]] = defaultdict(list)
    failures = [0]
    deadline = time.monotonic() + args.max_seconds

    def client() -> None:
        browsers = {role: b.clone() for role, b in signed_in.items()}
        while time.monotonic() < deadline:
            with lock:
                n = next(numbers)
            if n >= requests:
                return
            page = pages[n % len(pages)]
            reply = browsers[page.role].get(page.path)
            with lock:
                if reply.status == 200:
                    seconds[page].append(reply.seconds)
                else:
                    failures[0] += 1

    threads = [threading.Thread(target=client) for _ in range(args.clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=args.max_seconds + 120)
    return seconds, failures[0]


def in_process_cpu(
    app: Any, pages: list[Page], tokens: dict[str, str], repeat: int, rounds: int
) -> dict[Page, tuple[float, float]]:
    # With pages kept, the first requests of a page render it (and set the CSRF token);
    # the rounds then measure what a repeated view costs: the kept page.
    """CPU and wall seconds per request of each page through Flask's test client: the pages
    take turns for `rounds` rounds of `repeat` requests, and each page's best round counts
    (as `timeit` does), so a moment of noise on a shared machine does not land on one page."""
    clients = {}
    for page in pages:
        client = app.test_client()
        if tokens.get(page.role):
            with client.session_transaction() as session:
                session["sid"] = tokens[page.role]
        for _ in range(3):
            assert client.get(page.path).status_code == 200
        clients[page] = client
    best: dict[Page, tuple[float, float]] = {}
    for _ in range(rounds):
        for page, client in clients.items():
            cpu, wall = time.process_time(), time.perf_counter()
            for _ in range(repeat):
                # A failed request is cheap: it must not pass for a fast round.
                assert client.get(page.path).status_code == 200, page
            spent = ((time.process_time() - cpu) / repeat, (time.perf_counter() - wall) / repeat)
            best[page] = min(best.get(page, spent), spent)
    return best


def report(
    portal: Load,
    hello: Load,
    cpu: dict[Page, tuple[float, float]],
    args: argparse.Namespace,
    title: str,
) -> None:
    """One portal run next to the hello run."""
    bare50 = percentile(next(iter(hello.seconds.values())), 0.5)
    bare95 = percentile(next(iter(hello.seconds.values())), 0.95)
    print(f"== {title}")
    heads = (
        f"{'n':>5} {'p50 ms':>8} {'p95 ms':>8} {'p50/hello':>10} {'p95/hello':>10} "
        f"{'in-process CPU ms':>18}"
    )
    print(f"{'page':<20} {'role':<14} {heads}")
    rows = list(portal.seconds.items()) + list(hello.seconds.items())
    heaviest = max(portal.seconds, key=lambda p: cpu[p][0])
    for page, values in rows:
        p50, p95 = percentile(values, 0.5), percentile(values, 0.95)
        mark = " (heaviest)" if page == heaviest else ""
        print(
            f"{page.name:<20} {page.role:<14} {len(values):>5} {p50 * 1000:>8.0f} "
            f"{p95 * 1000:>8.0f} {p50 / bare50:>10.1f} {p95 / bare95:>10.1f} "
            f"{cpu[page][0] * 1000:>18.1f}{mark}"
        )
    print()
    heads = f"{'requests':>8} {'failed':>7} {'wall s':>7} {'req/s':>7} {'server CPU ms/req':>18}"
    print(f"{'server':<8} {heads} {'client CPU s':>13}")
    for name, run in (("portal", portal), ("hello", hello)):
        print(
            f"{name:<8} {run.requests:>8} {run.failures:>7} {run.wall:>7.1f} "
            f"{run.requests / run.wall:>7.1f} {run.server_cpu / run.requests * 1000:>18.1f} "
            f"{run.client_cpu:>13.1f}"
        )
    if portal.writes:
        print(
            f"meanwhile {portal.writes} changes to a draft "
            f"({portal.writes / portal.wall:.1f} a second), each making every kept page stale"
        )
    worst95 = max(percentile(v, 0.95) for v in portal.seconds.values())
    print(
        f"heaviest page in-process (best of {args.rounds} rounds of {args.repeat} requests, "
        "Flask test client): "
        f"{heaviest.name} ({heaviest.role}) {cpu[heaviest][0] * 1000:.1f} ms CPU, "
        f"{cpu[heaviest][1] * 1000:.1f} ms wall per request; bare hello "
        f"{cpu[hello_page()][0] * 1000:.2f} ms CPU; slowest page's p95 / hello's p95: "
        f"{worst95 / bare95:.1f}"
    )
    print()


def hello_page() -> Page:
    return Page("hello (bare Flask)", "-", "/")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--requests", type=int, default=2000, help="per server (max 20000)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument(
        "--warmup", type=int, default=1000, help="requests per server under load, not counted"
    )
    parser.add_argument(
        "--writes-per-second",
        type=float,
        default=0,
        help="while the portal is loaded, change a draft this often (every page kept is stale)",
    )
    parser.add_argument("--max-seconds", type=float, default=300, help="per server")
    parser.add_argument("--repeat", type=int, default=20, help="in-process requests per round")
    parser.add_argument("--rounds", type=int, default=5, help="in-process rounds; the best counts")
    parser.add_argument("--database-url", help="PostgreSQL URL (default: a fresh SQLite file)")
    parser.add_argument("--wipe", action="store_true", help="empty the PostgreSQL database first")
    args = parser.parse_args()
    if not (1 <= args.clients <= 200 and 1 <= args.requests <= 20000):
        parser.error("--clients must be 1..200 and --requests 1..20000")
    if not 0 <= args.warmup <= 20000:
        parser.error("--warmup must be 0..20000")
    if not 0 <= args.writes_per_second <= 100:
        parser.error("--writes-per-second must be 0..100")

    from bench.submit_burst import prepare_database
    from portal import create_app
    from tests.reliability.test_concurrency import LiveServer

    with tempfile.TemporaryDirectory(prefix="portal-speed-") as tmp:
        workdir = Path(tmp)
        url = args.database_url or f"sqlite:///{workdir / 'bench.sqlite'}"
        kind = "postgresql" if url.startswith("postgresql") else "sqlite"
        prepare_database(url, args.wipe)
        app, pages, tokens = arrange(url, workdir)

        (workdir / "hello").mkdir()
        hello_server = LiveServer(
            url,
            workdir / "hello",
            workers=args.workers,
            app="bench.portal_speed:hello_app()",
            ready_path="/",
        )
        try:
            hello_server.start()
            hello = load(hello_server, [hello_page()], {"-": ""}, args)
        finally:
            hello_server.stop()

        runs = {}
        errors = hello_server.errors_logged()
        for kept in (True, False):
            (workdir / str(kept)).mkdir()
            server = LiveServer(
                url,
                workdir / str(kept),
                workers=args.workers,
                extra_env={} if kept else {"FLASK_PAGE_CACHE_SECONDS": "0"},
            )
            try:
                server.start()
                runs[kept] = load(server, pages, tokens, args, draft_writer(app))
            finally:
                server.stop()
            errors += server.errors_logged()

        rendering = create_app({**app.config, "PAGE_CACHE_SECONDS": 0})
        hello_cpu = in_process_cpu(hello_app(), [hello_page()], {}, args.repeat, args.rounds)
        cpu = {
            kept: {**in_process_cpu(a, pages, tokens, args.repeat, args.rounds), **hello_cpu}
            for kept, a in ((True, app), (False, rendering))
        }
        for each in (app, rendering):
            each.extensions["db_engine"].dispose()

    print(
        f"portal speed: {args.clients} clients, no think time, {args.requests} requests per "
        f"server, gunicorn {args.workers} sync workers, {kind}"
    )
    print()
    report(runs[True], hello, cpu[True], args, "pages kept per session (the default)")
    report(runs[False], hello, cpu[False], args, "every page rendered (PAGE_CACHE_SECONDS=0)")
    print(f"errors in the servers' logs: {len(errors)}")
    for line in errors[:5]:
        print("  " + line)
    if any(run.failures for run in runs.values()) or hello.failures or errors:
        sys.exit(1)


if __name__ == "__main__":
    main()
