"""Login, logout, password change, language switch; user management and the one-time links
to choose a password."""

from __future__ import annotations

import logging
from datetime import timedelta
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
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
from sqlalchemy import select

from portal import db
from portal.access import (
    Permission,
    assignable_roles,
    can_manage_user,
    current_user_model,
    public,
    requires,
)
from portal.accounts import notices, users
from portal.accounts import services as auth
from portal.accounts.forms import (
    EditUserForm,
    LanguageForm,
    LoginForm,
    NewUserForm,
    PasswordChangeForm,
    PasswordLinkForm,
    UserFilterForm,
    organisation_choices,
    role_choices,
)
from portal.errors import message
from portal.forms import ConfirmForm, PortalForm
from portal.mail import MailError
from portal.models import FUND_ROLES, Organisation, OrganisationKind, Role, User
from portal.web import format_when

log = logging.getLogger(__name__)

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


# --- one-time links to choose a password (public: the token is the credential) -------------


@bp.route("/adgangskode/ny/<token>", methods=["GET", "POST"])
@public
def reset_password(token: str) -> ResponseReturnValue:
    link = users.find_link(db.session(), token)
    if link is None:
        return render_template("accounts/reset_invalid.html"), 404
    form = PasswordLinkForm()
    if form.validate_on_submit():
        if users.set_password_by_link(db.session(), link, form.new.data or "") is None:
            db.session().rollback()
            return render_template("accounts/reset_invalid.html"), 404
        db.session().commit()
        lang = session.get("lang")
        session.clear()  # whoever was signed in in this browser starts afresh
        if lang:
            session["lang"] = lang
        flash(_("Din adgangskode er gemt. Log ind med den nye."), "success")
        return redirect(url_for("accounts.login"))
    return render_template("accounts/reset.html", form=form, user=link.user)


# --- user management: the administrator, and a signatory for its own drafters ---------------

users_bp = Blueprint("users", __name__, url_prefix="/brugere")


def _manageable_or_404(actor: User, user_id: int) -> User:
    """Another organisation's account, or one the actor may not manage, does not exist."""
    user = db.session().get(User, user_id)
    if user is None or not can_manage_user(actor, user):
        abort(404)
    return user


def _organisations() -> list[Organisation]:
    return list(db.session().scalars(select(Organisation)))


def _place(form: PortalForm, refusal: users.UserRefused) -> None:
    """Show a refusal next to its field (the name field when the form lacks it)."""
    name = refusal.field if refusal.field in form else "name"
    form[name].errors = [*form[name].errors, message(refusal)]


def _mail_link(user: User, link: users.IssuedLink, *, welcome: bool) -> None:
    url = url_for("accounts.reset_password", token=link.token, _external=True)
    notices.mail_password_link(current_app.config, user, url, link.expires_at, welcome=welcome)


def _link_lifetime() -> timedelta:
    return timedelta(hours=int(current_app.config["PASSWORD_LINK_HOURS"]))


@users_bp.route("")
@requires(Permission.MANAGE_USERS)
def index() -> str:
    actor = current_user_model()
    form = UserFilterForm(request.args)
    if actor.role == Role.ADMIN:
        form.organisation.choices = organisation_choices(_organisations(), _("Alle"))
        form.role.choices = role_choices(Role, _("Alle"))
    else:
        del form.organisation
        form.role.choices = role_choices(FUND_ROLES, _("Alle"))
    wanted = form.to_filter() if form.validate() else users.UserFilter()
    return render_template(
        "accounts/users.html",
        form=form,
        rows=users.listing(db.session(), actor, wanted),
        manageable=lambda user: can_manage_user(actor, user),
        filtered=any(request.args.get(name) for name in ("organisation", "role", "status")),
    )


@users_bp.route("/ny", methods=["GET", "POST"])
@requires(Permission.MANAGE_USERS)
def new() -> ResponseReturnValue:
    actor = current_user_model()
    form = NewUserForm()
    if actor.role == Role.ADMIN:
        form.organisation.choices = organisation_choices(_organisations(), _("Vælg organisation"))
        form.role.choices = role_choices(Role, _("Vælg rolle"))
    else:
        del form.organisation, form.role, form.party
    if form.validate_on_submit():
        own = None if actor.role == Role.ADMIN else actor.organisation_id
        try:
            user = users.add_user(db.session(), actor, form.to_account(own))
            link = users.issue_password_link(
                db.session(), actor, user, _link_lifetime(), welcome=True
            )
            _mail_link(user, link, welcome=True)
        except users.UserRefused as refusal:
            db.session().rollback()
            _place(form, refusal)
        except (MailError, OSError):
            db.session().rollback()
            log.exception("welcome mail failed")
            _place(form, users.UserRefused("mail_failed", "email"))
        else:
            db.session().commit()
            flash(
                _(
                    "%(name)s er oprettet. En e-mail med et link til at vælge adgangskode er "
                    "sendt til %(email)s.",
                    name=user.name,
                    email=user.email,
                ),
                "success",
            )
            return redirect(url_for(".edit", user_id=user.id))
    return render_template("accounts/user_new.html", form=form)


def _edit_form(actor: User, user: User, *, submitted: bool = False) -> EditUserForm:
    """The form with what was sent, or (shown anew, also beside another action's refusal)
    with the stored values."""
    initial = {"name": user.name, "role": user.role, "party": user.party}
    form = EditUserForm() if submitted else EditUserForm(formdata=None, data=initial)
    kind = user.organisation.kind if user.organisation else None
    roles = assignable_roles(actor, kind, user.organisation_id)
    if actor.role != Role.ADMIN:
        del form.role, form.party
        return form
    if user.role not in roles:  # e.g. an account made on the command line without organisation
        roles = [Role(user.role), *roles]
    form.role.choices = role_choices(roles)
    if kind not in (OrganisationKind.PARTY, OrganisationKind.LABOUR_PARTY):
        del form.party
    return form


def _user_page(actor: User, user: User, form: EditUserForm, errors: dict[str, str]) -> str:
    return render_template(
        "accounts/user.html",
        user=user,
        form=form,
        confirm=ConfirmForm(),
        errors=errors,
        pending=users.pending_link(db.session(), user),
        is_self=user.id == actor.id,
    )


@users_bp.route("/<int:user_id>", methods=["GET", "POST"])
@requires(Permission.MANAGE_USERS)
def edit(user_id: int) -> ResponseReturnValue:
    actor = current_user_model()
    user = _manageable_or_404(actor, user_id)
    form = _edit_form(actor, user, submitted=request.method == "POST")
    if form.validate_on_submit():
        try:
            users.change_user(db.session(), actor, user, form.to_changes(user.role))
        except users.UserRefused as refusal:
            db.session().rollback()
            _place(form, refusal)
        else:
            db.session().commit()
            flash(_("Ændringerne er gemt."), "success")
            if not can_manage_user(actor, user):  # an administrator who stepped down
                return redirect(url_for("home.index"))
            return redirect(url_for(".edit", user_id=user.id))
    return _user_page(actor, user, form, {})


def _confirmed() -> None:
    if not ConfirmForm().validate_on_submit():
        abort(400)


@users_bp.route("/<int:user_id>/spaer", methods=["POST"])
@requires(Permission.MANAGE_USERS)
def deactivate(user_id: int) -> ResponseReturnValue:
    actor = current_user_model()
    user = _manageable_or_404(actor, user_id)
    _confirmed()
    try:
        users.deactivate(db.session(), actor, user)
    except users.UserRefused as refusal:
        db.session().rollback()
        return _user_page(actor, user, _edit_form(actor, user), {refusal.field: message(refusal)})
    db.session().commit()
    flash(_("%(name)s er spærret og logget ud alle steder.", name=user.name), "success")
    return redirect(url_for(".edit", user_id=user.id))


@users_bp.route("/<int:user_id>/genaktiver", methods=["POST"])
@requires(Permission.MANAGE_USERS)
def reactivate(user_id: int) -> ResponseReturnValue:
    actor = current_user_model()
    user = _manageable_or_404(actor, user_id)
    _confirmed()
    users.reactivate(db.session(), actor, user)
    db.session().commit()
    flash(_("%(name)s kan logge ind igen.", name=user.name), "success")
    return redirect(url_for(".edit", user_id=user.id))


@users_bp.route("/<int:user_id>/adgangskodelink", methods=["POST"])
@requires(Permission.MANAGE_USERS)
def send_password_link(user_id: int) -> ResponseReturnValue:
    actor = current_user_model()
    user = _manageable_or_404(actor, user_id)
    _confirmed()
    try:
        link = users.issue_password_link(db.session(), actor, user, _link_lifetime())
        _mail_link(user, link, welcome=False)
    except users.UserRefused as refusal:
        db.session().rollback()
        return _user_page(actor, user, _edit_form(actor, user), {refusal.field: message(refusal)})
    except (MailError, OSError):
        db.session().rollback()
        log.exception("password link mail failed for user %s", user.id)
        failed = users.UserRefused("mail_failed", "password_link")
        return _user_page(actor, user, _edit_form(actor, user), {failed.field: message(failed)})
    db.session().commit()
    flash(
        _(
            "Et link til at vælge en ny adgangskode er sendt til %(email)s. Det virker én gang "
            "og udløber %(when)s.",
            email=user.email,
            when=format_when(link.expires_at),
        ),
        "success",
    )
    return redirect(url_for(".edit", user_id=user.id))
