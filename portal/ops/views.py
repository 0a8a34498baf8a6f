"""Operations: the outbox of unsent mail and the audit log (administrator)."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template, request
from flask_babel import gettext as _
from sqlalchemy import select

from portal import audit, db, mail, pagecache
from portal.access import Permission, requires
from portal.accounts.forms import organisation_choices
from portal.forms import options
from portal.models import Organisation, User
from portal.ops import pages
from portal.ops.forms import AuditFilterForm

bp = Blueprint("ops", __name__, url_prefix="/admin")


@bp.route("/udbakke")
@requires(Permission.READ_OUTBOX)
def outbox() -> str:
    pagecache.not_kept()  # files, written after the change that sent them
    items = mail.list_outbox(current_app.config["OUTBOX_DIR"])
    return render_template(
        "ops/outbox.html", items=items, smtp=bool(current_app.config.get("MAIL_SERVER"))
    )


@bp.route("/udbakke/<name>")
@requires(Permission.READ_OUTBOX)
def outbox_message(name: str) -> str:
    try:
        message = mail.read_outbox(current_app.config["OUTBOX_DIR"], name)
    except (mail.InvalidOutboxName, FileNotFoundError):
        abort(404)
    body = message.get_body(preferencelist=("plain",))
    attachments = [part.get_filename() for part in message.iter_attachments()]
    return render_template(
        "ops/outbox_message.html",
        message=message,
        name=name,
        body=body.get_content() if body else "",
        attachments=attachments,
    )


FILTERS = ("organisation", "user", "since", "until")


@bp.route("/revisionslog")
@requires(Permission.READ_AUDIT)
def audit_log() -> str:
    session = db.session()
    form = AuditFilterForm(request.args)
    form.organisation.choices = organisation_choices(
        session.scalars(select(Organisation)), _("Alle")
    )
    people = session.scalars(select(User).order_by(User.name, User.email))
    form.user.choices = options(
        [("", _("Alle")), *((str(u.id), f"{u.name} ({u.email})") for u in people)]
    )
    page = None
    if form.validate():
        page = pages.audit_page(session, form.to_query(), _page_number())
    # Walking the whole chain grows with the log, so it runs when asked for.
    report = audit.verify(session) if request.args.get("kontrol") == "1" else None
    kept = {name: request.args[name] for name in FILTERS if request.args.get(name)}
    return render_template("ops/audit.html", form=form, page=page, report=report, kept=kept)


def _page_number() -> int:
    value = request.args.get("side", "1")
    return int(value) if value.isdigit() and len(value) < 7 else 1
