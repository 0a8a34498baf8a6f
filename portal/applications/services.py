"""Applications (Trin 1): drafts, attachments, and submission as an immutable, hashed record.

Services take the database session, the acting user and plain data; they flush, never commit.
The deadline is read from the server clock inside the writing transaction.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from geo.errors import GeoError
from portal import audit
from portal.applications import rules
from portal.applications.deadlines import (
    deadline_for,
    effective_deadline,
    extension_for,
)
from portal.db import remembered
from portal.errors import ApplicationError
from portal.extent import Extent
from portal.models import (
    Answer,
    Application,
    ApplicationStatus,
    ApplicationVersion,
    Attachment,
    AuditEvent,
    Call,
    CallStatus,
    DeadlineExtension,
    Role,
    User,
    utcnow,
)


@dataclass(frozen=True)
class DraftData:
    cvr: str | None
    members: int | None
    field: str | None
    sector: str | None
    answers: dict[int, str]
    extent: list[str]
    capacity_courses: int | None
    staff_fte: float | None
    interviews_per_fte_week: float | None
    contact_name: str | None
    contact_email: str | None
    contact_phone: str | None
    # The revision the form was loaded at; None for a first save.
    revision: int | None = None
    # After a save conflict: field name -> "mine", "theirs", "merged" or "taken" (only the
    # other person had changed it), for the audit log.
    resolved: Mapping[str, str] = dataclasses.field(default_factory=dict)


def draft_values(data: DraftData) -> dict[str, str]:
    """Each field of the draft as one comparable string (the unit of a save conflict)."""

    def text(value: object) -> str:
        return "" if value is None else str(value).replace("\r\n", "\n")

    def number(value: float | None) -> str:
        return "" if value is None else repr(float(value))

    values = {
        "cvr": text(data.cvr),
        "members": text(data.members),
        "field": text(data.field),
        "sector": text(data.sector),
        "extent": " ".join(data.extent),
        "capacity_courses": text(data.capacity_courses),
        "staff_fte": number(data.staff_fte),
        "interviews_per_fte_week": number(data.interviews_per_fte_week),
        "contact_name": text(data.contact_name),
        "contact_email": text(data.contact_email),
        "contact_phone": text(data.contact_phone),
    }
    values.update({f"answer_{key}": text(answer) for key, answer in data.answers.items()})
    return values


def get_or_create(db: Session, call: Call, organisation_id: int, actor_id: int) -> Application:
    app = find(db, call.id, organisation_id)
    return app if app is not None else create(db, call, organisation_id, actor_id)


def create(db: Session, call: Call, organisation_id: int, actor_id: int) -> Application:
    """Insert the application; a colleague's concurrent first save makes this raise
    IntegrityError (one application per a-kasse and call), never overwrite."""
    app = Application(call_id=call.id, organisation_id=organisation_id)
    db.add(app)
    db.flush()
    audit.record(db, actor_id, "application.created", app)
    return app


def find(db: Session, call_id: int, organisation_id: int) -> Application | None:
    return db.scalar(
        select(Application).where(
            Application.call_id == call_id, Application.organisation_id == organisation_id
        )
    )


def is_open_for(db: Session, call: Call, organisation_id: int, now: datetime | None = None) -> bool:
    """May this a-kasse change its application in this call now (server clock)?"""
    now = now or utcnow()
    return call.status == CallStatus.OPEN and rules.is_open(
        now, call.opens_at, deadline_for(db, call, organisation_id)
    )


def is_editable(db: Session, app: Application, now: datetime | None = None) -> bool:
    return is_open_for(db, app.call, app.organisation_id, now)


def _require_open(db: Session, app: Application) -> None:
    if not is_editable(db, app):
        raise ApplicationError("closed")


def set_answer(db: Session, app: Application, criterion_id: int, text: str) -> None:
    answer = next((a for a in app.answers if a.criterion_id == criterion_id), None)
    if answer is None:
        app.answers.append(Answer(criterion_id=criterion_id, text=text))
    else:
        answer.text = text


def save_draft(db: Session, actor: User, app: Application, data: DraftData) -> None:
    """Save the working copy (organisation facts, answers, extent, capacity, contacts).
    A form loaded before someone else's save is refused ("stale"), never silently merged."""
    _require_open(db, app)
    if data.revision is not None and data.revision != app.revision:
        raise ApplicationError("stale_draft")
    org = app.organisation
    org.cvr, org.members, org.field, org.sector = data.cvr, data.members, data.field, data.sector
    valid_ids = {c.id for c in app.call.criteria_set.criteria}
    for criterion_id, text in data.answers.items():
        if criterion_id in valid_ids:
            set_answer(db, app, criterion_id, text)
    app.requested_extent = list(data.extent)
    app.capacity_courses = data.capacity_courses
    app.staff_fte = data.staff_fte
    app.interviews_per_fte_week = data.interviews_per_fte_week
    app.contact_name, app.contact_email = data.contact_name, data.contact_email
    app.contact_phone = data.contact_phone
    app.updated_at = utcnow()
    db.flush()
    resolved = {"resolved": dict(data.resolved)} if data.resolved else {}
    audit.record(db, actor.id, "application.draft_saved", app, **resolved)


@dataclass(frozen=True)
class Saved:
    """Who saved the draft last, and when (shown beside the other version in a conflict)."""

    by: str
    at: datetime


def last_saved(db: Session, app: Application) -> Saved:
    event = _last_event(db, app, "application.draft_saved")
    user = db.get(User, event.actor_id) if event and event.actor_id else None
    return Saved(user.name if user else "", app.updated_at)


def _last_event(db: Session, app: Application, action: str) -> AuditEvent | None:
    return db.scalar(
        select(AuditEvent)
        .where(
            AuditEvent.action == action,
            AuditEvent.object_type == "Application",
            AuditEvent.object_id == str(app.id),
        )
        .order_by(AuditEvent.id.desc())
        .limit(1)
    )


def live_attachments(db: Session, app: Application) -> list[Attachment]:
    return remembered(
        db,
        ("live_attachments", app.id),
        lambda: list(
            db.scalars(
                select(Attachment)
                .where(Attachment.application_id == app.id, Attachment.removed_at.is_(None))
                .order_by(Attachment.id)
            )
        ),
    )


@dataclass(frozen=True)
class NewAttachment:
    filename: str
    stored_name: str
    size_bytes: int
    pages: int
    sha256: str
    criterion_id: int | None


def add_attachment(
    db: Session, actor: User, app: Application, data: NewAttachment, max_total_bytes: int
) -> Attachment:
    _require_open(db, app)
    existing = live_attachments(db, app)
    total = sum(a.size_bytes for a in existing) + data.size_bytes
    if total > max_total_bytes:
        raise ApplicationError("attachments_too_large", limit_mb=max_total_bytes // 2**20)
    limit = rules.annex_page_budget(app.call.page_limit, app.call.page_limit_with_annexes)
    pages = sum(a.pages for a in existing) + data.pages
    if pages > limit:
        raise ApplicationError("annex_pages", pages=pages, limit=limit)
    attachment = Attachment(application_id=app.id, uploaded_by_id=actor.id, **data.__dict__)
    db.add(attachment)
    app.updated_at = utcnow()
    db.flush()
    audit.record(
        db,
        actor.id,
        "attachment.added",
        attachment,
        application=app.id,
        sha256=data.sha256,
        pages=data.pages,
    )
    return attachment


def remove_attachment(db: Session, actor: User, app: Application, attachment: Attachment) -> None:
    _require_open(db, app)
    attachment.removed_at = utcnow()
    app.updated_at = utcnow()
    db.flush()
    audit.record(db, actor.id, "attachment.removed", attachment, application=app.id)


def draft_of(db: Session, app: Application) -> rules.Draft:
    criteria = app.call.criteria_set.criteria
    org = app.organisation
    return rules.Draft(
        cvr=org.cvr,
        members=org.members,
        field=org.field,
        sector=org.sector,
        answers={a.criterion_id: a.text for a in app.answers},
        criteria=[(c.id, c.title) for c in criteria],
        extent=app.requested_extent or [],
        capacity_courses=app.capacity_courses,
        staff_fte=app.staff_fte,
        interviews_per_fte_week=app.interviews_per_fte_week,
        contact_name=app.contact_name,
        contact_email=app.contact_email,
        annex_pages=sum(a.pages for a in live_attachments(db, app)),
        page_limit=app.call.page_limit,
        page_limit_with_annexes=app.call.page_limit_with_annexes,
        eligible_municipalities=_eligible_count(app),
    )


def _eligible_count(app: Application) -> int | None:
    try:
        return len(Extent.parse(app.requested_extent).resolve(app.call.exclusion_list))
    except GeoError:  # an entry stored before validation was this strict
        return None


def content_of(db: Session, app: Application) -> dict[str, Any]:
    """The frozen content of a submission: everything the hash covers."""
    org = app.organisation
    return {
        "call_id": app.call_id,
        "organisation": {
            "id": org.id,
            "short_id": org.short_id,
            "name": org.name,
            "cvr": org.cvr,
            "members": org.members,
            "field": org.field,
            "sector": org.sector,
        },
        "answers": {
            str(a.criterion_id): a.text for a in sorted(app.answers, key=lambda a: a.criterion_id)
        },
        "requested_extent": list(app.requested_extent or []),
        "capacity": {
            "courses": app.capacity_courses,
            "staff_fte": app.staff_fte,
            "interviews_per_fte_week": app.interviews_per_fte_week,
        },
        "contact": {
            "name": app.contact_name,
            "email": app.contact_email,
            "phone": app.contact_phone,
        },
        "attachments": [
            {
                "id": a.id,
                "filename": a.filename,
                "sha256": a.sha256,
                "criterion_id": a.criterion_id,
                "size_bytes": a.size_bytes,
                "pages": a.pages,
            }
            for a in live_attachments(db, app)
        ],
    }


def content_hash(content: dict[str, Any]) -> str:
    """SHA-256 over the canonical JSON of the content (sorted keys, no spaces, UTF-8); the
    attachments enter through their own SHA-256 digests."""
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def submit(
    db: Session,
    actor: User,
    app: Application,
    expected_revision: int | None,
    now: datetime | None = None,
) -> ApplicationVersion:
    """Freeze a new version. Only the signatory of the a-kasse submits; the deadline is checked
    against the server clock in this transaction; `expected_revision` (the revision the
    signatory saw) makes a double click or a concurrent submit yield one version."""
    if actor.role != Role.SIGNATORY or actor.organisation_id != app.organisation_id:
        raise ApplicationError("not_signatory")
    now = now or utcnow()
    if app.call.status != CallStatus.OPEN or not rules.is_open(
        now, app.call.opens_at, effective_deadline(db, app)
    ):
        raise ApplicationError("closed")
    if expected_revision is not None and expected_revision != app.revision:
        raise ApplicationError("stale")
    missing = [item for item in rules.checklist(draft_of(db, app)) if not item.done]
    if missing:
        raise ApplicationError("incomplete", count=len(missing))
    return _freeze(db, actor, app, now)


def _freeze(db: Session, actor: User, app: Application, now: datetime) -> ApplicationVersion:
    content = content_of(db, app)
    number = (
        db.scalar(
            select(func.max(ApplicationVersion.number)).where(
                ApplicationVersion.application_id == app.id
            )
        )
        or 0
    ) + 1
    version = ApplicationVersion(
        number=number,
        submitted_at=now,
        submitted_by_id=actor.id,
        content=content,
        content_hash=content_hash(content),
    )
    app.versions.append(version)
    app.status = ApplicationStatus.SUBMITTED
    app.withdrawal_reason = None
    app.updated_at = now
    db.flush()
    audit.record(
        db,
        actor.id,
        "application.submitted",
        app,
        version=number,
        content_hash=version.content_hash,
    )
    return version


def submitted_unchanged(db: Session, app: Application) -> ApplicationVersion | None:
    """The last submitted version when the draft has not changed since it, else None."""
    if app.status != ApplicationStatus.SUBMITTED or not app.versions:
        return None
    last = app.versions[-1]
    return last if content_hash(content_of(db, app)) == last.content_hash else None


# --- the drafter hands over to the signatory ---------------------------------------------


def request_signature(db: Session, actor: User, app: Application) -> list[User]:
    """Record that the complete draft is ready for the a-kasse's signatories; returns them
    (the caller mails them after the commit)."""
    _require_open(db, app)
    missing = [item for item in rules.checklist(draft_of(db, app)) if not item.done]
    if missing:
        raise ApplicationError("incomplete", count=len(missing))
    signatories = list(
        db.scalars(
            select(User)
            .where(
                User.organisation_id == app.organisation_id,
                User.role == Role.SIGNATORY,
                User.is_active.is_(True),
            )
            .order_by(User.name)
        )
    )
    if not signatories:
        raise ApplicationError("no_signatory")
    audit.record(
        db,
        actor.id,
        "application.signature_requested",
        app,
        revision=app.revision,
        signatories=len(signatories),
    )
    return signatories


@dataclass(frozen=True)
class SignatureRequest:
    by: str
    at: datetime


def pending_signature_request(db: Session, app: Application) -> SignatureRequest | None:
    """The last hand-over to the signatory, unless a version has been submitted since."""
    event = _last_event(db, app, "application.signature_requested")
    if event is None or (app.versions and app.versions[-1].submitted_at >= event.at):
        return None
    user = db.get(User, event.actor_id) if event.actor_id else None
    return SignatureRequest(user.name if user else "", event.at)


def withdraw(db: Session, actor: User, app: Application, reason: str) -> None:
    if actor.role != Role.SIGNATORY or actor.organisation_id != app.organisation_id:
        raise ApplicationError("not_signatory")
    _require_open(db, app)
    if app.status != ApplicationStatus.SUBMITTED:
        raise ApplicationError("not_submitted")
    app.status = ApplicationStatus.WITHDRAWN
    app.withdrawal_reason = reason
    app.updated_at = utcnow()
    db.flush()
    audit.record(db, actor.id, "application.withdrawn", app)


@dataclass(frozen=True)
class NewExtension:
    organisation_id: int
    deadline_at: datetime  # UTC
    reason: str


def grant_extension(db: Session, actor: User, call: Call, data: NewExtension) -> DeadlineExtension:
    organisation_id, deadline_at, reason = data.organisation_id, data.deadline_at, data.reason
    if deadline_at <= call.deadline_at:
        raise ApplicationError("extension_not_later")
    ext = extension_for(db, call.id, organisation_id)
    if ext is None:
        ext = DeadlineExtension(
            call_id=call.id,
            organisation_id=organisation_id,
            deadline_at=deadline_at,
            reason=reason,
            granted_by_id=actor.id,
        )
        db.add(ext)
    else:
        ext.deadline_at, ext.reason, ext.granted_by_id = deadline_at, reason, actor.id
        ext.granted_at = utcnow()
    db.flush()
    audit.record(
        db,
        actor.id,
        "call.extension_granted",
        call,
        organisation=organisation_id,
        deadline=deadline_at.isoformat(),
        reason=reason,
    )
    return ext
