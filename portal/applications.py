"""Applications (Trin 1): drafts, and submission as an immutable, hashed record."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal import audit
from portal.models import (
    Answer,
    Application,
    ApplicationStatus,
    ApplicationVersion,
    Attachment,
    Call,
    DeadlineExtension,
    utcnow,
)


class ApplicationError(ValueError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def get_or_create(db: Session, call: Call, organisation_id: int, actor_id: int) -> Application:
    app = db.scalar(select(Application).where(Application.call_id == call.id,
                                              Application.organisation_id == organisation_id))
    if app is None:
        app = Application(call_id=call.id, organisation_id=organisation_id)
        db.add(app)
        db.flush()
        audit.record(db, actor_id, "application.created", app)
    return app


def effective_deadline(db: Session, app: Application) -> datetime:
    ext = db.scalar(select(DeadlineExtension).where(
        DeadlineExtension.call_id == app.call_id,
        DeadlineExtension.organisation_id == app.organisation_id))
    return max(app.call.deadline_at, ext.deadline_at) if ext else app.call.deadline_at


def set_answer(db: Session, app: Application, criterion_id: int, text: str) -> None:
    answer = next((a for a in app.answers if a.criterion_id == criterion_id), None)
    if answer is None:
        app.answers.append(Answer(criterion_id=criterion_id, text=text))
    else:
        answer.text = text


def content_of(db: Session, app: Application) -> dict[str, Any]:
    """The frozen content of a submission: everything the hash covers."""
    attachments = db.scalars(select(Attachment).where(
        Attachment.application_id == app.id, Attachment.removed_at.is_(None)
    ).order_by(Attachment.id))
    org = app.organisation
    return {
        "call_id": app.call_id,
        "organisation": {"id": org.id, "short_id": org.short_id, "name": org.name, "cvr": org.cvr,
                         "members": org.members, "field": org.field, "sector": org.sector},
        "answers": {str(a.criterion_id): a.text for a in sorted(app.answers,
                                                                 key=lambda a: a.criterion_id)},
        "requested_extent": list(app.requested_extent or []),
        "capacity": {"courses": app.capacity_courses, "staff_fte": app.staff_fte,
                     "interviews_per_fte_week": app.interviews_per_fte_week},
        "contact": {"name": app.contact_name, "email": app.contact_email,
                    "phone": app.contact_phone},
        "attachments": [{"id": a.id, "filename": a.filename, "sha256": a.sha256,
                         "criterion_id": a.criterion_id, "size_bytes": a.size_bytes}
                        for a in attachments],
    }


def content_hash(content: dict[str, Any]) -> str:
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def submit(db: Session, app: Application, actor_id: int, now: datetime | None = None
           ) -> ApplicationVersion:
    """Freeze a new version. The deadline is checked against the server clock inside the
    writing transaction; the optimistic version lock makes concurrent submits yield one."""
    now = now or utcnow()
    if now > effective_deadline(db, app):
        raise ApplicationError("deadline_passed", "the deadline has passed")
    content = content_of(db, app)
    number = (db.scalar(select(func.max(ApplicationVersion.number))
                        .where(ApplicationVersion.application_id == app.id)) or 0) + 1
    version = ApplicationVersion(number=number, submitted_at=now, submitted_by_id=actor_id,
                                 content=content, content_hash=content_hash(content))
    app.versions.append(version)
    app.status = ApplicationStatus.SUBMITTED
    app.updated_at = now
    db.flush()
    audit.record(db, actor_id, "application.submitted", app, version=number,
                 content_hash=version.content_hash)
    return version
