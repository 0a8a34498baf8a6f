"""E-mails about an a-kasse's own draft, sent after the commit through the outbox or SMTP.

A failed mail is logged and reported to the caller, never fatal: the signatory's start page
shows the same hand-over.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from portal import audit
from portal.mail import MailError, send_mail
from portal.models import Application, User
from portal.web import format_when

log = logging.getLogger(__name__)


def signature_requested(
    db: Session,
    config: Mapping[str, object],
    app: Application,
    drafter: User,
    signatories: Sequence[User],
    deadline: datetime,
) -> bool:
    """Tell the signatories that the draft is ready for them to review and submit."""
    recipients = sorted({user.email for user in signatories if user.email})
    if not recipients:
        return False
    subject = _("Ansøgningen er klar til underskrift: %(call)s", call=app.call.title)
    body = _(
        "%(name)s har gjort ansøgningen fra %(fund)s til «%(call)s» klar og beder jer "
        "indsende den.\n\nLog ind i Forsøgsportalen, gennemse ansøgningen under «Ansøgning», og "
        "indsend den før fristen %(deadline)s (dansk tid). Kun a-kassens tegningsberettigede "
        "kan indsende.",
        name=drafter.name,
        fund=app.organisation.name,
        call=app.call.title,
        deadline=format_when(deadline),
    )
    try:
        send_mail(config, recipients, subject, body)
    except (OSError, MailError):
        log.exception("signature request mail failed for application %s", app.id)
        return False
    audit.record(db, None, "mail.signature_request_sent", app, recipients=len(recipients))
    return True
