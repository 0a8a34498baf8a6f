"""Arrange letters: a call whose Trin 2 decisions are published, through the services.

* 3F is approved as applied for (nationwide, 16,000 courses): an "eligible" letter;
* HK is approved for half of Region Hovedstaden and half its capacity: a "partial" letter;
* MA is rejected (criterion 5 below its threshold): a "rejected" letter.

Sara and Søren assessed all three and the lead consolidated and decided them; Klara, an
assessor who took no part, can handle an appeal. `select_3f` records the agreement parties'
choice of 3F alone (a stored proposal, no optimizer run), for the Trin 3 letters.

Users share one password hash (argon2 costs half a second a hash).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from portal.assessment import services as assessment
from portal.assessment.rules import ScoreEntry
from portal.models import (
    ApplicationVersion,
    Call,
    EligibilityDecision,
    Role,
    RunKind,
    RunStatus,
    SelectionDecision,
    SelectionProposal,
    SelectionRun,
    User,
)
from portal.proposals import services as proposals
from portal.reference import AGENCY_SHORT_ID
from tests.portal.assessment.conftest import close_deadline, submit_for
from tests.portal.helpers import open_call
from tests.portal.proposals.arrange import person

GOOD = (3, 3, 2, 3, 2, 3)
WEAK = (2, 2, 2, 2, 1, 2)  # criterion 5 below its threshold

APPLICATIONS = {
    "3F": (["national"], 16000, GOOD),
    "HK": (["region:1084"], 5000, GOOD),
    "MA": (["101", "147"], 1500, WEAK),
}


@dataclass
class World:
    call: Call
    lead: User
    admin: User
    sara: User
    soeren: User
    klara: User  # an assessor who took no part in the assessment
    signatories: dict[str, User]
    hk_drafter: User
    versions: dict[str, ApplicationVersion]
    decisions: dict[str, EligibilityDecision]


def _entries(criteria: list[Any], scores: tuple[int, ...], who: str) -> list[ScoreEntry]:
    return [
        ScoreEntry(c.id, s, f"{who}: vurderet til {s}.")
        for c, s in zip(criteria, scores, strict=True)
    ]


def _assess_and_decide(
    db: Session, world: World, short_id: str, scores: tuple[int, ...]
) -> EligibilityDecision:
    version = world.versions[short_id]
    criteria = list(version.application.call.criteria_set.criteria)
    for assessor in (world.sara, world.soeren):
        assessment.add_assignment(db, world.lead, version, assessor)
        assessment.declare(db, assessor, version, False, "")
        assessment.save_assessment(
            db, assessor, version, _entries(criteria, scores, assessor.name), True
        )
    assessment.save_consolidation(
        db,
        world.lead,
        version,
        [
            assessment.ConsolidatedEntry(
                c.id, s, f"Konsolideret for {short_id}: kriterium {c.position} får {s}."
            )
            for c, s in zip(criteria, scores, strict=True)
        ],
        sign_off=True,
    )
    eligible, _failing = assessment.proposal(db, version) or (False, [])
    covered = sorted(assessment.requested_covered(db, version))
    declared = assessment.declared_capacity(version) or 0
    partial = short_id == "HK"
    return assessment.decide(
        db,
        world.lead,
        version,
        assessment.DecisionData(
            eligible=eligible,
            reasoning=f"Samlet begrundelse for {short_id}."
            + (" Kun de kommuner, hvor a-kassen har afdelinger." if partial else ""),
            approved=frozenset(
                (covered[: len(covered) // 2] if partial else covered) if eligible else []
            ),
            capacity=(declared // 2 if partial else declared) if eligible else None,
        ),
    )


def arrange(app: Any, db: Session) -> World:
    call = open_call(db)
    agency = AGENCY_SHORT_ID
    world = World(
        call=call,
        lead=person(db, Role.LEAD_ASSESSOR, agency, "leder@test.dk"),
        admin=person(db, Role.ADMIN, agency, "admin@test.dk"),
        sara=person(db, Role.ASSESSOR, agency, "sara@test.dk"),
        soeren=person(db, Role.ASSESSOR, agency, "soeren@test.dk"),
        klara=person(db, Role.ASSESSOR, agency, "klara@test.dk"),
        signatories={},
        hk_drafter=person(db, Role.DRAFTER, "HK", "hk-medarbejder@test.dk"),
        versions={},
        decisions={},
    )
    db.commit()
    with app.app_context():
        for short_id, (extent, capacity, _scores) in APPLICATIONS.items():
            signatory = person(db, Role.SIGNATORY, short_id, f"{short_id.lower()}@test.dk")
            world.signatories[short_id] = signatory
            world.versions[short_id] = submit_for(
                db,
                call,
                signatory,
                extent=extent,
                capacity_courses=capacity,
                staff_fte=round(capacity / 450, 1),
                contact_email=f"kontakt@{short_id.lower()}.example.dk",
            )
    close_deadline(db, call)
    for short_id, (_extent, _capacity, scores) in APPLICATIONS.items():
        world.decisions[short_id] = _assess_and_decide(db, world, short_id, scores)
    assessment.publish(db, world.lead, call)
    db.commit()
    return world


def select_3f(db: Session, world: World) -> SelectionDecision:
    """The agreement parties choose 3F alone, for a third of Jutland's municipalities."""
    codes = sorted(e.municipality_code for e in world.decisions["3F"].extent)[:20]
    run = SelectionRun(
        call_id=world.call.id,
        created_by_id=world.lead.id,
        label="Forslag",
        problem={},
        status=RunStatus.DONE,
        kind=RunKind.BASE,
        input_hash="0" * 64,
    )
    db.add(run)
    db.flush()
    proposal = SelectionProposal(
        run_id=run.id,
        rank=1,
        objective=0.1,
        proposal={
            "status": "optimal",
            "selected": [{"id": "3F", "municipalities": codes, "treated_volume": 6400.4}],
        },
    )
    db.add(proposal)
    db.flush()
    decided = proposals.record_decision(
        db, world.lead, proposal, date(2026, 4, 2), "3F udvælges for at sikre volumen."
    )
    db.commit()
    return decided
