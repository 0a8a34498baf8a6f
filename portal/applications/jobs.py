"""The worker side of a submission: the receipt PDF and its e-mail.

A submission commits the frozen version and answers at once; rendering the receipt (WeasyPrint,
the slow part) and mailing it are a Huey task, so a burst of submissions at the deadline does not
queue behind each other's PDFs. The receipt page renders on demand when the worker has not got to
it yet, and `deliver` keeps one receipt per version and mails it once, however often it runs.
"""

from __future__ import annotations

import logging

from flask import Flask, current_app
from huey import Huey
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal import db
from portal.applications import receipts
from portal.models import ApplicationVersion, AuditEvent

log = logging.getLogger(__name__)

TASK_NAME = "application.receipt"
MAILED = "mail.receipt_sent"


def register(app: Flask, huey: Huey) -> None:
    # A mail server that is down for a moment gets two more tries, a minute apart.
    @huey.task(name=TASK_NAME, retries=2, retry_delay=60)  # type: ignore[untyped-decorator]
    def deliver_receipt(version_id: int) -> None:
        with app.app_context():
            if not deliver(version_id):
                raise ReceiptMailFailed(version_id)

    app.extensions["receipt_task"] = deliver_receipt


class ReceiptMailFailed(RuntimeError):
    """The receipt is kept but its mail could not be sent (Huey retries the task)."""


def enqueue(version_id: int) -> bool:
    """Queue the receipt; False when the queue cannot take it (the caller does it itself)."""
    try:
        current_app.extensions["receipt_task"](version_id)
    except Exception:  # noqa: BLE001 - any queue failure falls back to the request
        log.exception("could not queue the receipt of version %s", version_id)
        return False
    return True


def deliver(version_id: int) -> bool:
    """Keep the receipt (rendered outside any transaction) and mail it unless already mailed.

    True when the receipt is kept and mailed (now or before). Works in sessions of its own, so
    it can run in a request that has committed its submission as well as in the worker."""
    reader = current_app.extensions["db_sessionmaker"]()
    try:
        version = reader.get(ApplicationVersion, version_id)
        if version is None:
            return True
        if receipts.stored_receipt(reader, version) is None:
            draft = receipts.receipt_draft(reader, version)
            reader.rollback()  # no transaction open while the PDF renders
            content = receipts.render_receipt(draft)
            with db.write_session() as writer:
                receipts.keep_receipt(writer, draft, content)
        reader.rollback()
        if _mailed(reader, version_id):
            return True
        stored = receipts.stored_receipt(reader, version)
        assert stored is not None
        mail = receipts.receipt_mail(reader, version, stored)
        reader.rollback()
    finally:
        reader.close()
    # Sent with no transaction open: a slow mail server holds no lock.
    if not receipts.send_receipt_mail(current_app.config, mail):
        return False
    with db.write_session() as writer:
        version = writer.get(ApplicationVersion, version_id)
        assert version is not None
        receipts.record_receipt_mailed(writer, version, mail)
    return True


def _mailed(session: Session, version_id: int) -> bool:
    return (
        session.scalar(
            select(AuditEvent.id)
            .where(
                AuditEvent.action == MAILED,
                AuditEvent.object_type == ApplicationVersion.__name__,
                AuditEvent.object_id == str(version_id),
            )
            .limit(1)
        )
        is not None
    )
