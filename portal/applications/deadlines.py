"""Read-only questions about an application's deadline and the version the agency assesses.

Shared by the a-kasse's services and the agency's assessment, so neither calls the other's
services.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from portal.db import remembered_one
from portal.models import (
    Application,
    ApplicationStatus,
    ApplicationVersion,
    Call,
    DeadlineExtension,
)


def effective_deadline(db: Session, app: Application) -> datetime:
    return deadline_for(db, app.call, app.organisation_id)


def deadline_for(db: Session, call: Call, organisation_id: int) -> datetime:
    """The call's deadline, or the a-kasse's extended one."""
    ext = extension_for(db, call.id, organisation_id)
    return max(call.deadline_at, ext.deadline_at) if ext else call.deadline_at


def extension_for(db: Session, call_id: int, organisation_id: int) -> DeadlineExtension | None:
    return remembered_one(db, DeadlineExtension, call_id=call_id, organisation_id=organisation_id)


def assessed_version(db: Session, app: Application) -> ApplicationVersion | None:
    """The version the agency assesses: the last one submitted before the (extended)
    deadline, unless the application was withdrawn."""
    if app.status == ApplicationStatus.WITHDRAWN:
        return None
    deadline = effective_deadline(db, app)
    eligible = [v for v in app.versions if v.submitted_at <= deadline]
    return eligible[-1] if eligible else None
