"""Signed-in pages kept for a few seconds per session while the data is unchanged.

A page is a function of what the database holds, the session (who is signed in, language,
CSRF token), the address and the clock. The database part is the data generation
(`portal.db.generation`): every transaction that changes what a page can show adds one to it as
it commits, whichever process writes. So a page rendered at generation n is still
right for the same session and address while the generation is n; the clock part is why a kept
page lives only `PAGE_CACHE_SECONDS` (a deadline passing shows at most that late; what a deadline
allows is decided again when the form is sent).

Kept: a GET answered 200 with HTML, to a signed-in session without pending messages, by a
request that wrote nothing and set no cookie, unless the view said `not_kept()`. The key is the
session's whole content, the language, the address with its query and whether HTML or JSON is
preferred; the session is checked (expired, revoked, idle, deactivated user) before a kept page
is looked up. Each process keeps its own pages, least recently used first out, within
`PAGE_CACHE_BYTES`.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from flask import Flask, Response, current_app, g, request, session
from flask_babel import get_locale
from flask_login import current_user

from portal import db

EXTENSION = "page_cache"
PENDING = "page_cache_pending"  # on `g`: (key, generation) of a page that may be kept
NEVER = "page_cache_never"  # on `g`: this page shows more than the database (see `not_kept`)
NOT_KEPT_HEADERS = frozenset({"set-cookie", "content-length"})


@dataclass(frozen=True)
class Kept:
    generation: int
    expires: float  # time.monotonic()
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes


class PageCache:
    """Pages by key, least recently used first out, within a byte budget; thread-safe."""

    def __init__(self, seconds: float, max_bytes: int) -> None:
        self.seconds = seconds
        self.max_bytes = max_bytes
        self.size = 0
        self._pages: OrderedDict[tuple[Any, ...], Kept] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[Any, ...], generation: int) -> Kept | None:
        with self._lock:
            kept = self._pages.get(key)
            if kept is None:
                return None
            if kept.generation != generation or kept.expires <= time.monotonic():
                self._drop(key)
                return None
            self._pages.move_to_end(key)
            return kept

    def put(self, key: tuple[Any, ...], kept: Kept) -> None:
        size = _size(key, kept)
        if size > self.max_bytes:
            return
        with self._lock:
            if key in self._pages:
                self._drop(key)
            self._pages[key] = kept
            self.size += size
            while self.size > self.max_bytes:
                self._drop(next(iter(self._pages)))

    def __len__(self) -> int:
        return len(self._pages)

    def _drop(self, key: tuple[Any, ...]) -> None:
        self.size -= _size(key, self._pages.pop(key))


def _size(key: tuple[Any, ...], kept: Kept) -> int:
    """What a kept page takes, roughly: its body, headers and the key's text."""
    text = sum(len(part) for part in key if isinstance(part, str | bytes))
    return len(kept.body) + sum(len(k) + len(v) for k, v in kept.headers) + text


def not_kept() -> None:
    """For a view whose page shows more than the database holds (files in the outbox, a running
    optimizer's progress): render it every time."""
    g.setdefault(NEVER, True)


def init_app(app: Flask) -> None:
    seconds = float(app.config["PAGE_CACHE_SECONDS"])
    if seconds <= 0:
        return
    app.extensions[EXTENSION] = PageCache(seconds, int(app.config["PAGE_CACHE_BYTES"]))
    app.before_request(_serve_kept)
    app.after_request(_keep)


def _serve_kept() -> Response | None:
    if (
        request.method != "GET"
        or request.endpoint in (None, "static")
        or "sid" not in session
        or "_flashes" in session
        or not current_user.is_authenticated  # checks the session: live, user active
    ):
        return None
    state = hashlib.sha256(repr(sorted(session.items())).encode()).digest()
    wants = request.accept_mimetypes.best_match(("text/html", "application/json"), "")
    key = (state, str(get_locale()), request.full_path, wants)
    generation = db.request_generation()
    kept = current_app.extensions[EXTENSION].get(key, generation)
    if kept is not None:
        return Response(kept.body, kept.status, list(kept.headers))
    g.setdefault(PENDING, (key, generation))
    return None


def _keep(response: Response) -> Response:
    pending = g.pop(PENDING, None)
    if (
        pending is None
        or response.status_code != 200
        or response.mimetype != "text/html"
        or response.direct_passthrough
        or response.is_streamed
        or g.get(NEVER)
        or g.get(db.WROTE)
        or session.modified
        or "_flashes" in session
        or "Set-Cookie" in response.headers
    ):
        return response
    cache: PageCache = current_app.extensions[EXTENSION]
    key, generation = pending
    headers = tuple((k, v) for k, v in response.headers if k.lower() not in NOT_KEPT_HEADERS)
    kept = Kept(generation, time.monotonic() + cache.seconds, 200, headers, response.get_data())
    cache.put(key, kept)
    return response
