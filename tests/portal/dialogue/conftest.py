"""A call past its deadline with two consolidated applications (HK's signed off, eligible;
3F's signed off, not eligible), their published decisions, the agency's people and two
labour-market party accounts of different party organisations."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from portal.assessment import rules
from portal.assessment import services as assessment
from portal.models import ApplicationVersion, Criterion, Role, User
from tests.portal.assessment.conftest import Trin2, trin2  # noqa: F401 - the fixture

# Words only an individual assessor wrote: the labour-market parties must never read them.
SARA_MARKER = "Sara-vurdering-X91"
SOEREN_MARKER = "Soeren-vurdering-Z27"

HK_SCORES = (3, 3, 2, 4, 2, 3)
THREEF_SCORES = (2, 3, 1, 2, None, 2)  # criterion 3 below its threshold, 5 cannot be assessed


@dataclass
class World:
    t: Trin2
    admin: User
    fh: User  # labour-market party, Fagbevægelsens Hovedorganisation
    da: User  # labour-market party, Dansk Arbejdsgiverforening
    criteria: list[Criterion]


def _assessed(db: Session, t: Trin2, version: ApplicationVersion) -> None:
    """Sara and Søren assess the version (their justifications carry their markers)."""
    for person in (t.sara, t.soeren):
        assessment.add_assignment(db, t.lead, version, person)
        assessment.declare(db, person, version, False, "")
    criteria = list(t.call.criteria_set.criteria)
    for person, marker, score in ((t.sara, SARA_MARKER, 4), (t.soeren, SOEREN_MARKER, 1)):
        entries = [rules.ScoreEntry(c.id, score, f"{marker} {c.position}") for c in criteria]
        assessment.save_assessment(db, person, version, entries, submit=True)
    db.commit()


def sign_off(
    db: Session, t: Trin2, version: ApplicationVersion, scores: Sequence[int | None]
) -> None:
    _assessed(db, t, version)
    criteria = list(t.call.criteria_set.criteria)
    entries = [
        assessment.ConsolidatedEntry(c.id, score, f"Konsolideret {c.position}.")
        for c, score in zip(criteria, scores, strict=True)
    ]
    assessment.save_consolidation(db, t.lead, version, entries, sign_off=True)
    db.commit()


def decide_and_publish(db: Session, t: Trin2) -> None:
    for version in (t.hk_version, t.threef_version):
        eligible, _failing = assessment.proposal(db, version) or (False, [])
        covered = assessment.requested_covered(db, version)
        assessment.decide(
            db,
            t.lead,
            version,
            assessment.DecisionData(
                eligible=eligible,
                reasoning="Afgørelsens begrundelse.",
                approved=frozenset(covered if eligible else ()),
                capacity=1000 if eligible else None,
            ),
        )
    assessment.publish(db, t.lead, t.call)
    db.commit()


@pytest.fixture()
def world(app: Flask, db: Session, make_user: Any, trin2: Trin2) -> World:  # noqa: F811
    admin = make_user(Role.ADMIN, "STAR", email="admin@test.dk")
    fh = make_user(Role.LABOUR_PARTY, "ARBMARKPARTER", email="fh@test.dk")
    da = make_user(Role.LABOUR_PARTY, "ARBMARKPARTER", email="da@test.dk")
    fh.party = "Fagbevægelsens Hovedorganisation"
    da.party = "Dansk Arbejdsgiverforening"
    db.commit()
    return World(trin2, admin, fh, da, list(trin2.call.criteria_set.criteria))


@pytest.fixture()
def decided(db: Session, world: World) -> World:
    """Both applications consolidated (HK before, 3F after nothing is published) and the
    decisions published: HK eligible for all it asked, 3F not eligible."""
    sign_off(db, world.t, world.t.hk_version, HK_SCORES)
    sign_off(db, world.t, world.t.threef_version, THREEF_SCORES)
    decide_and_publish(db, world.t)
    return world
