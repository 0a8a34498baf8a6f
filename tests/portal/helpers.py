"""Arrange helpers for portal tests: calls, complete applications, tiny PDFs."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

from pypdf import PdfWriter
from pypdf.actions import JavaScript
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.applications import services as applications
from portal.applications.services import DraftData
from portal.calls import services as calls
from portal.models import Application, Call, Organisation, User, utcnow


def open_call(db: Session, *, deadline_in: timedelta = timedelta(days=10), **extra: Any) -> Call:
    cset = calls.create_default_criteria_set(db, None)
    calls.publish_criteria_set(db, None, cset)
    now = utcnow()
    call = calls.create_call(
        db,
        None,
        calls.NewCall(
            title="Testrunde",
            criteria_set_id=cset.id,
            opens_at=now - timedelta(days=5),
            deadline_at=now + deadline_in,
            **extra,
        ),
    )
    db.commit()
    return call


def org_id(db: Session, short_id: str) -> int:
    return int(db.scalar(select(Organisation.id).where(Organisation.short_id == short_id)))


def draft_data(call: Call, **changes: Any) -> DraftData:
    values: dict[str, Any] = dict(
        cvr="12345678",
        members=200000,
        field="office_commerce",
        sector="mixed",
        answers={c.id: f"Svar på {c.title}." for c in call.criteria_set.criteria},
        extent=["region:1084"],
        capacity_courses=5000,
        staff_fte=11.0,
        interviews_per_fte_week=18.0,
        contact_name="Karin Kontakt",
        contact_email="karin@hk.example.dk",
        contact_phone=None,
    )
    values.update(changes)
    return DraftData(**values)


def complete_application(db: Session, call: Call, user: User) -> Application:
    app = applications.get_or_create(db, call, user.organisation_id, user.id)
    applications.save_draft(db, user, app, draft_data(call))
    db.commit()
    return app


def pdf_bytes(pages: int = 1, javascript: bool = False) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    if javascript:
        writer.add_open_action(JavaScript("app.alert('hej');"))
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def draft_form(call: Call, **changes: str) -> dict[str, Any]:
    """The draft form as a browser posts it."""
    data: dict[str, Any] = {
        "cvr": "12345678",
        "members": "200000",
        "field": "office_commerce",
        "sector": "mixed",
        "extent_kind": "regions",
        "regions": ["1084"],
        "capacity_courses": "5000",
        "staff_fte": "11.0",
        "interviews_per_fte_week": "18.0",
        "contact_name": "Karin Kontakt",
        "contact_email": "karin@hk.example.dk",
        "contact_phone": "",
    }
    for criterion in call.criteria_set.criteria:
        data[f"answer_{criterion.id}"] = f"Svar på {criterion.title}."
    data.update(changes)
    return data
