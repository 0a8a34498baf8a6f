"""The portal under a real multi-process server: gunicorn with 4 sync workers on loopback,
driven by threads that send their requests at the same moment.

Each test arranges its data in its own database (a SQLite copy, or PostgreSQL when
TEST_DATABASE_URL is set), commits, starts the server on that database and checks that no
answer is a server error and that the invariant of its case holds afterwards.

The server, the HTTP client and the arrange helpers here are also used by the crash test beside
this file and by the benchmarks in bench/.
"""

from __future__ import annotations

import contextlib
import html
import http.client
import os
import re
import secrets
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from http.cookiejar import Cookie, CookieJar
from pathlib import Path
from typing import Any, TypeVar

import pytest
from flask import Flask
from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session

from portal import audit
from portal.accounts import services as auth
from portal.accounts import users as users_module
from portal.config import Defaults
from portal.errors import MESSAGES
from portal.models import (
    Answer,
    Application,
    ApplicationVersion,
    Attachment,
    AuditEvent,
    LoginAttempt,
    Organisation,
    OrganisationKind,
    Role,
    StoredFile,
    User,
    UserSession,
)
from portal.reference import AGENCY_SHORT_ID, LABOUR_SHORT_ID, PARTIES_SHORT_ID
from tests.conftest import REFERENCE_TABLES, TEST_PASSWORD, csrf_token
from tests.portal.helpers import complete_application, draft_form, open_call, pdf_bytes

ROOT = Path(__file__).resolve().parents[2]
WORKERS = 4
SERVER_START_SECONDS = 90  # boot with the app preloaded: a few seconds, more on a busy machine
REQUEST_TIMEOUT = 90  # one request, queueing behind the others included
BARRIER_SECONDS = 60
RECEIPTS_SECONDS = 180  # the worker renders 25 receipt PDFs after the burst
T = TypeVar("T")


# --- the server ----------------------------------------------------------------------------------


class LiveServer:
    """gunicorn serving `portal:create_app()` on 127.0.0.1 and a free port, configured by the
    environment. It runs in a process group of its own, so `kill()` takes the master and its
    workers down at once, as a crash would."""

    def __init__(
        self,
        database_url: str,
        workdir: Path,
        *,
        secret_key: str | None = None,
        workers: int = WORKERS,
        app: str = "portal:create_app()",
        ready_path: str = "/login",
        extra_env: dict[str, str] | None = None,
    ) -> None:
        self.database_url = database_url
        self.workdir = workdir
        self.secret_key = secret_key or secrets.token_urlsafe(48)
        self.workers = workers
        self.app = app
        self.ready_path = ready_path
        self.extra_env = extra_env or {}
        self.upload_dir = workdir / "uploads"
        self.outbox_dir = workdir / "outbox"
        self.process: subprocess.Popen[bytes] | None = None
        self.worker: subprocess.Popen[bytes] | None = None
        self.log_path: Path | None = None
        self.base = ""
        self._starts = 0

    def environment(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("FLASK_")}
        env.update(
            {
                "FLASK_DATABASE_URL": self.database_url,
                "FLASK_SECRET_KEY": self.secret_key,
                "FLASK_OUTBOX_DIR": str(self.outbox_dir),
                "FLASK_UPLOAD_DIR": str(self.upload_dir),
                "FLASK_QUEUE_URL": f"sqlite:///{self.workdir / 'queue.sqlite'}",
                "FLASK_SESSION_COOKIE_SECURE": "false",
                "PYTHONUNBUFFERED": "1",
            }
        )
        env.update(self.extra_env)
        return env

    def start(self) -> LiveServer:
        """Start and wait until every worker has booted and the server answers."""
        assert self.process is None, "already running"
        self._starts += 1
        self.log_path = self.workdir / f"gunicorn-{self._starts}.log"
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            str(self.workers),
            "--worker-class",
            "sync",
            "--bind",
            "127.0.0.1:0",
            # The portal's own settings (portal/gunicorn_config.py), as production runs it: the
            # app is imported once, before the workers fork, so each boots in milliseconds.
            "--config",
            "python:portal.gunicorn_config",
            "--timeout",
            "120",
            "--graceful-timeout",
            "5",
            self.app,
        ]
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                command,
                cwd=ROOT,
                env=self.environment(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            self._wait_ready()
        except BaseException:
            self.kill()
            raise
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + SERVER_START_SECONDS
        port = None
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise AssertionError(f"gunicorn exited at start:\n{self.log_tail()}")
            log = self.log()
            if port is None:
                found = re.search(r"Listening at: http://127\.0\.0\.1:(\d+)", log)
                port = int(found.group(1)) if found else None
                self.base = f"http://127.0.0.1:{port}" if port else ""
            if port is not None and log.count("Booting worker with pid") >= self.workers:
                probe = Browser(self.base, timeout=5).get(self.ready_path)
                if probe.status == 200:
                    return
            time.sleep(0.1)
        raise AssertionError(f"gunicorn not ready in {SERVER_START_SECONDS} s:\n{self.log_tail()}")

    def start_worker(self) -> None:
        """The background worker (`flask --app portal worker`) on the server's database and
        queue, as production runs it beside the web server; killed with the server."""
        assert self.worker is None, "the worker runs already"
        with open(self.workdir / "worker.log", "ab") as log:
            self.worker = subprocess.Popen(
                [sys.executable, "-m", "flask", "--app", "portal", "worker", "--workers", "2"],
                cwd=ROOT,
                env=self.environment(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def kill(self) -> None:
        """SIGKILL to the whole process group: no worker finishes its request."""
        if self.worker is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.worker.pid, signal.SIGKILL)
            self.worker.wait(timeout=30)
            self.worker = None
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)
        self.process = None

    def stop(self) -> None:
        """A quick stop: SIGQUIT to the master, and once its workers have had a moment to exit,
        SIGKILL to the group (the master itself lingers for seconds after its workers)."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            self.process.send_signal(signal.SIGQUIT)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=1)
        self.kill()

    def cpu_seconds(self) -> float:
        """CPU time used so far by the server's processes alive now (Linux /proc)."""
        assert self.process is not None
        ticks = 0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if int(fields[2]) == self.process.pid:  # the process group
                ticks += int(fields[11]) + int(fields[12])  # utime + stime
        return ticks / os.sysconf("SC_CLK_TCK")

    def restart(self) -> LiveServer:
        self.kill()
        return self.start()

    def log(self) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        return self.log_path.read_text(errors="replace")

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log().splitlines()[-lines:])

    def errors_logged(self) -> list[str]:
        """What the server logged about failed requests, over every start: each traceback's
        last line (but a worker's exit on stop()), and any other error line."""
        found = []
        for log in sorted(self.workdir.glob("gunicorn-*.log")):
            lines = log.read_text(errors="replace").splitlines()
            for i, line in enumerate(lines):
                if "Traceback" in line:
                    end = next(
                        (j for j in range(i + 1, len(lines)) if not lines[j].startswith(" ")),
                        len(lines) - 1,
                    )
                    if lines[end] != "SystemExit: 0":  # a worker leaving at stop()
                        found.append(f"{log.name}: {lines[end]}")
                elif "unhandled error" in line or "WORKER TIMEOUT" in line:
                    found.append(f"{log.name}: {line}")
        return found

    def browser(self) -> Browser:
        return Browser(self.base)

    def signed_in(self, token: str) -> Browser:
        """A browser holding the session cookie a login would have set for this token."""
        browser = self.browser()
        browser.set_cookie(Defaults.SESSION_COOKIE_NAME, self.cookie_value({"sid": token}))
        return browser

    def cookie_value(self, data: dict[str, Any]) -> str:
        signer = Flask("cookie")
        signer.secret_key = self.secret_key
        serializer = signer.session_interface.get_signing_serializer(signer)  # type: ignore[attr-defined]
        assert serializer is not None
        return str(serializer.dumps(data))


# --- the client ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    """One HTTP answer; `status` 0 when none came (refused, reset, timed out)."""

    status: int
    location: str | None
    content_type: str
    body: bytes
    seconds: float = 0.0

    @property
    def text(self) -> str:
        return html.unescape(self.body.decode("utf-8", "replace"))

    @property
    def server_error(self) -> bool:
        return self.status == 0 or self.status >= 500


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *_args: Any, **_kwargs: Any) -> None:
        return None


class Browser:
    """A browser of one person: its own cookie jar, redirects not followed by itself."""

    def __init__(
        self, base: str, *, timeout: float = REQUEST_TIMEOUT, jar: CookieJar | None = None
    ):
        self.base = base
        self.timeout = timeout
        self.jar = jar or CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({}),  # loopback only, whatever the environment says
            urllib.request.HTTPCookieProcessor(self.jar),
            _NoRedirect(),
        )

    def clone(self) -> Browser:
        """Another tab of the same sign-in: the cookies copied, flashed messages its own."""
        jar = CookieJar()
        for cookie in self.jar:
            jar.set_cookie(cookie)
        return Browser(self.base, timeout=self.timeout, jar=jar)

    def set_cookie(self, name: str, value: str) -> None:
        """A host-only cookie for the server, as its Set-Cookie header would make it."""
        host = urllib.parse.urlsplit(self.base).hostname or "127.0.0.1"
        cookie = Cookie(
            version=0,
            name=name,
            value=value,
            port=None,
            port_specified=False,
            domain=host,
            domain_specified=False,
            domain_initial_dot=False,
            path="/",
            path_specified=True,
            secure=False,
            expires=None,
            discard=True,
            comment=None,
            comment_url=None,
            rest={},
        )
        self.jar.set_cookie(cookie)

    def open(self, request: urllib.request.Request) -> Reply:
        started = time.perf_counter()
        try:
            with self.opener.open(request, timeout=self.timeout) as response:
                body = response.read()
                return Reply(
                    response.status,
                    response.headers.get("Location"),
                    response.headers.get_content_type(),
                    body,
                    time.perf_counter() - started,
                )
        except urllib.error.HTTPError as error:
            try:
                body = error.read()
            except (OSError, http.client.HTTPException) as cut:
                # A redirect or refusal whose body a killed server cut off: no whole answer.
                return Reply(0, None, "", repr(cut).encode(), time.perf_counter() - started)
            finally:
                error.close()
            return Reply(
                error.code,
                error.headers.get("Location"),
                error.headers.get_content_type(),
                body,
                time.perf_counter() - started,
            )
        except (urllib.error.URLError, OSError, http.client.HTTPException) as error:
            # No (whole) answer: refused, reset, or cut off mid-body by a killed server.
            return Reply(0, None, "", repr(error).encode(), time.perf_counter() - started)

    def get(self, path: str) -> Reply:
        return self.open(urllib.request.Request(self.base + path))

    def post(
        self,
        path: str,
        fields: dict[str, Any],
        files: Sequence[tuple[str, str, bytes]] = (),
    ) -> Reply:
        """A form post: urlencoded, or multipart when there are files (name, filename, data)."""
        if files:
            body, content_type = multipart(fields, files)
        else:
            body = urllib.parse.urlencode(fields, doseq=True).encode()
            content_type = "application/x-www-form-urlencoded"
        request = urllib.request.Request(
            self.base + path, data=body, method="POST", headers={"Content-Type": content_type}
        )
        return self.open(request)

    def follow(self, reply: Reply) -> Reply:
        """The page a redirect leads to (the reply itself when it is no redirect)."""
        if reply.status not in (301, 302, 303) or not reply.location:
            return reply
        return self.get(
            urllib.parse.urljoin(self.base + "/", reply.location).removeprefix(self.base)
        )

    def csrf(self, path: str) -> str:
        page = self.get(path)
        assert page.status == 200, f"GET {path}: {page.status}"
        return csrf_token(page.text)


def multipart(fields: dict[str, Any], files: Sequence[tuple[str, str, bytes]]) -> tuple[bytes, str]:
    boundary = "----portal-test-" + secrets.token_hex(12)
    chunks: list[bytes] = []
    for name, value in fields.items():
        for item in value if isinstance(value, list) else [value]:
            chunks.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                f"{item}\r\n".encode()
            )
    for name, filename, data in files:
        chunks.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{filename}"\r\nContent-Type: application/pdf\r\n\r\n'.encode()
        )
        chunks.append(data + b"\r\n")
    chunks.append(f"--{boundary}--\r\n".encode())
    return b"".join(chunks), f"multipart/form-data; boundary={boundary}"


def at_once(jobs: Sequence[Callable[[], T]]) -> list[T]:
    """Run the jobs in threads of their own, released together by a barrier."""
    barrier = threading.Barrier(len(jobs))

    def run(job: Callable[[], T]) -> T:
        barrier.wait(timeout=BARRIER_SECONDS)
        return job()

    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        futures = [pool.submit(run, job) for job in jobs]
        return [f.result(timeout=BARRIER_SECONDS + 4 * REQUEST_TIMEOUT) for f in futures]


def statuses(replies: Sequence[Reply]) -> Counter[int]:
    return Counter(r.status for r in replies)


def assert_no_server_error(replies: Sequence[Reply], server: LiveServer) -> None:
    bad = [(r.status, r.text[:300]) for r in replies if r.server_error]
    assert not bad, f"{len(bad)} server errors, first: {bad[0]}\n{server.log_tail()}"
    logged = server.errors_logged()
    assert not logged, "\n".join(logged[:20]) + "\n" + server.log_tail()


def refusal_texts() -> list[str]:
    """The catalogue's Danish messages, each as its longest stretch without a placeholder."""
    return [max(re.split(r"%\(\w+\)\w", text), key=len) for text in MESSAGES.values()]


def danish_refusal(page: str) -> str | None:
    """The catalogue message the page shows, if any."""
    return next((t for t in refusal_texts() if t in page), None)


# --- arranging -----------------------------------------------------------------------------------


def cached_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Users made in this process share one argon2 hash per password (hashing costs about as
    much as a login); the server still verifies every login in full."""
    real = users_module.hash_password

    def hash_once(password: str) -> str:
        if password not in _HASHES:
            _HASHES[password] = real(password)
        return _HASHES[password]

    monkeypatch.setattr(users_module, "hash_password", hash_once)


_HASHES: dict[str, str] = {}


@pytest.fixture(autouse=True)
def _one_hash_per_password(monkeypatch: pytest.MonkeyPatch) -> None:
    cached_hashing(monkeypatch)


def login_policy() -> auth.LoginPolicy:
    return auth.LoginPolicy(
        demo_mode=False,
        max_failures=Defaults.LOGIN_MAX_FAILURES,
        window=timedelta(seconds=Defaults.LOGIN_WINDOW_SECONDS),
        session_lifetime=timedelta(seconds=Defaults.SESSION_LIFETIME_SECONDS),
    )


def session_token(db: Session, user: User) -> str:
    """A server-side session as a login opens it (the login itself is tested on its own)."""
    token = auth.open_session(db, user, login_policy())
    db.commit()
    return token


def fund_short_ids(db: Session) -> list[str]:
    return list(
        db.scalars(
            select(Organisation.short_id)
            .where(Organisation.kind == OrganisationKind.FUND)
            .order_by(Organisation.id)
        )
    )


def add_funds(db: Session, count: int, prefix: str = "TEST") -> list[str]:
    """Extra a-kasser beyond the reference data's; returns their short ids."""
    short_ids = [f"{prefix}{i:02d}" for i in range(count)]
    for short_id in short_ids:
        db.add(
            Organisation(kind=OrganisationKind.FUND, short_id=short_id, name=f"A-kasse {short_id}")
        )
    db.commit()
    return short_ids


def remove_funds(db: Session, short_ids: Sequence[str]) -> None:
    """PostgreSQL keeps the reference tables between tests: empty the others (as the next
    test's reset would) and take the extra a-kasser out again."""
    db.rollback()
    if db.get_bind().dialect.name != "postgresql" or not short_ids:
        return
    from portal.models import Base

    tables = ", ".join(
        f'"{t.name}"' for t in Base.metadata.sorted_tables if t.name not in REFERENCE_TABLES
    )
    db.execute(text("SET LOCAL lock_timeout = '30s'"))
    db.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    db.execute(delete(Organisation).where(Organisation.short_id.in_(list(short_ids))))
    db.commit()


def fresh(db: Session) -> Session:
    """Read what the server wrote: end the test's own snapshot first."""
    db.rollback()
    db.expire_all()
    return db


def count(db: Session, model: type, *where: Any) -> int:
    return int(db.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def audit_actions(db: Session) -> Counter[str]:
    return Counter(db.scalars(select(AuditEvent.action)))


def revision_of(page: str) -> int:
    found = re.search(r'<input[^>]*name="revision"[^>]*>', page)
    assert found, "no revision field on the page"
    value = re.search(r'value="(\d+)"', found.group(0))
    assert value, "the revision field has no value"
    return int(value.group(1))


# --- fixtures ------------------------------------------------------------------------------------


@pytest.fixture()
def serve(database_url: str, tmp_path: Path) -> Iterator[Callable[..., LiveServer]]:
    """Start gunicorn on the test's database; every server started is stopped at the end."""
    started: list[LiveServer] = []

    def start(**options: Any) -> LiveServer:
        server = LiveServer(database_url, tmp_path, **options)
        started.append(server)
        return server.start()

    yield start
    for server in started:
        server.stop()


@pytest.fixture()
def extra_funds(db: Session) -> Iterator[Callable[[int], list[str]]]:
    """More a-kasser than the reference data has, taken out again at the end."""
    made: list[str] = []

    def make(count: int) -> list[str]:
        made.extend(add_funds(db, count))
        return list(made[-count:])

    yield make
    remove_funds(db, made)


# --- 1. the login throttle ---------------------------------------------------------------------


def test_parallel_wrong_passwords_are_throttled_after_the_limit(
    db: Session, make_user: Any, serve: Callable[..., LiveServer]
) -> None:
    user = make_user(Role.SIGNATORY, "HK", email="hk@test.dk")
    server = serve()
    browsers = [server.browser() for _ in range(30)]
    tokens = [b.csrf("/login") for b in browsers]

    def attempt(browser: Browser, token: str) -> Callable[[], Reply]:
        fields = {"email": user.email, "password": "forkert-adgangskode-123", "csrf_token": token}
        return lambda: browser.post("/login", fields)

    replies = at_once([attempt(b, t) for b, t in zip(browsers, tokens, strict=True)])

    assert_no_server_error(replies, server)
    limit = Defaults.LOGIN_MAX_FAILURES
    wrong = [r for r in replies if MESSAGES["accounts.bad_credentials"] in r.text]
    throttled = [r for r in replies if "For mange mislykkede forsøg" in r.text]
    assert statuses(replies) == {200: 30}
    assert (len(wrong), len(throttled)) == (limit, 30 - limit)
    fresh(db)
    failed = count(db, LoginAttempt, LoginAttempt.email == user.email, ~LoginAttempt.success)
    assert failed == limit
    assert count(db, LoginAttempt, LoginAttempt.success) == 0
    assert count(db, UserSession) == 0
    actions = audit_actions(db)
    assert (actions["login.failed"], actions["login.throttled"]) == (limit, 30 - limit)
    assert audit.verify(db).ok


# --- 2. many people logging in at once ---------------------------------------------------------


def _forty_people(db: Session, make_user: Any) -> list[User]:
    funds = fund_short_ids(db)[:12]
    people = []
    for short_id in funds:  # 24: a signatory and a drafter in each of 12 a-kasser
        people.append(make_user(Role.SIGNATORY, short_id, email=f"sign-{short_id}@test.dk"))
        people.append(make_user(Role.DRAFTER, short_id, email=f"draft-{short_id}@test.dk"))
    agency = [(Role.LEAD_ASSESSOR, 2), (Role.ASSESSOR, 8), (Role.ADMIN, 2)]
    for role, n in agency:  # 12 at the agency
        for i in range(n):
            people.append(make_user(role, AGENCY_SHORT_ID, email=f"{role.value}{i}@test.dk"))
    for role, org in ((Role.PARTY_MEMBER, PARTIES_SHORT_ID), (Role.LABOUR_PARTY, LABOUR_SHORT_ID)):
        for i in range(2):  # 4 from the parties
            people.append(make_user(role, org, email=f"{role.value}{i}@test.dk"))
    return people


def test_forty_people_log_in_at_once(
    db: Session, make_user: Any, serve: Callable[..., LiveServer]
) -> None:
    people = _forty_people(db, make_user)
    assert len(people) == 40
    server = serve()
    browsers = [server.browser() for _ in people]
    tokens = [b.csrf("/login") for b in browsers]

    def attempt(browser: Browser, user: User, token: str) -> Callable[[], Reply]:
        fields = {"email": user.email, "password": TEST_PASSWORD, "csrf_token": token}
        return lambda: browser.post("/login", fields)

    replies = at_once([attempt(b, u, t) for b, u, t in zip(browsers, people, tokens, strict=True)])
    start_pages = [b.get("/") for b in browsers]

    assert_no_server_error(replies + start_pages, server)
    assert statuses(replies) == {302: 40}, [r.text[:200] for r in replies if r.status != 302]
    assert statuses(start_pages) == {200: 40}
    for page, user in zip(start_pages, people, strict=True):
        assert user.name in page.text
    fresh(db)
    per_user = Counter(db.scalars(select(UserSession.user_id)))
    assert per_user == Counter({u.id: 1 for u in people})
    assert count(db, LoginAttempt, LoginAttempt.success) == 40
    assert count(db, LoginAttempt, ~LoginAttempt.success) == 0
    assert audit_actions(db)["login.succeeded"] == 40
    assert audit.verify(db).ok


# --- 3. colleagues saving the first draft at once ----------------------------------------------


def test_parallel_first_saves_keep_one_and_refuse_the_rest(
    db: Session, make_user: Any, serve: Callable[..., LiveServer]
) -> None:
    call = open_call(db)
    first = call.criteria_set.criteria[0]
    drafters = [make_user(Role.DRAFTER, "HK", email=f"kollega{i}@test.dk") for i in range(10)]
    tokens = [session_token(db, d) for d in drafters]
    server = serve()
    url = f"/ansoegning/runde/{call.id}"
    browsers = [server.signed_in(t) for t in tokens]
    forms = []
    for i, browser in enumerate(browsers):
        page = browser.get(url)  # the empty form: no application yet
        assert page.status == 200
        assert re.search(r'<input[^>]*name="revision"[^>]*value="\d', page.text) is None
        data = draft_form(call, **{f"answer_{first.id}": f"Kollega {i} skrev dette svar."})
        forms.append({**data, "csrf_token": csrf_token(page.text)})

    def save(browser: Browser, form: dict[str, Any]) -> Callable[[], Reply]:
        return lambda: browser.follow(browser.post(url, form))

    replies = at_once([save(b, f) for b, f in zip(browsers, forms, strict=True)])

    assert_no_server_error(replies, server)
    saved = [i for i, r in enumerate(replies) if "Kladden er gemt." in r.text]
    conflict = MESSAGES["applications.stale_draft"].split(":")[0]
    refused = [i for i, r in enumerate(replies) if conflict in r.text]
    fresh(db)
    apps = list(db.scalars(select(Application).where(Application.call_id == call.id)))
    assert len(apps) == 1
    stored = db.scalar(
        select(Answer.text).where(
            Answer.application_id == apps[0].id, Answer.criterion_id == first.id
        )
    )
    actions = audit_actions(db)
    outcome = (saved, stored, actions["application.created"], actions["application.draft_saved"])
    assert len(saved) == 1, f"saved by {saved}; stored {stored!r}; created, saved: {outcome[2:]}"
    assert sorted(saved + refused) == list(range(10))
    assert stored == f"Kollega {saved[0]} skrev dette svar."
    assert outcome[2:] == (1, 1)
    assert audit.verify(db).ok


# --- 4. one application submitted many times at once -------------------------------------------


def test_parallel_submits_of_one_revision_make_one_version(
    db: Session, make_user: Any, serve: Callable[..., LiveServer]
) -> None:
    call = open_call(db)
    signatory = make_user(Role.SIGNATORY, "HK", email="hk@test.dk")
    app = complete_application(db, call, signatory)
    tokens = [session_token(db, signatory) for _ in range(4)]  # four sign-ins of the signatory
    server = serve()
    server.start_worker()
    url = f"/ansoegning/{app.id}/indsend"
    tabs = []
    for token in tokens:
        browser = server.signed_in(token)
        page = browser.get(url)
        assert page.status == 200
        form = {"revision": str(revision_of(page.text)), "csrf_token": csrf_token(page.text)}
        tabs += [(browser.clone(), form) for _ in range(5)]

    def submit(browser: Browser, form: dict[str, str]) -> Callable[[], Reply]:
        return lambda: browser.post(url, form)

    replies = at_once([submit(b, f) for b, f in tabs])

    assert_no_server_error(replies, server)
    won = [r for r in replies if r.status == 302]
    assert len(won) == 1, statuses(replies)
    assert won[0].location and won[0].location.endswith(f"/ansoegning/{app.id}/version/1")
    for reply in replies:
        if reply.status != 302:
            assert reply.status == 200
            assert MESSAGES["applications.stale"] in reply.text, reply.text[:300]
    fresh(db)
    versions = list(
        db.scalars(select(ApplicationVersion).where(ApplicationVersion.application_id == app.id))
    )
    assert [v.number for v in versions] == [1]
    wait_for_mails(db, server, 1)  # the worker renders and mails the one receipt
    assert count(db, StoredFile, StoredFile.version_id == versions[0].id) == 1
    assert audit_actions(db)["application.submitted"] == 1
    assert audit.verify(db).ok


# --- 5. attachments uploaded at once -----------------------------------------------------------


def test_parallel_uploads_are_kept_or_refused_without_leftovers(
    db: Session, make_user: Any, serve: Callable[..., LiveServer]
) -> None:
    call = open_call(db)
    signatory = make_user(Role.SIGNATORY, "HK", email="hk@test.dk")
    app = complete_application(db, call, signatory)
    token = session_token(db, signatory)
    server = serve()
    edit = f"/ansoegning/runde/{call.id}"
    browser = server.signed_in(token)
    form = {"csrf_token": browser.csrf(edit), "criterion": ""}
    tabs = [browser.clone() for _ in range(8)]

    def upload(tab: Browser, i: int) -> Callable[[], Reply]:
        files = [("file", f"bilag-{i}.pdf", pdf_bytes(pages=1 + i % 3))]
        return lambda: tab.follow(tab.post(f"/ansoegning/{app.id}/bilag", form, files))

    replies = at_once([upload(tab, i) for i, tab in enumerate(tabs)])

    assert_no_server_error(replies, server)
    kept = [r for r in replies if "Bilaget er tilføjet." in r.text]
    refused = [r for r in replies if r not in kept and danish_refusal(r.text) is not None]
    assert len(kept) + len(refused) == 8, [r.text[:300] for r in replies]
    assert kept, "not one upload was kept"
    fresh(db)
    rows = list(db.scalars(select(Attachment).where(Attachment.application_id == app.id)))
    assert len(rows) == len(kept)
    on_disk = {p.name for p in server.upload_dir.iterdir()} if server.upload_dir.exists() else set()
    assert on_disk == {a.stored_name for a in rows}  # no file without its row, nor temp files
    assert audit.verify(db).ok


def wait_for_mails(db: Session, server: LiveServer, expected: int) -> None:
    """Until the worker beside the server has mailed `expected` receipts (bounded)."""
    deadline = time.monotonic() + RECEIPTS_SECONDS
    while True:
        fresh(db)
        if audit_actions(db)["mail.receipt_sent"] >= expected:
            return
        assert time.monotonic() < deadline, (server.workdir / "worker.log").read_text()
        time.sleep(0.5)


# --- 6. many a-kasser submitting at once -------------------------------------------------------


def test_twenty_five_funds_submit_at_once(
    db: Session,
    make_user: Any,
    serve: Callable[..., LiveServer],
    extra_funds: Callable[[int], list[str]],
) -> None:
    funds = fund_short_ids(db)
    funds += extra_funds(max(0, 25 - len(funds)))
    funds = funds[:25]
    call = open_call(db)
    signatories = [
        make_user(Role.SIGNATORY, short_id, email=f"sign-{short_id}@test.dk".lower())
        for short_id in funds
    ]
    apps = [complete_application(db, call, s) for s in signatories]
    tokens = [session_token(db, s) for s in signatories]
    server = serve()
    server.start_worker()
    jobs = []
    for app, token in zip(apps, tokens, strict=True):
        browser = server.signed_in(token)
        url = f"/ansoegning/{app.id}/indsend"
        page = browser.get(url)
        assert page.status == 200
        form = {"revision": str(revision_of(page.text)), "csrf_token": csrf_token(page.text)}
        jobs.append((browser, url, form))

    replies = at_once([partial(b.post, u, f) for b, u, f in jobs])

    assert_no_server_error(replies, server)
    assert statuses(replies) == {302: 25}, [r.text[:300] for r in replies if r.status != 302]
    for reply, app in zip(replies, apps, strict=True):
        assert reply.location and reply.location.endswith(f"/ansoegning/{app.id}/version/1")
    fresh(db)
    versions = list(
        db.scalars(
            select(ApplicationVersion).where(
                ApplicationVersion.application_id.in_([a.id for a in apps])
            )
        )
    )
    assert sorted(v.application_id for v in versions) == sorted(a.id for a in apps)

    # The worker, running beside the server all along, keeps one receipt per version and
    # mails each once.
    wait_for_mails(db, server, 25)
    receipts = Counter(
        db.scalars(select(StoredFile.version_id).where(StoredFile.kind == "receipt"))
    )
    assert receipts == Counter({v.id: 1 for v in versions})
    actions = audit_actions(db)
    assert actions["application.submitted"] == 25 and actions["mail.receipt_sent"] == 25
    assert len(list(server.outbox_dir.glob("*.eml"))) == 25
    assert audit.verify(db).ok
