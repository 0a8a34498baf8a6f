"""Receipts for submitted versions: a PDF kept as a record, downloadable and e-mailed."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from portal import audit
from portal.extent import Extent, extent_in_words, reference_names
from portal.mail import send_mail
from portal.models import ApplicationVersion, StoredFile, User
from portal.pdf import receipt_context, render_pdf

log = logging.getLogger(__name__)


def receipt_filename(version: ApplicationVersion) -> str:
    org = version.application.organisation
    return f"kvittering-{org.short_id.lower()}-version-{version.number}.pdf"


def effective_extent_words(exclusion_list: str, extent: list[str]) -> str:
    """What remains of a requested extent once the call's frikommuner are taken out (names
    from `geo`'s reference data, read once per process)."""
    return Extent.parse(extent).describe_effective(exclusion_list, reference_names().municipalities)


@dataclass(frozen=True)
class ReceiptDraft:
    """Everything the receipt shows, read in the submission's transaction; rendering it needs
    no database, so the PDF is made after the commit, outside the write lock."""

    version_id: int
    filename: str
    context: dict[str, Any]


def receipt_draft(db: Session, version: ApplicationVersion) -> ReceiptDraft:
    app = version.application
    content = version.content
    criteria = app.call.criteria_set.criteria
    signer = db.get(User, version.submitted_by_id)
    context = receipt_context(
        fund_name=content["organisation"]["name"],
        fund_cvr=content["organisation"]["cvr"],
        call_title=app.call.title,
        version_number=version.number,
        submitted_at=version.submitted_at,
        submitted_by=signer.name if signer else "",
        content_hash=version.content_hash,
        criteria=[(c.title, content["answers"].get(str(c.id), "")) for c in criteria],
        attachments=[(a["filename"], a["pages"], a["sha256"]) for a in content["attachments"]],
        extent_summary=extent_in_words(content["requested_extent"]),
        capacity_courses=content["capacity"]["courses"],
        staff_fte=content["capacity"]["staff_fte"],
        interviews_per_fte_week=content["capacity"]["interviews_per_fte_week"],
    )
    context["effective_extent_summary"] = effective_extent_words(
        app.call.exclusion_list, content["requested_extent"]
    )
    return ReceiptDraft(version.id, receipt_filename(version), context)


def render_receipt(draft: ReceiptDraft) -> bytes:
    return render_pdf("pdf/receipt.html", draft.context)


def build_receipt(db: Session, version: ApplicationVersion) -> bytes:
    return render_receipt(receipt_draft(db, version))


def keep_receipt(db: Session, draft: ReceiptDraft, content: bytes) -> StoredFile:
    """Store the rendered receipt, once per version (a second call returns the first)."""
    existing = db.scalar(
        select(StoredFile).where(
            StoredFile.version_id == draft.version_id, StoredFile.kind == "receipt"
        )
    )
    if existing is not None:
        return existing
    stored = StoredFile(
        kind="receipt", version_id=draft.version_id, filename=draft.filename, content=content
    )
    try:
        with db.begin_nested():  # a simultaneous request may have kept it first
            db.add(stored)
    except IntegrityError:
        kept = db.scalar(
            select(StoredFile).where(
                StoredFile.version_id == draft.version_id, StoredFile.kind == "receipt"
            )
        )
        if kept is None:
            raise
        return kept
    return stored


def issue_receipt(db: Session, version: ApplicationVersion) -> StoredFile:
    """Render and keep the receipt PDF in the caller's transaction (seeding, tests)."""
    draft = receipt_draft(db, version)
    return keep_receipt(db, draft, render_receipt(draft))


def stored_receipt(db: Session, version: ApplicationVersion) -> StoredFile | None:
    return db.scalar(
        select(StoredFile).where(StoredFile.version_id == version.id, StoredFile.kind == "receipt")
    )


@dataclass(frozen=True)
class ReceiptMail:
    version_id: int
    recipients: list[str]
    subject: str
    body: str
    attachment: tuple[str, str, bytes]


def receipt_mail(db: Session, version: ApplicationVersion, receipt: StoredFile) -> ReceiptMail:
    """The receipt's e-mail, composed from the database (sending it needs none)."""
    app = version.application
    signer = db.get(User, version.submitted_by_id)
    recipients = sorted(
        {address for address in (signer.email if signer else None, app.contact_email) if address}
    )
    subject = _(
        "Kvittering: %(fund)s har indsendt ansøgning (version %(n)d)",
        fund=app.organisation.name,
        n=version.number,
    )
    body = _(
        "Ansøgningen til «%(call)s» er modtaget.\n\nVersion: %(n)d\nSHA-256: %(hash)s\n\n"
        "Kvitteringen er vedhæftet som PDF.",
        call=app.call.title,
        n=version.number,
        hash=version.content_hash,
    )
    return ReceiptMail(
        version.id,
        recipients,
        subject,
        body,
        (receipt.filename, "application/pdf", receipt.content),
    )


def send_receipt_mail(config: Mapping[str, object], mail: ReceiptMail) -> bool:
    """Send it (SMTP or the outbox); a failure is logged and reported, never fatal."""
    try:
        send_mail(config, mail.recipients, mail.subject, mail.body, [mail.attachment])
    except OSError:
        log.exception("receipt mail failed for version %s", mail.version_id)
        return False
    return True


def record_receipt_mailed(db: Session, version: ApplicationVersion, mail: ReceiptMail) -> None:
    audit.record(db, None, "mail.receipt_sent", version, recipients=len(mail.recipients))


def mail_receipt(
    db: Session, config: Mapping[str, object], version: ApplicationVersion, receipt: StoredFile
) -> bool:
    """Compose, send and audit in the caller's transaction (seeding, tests)."""
    mail = receipt_mail(db, version, receipt)
    if not send_receipt_mail(config, mail):
        return False
    record_receipt_mailed(db, version, mail)
    return True
