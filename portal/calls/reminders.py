"""Reminders before the deadline to everyone holding a draft application."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal import audit
from portal.applications import services as applications
from portal.mail import MailError, send_mail
from portal.models import Application, ApplicationStatus, Call, User
from portal.web import format_when

log = logging.getLogger(__name__)


def draft_holders(db: Session, call: Call) -> list[tuple[Application, list[str]]]:
    """Draft applications with their a-kasse's active users' and contact's addresses (an
    a-kasse with no address at all has an empty list)."""
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
        result.append((app, addresses))
    return result


@dataclass(frozen=True)
class ReminderReport:
    """How the reminders went: recipients reached, and the a-kasser not reached and why."""

    sent: int
    no_address: list[str]
    failed: list[str]


def send_reminders(
    db: Session, actor_id: int | None, call: Call, config: Mapping[str, object]
) -> ReminderReport:
    sent = 0
    no_address: list[str] = []
    failed: list[str] = []
    for app, addresses in draft_holders(db, call):
        if not addresses:
            no_address.append(app.organisation.name)
            continue
        deadline = applications.effective_deadline(db, app)
        when = format_when(deadline)
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
            failed.append(app.organisation.name)
            continue
        sent += len(addresses)
    audit.record(
        db,
        actor_id,
        "call.reminders_sent",
        call,
        recipients=sent,
        failed=len(failed),
        no_address=no_address,
    )
    return ReminderReport(sent, no_address, failed)
