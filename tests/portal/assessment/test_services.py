"""Trin 2 services against the database: assignment, declarations, sealed assessments,
reopening, requests for information, consolidation, decisions, publication and calibration."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import ORMExecuteState, Session

from portal.assessment import rules, services
from portal.errors import AssessmentError
from portal.models import (
    ApplicationVersion,
    ApprovedExtent,
    Assessment,
    AssessmentStatus,
    Assignment,
    AuditEvent,
    Call,
    ConflictDeclaration,
    Consolidation,
    CriterionScore,
    DecisionStatus,
    EligibilityDecision,
    ExclusionEntry,
    ExclusionList,
    InformationRequest,
    Municipality,
    RequestedMunicipality,
    Role,
    User,
    utcnow,
)
from tests.portal.assessment.conftest import Trin2

HOVEDSTADEN = "1084"
ODENSE = "461"  # in Syddanmark, outside HK's request, not a frikommune


# --- helpers -----------------------------------------------------------------------------------


def _refused(code: str, service: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
    with pytest.raises(AssessmentError) as caught:
        service(*args, **kwargs)
    assert caught.value.code == code


def _criteria(t: Trin2) -> list[Any]:
    return list(t.call.criteria_set.criteria)


def _entries(t: Trin2, scores: Sequence[int | None], who: str = "") -> list[rules.ScoreEntry]:
    """One entry per criterion; None means "cannot assess"."""
    return [
        rules.ScoreEntry(
            c.id, score, f"{who}begrundelse {c.position}".strip(), cannot_assess=score is None
        )
        for c, score in zip(_criteria(t), scores, strict=True)
    ]


def _consolidated(t: Trin2, scores: Sequence[int | None]) -> list[services.ConsolidatedEntry]:
    return [
        services.ConsolidatedEntry(c.id, score, f"Samlet vurdering {c.position}.")
        for c, score in zip(_criteria(t), scores, strict=True)
    ]


def _assign(db: Session, t: Trin2, version: ApplicationVersion, *assessors: User) -> None:
    for assessor in assessors:
        services.add_assignment(db, t.lead, version, assessor)
    db.commit()


def _declared(db: Session, t: Trin2, version: ApplicationVersion, *assessors: User) -> None:
    """Assigned, and declared free of conflicts."""
    _assign(db, t, version, *assessors)
    for assessor in assessors:
        services.declare(db, assessor, version, False, "")
    db.commit()


def _submit(
    db: Session, t: Trin2, version: ApplicationVersion, assessor: User, scores: Sequence[int | None]
) -> Assessment:
    assessment = services.save_assessment(
        db, assessor, version, _entries(t, scores, f"{assessor.name}s "), submit=True
    )
    db.commit()
    return assessment


def _signed_off(
    db: Session, t: Trin2, version: ApplicationVersion, scores: Sequence[int | None] = (3,) * 6
) -> Consolidation:
    """Sara and Søren assess the version with 3 everywhere; the lead signs off ``scores``."""
    _declared(db, t, version, t.sara, t.soeren)
    _submit(db, t, version, t.sara, (3,) * 6)
    _submit(db, t, version, t.soeren, (3,) * 6)
    consolidation = services.save_consolidation(
        db, t.lead, version, _consolidated(t, scores), sign_off=True
    )
    db.commit()
    return consolidation


def _decision(
    t: Trin2, approved: Sequence[str], capacity: int | None = 1000, **changes: Any
) -> services.DecisionData:
    values: dict[str, Any] = dict(
        eligible=True,
        reasoning="Ansøgningen opfylder kriterierne.",
        approved=frozenset(approved),
        capacity=capacity,
    )
    values.update(changes)
    return services.DecisionData(**values)


def _count(db: Session, model: type[Any], *where: Any) -> int:
    return int(db.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def _events(db: Session, action: str) -> list[AuditEvent]:
    return list(db.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def _assessors_of(db: Session, version: ApplicationVersion) -> set[int]:
    return {a.assessor_id for a in services.assignments(db, [version.id])[version.id]}


def _frikommune_in_hovedstaden(db: Session, call: Call) -> str:
    codes = list(
        db.scalars(
            select(ExclusionEntry.municipality_code)
            .join(ExclusionList)
            .join(Municipality, Municipality.code == ExclusionEntry.municipality_code)
            .where(
                ExclusionList.name == call.exclusion_list, Municipality.region_code == HOVEDSTADEN
            )
            .order_by(ExclusionEntry.municipality_code)
        )
    )
    assert codes, "the call's exclusion list has no frikommune in Hovedstaden"
    return codes[0]


@pytest.fixture()
def named(db: Session, trin2: Trin2) -> Trin2:
    """trin2 with assessors that can be told apart by name."""
    trin2.sara.name = "Sara"
    trin2.soeren.name = "Søren"
    trin2.lead.name = "Lene Leder"
    db.commit()
    return trin2


# --- assignment --------------------------------------------------------------------------------


def test_propose_assignment_gives_both_assessors_every_application(
    db: Session, trin2: Trin2
) -> None:
    t = trin2
    proposed = services.propose_assignment(db, t.lead, t.call)
    db.commit()

    assert proposed.added == 4
    assert proposed.gaps == {}
    expected = {t.sara.id, t.soeren.id}
    assert _assessors_of(db, t.hk_version) == expected
    assert _assessors_of(db, t.threef_version) == expected
    assert all(a.assigned_by_id == t.lead.id for a in db.scalars(select(Assignment)))
    assert len(_events(db, "assessment.assignment_proposed")) == 1


def test_propose_assignment_never_assigns_a_declared_conflict_and_reports_the_gap(
    db: Session, trin2: Trin2
) -> None:
    t = trin2
    _assign(db, t, t.hk_version, t.sara)
    services.declare(db, t.sara, t.hk_version, True, "Min søster er formand for HK.")
    db.commit()

    proposed = services.propose_assignment(db, t.lead, t.call)
    db.commit()

    assert _assessors_of(db, t.hk_version) == {t.soeren.id}
    assert proposed.gaps == {t.hk_version.id: 1}
    assert _assessors_of(db, t.threef_version) == {t.sara.id, t.soeren.id}
    declaration = services.declaration_of(db, t.hk_version.id, t.sara.id)
    assert declaration is not None and declaration.has_conflict


def test_propose_assignment_keeps_hand_made_assignments(
    db: Session, trin2: Trin2, make_user: Any
) -> None:
    t = trin2
    mads = make_user(Role.ASSESSOR, "STAR", email="mads@test.dk")
    services.add_assignment(db, t.lead, t.threef_version, mads)
    db.commit()
    kept = services.find_assignment(db, t.threef_version.id, mads.id)
    assert kept is not None

    proposed = services.propose_assignment(db, t.lead, t.call)
    db.commit()

    db.expire_all()
    assert services.find_assignment(db, t.threef_version.id, mads.id).id == kept.id
    assigned = _assessors_of(db, t.threef_version)
    assert mads.id in assigned and len(assigned) == 2
    assert len(_assessors_of(db, t.hk_version)) == 2
    assert proposed.added == 3 and proposed.gaps == {}
    assert _count(db, Assignment) == 4


def test_propose_assignment_gives_a_hand_assigned_lead_nothing_more(
    db: Session, trin2: Trin2
) -> None:
    t = trin2
    services.add_assignment(db, t.lead, t.threef_version, t.lead)
    db.commit()

    services.propose_assignment(db, t.lead, t.call)
    db.commit()

    assert t.lead.id in _assessors_of(db, t.threef_version)
    assert _assessors_of(db, t.hk_version) == {t.sara.id, t.soeren.id}


def test_propose_assignment_is_for_the_lead_only(db: Session, trin2: Trin2) -> None:
    _refused("lead_only", services.propose_assignment, db, trin2.sara, trin2.call)
    assert _count(db, Assignment) == 0


# --- conflicts of interest ---------------------------------------------------------------------


def test_declare_requires_an_assignment(db: Session, trin2: Trin2) -> None:
    t = trin2
    _refused("not_assigned", services.declare, db, t.sara, t.hk_version, False, "")
    assert _count(db, ConflictDeclaration) == 0


def test_declared_conflict_needs_a_reason_and_ends_the_assignment(
    db: Session, trin2: Trin2
) -> None:
    t = trin2
    _assign(db, t, t.hk_version, t.sara)

    _refused("conflict_reason_missing", services.declare, db, t.sara, t.hk_version, True, "  ")
    assert services.find_assignment(db, t.hk_version.id, t.sara.id) is not None
    assert _count(db, ConflictDeclaration) == 0

    services.declare(db, t.sara, t.hk_version, True, "  Tidligere ansat i HK.  ")
    db.commit()

    assert services.find_assignment(db, t.hk_version.id, t.sara.id) is None
    row = services.declaration_of(db, t.hk_version.id, t.sara.id)
    assert row is not None and row.has_conflict and row.reason == "Tidligere ansat i HK."
    assert not services.may_read(db, t.sara, t.hk_version)
    events = _events(db, "assessment.conflict_declared")
    assert [(e.actor_id, e.object_id, e.data["reason"]) for e in events] == [
        (t.sara.id, str(t.hk_version.id), "Tidligere ansat i HK.")
    ]
    # The assignment is gone, and the lead cannot hand it back.
    _refused("not_assigned", services.declare, db, t.sara, t.hk_version, False, "")
    _refused("conflict_declared", services.add_assignment, db, t.lead, t.hk_version, t.sara)
    assert services.find_assignment(db, t.hk_version.id, t.sara.id) is None


def test_no_conflict_declaration_is_made_once_and_opens_the_content(
    db: Session, trin2: Trin2
) -> None:
    t = trin2
    _assign(db, t, t.hk_version, t.soeren)
    assert services.must_declare(db, t.soeren, t.hk_version)
    assert not services.may_read(db, t.soeren, t.hk_version)

    services.declare(db, t.soeren, t.hk_version, False, "ignoreret")
    db.commit()

    row = services.declaration_of(db, t.hk_version.id, t.soeren.id)
    assert row is not None and not row.has_conflict and row.reason == ""
    assert services.find_assignment(db, t.hk_version.id, t.soeren.id) is not None
    assert services.may_read(db, t.soeren, t.hk_version)
    assert not services.must_declare(db, t.soeren, t.hk_version)
    assert len(_events(db, "assessment.no_conflict_declared")) == 1

    _refused("already_declared", services.declare, db, t.soeren, t.hk_version, True, "Dog.")
    assert _count(db, ConflictDeclaration) == 1
    assert not services.declaration_of(db, t.hk_version.id, t.soeren.id).has_conflict
    assert _events(db, "assessment.conflict_declared") == []


# --- sealed individual assessments -------------------------------------------------------------


def test_save_assessment_requires_a_declaration(db: Session, trin2: Trin2) -> None:
    t = trin2
    _refused(
        "not_assigned",
        services.save_assessment,
        db,
        t.sara,
        t.hk_version,
        _entries(t, [3] * 6),
        True,
    )
    _assign(db, t, t.hk_version, t.sara)
    _refused(
        "not_declared",
        services.save_assessment,
        db,
        t.sara,
        t.hk_version,
        _entries(t, [3] * 6),
        True,
    )
    assert _count(db, Assessment) == 0


@pytest.mark.parametrize(
    "broken",
    [
        pytest.param(
            lambda e: rules.ScoreEntry(e.criterion_id, 5, e.justification), id="off-scale"
        ),
        pytest.param(
            lambda e: rules.ScoreEntry(e.criterion_id, -1, e.justification), id="negative"
        ),
        pytest.param(lambda e: rules.ScoreEntry(e.criterion_id, e.score, "  "), id="no-reason"),
        pytest.param(
            lambda e: rules.ScoreEntry(e.criterion_id, 2, e.justification, cannot_assess=True),
            id="score-and-cannot-assess",
        ),
    ],
)
def test_submit_with_invalid_scores_stores_nothing(
    db: Session, trin2: Trin2, broken: Callable[[rules.ScoreEntry], rules.ScoreEntry]
) -> None:
    t = trin2
    _declared(db, t, t.hk_version, t.sara)
    entries = _entries(t, [3] * 6)
    entries[2] = broken(entries[2])

    with pytest.raises(AssessmentError) as caught:
        services.save_assessment(db, t.sara, t.hk_version, entries, submit=True)

    assert caught.value.code == "invalid_scores" and caught.value.params == {"count": 1}
    assert services.own_assessment(db, t.hk_version.id, t.sara.id) is None
    assert _count(db, CriterionScore) == 0


def test_submit_requires_every_criterion(db: Session, trin2: Trin2) -> None:
    t = trin2
    _declared(db, t, t.hk_version, t.sara)
    _refused(
        "invalid_scores",
        services.save_assessment,
        db,
        t.sara,
        t.hk_version,
        _entries(t, [3] * 6)[:4],
        True,
    )
    assert _count(db, Assessment) == 0


def test_draft_saves_partial_entries_and_submission_freezes(db: Session, trin2: Trin2) -> None:
    t = trin2
    _declared(db, t, t.hk_version, t.sara)
    first, second = _criteria(t)[:2]

    draft = services.save_assessment(
        db,
        t.sara,
        t.hk_version,
        [rules.ScoreEntry(first.id, 1, "Første indtryk."), rules.ScoreEntry(second.id, None, "")],
        submit=False,
    )
    db.commit()
    assert draft.status == AssessmentStatus.IN_PROGRESS and draft.submitted_at is None
    assert {s.criterion_id: s.score for s in draft.scores} == {first.id: 1, second.id: None}

    services.save_assessment(
        db, t.sara, t.hk_version, [rules.ScoreEntry(first.id, 2, "Bedre end først antaget.")], False
    )
    db.commit()
    assert _count(db, CriterionScore, CriterionScore.assessment_id == draft.id) == 2
    by_criterion = {s.criterion_id: s for s in draft.scores}
    assert by_criterion[first.id].score == 2
    assert by_criterion[first.id].justification == "Bedre end først antaget."

    submitted = services.save_assessment(
        db, t.sara, t.hk_version, _entries(t, [4, 3, 2, 2, 1, 0]), submit=True
    )
    db.commit()
    assert submitted.id == draft.id
    assert submitted.status == AssessmentStatus.COMPLETED and submitted.submitted_at is not None
    assert [s.score for s in sorted(submitted.scores, key=lambda s: s.criterion_id)] == [
        4,
        3,
        2,
        2,
        1,
        0,
    ]
    assert len(_events(db, "assessment.submitted")) == 1
    assert len(_events(db, "assessment.draft_saved")) == 2

    for submit in (True, False):
        _refused(
            "already_submitted",
            services.save_assessment,
            db,
            t.sara,
            t.hk_version,
            _entries(t, [0] * 6),
            submit,
        )
    db.expire_all()
    stored = services.own_assessment(db, t.hk_version.id, t.sara.id)
    assert sorted(s.score for s in stored.scores) == [0, 1, 2, 2, 3, 4]
    assert stored.status == AssessmentStatus.COMPLETED


def test_cannot_assess_is_stored_as_no_score_not_zero(db: Session, trin2: Trin2) -> None:
    t = trin2
    _declared(db, t, t.hk_version, t.sara)
    _submit(db, t, t.hk_version, t.sara, [3, None, 0, 3, 3, 3])

    db.expire_all()
    criteria = _criteria(t)
    rows = {
        s.criterion_id: s for s in services.own_assessment(db, t.hk_version.id, t.sara.id).scores
    }
    assert rows[criteria[1].id].score is None and rows[criteria[1].id].cannot_assess is True
    assert rows[criteria[2].id].score == 0 and rows[criteria[2].id].cannot_assess is False


def test_saving_is_refused_once_the_consolidation_has_started(db: Session, trin2: Trin2) -> None:
    t = trin2
    _declared(db, t, t.hk_version, t.lead, t.soeren, t.sara)
    _submit(db, t, t.hk_version, t.lead, [3] * 6)
    _submit(db, t, t.hk_version, t.soeren, [2] * 6)
    services.save_assessment(db, t.sara, t.hk_version, _entries(t, [1] * 6), submit=False)
    db.commit()

    services.save_consolidation(db, t.lead, t.hk_version, [], sign_off=False)
    db.commit()

    for submit in (False, True):
        _refused(
            "consolidation_started",
            services.save_assessment,
            db,
            t.sara,
            t.hk_version,
            _entries(t, [4] * 6),
            submit,
        )
    db.expire_all()
    draft = services.own_assessment(db, t.hk_version.id, t.sara.id)
    assert draft.status == AssessmentStatus.IN_PROGRESS
    assert {s.score for s in draft.scores} == {1}


# --- the sealed rule ---------------------------------------------------------------------------


def _names_and_reasons(rows: list[tuple[object, ...]]) -> set[tuple[object, object]]:
    return {(row[3], row[7]) for row in rows}


def test_sealed_rule_before_and_after_the_assessor_submits(
    db: Session, named: Trin2, make_user: Any
) -> None:
    t = named
    admin = make_user(Role.ADMIN, "STAR", email="admin@test.dk")
    _declared(db, t, t.hk_version, t.sara, t.soeren)
    soerens = _submit(db, t, t.hk_version, t.soeren, [2] * 6)
    saras = services.save_assessment(
        db, t.sara, t.hk_version, _entries(t, [4] * 6, "Saras "), submit=False
    )
    db.commit()
    hk = t.hk_version.id

    # Sara has not submitted: her own draft only.
    assert not services.may_see_others(db, t.sara, hk)
    assert services.visible_assessments(db, t.sara, hk) == [saras]
    sara_rows = services.score_rows(db, t.sara, t.call)
    assert {row[3] for row in sara_rows} == {"Sara"}
    assert {row[4] for row in sara_rows} == {"Kladde"}
    assert ("Søren", "Sørens begrundelse 1") not in _names_and_reasons(sara_rows)

    # Søren submitted: he may see the others' submitted scores, never Sara's draft.
    assert services.may_see_others(db, t.soeren, hk)
    assert services.visible_assessments(db, t.soeren, hk) == [soerens]
    assert {row[3] for row in services.score_rows(db, t.soeren, t.call)} == {"Søren"}

    # The lead sees every submitted assessment, but no draft.
    assert services.may_see_others(db, t.lead, hk)
    assert services.visible_assessments(db, t.lead, hk) == [soerens]
    lead_rows = services.score_rows(db, t.lead, t.call)
    assert {row[3] for row in lead_rows} == {"Søren"}
    assert not any(row[7].startswith("Saras") for row in lead_rows)

    # The administrator sees no individual scores at all.
    assert services.visible_assessments(db, admin, hk) == []
    assert services.score_rows(db, admin, t.call) == []

    services.save_assessment(db, t.sara, t.hk_version, _entries(t, [4] * 6, "Saras "), True)
    db.commit()

    assert services.may_see_others(db, t.sara, hk)
    assert services.visible_assessments(db, t.sara, hk) == sorted(
        [saras, soerens], key=lambda a: a.id
    )
    sara_rows = services.score_rows(db, t.sara, t.call)
    assert ("Søren", "Sørens begrundelse 1") in _names_and_reasons(sara_rows)
    assert ("Sara", "Saras begrundelse 6") in _names_and_reasons(sara_rows)
    assert len(sara_rows) == 12 and {row[4] for row in sara_rows} == {"Indsendt"}
    assert len(services.score_rows(db, t.lead, t.call)) == 12
    assert services.visible_assessments(db, admin, hk) == []


def test_score_rows_show_cannot_assess_as_no_score(db: Session, named: Trin2) -> None:
    t = named
    _declared(db, t, t.hk_version, t.sara)
    _submit(db, t, t.hk_version, t.sara, [None, 0, 1, 2, 3, 4])

    rows = services.score_rows(db, t.sara, t.call)

    assert [(row[5], row[6]) for row in rows] == [
        ("", "ja"),
        (0, "nej"),
        (1, "nej"),
        (2, "nej"),
        (3, "nej"),
        (4, "nej"),
    ]
    assert all(row[0] == t.hk_version.application.organisation.name for row in rows)


def test_only_the_assessors_of_the_application_see_the_scores_once_consolidation_started(
    db: Session, named: Trin2, make_user: Any
) -> None:
    t = named
    mads = make_user(Role.ASSESSOR, "STAR", email="mads@test.dk")  # declares a conflict
    ida = make_user(Role.ASSESSOR, "STAR", email="ida@test.dk")  # never assigned
    _assign(db, t, t.hk_version, mads)
    services.declare(db, mads, t.hk_version, True, "Gift med HK's direktør.")
    db.commit()
    _declared(db, t, t.hk_version, t.lead, t.soeren, t.sara)
    leads = _submit(db, t, t.hk_version, t.lead, [3] * 6)
    soerens = _submit(db, t, t.hk_version, t.soeren, [2] * 6)
    saras = services.save_assessment(db, t.sara, t.hk_version, _entries(t, [1] * 6), False)
    db.commit()
    assert services.visible_assessments(db, t.sara, t.hk_version.id) == [saras]

    services.save_consolidation(db, t.lead, t.hk_version, [], sign_off=False)
    db.commit()

    # The individual round is closed: Sara, an assessor of it, now sees the submitted ones.
    assert services.may_see_others(db, t.sara, t.hk_version.id)
    assert services.visible_assessments(db, t.sara, t.hk_version.id) == sorted(
        [leads, soerens, saras], key=lambda a: a.id
    )
    # Neither the assessor in conflict nor one never assigned sees any score.
    for outsider in (mads, ida):
        assert not services.may_see_others(db, outsider, t.hk_version.id)
        assert services.visible_assessments(db, outsider, t.hk_version.id) == []
        assert services.score_rows(db, outsider, t.call) == []
    # Søren still never sees Sara's draft.
    assert saras not in services.visible_assessments(db, t.soeren, t.hk_version.id)


# --- reopening ---------------------------------------------------------------------------------


def test_lead_reopens_a_submitted_assessment_with_a_reason(db: Session, trin2: Trin2) -> None:
    t = trin2
    _declared(db, t, t.hk_version, t.sara)
    assessment = _submit(db, t, t.hk_version, t.sara, [3] * 6)

    _refused("reopen_reason_missing", services.reopen, db, t.lead, assessment, "   ")
    _refused("lead_only", services.reopen, db, t.soeren, assessment, "Jeg vil se den igen.")
    assert assessment.status == AssessmentStatus.COMPLETED
    assert _events(db, "assessment.reopened") == []

    services.reopen(db, t.lead, assessment, "  Kriterium 3 er begrundet for kort.  ")
    db.commit()

    db.expire_all()
    assert assessment.status == AssessmentStatus.IN_PROGRESS and assessment.submitted_at is None
    events = _events(db, "assessment.reopened")
    assert [(e.actor_id, e.object_id, e.data["reason"]) for e in events] == [
        (t.lead.id, str(assessment.id), "Kriterium 3 er begrundet for kort.")
    ]
    _refused("not_submitted", services.reopen, db, t.lead, assessment, "Igen.")

    # Sara may change and submit it again.
    resubmitted = _submit(db, t, t.hk_version, t.sara, [2] * 6)
    assert resubmitted.id == assessment.id
    assert resubmitted.status == AssessmentStatus.COMPLETED
    assert {s.score for s in resubmitted.scores} == {2}


def test_reopen_is_refused_once_the_consolidation_has_started(db: Session, trin2: Trin2) -> None:
    t = trin2
    _declared(db, t, t.hk_version, t.sara, t.soeren)
    _submit(db, t, t.hk_version, t.sara, [3] * 6)
    soerens = _submit(db, t, t.hk_version, t.soeren, [2] * 6)
    services.save_consolidation(db, t.lead, t.hk_version, [], sign_off=False)
    db.commit()

    _refused("consolidation_started", services.reopen, db, t.lead, soerens, "For sent.")

    db.expire_all()
    assert soerens.status == AssessmentStatus.COMPLETED and soerens.submitted_at is not None
    assert _events(db, "assessment.reopened") == []


# --- requests for more information -------------------------------------------------------------


def test_request_information_checks_the_asker_the_question_and_the_due_date(
    db: Session, trin2: Trin2
) -> None:
    t = trin2
    due = utcnow() + timedelta(days=7)
    _assign(db, t, t.hk_version, t.sara)

    _refused("not_assigned", services.request_information, db, t.soeren, t.hk_version, "?", due)
    # Assigned, but not declared yet: the content is still closed to her.
    _refused("not_assigned", services.request_information, db, t.sara, t.hk_version, "?", due)
    services.declare(db, t.sara, t.hk_version, False, "")
    db.commit()
    _refused("question_missing", services.request_information, db, t.sara, t.hk_version, " ", due)
    past = utcnow() - timedelta(minutes=1)
    _refused("due_in_past", services.request_information, db, t.sara, t.hk_version, "Hvor?", past)
    assert _count(db, InformationRequest) == 0

    request = services.request_information(
        db, t.sara, t.hk_version, "  Hvor mange jobkonsulenter har I?  ", due
    )
    db.commit()
    assert request.question == "Hvor mange jobkonsulenter har I?"
    assert request.asked_by_id == t.sara.id and request.answer is None
    # The lead may ask about any application.
    services.request_information(db, t.lead, t.threef_version, "Hvilke brancher?", due)
    db.commit()
    assert _count(db, InformationRequest) == 2
    assert len(_events(db, "assessment.information_requested")) == 2


def test_information_request_answered_once_by_the_signatory_and_fund_stage_follows(
    db: Session, trin2: Trin2
) -> None:
    t = trin2
    application = t.hk_version.application
    content = dict(t.hk_version.content)
    content_hash = t.hk_version.content_hash
    assert services.fund_stage(db, application) == services.RECEIVED

    _declared(db, t, t.hk_version, t.sara, t.soeren)
    assert services.fund_stage(db, application) == services.UNDER_ASSESSMENT

    request = services.request_information(
        db, t.sara, t.hk_version, "Uddyb kapaciteten.", utcnow() + timedelta(days=5)
    )
    db.commit()
    assert services.fund_stage(db, application) == services.INFORMATION_REQUESTED

    for outsider in (t.hk_drafter, t.threef, t.sara, t.lead):
        _refused("not_signatory", services.answer_request, db, outsider, request, "Svar.")
    _refused("answer_missing", services.answer_request, db, t.hk, request, "  ")
    assert request.answer is None

    services.answer_request(db, t.hk, request, "  Vi har 11 årsværk.  ")
    db.commit()
    assert request.answer == "Vi har 11 årsværk."
    assert request.answered_by_id == t.hk.id and request.answered_at is not None
    _refused("already_answered", services.answer_request, db, t.hk, request, "Nyt svar.")
    db.expire_all()
    assert request.answer == "Vi har 11 årsværk."
    assert len(_events(db, "assessment.information_answered")) == 1

    # The answer is an addendum: the submitted version is untouched.
    version = db.get(ApplicationVersion, t.hk_version.id)
    assert version.content == content and version.content_hash == content_hash
    assert services.fund_stage(db, application) == services.UNDER_ASSESSMENT

    _submit(db, t, t.hk_version, t.sara, [3] * 6)
    _submit(db, t, t.hk_version, t.soeren, [3] * 6)
    services.save_consolidation(db, t.lead, t.hk_version, _consolidated(t, [3] * 6), True)
    services.decide(db, t.lead, t.hk_version, _decision(t, ["101"]))
    db.commit()
    assert services.fund_stage(db, application) == services.UNDER_ASSESSMENT

    services.publish(db, t.lead, t.call)
    db.commit()
    assert services.fund_stage(db, application) == services.DECIDED


# --- consolidation -----------------------------------------------------------------------------


def test_consolidation_needs_two_submitted_assessments(db: Session, trin2: Trin2) -> None:
    t = trin2
    _declared(db, t, t.hk_version, t.sara, t.soeren)
    _submit(db, t, t.hk_version, t.sara, [3] * 6)
    services.save_assessment(db, t.soeren, t.hk_version, _entries(t, [2] * 6), submit=False)
    db.commit()

    _refused(
        "too_few_assessments",
        services.save_consolidation,
        db,
        t.lead,
        t.hk_version,
        _consolidated(t, [3] * 6),
        False,
    )
    assert services.consolidation_of(db, t.hk_version.id) is None
    # The draft could still be submitted: the individual round is not closed.
    _submit(db, t, t.hk_version, t.soeren, [2] * 6)


def test_consolidation_dissent_needs_text_and_an_assessor_who_submitted(
    db: Session, trin2: Trin2
) -> None:
    t = trin2
    _declared(db, t, t.hk_version, t.sara, t.soeren)
    _submit(db, t, t.hk_version, t.sara, [3] * 6)
    _submit(db, t, t.hk_version, t.soeren, [1] * 6)
    first = _criteria(t)[0]

    def with_dissent(dissent: str, who: int | None) -> list[services.ConsolidatedEntry]:
        entries = _consolidated(t, [3] * 6)
        entries[0] = services.ConsolidatedEntry(first.id, 3, "Samlet.", dissent, who)
        return entries

    for dissent, who in [
        ("Søren finder det for svagt.", None),
        ("", t.soeren.id),
        ("   ", t.soeren.id),
        ("Lederen er uenig.", t.lead.id),
        ("HK er uenig.", t.hk.id),
    ]:
        _refused(
            "invalid_consolidation",
            services.save_consolidation,
            db,
            t.lead,
            t.hk_version,
            with_dissent(dissent, who),
            False,
        )
    assert services.consolidation_of(db, t.hk_version.id) is None
    _refused(
        "lead_only",
        services.save_consolidation,
        db,
        t.sara,
        t.hk_version,
        _consolidated(t, [3] * 6),
        False,
    )

    services.save_consolidation(
        db, t.lead, t.hk_version, with_dissent(" Søren finder det for svagt. ", t.soeren.id), False
    )
    db.commit()
    consolidation = services.consolidation_of(db, t.hk_version.id)
    row = next(s for s in consolidation.scores if s.criterion_id == first.id)
    assert row.dissent == "Søren finder det for svagt." and row.dissent_assessor_id == t.soeren.id
    assert [e.data["dissents"] for e in _events(db, "assessment.consolidation_saved")] == [1]


def test_sign_off_freezes_the_consolidation_and_gives_the_proposal(
    db: Session, trin2: Trin2
) -> None:
    t = trin2
    _declared(db, t, t.hk_version, t.sara, t.soeren)
    _submit(db, t, t.hk_version, t.sara, [3] * 6)
    _submit(db, t, t.hk_version, t.soeren, [2] * 6)
    criteria = _criteria(t)
    assert {c.threshold for c in criteria} == {2}

    # A draft keeps what is written and skips untouched criteria.
    partial = _consolidated(t, [3] * 6)[:2] + [
        services.ConsolidatedEntry(criteria[2].id, None, "  ")
    ]
    draft = services.save_consolidation(db, t.lead, t.hk_version, partial, sign_off=False)
    db.commit()
    assert draft.signed_off_at is None
    assert services.consolidated_scores(draft) == {criteria[0].id: 3, criteria[1].id: 3}
    assert services.proposal(db, t.hk_version) is None

    # Sign-off needs every criterion.
    _refused(
        "invalid_consolidation",
        services.save_consolidation,
        db,
        t.lead,
        t.hk_version,
        partial,
        True,
    )
    db.expire_all()
    assert services.consolidation_of(db, t.hk_version.id).signed_off_at is None

    scores = [3, 1, 2, None, 4, 2]
    services.save_consolidation(db, t.lead, t.hk_version, _consolidated(t, scores), sign_off=True)
    db.commit()
    consolidation = services.consolidation_of(db, t.hk_version.id)
    assert consolidation.signed_off_at is not None and consolidation.id == draft.id
    assert services.proposal(db, t.hk_version) == (False, [criteria[1].id, criteria[3].id])

    _refused(
        "consolidation_signed_off",
        services.save_consolidation,
        db,
        t.lead,
        t.hk_version,
        _consolidated(t, [4] * 6),
        False,
    )
    db.expire_all()
    stored = services.consolidated_scores(services.consolidation_of(db, t.hk_version.id))
    assert [stored[c.id] for c in criteria] == scores


def test_proposal_is_eligible_when_every_score_reaches_its_threshold(
    db: Session, trin2: Trin2
) -> None:
    t = trin2
    _signed_off(db, t, t.hk_version, [2, 2, 2, 2, 2, 4])
    assert services.proposal(db, t.hk_version) == (True, [])


# --- the decision ------------------------------------------------------------------------------


def test_decide_is_refused_before_sign_off(db: Session, trin2: Trin2) -> None:
    t = trin2
    _refused("not_consolidated", services.decide, db, t.lead, t.hk_version, _decision(t, ["101"]))
    _declared(db, t, t.hk_version, t.sara, t.soeren)
    _submit(db, t, t.hk_version, t.sara, [3] * 6)
    _submit(db, t, t.hk_version, t.soeren, [3] * 6)
    services.save_consolidation(db, t.lead, t.hk_version, _consolidated(t, [3] * 6), False)
    db.commit()

    _refused("not_consolidated", services.decide, db, t.lead, t.hk_version, _decision(t, ["101"]))
    assert _count(db, EligibilityDecision) == 0


def _nothing_decided(db: Session) -> None:
    assert _count(db, EligibilityDecision) == 0
    assert _count(db, ApprovedExtent) == 0
    assert _count(db, RequestedMunicipality) == 0


def test_decide_refuses_an_extent_outside_the_request_and_too_much_capacity(
    db: Session, trin2: Trin2
) -> None:
    t = trin2
    _signed_off(db, t, t.hk_version)
    covered = services.requested_covered(db, t.hk_version)
    frikommune = _frikommune_in_hovedstaden(db, t.call)
    assert "101" in covered and ODENSE not in covered and frikommune not in covered

    refused = {
        "outside the request": _decision(t, ["101", ODENSE]),
        "frikommune": _decision(t, ["101", frikommune]),
        "capacity above declared": _decision(t, ["101"], capacity=5001),
        "no capacity": _decision(t, ["101"], capacity=None),
        "no extent": _decision(t, []),
        "no reasoning": _decision(t, ["101"], reasoning="  "),
        "extent of an ineligible": _decision(
            t, ["101"], capacity=None, eligible=False, override_reason="Begrundet."
        ),
    }
    for case, data in refused.items():
        with pytest.raises(AssessmentError) as caught:
            services.decide(db, t.lead, t.hk_version, data)
        assert caught.value.code == "invalid_decision", case
        _nothing_decided(db)
    _refused("lead_only", services.decide, db, t.sara, t.hk_version, _decision(t, ["101"]))
    _nothing_decided(db)

    decision = services.decide(db, t.lead, t.hk_version, _decision(t, sorted(covered), 5000))
    db.commit()
    assert decision.approved_capacity == 5000
    assert {e.municipality_code for e in decision.extent} == covered
    stored = db.scalars(
        select(RequestedMunicipality.municipality_code).where(
            RequestedMunicipality.version_id == t.hk_version.id
        )
    )
    assert set(stored) == covered


def test_deciding_against_the_proposal_needs_an_override_reason(db: Session, trin2: Trin2) -> None:
    t = trin2
    _signed_off(db, t, t.hk_version)
    assert services.proposal(db, t.hk_version) == (True, [])
    rejection = _decision(t, [], capacity=None, eligible=False, reasoning="Ikke egnet.")

    _refused("invalid_decision", services.decide, db, t.lead, t.hk_version, rejection)
    assert _count(db, EligibilityDecision) == 0

    reason = "Kapaciteten er ikke dokumenteret trods høringen."
    data = _decision(
        t, [], capacity=None, eligible=False, reasoning="Ikke egnet.", override_reason=reason
    )
    decision = services.decide(db, t.lead, t.hk_version, data)
    db.commit()

    db.expire_all()
    stored = services.decision_of(db, t.hk_version.id)
    assert stored.id == decision.id
    assert stored.eligible is False and stored.proposed_eligible is True
    assert stored.override_reason == reason
    assert stored.approved_capacity is None and stored.extent == []
    assert stored.status == DecisionStatus.PENDING and stored.decided_by_id == t.lead.id
    events = _events(db, "eligibility.decided")
    assert [(e.data["eligible"], e.data["override"]) for e in events] == [(False, True)]


def test_a_pending_decision_can_be_changed(db: Session, trin2: Trin2) -> None:
    t = trin2
    _signed_off(db, t, t.hk_version)
    data = _decision(
        t, [], capacity=None, eligible=False, reasoning="Nej.", override_reason="Afviger."
    )
    first = services.decide(db, t.lead, t.hk_version, data)
    db.commit()

    services.decide(db, t.lead, t.hk_version, _decision(t, ["101", "147"], 2000))
    db.commit()
    # Changing it again keeps one municipality and drops the other.
    services.decide(db, t.lead, t.hk_version, _decision(t, ["101", "153"], 3000))
    db.commit()

    db.expire_all()
    assert _count(db, EligibilityDecision) == 1
    decision = services.decision_of(db, t.hk_version.id)
    assert decision.id == first.id
    assert decision.eligible is True and decision.override_reason == ""
    assert decision.approved_capacity == 3000
    assert sorted(e.municipality_code for e in decision.extent) == ["101", "153"]
    assert _count(db, ApprovedExtent) == 2


def test_the_database_refuses_an_approved_municipality_that_was_not_requested(
    db: Session, trin2: Trin2
) -> None:
    t = trin2
    covered = services.ensure_requested(db, t.hk_version)
    frikommune = _frikommune_in_hovedstaden(db, t.call)
    decision = EligibilityDecision(
        version_id=t.hk_version.id,
        eligible=True,
        reasoning="Direkte i databasen.",
        approved_capacity=10,
        decided_by_id=t.lead.id,
    )
    db.add(decision)
    db.flush()
    db.add(
        ApprovedExtent(decision_id=decision.id, version_id=t.hk_version.id, municipality_code="101")
    )
    db.commit()
    assert "101" in covered

    for code in (ODENSE, frikommune):
        db.add(
            ApprovedExtent(
                decision_id=decision.id, version_id=t.hk_version.id, municipality_code=code
            )
        )
        with pytest.raises(IntegrityError):
            db.flush()
        db.rollback()

    assert list(db.scalars(select(ApprovedExtent.municipality_code))) == ["101"]


# --- publication -------------------------------------------------------------------------------


def test_publish_publishes_every_pending_decision_once(db: Session, trin2: Trin2) -> None:
    t = trin2
    _signed_off(db, t, t.hk_version)
    _signed_off(db, t, t.threef_version)
    national = sorted(services.requested_covered(db, t.threef_version))[:3]
    hk = services.decide(db, t.lead, t.hk_version, _decision(t, ["101"]))
    threef = services.decide(db, t.lead, t.threef_version, _decision(t, national))
    db.commit()

    _refused("lead_only", services.publish, db, t.sara, t.call)
    published = services.publish(db, t.lead, t.call)
    db.commit()

    assert sorted(published) == sorted([hk.id, threef.id])
    db.expire_all()
    for decision in (hk, threef):
        assert decision.status == DecisionStatus.PUBLISHED and decision.published_at is not None
    assert [e.data["decisions"] for e in _events(db, "eligibility.published")] == [2]
    published_at = hk.published_at

    _refused("nothing_to_publish", services.publish, db, t.lead, t.call)
    _refused("decision_published", services.decide, db, t.lead, t.hk_version, _decision(t, ["147"]))
    db.expire_all()
    assert hk.published_at == published_at
    assert [e.municipality_code for e in hk.extent] == ["101"]
    assert len(_events(db, "eligibility.published")) == 1


def test_two_sessions_publishing_the_same_call_publish_once(
    app: Flask, db: Session, trin2: Trin2
) -> None:
    t = trin2
    _signed_off(db, t, t.hk_version)
    decision = services.decide(db, t.lead, t.hk_version, _decision(t, ["101"]))
    db.commit()

    second = app.extensions["db_sessionmaker"]()
    raced: list[list[int]] = []

    def publish_first(state: ORMExecuteState) -> None:
        # The second session has loaded the pending decisions; the first publishes and commits
        # before the second's UPDATE runs.
        if state.is_update and not raced:
            raced.append(services.publish(db, t.lead, t.call))
            db.commit()

    event.listen(second, "do_orm_execute", publish_first)
    try:
        lead = second.get(User, t.lead.id)
        call = second.get(Call, t.call.id)
        assert [d.id for d in services.pending_decisions(second, call)] == [decision.id]
        _refused("nothing_to_publish", services.publish, second, lead, call)
        second.rollback()
    finally:
        event.remove(second, "do_orm_execute", publish_first)
        second.close()

    assert raced == [[decision.id]]
    db.expire_all()
    assert decision.status == DecisionStatus.PUBLISHED and decision.published_at is not None
    assert len(_events(db, "eligibility.published")) == 1


# --- calibration -------------------------------------------------------------------------------


def test_calibration_leniency_spread_and_flips(db: Session, trin2: Trin2) -> None:
    t = trin2
    criteria = [c.id for c in _criteria(t)]
    _declared(db, t, t.hk_version, t.sara, t.soeren)
    _declared(db, t, t.threef_version, t.sara, t.soeren)
    _submit(db, t, t.hk_version, t.sara, [4, 4, 3, 3, 2, None])
    _submit(db, t, t.hk_version, t.soeren, [2, 3, 3, 1, 2, 2])
    _submit(db, t, t.threef_version, t.sara, [2] * 6)
    _submit(db, t, t.threef_version, t.soeren, [3] * 6)
    services.save_consolidation(
        db, t.lead, t.hk_version, _consolidated(t, [3, 3, 3, 2, 2, 2]), sign_off=True
    )
    # 3F's consolidation is not signed off: it counts for the spread, not for leniency.
    services.save_consolidation(
        db, t.lead, t.threef_version, _consolidated(t, [2] * 6), sign_off=False
    )
    db.commit()

    _refused("lead_only", services.calibration, db, t.sara, t.call)
    figures = services.calibration(db, t.lead, t.call)

    # Sara: +1 +1 0 +1 0 over five scored cells; Søren: -1 0 0 -1 0 0 over six.
    assert figures.leniency == {
        t.sara.id: pytest.approx(0.6),
        t.soeren.id: pytest.approx(-1 / 3),
    }
    # Mean max-min per criterion over HK and 3F (criterion 6: only 3F has two scores).
    assert figures.spread == {
        criteria[0]: pytest.approx(1.5),
        criteria[1]: pytest.approx(1.0),
        criteria[2]: pytest.approx(0.5),
        criteria[3]: pytest.approx(1.5),
        criteria[4]: pytest.approx(0.5),
        criteria[5]: pytest.approx(1.0),
    }
    assert figures.agreement[criteria[0]] == pytest.approx(0.5)
    assert figures.agreement[criteria[2]] == pytest.approx(1.0)
    # Raising criterion 4's threshold to 3 would fail HK's consolidated 2.
    assert figures.flips[criteria[3]] == (0, 1)
    assert figures.flips[criteria[0]] == (0, 0)
    assert figures.consolidated_count == 1 and figures.scored_count == 2
    assert set(figures.assessors) == {t.sara.id, t.soeren.id}


def test_an_approved_frikommune_is_named_as_excluded(db: Session, trin2: Trin2) -> None:
    t = trin2
    _signed_off(db, t, t.hk_version)
    frikommune = _frikommune_in_hovedstaden(db, t.call)

    problems = services.decision_problems(db, t.hk_version, _decision(t, [frikommune]), True)

    assert problems["approved"] == rules.EXTENT_EXCLUDED


# --- the start pages' narrow view ----------------------------------------------------------------


def test_workload_agrees_with_the_overview_in_every_state(db: Session, trin2: Trin2) -> None:
    t = trin2

    def agree() -> None:
        versions = services.assessable_versions(db, t.call)
        for viewer in (t.lead, t.sara, t.soeren):
            wide = services.overview(db, t.call, viewer, versions)
            narrow = services.workload(db, t.call, viewer, versions)
            assert [
                (
                    r.progress,
                    r.gap,
                    r.awaits_viewer,
                    r.decision is not None and r.decision.status == "pending",
                )
                for r in wide
            ] == [(r.progress, r.gap, r.awaits_viewer, r.decision_pending) for r in narrow]

    agree()  # nothing assigned
    services.add_assignment(db, t.lead, t.hk_version, t.sara)
    db.commit()
    agree()  # one assessor short, waiting for Sara
    services.add_assignment(db, t.lead, t.hk_version, t.soeren)
    services.declare(db, t.sara, t.hk_version, False, "")
    services.save_assessment(db, t.sara, t.hk_version, _entries(t, [3] * 6), True)
    db.commit()
    agree()  # Sara done, Søren not
    _signed_off(db, t, t.threef_version)
    national = sorted(services.requested_covered(db, t.threef_version))[:3]
    services.decide(db, t.lead, t.threef_version, _decision(t, national))
    db.commit()
    agree()  # 3F decided, pending publication
    rows = services.workload(db, t.call, t.soeren, services.assessable_versions(db, t.call))
    assert sorted((r.progress, r.decision_pending, r.awaits_viewer) for r in rows) == sorted(
        [(rules.Progress.DECIDED, True, False), (rules.Progress.IN_PROGRESS, False, True)]
    )
    services.publish(db, t.lead, t.call)
    db.commit()
    agree()  # published
