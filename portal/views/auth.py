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

from portal import auth, db
from portal.forms import LanguageForm, LoginForm, PasswordChangeForm

bp = Blueprint("auth", __name__)


def _policy() -> auth.LoginPolicy:
    cfg = current_app.config
    return auth.LoginPolicy(
        demo_mode=bool(cfg["DEMO_MODE"]),
        max_failures=int(cfg["LOGIN_MAX_FAILURES"]),
        window=timedelta(seconds=cfg["LOGIN_WINDOW_SECONDS"]),
        session_lifetime=timedelta(seconds=cfg["SESSION_LIFETIME_SECONDS"]),
    )


def _refusal_message(refusal: auth.LoginRefused) -> str:
    if refusal.code == "throttled":
        return _(
            "For mange mislykkede forsøg. Kontoen er midlertidigt spærret; prøv igen om "
            "%(minutes)d minutter.",
            minutes=refusal.minutes,
        )
    if refusal.code == "inactive":
        return _("Kontoen er spærret. Kontakt administratoren.")
    if refusal.code == "demo_disabled":
        return _("Demokonti kan kun bruges, når portalen kører i demotilstand.")
    return _("E-mail eller adgangskode er forkert.")


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
    return url_for("main.index")


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        try:
            user = auth.authenticate(
                db.session(), form.email.data or "", form.password.data or "", _policy()
            )
        except auth.LoginRefused as refusal:
            db.session().commit()  # the attempt and audit rows only
            error = _refusal_message(refusal)
        else:
            token = auth.open_session(db.session(), user, _policy())
            db.session().commit()
            lang = session.get("lang")
            session.clear()  # no fixation: a fresh cookie and CSRF token
            session["sid"] = token
            if lang:
                session["lang"] = lang
            return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form, error=error)


@bp.route("/logout", methods=["POST"])
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
    return redirect(url_for("auth.login"))


@bp.route("/adgangskode", methods=["GET", "POST"])
def change_password() -> ResponseReturnValue:
    if not current_user.is_authenticated:
        return redirect(url_for(".login", next=request.path))
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
            form.current.errors = [
                _refusal_message(refusal)
                if refusal.code == "throttled"
                else _("Den nuværende adgangskode er forkert.")
            ]
        else:
            db.session().commit()
            session.clear()
            flash(_("Adgangskoden er skiftet. Log ind igen med den nye."), "success")
            return redirect(url_for("auth.login"))
    return render_template("auth/password.html", form=form)


@bp.route("/sprog", methods=["POST"])
def language() -> ResponseReturnValue:
    form = LanguageForm()
    if form.validate_on_submit() and form.lang.data in current_app.config["LANGUAGES"]:
        session["lang"] = form.lang.data
    return redirect(_safe_next(form.next.data))
