"""Demo data: accounts, a call with the six criteria, ~15 applications in varied states.

Idempotent: a second run finds the demo call and changes nothing.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal import audit
from portal.accounts.users import NewUser, create_user
from portal.applications import receipts
from portal.applications import services as applications
from portal.calls import services as calls
from portal.demo_assessment import load_demo_assessment
from portal.demo_dialogue import load_demo_dialogue
from portal.demo_letters import load_demo_letters
from portal.models import (
    Call,
    Organisation,
    Role,
    User,
    utcnow,
)
from portal.reference import AGENCY_SHORT_ID, LABOUR_SHORT_ID, PARTIES_SHORT_ID

DEMO_PASSWORD = "demo"  # noqa: S105 - demo accounts work only in demo mode
DEMO_CALL_TITLE = "Ansøgningsrunde: a-kassernes kontaktforløb (demo)"


@dataclass(frozen=True)
class DemoAccount:
    email: str
    name: str
    role: Role
    organisation: str
    party: str | None = None


DEMO_ACCOUNTS = (
    DemoAccount("admin@demo.dk", "Anne Administrator", Role.ADMIN, AGENCY_SHORT_ID),
    DemoAccount("leder@demo.dk", "Lars Leder", Role.LEAD_ASSESSOR, AGENCY_SHORT_ID),
    DemoAccount("sagsbehandler1@demo.dk", "Sara Sagsbehandler", Role.ASSESSOR, AGENCY_SHORT_ID),
    DemoAccount("sagsbehandler2@demo.dk", "Søren Sagsbehandler", Role.ASSESSOR, AGENCY_SHORT_ID),
    DemoAccount("hk@demo.dk", "Hanne Kristensen", Role.SIGNATORY, "HK"),
    DemoAccount("hk-medarbejder@demo.dk", "Henrik Kofoed", Role.DRAFTER, "HK"),
    DemoAccount("3f@demo.dk", "Frida Frandsen", Role.SIGNATORY, "3F"),
    DemoAccount("dlfa@demo.dk", "Lærke Lund", Role.SIGNATORY, "DLF-A"),
    DemoAccount("dlfa-medarbejder@demo.dk", "Lasse Dam", Role.DRAFTER, "DLF-A"),
    DemoAccount(
        "parti@demo.dk",
        "Peter Partimedlem",
        Role.PARTY_MEMBER,
        PARTIES_SHORT_ID,
        "Socialdemokratiet",
    ),
    DemoAccount("parti2@demo.dk", "Vera Venstre", Role.PARTY_MEMBER, PARTIES_SHORT_ID, "Venstre"),
    DemoAccount(
        "parter@demo.dk",
        "Pia Partsrepræsentant",
        Role.LABOUR_PARTY,
        LABOUR_SHORT_ID,
        "Fagbevægelsens Hovedorganisation",
    ),
)

# (fund, state, requested extent, capacity); DLF-A's and Ase's drafts are still being written.
# Where each submitted one stands in Trin 2 is set by `DEMO_ASSESSMENT` in `portal.demo_assessment`.
DEMO_APPLICATIONS: tuple[tuple[str, str, list[str], int | None], ...] = (
    ("3F", "submitted", ["national"], 16000),
    ("HK", "submitted", ["region:1084"], 4000),
    ("AKA", "submitted", ["region:1084", "region:1082"], 8000),
    ("Krifa", "submitted", ["region:1083"], 4000),
    ("FOA", "submitted", ["national"], 10000),
    ("Metal", "submitted", ["national"], 6000),
    ("MinA", "submitted", ["region:1084", "region:1085"], 5000),
    ("FTF-A", "submitted", ["region:1082", "region:1081"], 5000),
    ("BUPL-A", "submitted", ["region:1083"], 2400),
    ("MA", "submitted", ["101", "147"], 1500),
    ("CA", "resubmitted", ["region:1084"], 2500),
    ("Lederne", "submitted", ["national"], 2000),
    ("DLF-A", "draft", [], None),
    ("Ase", "draft", ["national"], 5000),
    ("SL", "withdrawn", ["region:1082"], 900),
    # Region Nordjylland holds only frikommuner: what remains of Dana's request is Sjælland.
    ("Dana", "submitted", ["region:1081", "region:1085"], 800),
    ("DSA", "submitted", ["national"], 5000),
    ("BFA", "submitted", ["national"], 3000),
    ("EL", "submitted", ["national"], 3000),
    ("NNF", "submitted", ["national"], 2500),
    ("DFH", "submitted", ["region:1084", "region:1085"], 3000),
)


# Given an extended deadline, so they can still write (dlfa@demo.dk and its drafter try Trin 1).
STILL_WRITING = ("DLF-A", "Ase")


def _org(db: Session, short_id: str) -> Organisation:
    org = db.scalar(select(Organisation).where(Organisation.short_id == short_id))
    if org is None:
        raise LookupError(f"organisation {short_id!r} missing: load the reference data first")
    return org


def ensure_accounts(db: Session) -> list[User]:
    users = []
    for account in DEMO_ACCOUNTS:
        user = db.scalar(select(User).where(User.email == account.email))
        if user is None:
            user = create_user(
                db,
                None,
                NewUser(
                    email=account.email,
                    name=account.name,
                    role=account.role,
                    password=DEMO_PASSWORD,
                    organisation_id=_org(db, account.organisation).id,
                    is_demo=True,
                ),
            )
        user.party = account.party
        users.append(user)
    return users


def load_demo_data(db: Session) -> Call:
    users = {u.email: u for u in ensure_accounts(db)}
    existing = db.scalar(select(Call).where(Call.title == DEMO_CALL_TITLE))
    if existing is not None:
        return existing
    admin = users["admin@demo.dk"]
    cset = calls.create_default_criteria_set(db, admin.id)
    calls.publish_criteria_set(db, admin.id, cset)
    now = utcnow()
    call = calls.create_call(
        db,
        admin.id,
        calls.NewCall(
            title=DEMO_CALL_TITLE,
            criteria_set_id=cset.id,
            opens_at=now - timedelta(days=14),
            deadline_at=now + timedelta(days=30),
            dialogue_meeting_on=(now + timedelta(days=45)).date(),
        ),
    )
    for short_id, state, extent, capacity in DEMO_APPLICATIONS:
        _demo_application(db, call, _org(db, short_id), state, extent, capacity)
    # The call's deadline has just passed, so Trin 2 can begin; the a-kasser still writing
    # (DLF-A among them) have an extended deadline, so Trin 1 can be tried too.
    call.deadline_at = utcnow()
    for short_id in STILL_WRITING:
        applications.grant_extension(
            db,
            admin,
            call,
            applications.NewExtension(
                organisation_id=_org(db, short_id).id,
                deadline_at=now + timedelta(days=30),
                reason="Forlænget frist (demo): a-kassen skriver stadig på ansøgningen.",
            ),
        )
    db.flush()
    load_demo_assessment(db, call, users)
    load_demo_letters(db, call)
    load_demo_dialogue(db, call)
    audit.record(db, admin.id, "demo.loaded", call)
    return call


def _demo_signatory(db: Session, org: Organisation) -> User:
    """A signatory who cannot log in, so seeded submissions carry a real signer."""
    existing = db.scalar(
        select(User)
        .where(
            User.organisation_id == org.id, User.role == Role.SIGNATORY, User.is_active.is_(True)
        )
        .order_by(User.id)
    )
    if existing is not None:
        return existing
    email = f"underskriver@{org.short_id.lower()}.demo.dk"
    user = db.scalar(select(User).where(User.email == email))
    if user is None:
        user = create_user(
            db,
            None,
            NewUser(
                email=email,
                name=f"Underskriver, {org.short_id}",
                role=Role.SIGNATORY,
                password=secrets.token_urlsafe(24),
                organisation_id=org.id,
                is_demo=True,
            ),
        )
        user.is_active = False
    return user


def _demo_application(
    db: Session,
    call: Call,
    org: Organisation,
    state: str,
    extent: list[str],
    capacity: int | None,
) -> None:
    signer = _demo_signatory(db, org)
    app = applications.get_or_create(db, call, org.id, signer.id)
    org.cvr = org.cvr or f"{30000000 + org.id * 7919:08d}"
    org.members = org.members if org.members is not None else 10000
    app.requested_extent = extent
    app.capacity_courses = capacity
    if capacity:
        app.staff_fte = round(capacity / 450, 1)
        app.interviews_per_fte_week = 18.0
        app.contact_name = f"Kontaktperson, {org.short_id}"
        app.contact_email = f"kontakt@{org.short_id.lower()}.example.dk"
    criteria = call.criteria_set.criteria
    filled = criteria if state != "draft" else criteria[:2]
    for criterion in filled:
        applications.set_answer(
            db,
            app,
            criterion.id,
            f"{org.name} beskriver her sin indsats: {criterion.title.lower()}.",
        )
    db.flush()
    if state == "draft":
        return
    version = applications.submit(db, signer, app, None)
    receipts.issue_receipt(db, version)
    if state == "resubmitted":
        applications.set_answer(db, app, criteria[0].id, "Opdateret beskrivelse af kapaciteten.")
        db.flush()
        version = applications.submit(db, signer, app, None)
        receipts.issue_receipt(db, version)
    if state == "withdrawn":
        applications.withdraw(db, signer, app, "A-kassen har valgt ikke at deltage alligevel.")
