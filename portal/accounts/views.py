"""Login, logout, password change and language switch."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from portal import db
from portal.access import Permission, public, requires
from portal.accounts import services as auth
from portal.accounts.forms import LanguageForm, LoginForm, PasswordChangeForm
from portal.errors import message

bp = Blueprint("accounts", __name__)


def _policy() -> auth.LoginPolicy:
    cfg = current_app.config
    return auth.LoginPolicy(
        demo_mode=bool(cfg["DEMO_MODE"]),
        max_failures=int(cfg["LOGIN_MAX_FAILURES"]),
        window=timedelta(seconds=cfg["LOGIN_WINDOW_SECONDS"]),
        session_lifetime=timedelta(seconds=cfg["SESSION_LIFETIME_SECONDS"]),
    )


def _safe_next(target: str | None) -> str:
    if (
        target
        and "\\" not in target
        and target.isprintable()
        and target.startswith("/")
        and not target.startswith("//")
        and not urlsplit(target).netloc
    ):
        return target
    return url_for("home.index")


@bp.route("/login", methods=["GET", "POST"])
@public
def login() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        email, password = form.email.data or "", form.password.data or ""
        with db.read_session() as reader:  # the slow hash check takes no write lock
            early = auth.check_password_early(reader, email, password)
        try:
            user = auth.authenticate(db.session(), email, password, _policy(), early)
        except auth.LoginRefused as refusal:
            db.session().commit()  # the attempt and audit rows only
            error = message(refusal)
        else:
            token = auth.open_session(db.session(), user, _policy())
            db.session().commit()
            lang = session.get("lang")
            session.clear()  # no fixation: a fresh cookie and CSRF token
            session["sid"] = token
            if lang:
                session["lang"] = lang
            return redirect(_safe_next(request.args.get("next")))
    return render_template("accounts/login.html", form=form, error=error)


@bp.route("/logout", methods=["POST"])
@public
def logout() -> ResponseReturnValue:
    token = session.get("sid")
    if token:
        auth.revoke_session(db.session(), token)
        db.session().commit()
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    flash(_("Du er logget ud."), "success")
    return redirect(url_for("accounts.login"))


@bp.route("/adgangskode", methods=["GET", "POST"])
@requires(Permission.SIGNED_IN)
def change_password() -> ResponseReturnValue:
    form = PasswordChangeForm()
    if form.validate_on_submit():
        try:
            auth.change_password(
                db.session(),
                current_user.user,
                form.current.data or "",
                form.new.data or "",
                _policy(),
            )
        except auth.LoginRefused as refusal:
            db.session().commit()  # the failed attempt counts towards the lock
            form.current.errors = [message(refusal)]
        else:
            db.session().commit()
            session.clear()
            flash(_("Adgangskoden er skiftet. Log ind igen med den nye."), "success")
            return redirect(url_for("accounts.login"))
    return render_template("accounts/password.html", form=form)


@bp.route("/sprog", methods=["POST"])
@public
def language() -> ResponseReturnValue:
    form = LanguageForm()
    if form.validate_on_submit() and form.lang.data in current_app.config["LANGUAGES"]:
        session["lang"] = form.lang.data
    return redirect(_safe_next(form.next.data))
