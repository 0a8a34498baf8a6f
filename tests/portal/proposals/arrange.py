"""Arrange Trin 3: a call whose Trin 2 decisions are published, through the services.

The a-kasser, their requested extents and the decisions are chosen so that each figure of the
`selection-problem/1` document can be checked by hand:

* six a-kasser are approved and published; MinA only for half of its requested municipalities
  and half its capacity, as in the demo's partial approval;
* MA is rejected (criterion 5 below its threshold) and published;
* CA is approved but not published (the decision is pending);
* HK has submitted but has no decision.

Users are made with one password hash computed once per run: argon2 costs half a second a hash.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from functools import cache
from statistics import fmean
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal import audit
from portal.accounts.passwords import hash_password
from portal.assessment import services as assessment
from portal.assessment.rules import ScoreEntry
from portal.models import (
    ApplicationVersion,
    Call,
    Organisation,
    Role,
    SelectionRun,
    User,
)
from portal.reference import AGENCY_SHORT_ID, PARTIES_SHORT_ID
from tests.conftest import TEST_PASSWORD, login, require_tool
from tests.portal.assessment.conftest import close_deadline, submit_for
from tests.portal.helpers import open_call

GOOD = (3, 3, 2, 3, 2, 3)  # mean 16/6 = 2.67
STRONG = (4, 3, 3, 4, 3, 3)  # mean 20/6 = 3.33
WEAK = (2, 2, 2, 2, 1, 2)  # criterion 5 below its threshold: not eligible

# a-kasse -> (requested extent, declared capacity, scores of both assessors and the lead)
PUBLISHED_ELIGIBLE = {
    "3F": (["national"], 16000, STRONG),
    "FOA": (["national"], 10000, GOOD),
    "Metal": (["national"], 6000, GOOD),
    "DSA": (["national"], 5000, STRONG),
    "FTF-A": (["region:1082", "region:1081"], 5000, GOOD),
    "MinA": (["region:1084", "region:1085"], 5000, STRONG),  # approved in part
}
PARTIAL = "MinA"
REJECTED = "MA"
PENDING = "CA"
UNDECIDED = "HK"
OTHER_APPLICATIONS = {
    REJECTED: (["101", "147"], 1500, WEAK),
    PENDING: (["region:1084"], 2500, GOOD),
    UNDECIDED: (["region:1084"], 5000, GOOD),
}
# The call's targets, small enough for the six approved a-kasser to reach.
TARGET_VOLUME = 20000
MIN_SHARE = 0.12
PARTY_A = "Socialdemokratiet"
PARTY_B = "Venstre"


def expected_score(scores: tuple[int, ...]) -> float:
    return round(fmean(scores), 2)


@cache
def _password_hash() -> str:
    return hash_password(TEST_PASSWORD)


def person(
    db: Session, role: Role, organisation: str, email: str, *, party: str | None = None
) -> User:
    """A user who can log in with TEST_PASSWORD (the hash is shared: made once per run)."""
    org_id = db.scalar(select(Organisation.id).where(Organisation.short_id == organisation))
    user = User(
        email=email,
        name=email.split("@")[0].capitalize(),
        role=role,
        password_hash=_password_hash(),
        organisation_id=org_id,
        party=party,
    )
    db.add(user)
    db.flush()
    audit.record(db, None, "user.created", user, role=str(role))
    return user


@dataclass
class Trin3:
    call: Call
    lead: User
    admin: User
    member_a: User  # Socialdemokratiet
    member_a2: User  # Socialdemokratiet, a second member
    member_b: User  # Venstre
    versions: dict[str, ApplicationVersion]
    approved: dict[str, list[str]]  # a-kasse -> approved municipality codes
    capacity: dict[str, int]  # a-kasse -> approved capacity


@dataclass(frozen=True)
class Trin3Ids:
    """What `arrange_trin3` made, by id: to find it again in a copy of its database."""

    call: int
    users: dict[str, int]
    versions: dict[str, int]
    approved: dict[str, list[str]]
    capacity: dict[str, int]


PEOPLE = ("lead", "admin", "member_a", "member_a2", "member_b")


def ids_of(trin3: Trin3) -> Trin3Ids:
    return Trin3Ids(
        call=trin3.call.id,
        users={name: getattr(trin3, name).id for name in PEOPLE},
        versions={short_id: v.id for short_id, v in trin3.versions.items()},
        approved=trin3.approved,
        capacity=trin3.capacity,
    )


def load_trin3(db: Session, ids: Trin3Ids) -> Trin3:
    people: dict[str, Any] = {name: db.get(User, user_id) for name, user_id in ids.users.items()}
    call = db.get(Call, ids.call)
    assert call is not None and all(people.values())
    versions: dict[str, Any] = {k: db.get(ApplicationVersion, v) for k, v in ids.versions.items()}
    return Trin3(
        call=call,
        **people,
        versions=versions,
        approved=dict(ids.approved),
        capacity=dict(ids.capacity),
    )


def _entries(criteria: list[Any], scores: tuple[int, ...]) -> list[ScoreEntry]:
    return [
        ScoreEntry(c.id, s, f"Vurderet til {s}.") for c, s in zip(criteria, scores, strict=True)
    ]


def _assess(
    db: Session, lead: User, assessors: tuple[User, User], version: ApplicationVersion, scores: Any
) -> None:
    criteria = list(version.application.call.criteria_set.criteria)
    for assessor in assessors:
        assessment.add_assignment(db, lead, version, assessor)
        assessment.declare(db, assessor, version, False, "")
        assessment.save_assessment(db, assessor, version, _entries(criteria, scores), True)
    assessment.save_consolidation(
        db,
        lead,
        version,
        [
            assessment.ConsolidatedEntry(c.id, s, f"Konsolideret: {s}.")
            for c, s in zip(criteria, scores, strict=True)
        ],
        sign_off=True,
    )


def _decide(db: Session, lead: User, version: ApplicationVersion, approved: list[str], cap: int):
    eligible, _failing = assessment.proposal(db, version) or (False, [])
    assessment.decide(
        db,
        lead,
        version,
        assessment.DecisionData(
            eligible=eligible,
            reasoning="Begrundelse for afgørelsen.",
            approved=frozenset(approved if eligible else []),
            capacity=cap if eligible else None,
        ),
    )


def arrange_trin3(app: Any, db: Session, *, publish: bool = True, **call_fields: Any) -> Trin3:
    """The call, its people and its applications; with `publish`, the decisions published."""
    call = open_call(
        db,
        target_volume=call_fields.pop("target_volume", TARGET_VOLUME),
        min_share=call_fields.pop("min_share", MIN_SHARE),
        **call_fields,
    )
    lead = person(db, Role.LEAD_ASSESSOR, AGENCY_SHORT_ID, "leder@test.dk")
    admin = person(db, Role.ADMIN, AGENCY_SHORT_ID, "admin@test.dk")
    assessors = (
        person(db, Role.ASSESSOR, AGENCY_SHORT_ID, "sara@test.dk"),
        person(db, Role.ASSESSOR, AGENCY_SHORT_ID, "soeren@test.dk"),
    )
    member_a = person(db, Role.PARTY_MEMBER, PARTIES_SHORT_ID, "a@parti.dk", party=PARTY_A)
    member_a2 = person(db, Role.PARTY_MEMBER, PARTIES_SHORT_ID, "a2@parti.dk", party=PARTY_A)
    member_b = person(db, Role.PARTY_MEMBER, PARTIES_SHORT_ID, "b@parti.dk", party=PARTY_B)
    db.commit()
    versions: dict[str, ApplicationVersion] = {}
    with app.app_context():
        for short_id, (extent, capacity, _scores) in {
            **PUBLISHED_ELIGIBLE,
            **OTHER_APPLICATIONS,
        }.items():
            signatory = person(db, Role.SIGNATORY, short_id, f"{short_id.lower()}@test.dk")
            versions[short_id] = submit_for(
                db,
                call,
                signatory,
                extent=extent,
                capacity_courses=capacity,
                staff_fte=round(capacity / 450, 1),
            )
    close_deadline(db, call)
    approved: dict[str, list[str]] = {}
    capacity: dict[str, int] = {}
    for short_id, (_extent, declared, scores) in PUBLISHED_ELIGIBLE.items():
        version = versions[short_id]
        _assess(db, lead, assessors, version, scores)
        covered = sorted(assessment.requested_covered(db, version))
        approved[short_id] = covered[: len(covered) // 2] if short_id == PARTIAL else covered
        capacity[short_id] = declared // 2 if short_id == PARTIAL else declared
        _decide(db, lead, version, approved[short_id], capacity[short_id])
    _assess(db, lead, assessors, versions[REJECTED], OTHER_APPLICATIONS[REJECTED][2])
    _decide(db, lead, versions[REJECTED], [], 0)
    if publish:
        assessment.publish(db, lead, call)
    # Decided after the publication: pending. HK is consolidated but has no decision.
    pending_extent, pending_capacity, pending_scores = OTHER_APPLICATIONS[PENDING]
    _assess(db, lead, assessors, versions[PENDING], pending_scores)
    _decide(
        db,
        lead,
        versions[PENDING],
        sorted(assessment.requested_covered(db, versions[PENDING])),
        pending_capacity,
    )
    _assess(db, lead, assessors, versions[UNDECIDED], OTHER_APPLICATIONS[UNDECIDED][2])
    db.commit()
    return Trin3(call, lead, admin, member_a, member_a2, member_b, versions, approved, capacity)


def signed_in(app: Any, user: User) -> Any:
    """A test client of its own, logged in as `user`."""
    client = app.test_client()
    response = login(client, user.email)
    assert response.status_code == 302, f"{user.email} could not log in"
    return client


def selected_ids(run: SelectionRun, rank: int = 1) -> list[str]:
    proposal = next(p for p in run.proposals if p.rank == rank)
    return sorted(s["id"] for s in proposal.proposal.get("selected") or [])


def pdf_text(pdf: bytes) -> str:
    """The PDF's text with every run of white space made one space (table cells wrap)."""
    assert pdf.startswith(b"%PDF-")
    tool = require_tool("pdftotext", "poppler-utils")
    result = subprocess.run(
        [tool, "-", "-"], input=pdf, capture_output=True, check=True, timeout=60
    )
    return " ".join(result.stdout.decode().split())


def squeezed(text: str) -> str:
    """Text without white space and hyphens: pdftotext joins a hyphen-wrapped "A-|kasse"."""
    return re.sub(r"[\s\-‐]", "", text)


def token(client: Any, url: str) -> str:
    """A CSRF token from the page at `url` (any of its forms: one token serves them all)."""
    html = client.get(url).get_data(as_text=True)
    found = re.search(r'name="(?:[a-z_]+-)?csrf_token" type="hidden" value="([^"]+)"', html)
    assert found, f"no CSRF token on {url}"
    return found.group(1)
