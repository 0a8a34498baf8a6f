"""Flask extensions: CSRF, login, Babel; plus the security headers on every response."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Flask, Response, current_app, g, has_request_context, request, session
from flask_babel import Babel, Domain
from flask_login import AnonymousUserMixin, LoginManager
from flask_wtf.csrf import CSRFProtect

from portal import db
from portal.accounts import services as auth
from portal.models import User

csrf = CSRFProtect()
login_manager = LoginManager()
babel = Babel()


class RequestDomain(Domain):
    """The message catalog, found once per request and language: flask_babel looks it up again
    for every string (the context, the locale selector, the locale's name), which a page with a
    few hundred strings pays for in milliseconds. `force_locale` sets a new locale object, so a
    letter written in Danish from an English page still gets the Danish catalog."""

    def get_translations(self) -> Any:
        babel_context = g.get("_flask_babel") if g else None
        locale = getattr(babel_context, "babel_locale", None)
        if locale is None:
            return super().get_translations()
        found = babel_context.__dict__.setdefault("portal_translations", {})
        if locale not in found:
            found[locale] = super().get_translations()
        return found[locale]


class Anonymous(AnonymousUserMixin):
    role = None
    organisation_id = None


class CurrentUser:
    """What `current_user` is: the ORM user (loaded from the request's session when first
    asked for) plus Flask-Login's expected attributes."""

    def __init__(self, user_id: int, session_id: int) -> None:
        self.user_id = user_id
        self.session_id = session_id
        self.is_authenticated = True
        self.is_active = True  # a deactivated user's session is not live
        self.is_anonymous = False
        self._user: User | None = None

    @property
    def user(self) -> User:
        if self._user is None:
            self._user = auth.session_user(db.session(), self.user_id)
        return self._user

    def get_id(self) -> str:
        return str(self.user_id)

    def __getattr__(self, name: str) -> object:
        if name.startswith("_") or name in ("user", "user_id", "session_id"):
            raise AttributeError(name)  # never recurse into loading the user
        return getattr(self.user, name)


def init_app(app: Flask) -> None:
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.anonymous_user = Anonymous
    login_manager.login_view = "accounts.login"
    login_manager.login_message = None
    login_manager.request_loader(_load_user_from_session)
    babel.init_app(app, locale_selector=select_locale)
    with app.app_context():
        babel.domain_instance = RequestDomain(domain=babel.domain)
    app.after_request(_security_headers)


def _load_user_from_session(_request: object) -> CurrentUser | None:
    token = session.get("sid")
    if not token:
        return None
    idle = timedelta(seconds=current_app.config["SESSION_IDLE_SECONDS"])
    # Outside the request's transaction: a kept page (portal/pagecache.py) needs nothing else
    # from the database. The generation read here is safe to key a page on, as what the request
    # reads later is at least as new (as a rule this runs before the request reads anything).
    with db.read_alone() as conn:
        live = auth.load_session(conn, token, idle)
    if live is None:
        session.clear()
        return None
    g.setdefault(db.GENERATION_SEEN, live.generation)
    if auth.touch_due(live) and not db.request_in_transaction():
        # Its own short writing transaction, so a page view stays a pure read. Not while the
        # request holds a transaction (a public page that read first and is rendered
        # afterwards): on SQLite a writing request's transaction holds the write lock, which
        # the touch would wait for. The next request touches instead.
        with db.write_session() as writer:
            auth.touch_session(writer, live.id)
    return CurrentUser(live.user_id, live.id)


def select_locale() -> str:
    chosen = session.get("lang") if has_request_context() else None
    if chosen in current_app.config["LANGUAGES"]:
        return str(chosen)
    return str(current_app.config["BABEL_DEFAULT_LOCALE"])


def _security_headers(response: Response) -> Response:
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
    )
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    # Everything but the static assets, error pages included: a signed-in 404 or 405 page
    # shows the user's name and menu.
    if getattr(g, "no_store", False) or request.endpoint != "static":
        response.headers.setdefault("Cache-Control", "no-store")
    return response
