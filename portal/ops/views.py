"""Operations: the outbox of unsent mail and the audit log (administrator)."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template, request
from sqlalchemy import select

from portal import audit, db, mail
from portal.access import Permission, requires
from portal.models import AuditEvent

bp = Blueprint("ops", __name__, url_prefix="/admin")


@bp.route("/udbakke")
@requires(Permission.READ_OUTBOX)
def outbox() -> str:
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


@bp.route("/revisionslog")
@requires(Permission.READ_AUDIT)
def audit_log() -> str:
    session = db.session()
    events = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(200)).all()
    # Walking the whole chain grows with the log, so it runs when asked for.
    report = audit.verify(session) if request.args.get("kontrol") == "1" else None
    return render_template("ops/audit.html", events=events, report=report)
