"""A call whose deadline has passed, with submitted applications and the agency's people."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from portal.applications import services as applications
from portal.models import ApplicationVersion, Call, Role, User, utcnow
from tests.portal.helpers import complete_application, draft_data, open_call


@dataclass
class Trin2:
    call: Call
    lead: User
    sara: User  # assessor
    soeren: User  # assessor
    hk: User  # HK's signatory
    hk_drafter: User
    threef: User  # 3F's signatory
    hk_version: ApplicationVersion  # region:1084 (Hovedstaden), 5000 courses declared
    threef_version: ApplicationVersion  # national


def submit_for(db: Session, call: Call, signatory: User, **changes: Any) -> ApplicationVersion:
    app = complete_application(db, call, signatory)
    if changes:
        applications.save_draft(db, signatory, app, draft_data(call, **changes))
        db.commit()
    version = applications.submit(db, signatory, app, None)
    db.commit()
    return version


def close_deadline(db: Session, call: Call) -> None:
    """The deadline passes now: the submitted versions become assessable."""
    call.deadline_at = utcnow()
    db.commit()


@pytest.fixture()
def trin2(app: Flask, db: Session, make_user: Any) -> Trin2:
    call = open_call(db)
    lead = make_user(Role.LEAD_ASSESSOR, "STAR", email="leder@test.dk")
    sara = make_user(Role.ASSESSOR, "STAR", email="sara@test.dk")
    soeren = make_user(Role.ASSESSOR, "STAR", email="soeren@test.dk")
    hk = make_user(Role.SIGNATORY, "HK", email="hk@test.dk")
    hk_drafter = make_user(Role.DRAFTER, "HK", email="hk-drafter@test.dk")
    threef = make_user(Role.SIGNATORY, "3F", email="3f@test.dk")
    with app.app_context():
        hk_version = submit_for(db, call, hk)
        threef_version = submit_for(
            db, call, threef, extent=["national"], contact_email="kontakt@3f.example.dk"
        )
    close_deadline(db, call)
    return Trin2(call, lead, sara, soeren, hk, hk_drafter, threef, hk_version, threef_version)
