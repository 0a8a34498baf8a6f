"""Crash consistency: the whole server (gunicorn's master and its workers) is killed with
SIGKILL in the middle of a stream of writes, several times over, and restarted on the same
database. Every write that was answered as done before the kill must still be there, the
database must be intact, the audit chain must verify, and every submitted version must have
its receipt (kept, or made by the receipt route when it is asked for)."""

from __future__ import annotations

import json
import random
import re
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from portal import audit
from portal.applications.services import content_hash
from portal.models import (
    Answer,
    Application,
    ApplicationStatus,
    ApplicationVersion,
    AuditEvent,
    Call,
    LoginAttempt,
    Role,
    StoredFile,
    User,
    UserSession,
)
from tests.conftest import TEST_PASSWORD, csrf_token
from tests.portal.helpers import complete_application, draft_form, open_call
from tests.reliability.test_concurrency import (
    Browser,
    LiveServer,
    Reply,
    at_once,
    cached_hashing,
    count,
    fresh,
    revision_of,
    session_token,
)

TRIALS = 5
STREAM_SECONDS = 20  # the longest a trial's stream may run before its kill
KILL_AFTER = ["submissions", "saves", "logins", "submissions", None]  # None: any two writes
RECEIPT = re.compile(r"/ansoegning/(\d+)/version/(\d+)$")


@pytest.fixture(autouse=True)
def _one_hash_per_password(monkeypatch: pytest.MonkeyPatch) -> None:
    cached_hashing(monkeypatch)


@dataclass
class Ledger:
    """What the server said it had done, as the clients heard it."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    saves: dict[int, list[tuple[int, str]]] = field(default_factory=lambda: defaultdict(list))
    sent: dict[int, set[str]] = field(default_factory=lambda: defaultdict(set))
    versions: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))
    logins: Counter[int] = field(default_factory=Counter)
    replies: list[tuple[str, Reply]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def heard(self, what: str, reply: Reply) -> None:
        with self.lock:
            self.replies.append((what, reply))

    def acknowledged(self) -> Counter[str]:
        with self.lock:
            return Counter(
                saves=sum(len(v) for v in self.saves.values()),
                submissions=sum(len(v) for v in self.versions.values()),
                logins=sum(self.logins.values()),
            )


@dataclass
class Stream:
    """The clients of one trial: each a thread that writes until the server goes away."""

    server: LiveServer
    ledger: Ledger
    trial: int
    stop: threading.Event = field(default_factory=threading.Event)
    threads: list[threading.Thread] = field(default_factory=list)

    def spawn(self, name: str, loop: Callable[[], None]) -> None:
        def run() -> None:
            try:
                loop()
            except Exception as error:  # noqa: BLE001 - reported by the test
                with self.ledger.lock:
                    self.ledger.failures.append(f"{name}: {error!r}")

        thread = threading.Thread(target=run, name=name)
        self.threads.append(thread)
        thread.start()

    def running(self) -> bool:
        return not self.stop.is_set()

    def answered(self, what: str, reply: Reply, expected: int) -> bool:
        """Note the reply; False when the stream must end: no answer (the server is gone) or
        an unexpected one, which fails the test (each client is its application's only
        writer, so a refusal has no cause)."""
        self.ledger.heard(what, reply)
        if reply.status == expected:
            return True
        if reply.status != 0:
            with self.ledger.lock:
                self.ledger.failures.append(f"{what}: HTTP {reply.status} {reply.text[:200]!r}")
        return False

    def join(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=120)
            assert not thread.is_alive(), f"{thread.name} did not stop"

    def drafts(self, browser: Browser, call: Call, app_id: int) -> None:
        edit = f"/ansoegning/runde/{call.id}"
        first = call.criteria_set.criteria[0].id
        page = browser.get(edit)
        if not self.answered("edit page", page, 200):
            return
        token, revision = csrf_token(page.text), revision_of(page.text)
        n = 0
        while self.running():
            n += 1
            words = f"Forsøg {self.trial}, gemning {n} af ansøgning {app_id}."
            form = {
                **draft_form(call, **{f"answer_{first}": words}),
                "revision": str(revision),
                "csrf_token": token,
            }
            with self.ledger.lock:
                self.ledger.sent[app_id].add(words)
            reply = browser.post(f"{edit}/autosave", form)
            if not self.answered("autosave", reply, 200):
                return
            revision = int(json.loads(reply.body)["revision"])
            with self.ledger.lock:
                self.ledger.saves[app_id].append((revision, words))

    def submits(self, browser: Browser, app_id: int) -> None:
        url = f"/ansoegning/{app_id}/indsend"
        while self.running():
            page = browser.get(url)
            if not self.answered("submit page", page, 200):
                return
            if 'name="revision"' not in page.text:
                return  # submitted, and the draft is unchanged since: nothing more to submit
            form = {"revision": str(revision_of(page.text)), "csrf_token": csrf_token(page.text)}
            reply = browser.post(url, form)
            if not self.answered("submit", reply, 302):
                return
            found = RECEIPT.search(reply.location or "")
            if found is None:
                with self.ledger.lock:
                    self.ledger.failures.append(f"submit: redirected to {reply.location}")
                return
            with self.ledger.lock:
                self.ledger.versions[int(found.group(1))].add(int(found.group(2)))

    def logins(self, user: User) -> None:
        while self.running():
            browser = Browser(self.server.base)
            page = browser.get("/login")
            if not self.answered("login page", page, 200):
                return
            fields = {"email": user.email, "password": TEST_PASSWORD}
            reply = browser.post("/login", {**fields, "csrf_token": csrf_token(page.text)})
            if not self.answered("login", reply, 302):
                return
            with self.ledger.lock:
                self.ledger.logins[user.id] += 1


@dataclass
class Scene:
    call: Call
    drafts: list[tuple[str, int]]  # a drafter's session token and the application it edits
    submits: list[tuple[str, int]]  # a signatory's session token and its application
    owners: dict[int, str]  # application -> a session token that may fetch its receipts
    login_user: User
    browsers: dict[str, Browser] = field(default_factory=dict)

    def browser(self, server: LiveServer, token: str) -> Browser:
        """The one browser of this sign-in, pointed at the running server (the server keeps
        its key across restarts, so the session cookie stays valid)."""
        if token not in self.browsers:
            self.browsers[token] = server.signed_in(token)
        self.browsers[token].base = server.base
        return self.browsers[token]


@pytest.fixture()
def scene(db: Session, make_user: Any) -> Scene:
    call = open_call(db)
    drafting = ["HK", "3F"]
    submitting = ["FOA", "Krifa", "Metal"]
    apps: dict[str, int] = {}
    owners: dict[int, str] = {}
    for short_id in drafting + submitting:
        signatory = make_user(Role.SIGNATORY, short_id, email=f"sign-{short_id}@test.dk".lower())
        apps[short_id] = complete_application(db, call, signatory).id
        owners[apps[short_id]] = session_token(db, signatory)
    drafts = []
    for short_id in drafting:
        drafter = make_user(Role.DRAFTER, short_id, email=f"draft-{short_id}@test.dk".lower())
        drafts.append((session_token(db, drafter), apps[short_id]))
    login_user = make_user(Role.ASSESSOR, "STAR", email="sara@test.dk")
    submits = [(owners[apps[s]], apps[s]) for s in submitting]
    return Scene(call, drafts, submits, owners, login_user)


@pytest.fixture()
def server(database_url: str, tmp_path: Path) -> Iterator[LiveServer]:
    live = LiveServer(database_url, tmp_path)
    try:
        yield live
    finally:
        live.stop()


def _run_trial(server: LiveServer, scene: Scene, ledger: Ledger, trial: int) -> None:
    stream = Stream(server, ledger, trial)
    for token, app_id in scene.drafts:
        browser = scene.browser(server, token)
        stream.spawn(f"drafts-{app_id}", partial(stream.drafts, browser, scene.call, app_id))
    for token, app_id in scene.submits:
        browser = scene.browser(server, token)
        stream.spawn(f"submits-{app_id}", partial(stream.submits, browser, app_id))
    stream.spawn("logins", lambda: stream.logins(scene.login_user))
    # Kill at a different moment each trial, once the stream has acknowledged a write of the
    # trial's kind (so every kind is seen surviving a kill), and a random while later.
    kind = KILL_AFTER[(trial - 1) % len(KILL_AFTER)]
    chance = random.Random(trial)
    before = ledger.acknowledged()
    deadline = time.monotonic() + STREAM_SECONDS
    while time.monotonic() < deadline:
        gained = ledger.acknowledged() - before
        if (gained[kind] >= 1) if kind else (gained.total() >= 2):
            break
        time.sleep(0.05)
    time.sleep(chance.uniform(0.1, 2.0))
    server.kill()
    stream.join()


def _check_acknowledged(db: Session, ledger: Ledger) -> None:
    for app_id, saves in ledger.saves.items():
        app = db.get(Application, app_id)
        assert app is not None
        last_revision, last_words = max(saves)
        assert app.revision >= last_revision, (app_id, app.revision, last_revision)
        answer = db.scalar(
            select(Answer.text).where(
                Answer.application_id == app_id,
                Answer.criterion_id == app.call.criteria_set.criteria[0].id,
            )
        )
        if app.revision == last_revision:
            assert answer == last_words
        else:  # a save in flight at the kill went through after all
            assert answer in ledger.sent[app_id]
        saved_events = count(
            db,
            AuditEvent,
            AuditEvent.action == "application.draft_saved",
            AuditEvent.object_id == str(app_id),
        )
        assert saved_events >= len(saves)
    for app_id, numbers in ledger.versions.items():
        stored = set(
            db.scalars(
                select(ApplicationVersion.number).where(ApplicationVersion.application_id == app_id)
            )
        )
        assert numbers <= stored, (app_id, sorted(numbers - stored))
    for app in db.scalars(select(Application).where(Application.versions.any())):
        kept = [v.number for v in app.versions]
        assert kept == list(range(1, len(kept) + 1))  # numbered without gaps
        assert app.status == ApplicationStatus.SUBMITTED
        for version in app.versions:  # no torn record: the hash covers what was kept
            assert content_hash(version.content) == version.content_hash
    for user_id, logins in ledger.logins.items():
        assert count(db, UserSession, UserSession.user_id == user_id) >= logins
        user = db.get(User, user_id)
        assert user is not None
        successes = count(db, LoginAttempt, LoginAttempt.email == user.email, LoginAttempt.success)
        assert successes >= logins


def _check_receipts(db: Session, server: LiveServer, scene: Scene) -> int:
    """Every version has its receipt; those the kill interrupted are made on request (asked
    for all at once, as colleagues might after the restart)."""
    missing = []
    for version in db.scalars(select(ApplicationVersion).order_by(ApplicationVersion.id)):
        kept = count(db, StoredFile, StoredFile.version_id == version.id)
        assert kept <= 1, f"version {version.id} has {kept} receipts"
        if not kept:
            path = f"/ansoegning/{version.application_id}/version/{version.number}/kvittering.pdf"
            owner = scene.browser(server, scene.owners[version.application_id])
            missing.append(partial(owner.clone().get, path))
    db.rollback()
    for reply in at_once(missing) if missing else []:
        assert reply.status == 200, (reply.status, reply.text[:300], server.log_tail())
        assert reply.content_type == "application/pdf" and reply.body.startswith(b"%PDF")
    fresh(db)
    versions = list(db.scalars(select(ApplicationVersion.id)))
    receipts = Counter(
        db.scalars(select(StoredFile.version_id).where(StoredFile.kind == "receipt"))
    )
    assert receipts == Counter({v: 1 for v in versions})
    return len(missing)


def test_acknowledged_writes_survive_kill_9_of_the_server(
    db: Session, scene: Scene, server: LiveServer
) -> None:
    ledger = Ledger()
    server.start()
    on_request = 0
    for trial in range(1, TRIALS + 1):
        _run_trial(server, scene, ledger, trial)
        server.start()

        assert not ledger.failures, ledger.failures
        bad = [(what, r.status, r.text[:200]) for what, r in ledger.replies if r.status >= 500]
        assert not bad, bad
        fresh(db)
        if db.get_bind().dialect.name == "sqlite":
            assert db.execute(text("PRAGMA integrity_check")).scalar() == "ok"
        _check_acknowledged(db, ledger)
        assert audit.verify(db).ok
        on_request += _check_receipts(db, server, scene)
        for token in scene.owners.values():
            assert scene.browser(server, token).get("/").status == 200
        assert not server.errors_logged(), server.errors_logged()

    assert sum(len(v) for v in ledger.versions.values()) >= 1, "no submission got through"
    assert sum(len(v) for v in ledger.saves.values()) >= 1, "no draft save got through"
    print(
        f"{TRIALS} kills: {sum(len(v) for v in ledger.saves.values())} draft saves, "
        f"{sum(len(v) for v in ledger.versions.values())} submissions, "
        f"{sum(ledger.logins.values())} logins acknowledged; {on_request} receipts made on request"
    )
