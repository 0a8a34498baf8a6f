"""Every form of the portal, fuzzed.

Generic over the application: for each role that can post (and for the anonymous, on the public
routes), the pages the role may open are read as a browser would, and every `<form
method="post">` on them (its action, or a data-* address such as the draft's autosave) gives a
route and its field names and values. A POST route the role may use but no page offers a form
for is posted to as well, with its URL built from the world's objects. Forms and routes added
later are therefore covered without new code here.

Hypothesis then posts submissions built from the page's own values and from hostile ones:
empty, blank, huge (100 kB), NUL and other control characters, invalid UTF-8, odd numbers and
dates, fields left out or sent twice, unknown fields; as a urlencoded body, multipart, raw bytes
or JSON; always with a valid CSRF token. After each answer:

* nothing is a 5xx;
* a page is in Danish (and a JSON answer's texts too); a redirect stays on the portal;
* a refused submission (a 4xx, a form shown again with errors, or a redirect with an error
  message) leaves the database as it was, apart from the bookkeeping of logins and the log.
"""

from __future__ import annotations

import io
import json
import os
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cache
from itertools import islice, product
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
from argon2 import PasswordHasher
from flask import Flask, url_for
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.test import encode_multipart

from portal.access import can, view_permission
from portal.accounts import passwords
from portal.applications import services as applications
from portal.assessment import rules
from portal.assessment import services as assessment
from portal.calls import services as calls
from portal.mail import list_outbox
from portal.models import Base, Organisation, OrganisationKind, Role, User, utcnow
from tests.conftest import csrf_token, login
from tests.portal.helpers import complete_application, open_call, pdf_bytes
from tests.reliability.pages import Form, post_forms

# Examples per route and role: small enough that the file runs in well under a minute.
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "4"))  # more for a deeper run by hand
PER_FIELD = 2


# What a refused request may still write: the login bookkeeping, the append-only log and the
# data generation (which counts that log's new event like any other write).
BOOKKEEPING = frozenset({"user_sessions", "login_attempts", "audit_events", "data_generation"})

# English a Danish page must never show: WTForms', Werkzeug's and Flask-WTF's own texts.
ENGLISH = (
    "This field is required",
    "Not a valid",
    "nvalid Choice",
    "nvalid choice",
    "is not a valid choice",
    "Field must be",
    "Field cannot be",
    "Number must be",
    "Invalid email",
    "Invalid input",
    "CSRF token",
    "Internal Server Error",
    "Bad Request",
    "Traceback",
)

HUGE = "x" * 100_000
# Hostile values by kind; each kind is as likely as the page's own values.
HOSTILE: dict[str, list[str]] = {
    "blank": ["", " ", "   ", "\t\r\n", "\u00a0"],
    "control": ["\x00", "Svar\x00med NUL", "\x01\x02\x1b\x1f", "a\x0bb\x0cc", "\x7f\x85"],
    "unicode": ["😀 æøå ÆØÅ", "\u2028\ufeff\u202e", "١٢٣٤٥٦٧٨", "٣", "Ⅻ", "ﬁ"],
    "huge": [HUGE, "æ" * 50_000, "1" * 5_000],
    "number": [
        "1e309",
        "-1e309",
        "-0",
        "-1",
        "0",
        "NaN",
        "Infinity",
        "sNaN",
        str(2**31),
        str(2**63),
        str(-(2**63) - 1),
        str(10**400),
        "12,5",
        "0x10",
        "1_000",
    ],
    "date": [
        "0001-01-01",
        "9999-12-31",
        "2026-02-30",
        "0001-01-01T00:00",
        "9999-12-31T23:59",
        "2026-02-30T12:00",
        "2026-13-01T25:61",
        "1999-12-31T23:59",
    ],
    "word": ["none", "None", "null", "y", "true", "on", "submit", "sign_off", "preview"],
    "injection": [
        "<script>alert(1)</script>",
        "' OR 1=1 --",
        "../../etc/passwd",
        "//evil.example/",
    ],
}
FILENAMES = ["bilag.pdf", "", "a\x00b.pdf", "../../etc/passwd", "æøå.PDF", "x" * 300 + ".pdf"]
INVALID_UTF8 = [b"\xff\xfe", b"\xc3(", b"%ff%fe", b"\xed\xa0\x80", b"%C0%AF", b"\x80"]
EXTRA_NAMES = ["id", "status", "organisation_id", "role", "revision", "x[]", "", "csrf_token_"]


# --- the world ---------------------------------------------------------------------------------


@dataclass
class World:
    """The users, and for every URL argument name the objects pages can point at."""

    users: dict[Role, User]
    candidates: dict[str, list[Any]]


def _funds(db: Session, count: int) -> list[str]:
    names = db.scalars(
        select(Organisation.short_id)
        .where(Organisation.kind == OrganisationKind.FUND)
        .order_by(Organisation.short_id)
    )
    return [n for n in names if n not in ("HK", "3F")][:count]


def _scores(version: Any, who: str) -> list[rules.ScoreEntry]:
    return [
        rules.ScoreEntry(c.id, 3, f"{who}: begrundelse {c.position}.")
        for c in assessment.criteria_of(version)
    ]


def _consolidated(version: Any) -> list[assessment.ConsolidatedEntry]:
    return [
        assessment.ConsolidatedEntry(c.id, 3, f"Samlet vurdering {c.position}.")
        for c in assessment.criteria_of(version)
    ]


def _submitted(db: Session, call: Any, signatory: User) -> Any:
    application = complete_application(db, call, signatory)
    version = applications.submit(db, signatory, application, None)
    db.commit()
    return version


def _build_world(app: Flask, db: Session, make_user: Any) -> World:
    """An open call with HK's submitted application (and an attachment), a call past its
    deadline whose applications stand at every step of the assessment, and a draft criteria
    set: every form of every role has something to act on."""
    lead = make_user(Role.LEAD_ASSESSOR, "STAR", email="leder@test.dk")
    sara = make_user(Role.ASSESSOR, "STAR", email="sara@test.dk")
    soeren = make_user(Role.ASSESSOR, "STAR", email="soeren@test.dk")
    users = {
        Role.ADMIN: make_user(Role.ADMIN, "STAR"),
        Role.LEAD_ASSESSOR: lead,
        Role.ASSESSOR: sara,
        Role.SIGNATORY: make_user(Role.SIGNATORY, "HK"),
        Role.DRAFTER: make_user(Role.DRAFTER, "HK"),
        Role.PARTY_MEMBER: make_user(Role.PARTY_MEMBER, "AFTALEPARTIER"),
        Role.LABOUR_PARTY: make_user(Role.LABOUR_PARTY, "ARBMARKPARTER"),
    }
    signatories = {"HK": users[Role.SIGNATORY], "3F": make_user(Role.SIGNATORY, "3F")}
    for short_id in _funds(db, 2):
        signatories[short_id] = make_user(Role.SIGNATORY, short_id)
    hk, threef, third, fourth = signatories.values()

    draft_set = calls.create_default_criteria_set(db, None)
    closed = open_call(db)
    with app.app_context():
        versions = [_submitted(db, closed, s) for s in (hk, threef, third, fourth)]
    closed.deadline_at = utcnow()  # passed, after the submissions: they are assessed
    db.commit()
    v_hk, v_3f, v_third, v_fourth = versions
    for version, people in ((v_hk, (sara, soeren)), (v_3f, (sara, soeren))):
        for person in people:
            assessment.add_assignment(db, lead, version, person)
            assessment.declare(db, person, version, False, "")
            assessment.save_assessment(db, person, version, _scores(version, person.name), True)
    assessment.save_consolidation(db, lead, v_hk, _consolidated(v_hk), sign_off=True)
    for person in (lead, sara):
        assessment.add_assignment(db, lead, v_third, person)
        assessment.declare(db, person, v_third, False, "")
        assessment.add_assignment(db, lead, v_fourth, person)
    question = assessment.request_information(
        db, lead, v_hk, "Hvor mange medarbejdere?", utcnow() + timedelta(days=7)
    )
    db.commit()

    opened = open_call(db)
    own = complete_application(db, opened, hk)
    _upload(app, users[Role.DRAFTER], opened.id, own.id)
    db.expire_all()  # the upload went through the portal: a new revision
    with app.app_context():
        applications.submit(db, hk, own, None)
    db.commit()
    db.expire_all()
    reopenable = assessment.submitted_assessments(db, v_3f.id)[0]
    return World(
        users=users,
        candidates={
            "call_id": [opened.id, closed.id],
            "app_id": [own.id, v_hk.application_id],
            "version_id": [v.id for v in versions],
            "number": [1],
            "attachment_id": [a.id for a in applications.live_attachments(db, own)] or [1],
            "set_id": [draft_set.id, closed.criteria_set_id],
            "criterion_id": [draft_set.criteria[0].id],
            "assessment_id": [reopenable.id],
            "assessor_id": [sara.id],
            "request_id": [question.id],
            "name": [m.name for m in list_outbox(app.config["OUTBOX_DIR"])[:1]] or ["x"],
            "fmt": ["csv"],
        },
    )


def _upload(app: Flask, drafter: User, call_id: int, app_id: int) -> None:
    client = app.test_client()
    login(client, drafter.email)
    page = client.get(f"/ansoegning/runde/{call_id}").get_data(as_text=True)
    response = client.post(
        f"/ansoegning/{app_id}/bilag",
        data={
            "csrf_token": csrf_token(page),
            "criterion": "",
            "file": (io.BytesIO(pdf_bytes(1)), "bilag.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302


# --- the routes a role can post to, and their forms --------------------------------------------


@dataclass
class Target:
    """One address to post to, with the fields (and the values the page offered) to send."""

    url: str
    fields: dict[str, list[str]] = field(default_factory=dict)
    files: frozenset[str] = frozenset()
    defaults: list[tuple[str, str]] = field(default_factory=list)  # the form sent untouched


def _admits(app: Flask, endpoint: str, user: User | None) -> bool:
    permission = view_permission(app.view_functions[endpoint])
    if user is None:
        return permission is None
    return permission is not None and can(user, permission)


def _urls(app: Flask, rule: Any, world: World, limit: int = 6) -> Iterator[str]:
    """URLs for a rule from the world's objects; an argument it has no object for gets 1."""
    names = sorted(rule.arguments)
    choices = [world.candidates.get(n, [1]) for n in names]
    with app.test_request_context():
        for values in islice(product(*choices), limit):
            yield url_for(rule.endpoint, **dict(zip(names, values, strict=True)))


def _pages(
    app: Flask, client: FlaskClient, world: World, user: User | None
) -> Iterator[tuple[str, Form]]:
    """The POST forms on every page `user` may open, each with the page's address."""
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or "GET" not in (rule.methods or ()):
            continue
        if not _admits(app, rule.endpoint, user) or "." in rule.rule.rsplit("/", 1)[-1]:
            continue  # not the user's, or a download (kvittering.pdf, eksport.<fmt>)
        for url in _urls(app, rule, world):
            page = client.get(url)
            if page.status_code == 200 and page.mimetype == "text/html":
                for form in post_forms(page.get_data(as_text=True)):
                    yield url, form


def _targets(
    app: Flask, client: FlaskClient, world: World, user: User | None
) -> dict[str, list[Target]]:
    """endpoint -> targets, for every POST route `user` may use (the anonymous: public ones)."""
    adapter = app.url_map.bind("localhost")
    found: dict[str, dict[str, Target]] = {}
    for url, form in _pages(app, client, world, user):
        for address in form.targets(url):
            path = urlsplit(address).path
            try:
                endpoint, _args = adapter.match(path, method="POST")
            except (NotFound, MethodNotAllowed):
                continue
            if _admits(app, endpoint, user):
                known = found.setdefault(endpoint, {}).setdefault(path, Target(path))
                known.defaults = known.defaults or form.defaults
                known.files = known.files | form.files
                for name, values in form.values.items():
                    seen = known.fields.setdefault(name, [])
                    seen += [v for v in values if v not in seen]
    for rule in app.url_map.iter_rules():
        posts = "POST" in (rule.methods or ()) and rule.endpoint != "static"
        if posts and _admits(app, rule.endpoint, user) and rule.endpoint not in found:
            url = next(_urls(app, rule, world, limit=1))  # no page offers a form: post anyway
            found[rule.endpoint] = {url: Target(url)}
    return {endpoint: list(targets.values()) for endpoint, targets in sorted(found.items())}


# --- submissions -------------------------------------------------------------------------------


@dataclass
class Submission:
    pairs: list[tuple[str, Any]]
    encoding: str  # form | multipart | raw | json
    garbage: bytes = b""  # invalid UTF-8 put into one value of a raw body
    json_body: Any = None


def _is_csrf(name: str) -> bool:
    """The token field, also under a form's prefix ("r7-csrf_token")."""
    return name == "csrf_token" or name.endswith("-csrf_token")


@cache
def _text_values(seen: tuple[str, ...]) -> st.SearchStrategy[str]:
    options: list[st.SearchStrategy[str]] = [st.sampled_from(seen)] if seen else []
    options += [st.sampled_from(values) for values in HOSTILE.values()]
    options += [st.text(max_size=30), st.integers(-(2**70), 2**70).map(str)]
    return st.one_of(*options)


@cache
def _file_values() -> st.SearchStrategy[Any]:
    content = st.one_of(st.just(pdf_bytes(1)), st.binary(max_size=64), st.just(HUGE.encode()))
    return st.tuples(content, st.sampled_from(FILENAMES))


def _json_value(value: Any) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.just(value),
        st.integers(min_value=-(2**70), max_value=2**70),
        st.none(),
        st.booleans(),
        st.floats(allow_nan=False),
        st.lists(st.just(value), max_size=2),
        st.fixed_dictionaries({"v": st.just(value)}),
    )


@st.composite
def _submissions(draw: Any, target: Target, token: str) -> Submission:
    """Mostly the form as the page fills it with one or two fields changed (so the rest is
    valid and the submission gets far), or every field anything."""
    names = [name for name in target.fields if not _is_csrf(name)]
    pairs: list[tuple[str, Any]] = []
    if names and not draw(st.booleans()):
        changed = draw(st.sets(st.sampled_from(names), min_size=1, max_size=2))
        pairs += [(n, v) for n, v in target.defaults if n not in changed and not _is_csrf(n)]
    else:
        changed = set(names)
    for name in names:
        if name not in changed:
            continue
        for _ in range(draw(st.sampled_from((1, 0, 1, 2)))):  # sent, left out, or twice
            if name in target.files and draw(st.booleans()):
                pairs.append((name, draw(_file_values())))
            else:
                pairs.append((name, draw(_text_values(tuple(target.fields[name])))))
    for _ in range(draw(st.integers(0, 2))):  # fields no form has
        name = draw(st.one_of(st.sampled_from(EXTRA_NAMES), st.text(min_size=1, max_size=8)))
        pairs.append((name, draw(_text_values(()))))
    pairs += [(n, token) for n in target.fields if _is_csrf(n)] or [("csrf_token", token)]
    if any(isinstance(value, tuple) for _name, value in pairs):
        encoding = "multipart"
    else:
        encoding = draw(st.sampled_from(("form", "multipart", "raw", "json")))
    submission = Submission(pairs, encoding)
    if encoding == "raw":
        submission.garbage = draw(st.sampled_from(INVALID_UTF8))
    if encoding == "json":
        grouped: dict[str, list[Any]] = {}
        for name, value in pairs:
            grouped.setdefault(name, []).append(value)
        body = {
            name: values[0]
            if _is_csrf(name)
            else draw(_json_value(values[0] if len(values) == 1 else values))
            for name, values in grouped.items()
        }
        submission.json_body = draw(st.sampled_from([body, body, body, [body], "x", 1, None]))
    return submission


def _post(client: FlaskClient, url: str, submission: Submission, token: str) -> Any:
    """Post the submission as a browser (or a script) would; every body is built in memory."""
    if submission.encoding == "json":
        body, content_type = json.dumps(submission.json_body).encode(), "application/json"
    elif submission.encoding == "multipart":
        boundary, body = encode_multipart(
            MultiDict(
                (n, FileStorage(io.BytesIO(v[0]), v[1]) if isinstance(v, tuple) else v)
                for n, v in submission.pairs
            )
        )
        content_type = f"multipart/form-data; boundary={boundary}"
    else:
        parts = [f"{quote(n, safe='')}={quote(v, safe='')}".encode() for n, v in submission.pairs]
        if len(parts) > 1:
            parts[0] += submission.garbage  # raw: invalid UTF-8 in the first value
        body, content_type = b"&".join(parts), "application/x-www-form-urlencoded"
    headers = {"X-CSRFToken": token}
    return client.post(url, data=body, headers=headers, content_type=content_type)


# --- the properties ----------------------------------------------------------------------------


def _snapshot(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table but the bookkeeping ones, in primary-key order."""
    found: dict[str, list[tuple[Any, ...]]] = {}
    with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            if table.name in BOOKKEEPING:
                continue
            query = select(table).order_by(*table.primary_key.columns)
            found[table.name] = [tuple(row) for row in conn.execute(query)]
    return found


class Ledger:
    """The database's rows, read again only when they may have changed: SQLite's data_version
    tells when another connection has committed; elsewhere they are always read."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._raw = engine.raw_connection() if engine.dialect.name == "sqlite" else None
        self._version: Any = None
        self._rows: dict[str, list[tuple[Any, ...]]] | None = None

    def rows(self) -> dict[str, list[tuple[Any, ...]]]:
        version = None
        if self._raw is not None:
            cursor = self._raw.cursor()
            version = cursor.execute("PRAGMA data_version").fetchone()[0]
            cursor.close()
        if self._rows is None or version is None or version != self._version:
            self._rows = _snapshot(self.engine)
            self._version = version
        return self._rows

    def close(self) -> None:
        if self._raw is not None:
            self._raw.close()


def _changes(before: dict[str, list[Any]], after: dict[str, list[Any]]) -> list[str]:
    return [
        f"{name}: {len(before[name])} -> {len(after[name])} rows"
        if len(before[name]) != len(after[name])
        else f"{name}: a row changed"
        for name in before
        if before[name] != after[name]
    ]


def _english(text: str) -> list[str]:
    return [phrase for phrase in ENGLISH if phrase in text]


def _json_texts(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _json_texts(item)
    elif isinstance(value, list):
        for item in value:
            yield from _json_texts(item)


def _problems(response: Any, flashes: list[tuple[str, str]]) -> tuple[list[str], bool]:
    """What is wrong with the answer, and whether it refused the submission."""
    problems: list[str] = []
    code = response.status_code
    if code >= 500:
        problems.append(f"answered {code}")
    refused = code >= 400 or any(category == "error" for category, _m in flashes)
    if 300 <= code < 400:
        location = response.headers.get("Location", "")
        if urlsplit(location).netloc not in ("", "localhost"):
            problems.append(f"redirects off the portal: {location}")
    elif response.mimetype == "application/json":
        texts = list(_json_texts(response.get_json(silent=True)))
        problems += [f"English in the JSON answer: {p}" for p in _english(" ".join(texts))]
    else:
        page = response.get_data(as_text=True)
        if '<html lang="da">' not in page:
            problems.append(f"not a Danish page ({response.mimetype}): {page[:200]!r}")
        problems += [f"English on the page: {p}" for p in _english(page)]
        refused = refused or "form-error-message" in page or "alert-error" in page
    problems += [f"English message: {m}" for _c, m in flashes if _english(m)]
    return problems, refused


# --- the fuzzing -------------------------------------------------------------------------------


class Visitor:
    """A browser session of one role (or of the anonymous), kept signed in and in Danish."""

    def __init__(self, app: Flask, user: User | None) -> None:
        self.app = app
        self.user = user
        self.client = app.test_client()
        self.token = ""
        self.sign_in()

    def sign_in(self) -> None:
        self.client = self.app.test_client()  # a new browser: no cookie left from before
        if self.user is not None:
            assert login(self.client, self.user.email).status_code == 302
        page = self.client.get("/" if self.user is not None else "/login")
        self.token = csrf_token(page.get_data(as_text=True))

    def messages(self) -> tuple[list[tuple[str, str]], bool]:
        """The messages the answer left for the next page, and whether the session lasts;
        the session is put back in Danish."""
        with self.client.session_transaction() as session:
            flashes = list(session.pop("_flashes", []))
            session.pop("lang", None)
            lasts = "csrf_token" in session and (self.user is None or "sid" in session)
        return flashes, lasts


def _fuzz(visitor: Visitor, ledger: Ledger, endpoint: str, targets: list[Target]) -> None:
    fields = max(len(t.fields) for t in targets)
    who = visitor.user.role if visitor.user is not None else "anonymous"

    # A seed of its own per role and route (roles sharing a form try different submissions);
    # the same on every run.
    @seed(zlib.crc32(f"{who}:{endpoint}".encode()))
    @settings(
        max_examples=EXAMPLES + PER_FIELD * fields,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(data=st.data())
    def post_anything(data: Any) -> None:
        target = data.draw(st.sampled_from(targets), label="target")
        submission = data.draw(_submissions(target, visitor.token), label="submission")
        before = ledger.rows()
        response = _post(visitor.client, target.url, submission, visitor.token)
        flashes, lasts = visitor.messages()
        problems, refused = _problems(response, flashes)
        if refused:
            problems += [f"refused, yet changed {c}" for c in _changes(before, ledger.rows())]
        if not lasts:
            visitor.sign_in()  # logged out, or the password changed
        assert problems == [], f"{endpoint} {target.url}: {problems}"

    post_anything()


@pytest.fixture()
def fuzz_app(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Flask:
    # Wrong current passwords are part of the fuzzing: they must not lock the test users out.
    app.config["LOGIN_MAX_FAILURES"] = 10**6
    # The cheapest argon2id: hashing is not under test here, and the world has many users.
    cheap = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    monkeypatch.setattr(passwords, "_hasher", cheap)
    monkeypatch.setattr(passwords, "_DUMMY_HASH", cheap.hash("not-a-real-password"))
    return app


def _fuzz_all(app: Flask, visitor: Visitor, targets: dict[str, list[Target]]) -> None:
    """Every route, even after one fails: all failures are reported, each with the (shrunk)
    submission that shows it."""
    failures = []
    ledger = Ledger(app.extensions["db_engine"])
    try:
        for endpoint, found in targets.items():
            try:
                _fuzz(visitor, ledger, endpoint, found)
            except Exception as failure:  # reported below, with Hypothesis' notes
                notes = "\n".join(getattr(failure, "__notes__", []))
                failures.append(f"{endpoint}: {type(failure).__name__}: {failure}\n{notes}")
                visitor.sign_in()  # the next route starts from a fresh session
    finally:
        ledger.close()
    assert not failures, "\n\n".join(failures)


@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
def test_every_form_of_the_role_survives_anything(
    fuzz_app: Flask, db: Session, make_user: Any, role: Role
) -> None:
    world = _build_world(fuzz_app, db, make_user)
    visitor = Visitor(fuzz_app, world.users[role])
    targets = _targets(fuzz_app, visitor.client, world, world.users[role])
    assert targets, f"{role.value} has no POST route"
    _fuzz_all(fuzz_app, visitor, targets)


def test_public_forms_survive_anything(fuzz_app: Flask) -> None:
    visitor = Visitor(fuzz_app, None)
    targets = _targets(fuzz_app, visitor.client, World(users={}, candidates={}), None)
    assert {"accounts.login", "accounts.language"} <= targets.keys()
    _fuzz_all(fuzz_app, visitor, targets)
