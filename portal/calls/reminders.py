"""Reminders before the deadline to everyone holding a draft application."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from flask_babel import format_datetime
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal import audit
from portal.applications import services as applications
from portal.mail import MailError, send_mail
from portal.models import Application, ApplicationStatus, Call, User

log = logging.getLogger(__name__)


def draft_holders(db: Session, call: Call) -> list[tuple[Application, list[str]]]:
    """Draft applications with their a-kasse's active users' and contact's addresses."""
    drafts = db.scalars(
        select(Application).where(
            Application.call_id == call.id, Application.status == ApplicationStatus.DRAFT
        )
    ).all()
    result = []
    for app in sorted(drafts, key=lambda a: a.organisation.name):
        users = db.scalars(
            select(User.email).where(
                User.organisation_id == app.organisation_id, User.is_active.is_(True)
            )
        ).all()
        addresses = sorted({*users, *([app.contact_email] if app.contact_email else [])})
        if addresses:
            result.append((app, addresses))
    return result


def send_reminders(
    db: Session, actor_id: int | None, call: Call, config: Mapping[str, object]
) -> int:
    sent = failed = 0
    for app, addresses in draft_holders(db, call):
        deadline = applications.effective_deadline(db, app)
        when = format_datetime(deadline, "d. MMMM y 'kl.' HH.mm")
        subject = _("Påmindelse: ansøgningsfristen er %(when)s", when=when)
        body = _(
            "Kære %(fund)s\n\nJeres ansøgning til «%(call)s» er endnu ikke indsendt. "
            "Fristen er %(when)s (dansk tid). Kun a-kassens tegningsberettigede kan "
            "indsende.\n\nMed venlig hilsen\nStyrelsen for Arbejdsmarked og Rekruttering",
            fund=app.organisation.name,
            call=call.title,
            when=when,
        )
        try:
            send_mail(config, addresses, subject, body)
        except (OSError, MailError):
            log.exception("reminder mail failed for application %s", app.id)
            failed += 1
            continue
        sent += len(addresses)
    audit.record(db, actor_id, "call.reminders_sent", call, recipients=sent, failed=failed)
    return sent
