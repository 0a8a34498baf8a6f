"""E-mails of the assessment, sent after the commit through the outbox or SMTP.

A failed mail is logged and reported to the caller, never fatal: the portal shows the same
information on the recipients' pages.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal import audit
from portal.mail import send_mail
from portal.models import (
    Application,
    ApplicationVersion,
    Call,
    ConflictDeclaration,
    DecisionStatus,
    EligibilityDecision,
    InformationRequest,
    Role,
    User,
)
from portal.web import format_when

log = logging.getLogger(__name__)


def _send(
    db: Session,
    config: Mapping[str, object],
    to: Sequence[str],
    subject: str,
    body: str,
    action: str,
    obj: object,
) -> bool:
    recipients = sorted({address for address in to if address})
    if not recipients:
        return False
    try:
        send_mail(config, recipients, subject, body)
    except OSError:
        log.exception("mail %s failed", action)
        return False
    audit.record(db, None, action, obj, recipients=len(recipients))
    return True


def _signatories(db: Session, app: Application) -> list[str]:
    emails = list(
        db.scalars(
            select(User.email).where(
                User.organisation_id == app.organisation_id,
                User.role == Role.SIGNATORY,
                User.is_active.is_(True),
            )
        )
    )
    return [*emails, app.contact_email or ""]


def conflict_declared(
    db: Session, config: Mapping[str, object], declaration: ConflictDeclaration
) -> bool:
    """Tell the leads that an assessor left an application, so they reassign it."""
    version = db.get(ApplicationVersion, declaration.version_id)
    assessor = db.get(User, declaration.assessor_id)
    if version is None or assessor is None:
        return False
    leads = db.scalars(
        select(User.email).where(User.role == Role.LEAD_ASSESSOR, User.is_active.is_(True))
    )
    return _send(
        db,
        config,
        list(leads),
        _(
            "Interessekonflikt: %(name)s kan ikke vurdere %(fund)s",
            name=assessor.name,
            fund=version.application.organisation.name,
        ),
        _(
            "%(name)s har erklæret interessekonflikt for ansøgningen fra %(fund)s og er fjernet "
            "fra den.\n\nBegrundelse: %(reason)s\n\nTildel en anden sagsbehandler i portalen.",
            name=assessor.name,
            fund=version.application.organisation.name,
            reason=declaration.reason,
        ),
        "mail.conflict_declared_sent",
        declaration,
    )


def information_requested(
    db: Session, config: Mapping[str, object], request: InformationRequest
) -> bool:
    version = db.get(ApplicationVersion, request.version_id)
    if version is None:
        return False
    app = version.application
    return _send(
        db,
        config,
        _signatories(db, app),
        _("Styrelsen beder om oplysninger til jeres ansøgning"),
        _(
            "Styrelsen har et spørgsmål til jeres ansøgning til «%(call)s» (version %(n)d).\n\n"
            "%(question)s\n\nSvarfrist: %(due)s. Svar i portalen under jeres ansøgning; "
            "svaret lægges ved som et tillæg, og den indsendte version ændres ikke.",
            call=app.call.title,
            n=version.number,
            question=request.question,
            due=format_when(request.answer_due_at),
        ),
        "mail.information_requested_sent",
        request,
    )


def information_answered(
    db: Session, config: Mapping[str, object], request: InformationRequest
) -> bool:
    version = db.get(ApplicationVersion, request.version_id)
    asker = db.get(User, request.asked_by_id)
    if version is None or asker is None:
        return False
    return _send(
        db,
        config,
        [asker.email],
        _("%(fund)s har svaret på jeres spørgsmål", fund=version.application.organisation.name),
        _(
            "Spørgsmål: %(question)s\n\nSvar: %(answer)s\n\nSvaret ses som tillæg i "
            "læsevisningen af ansøgningen.",
            question=request.question,
            answer=request.answer or "",
        ),
        "mail.information_answered_sent",
        request,
    )


def decisions_published(
    db: Session, config: Mapping[str, object], call: Call, decision_ids: Sequence[int]
) -> int:
    """Tell each a-kasse whose decision was just published that it can read it in the portal."""
    sent = 0
    decisions = db.scalars(
        select(EligibilityDecision).where(
            EligibilityDecision.id.in_(list(decision_ids)),
            EligibilityDecision.status == DecisionStatus.PUBLISHED,
        )
    )
    for decision in decisions:
        app = db.get(ApplicationVersion, decision.version_id).application  # type: ignore[union-attr]
        if _send(
            db,
            config,
            _signatories(db, app),
            _("Afgørelse om jeres ansøgning til «%(call)s»", call=call.title),
            _(
                "Styrelsen har truffet afgørelse om jeres ansøgning. Læs afgørelsen, den "
                "godkendte geografiske udstrækning og kapaciteten i portalen under jeres "
                "ansøgning."
            ),
            "mail.decision_published_sent",
            decision,
        ):
            sent += 1
    return sent
