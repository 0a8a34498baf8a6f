"""Trin 2 services: assignment, declarations, sealed assessments, requests for information,
consolidation, eligibility decisions and their publication.

Every function takes the session and the acting user, checks what the rules ask, writes, and
records an audit event; the caller commits. Refusals are `AssessmentError`s. Who may see which
individual scores is decided in one place, `visible_assessments`, which every page and export
that shows a score goes through.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session, joinedload, selectinload

from portal import audit
from portal.applications import deadlines as applications
from portal.assessment import rules
from portal.assessment.assign import AssignmentProblem, assign
from portal.db import remembered
from portal.errors import AssessmentError
from portal.extent import Extent
from portal.i18n import N_
from portal.models import (
    AGENCY_ROLES,
    Application,
    ApplicationStatus,
    ApplicationVersion,
    ApprovedExtent,
    Assessment,
    AssessmentStatus,
    Assignment,
    Call,
    ConflictDeclaration,
    ConsolidatedScore,
    Consolidation,
    Criterion,
    CriterionInterpretation,
    CriterionScore,
    DeadlineExtension,
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

REQUIRED_ASSESSMENTS = 2


# --- what is assessed --------------------------------------------------------------------------


def _deadlines(db: Session, call: Call) -> dict[int, datetime]:
    """Organisation id -> its extended deadline in the call (only those with an extension)."""
    return remembered(
        db,
        ("deadlines", call.id),
        lambda: {
            row.organisation_id: max(call.deadline_at, row.deadline_at)
            for row in db.scalars(
                select(DeadlineExtension).where(DeadlineExtension.call_id == call.id)
            )
        },
    )


def _submitted_versions(db: Session, call: Call) -> dict[int, list[ApplicationVersion]]:
    """Application id -> its versions in order, for the call's submitted applications; each
    version's application and organisation come loaded (two queries in all)."""
    return remembered(db, ("submitted_versions", call.id), lambda: _read_submitted(db, call))


def _read_submitted(db: Session, call: Call) -> dict[int, list[ApplicationVersion]]:
    rows = db.scalars(
        select(ApplicationVersion)
        .join(Application, Application.id == ApplicationVersion.application_id)
        .where(Application.call_id == call.id, Application.status == ApplicationStatus.SUBMITTED)
        .options(joinedload(ApplicationVersion.application).joinedload(Application.organisation))
        .order_by(ApplicationVersion.application_id, ApplicationVersion.number)
    ).all()
    grouped: dict[int, list[ApplicationVersion]] = defaultdict(list)
    for version in rows:
        grouped[version.application_id].append(version)
    return grouped


def assessable_versions(
    db: Session, call: Call, now: datetime | None = None
) -> list[ApplicationVersion]:
    """The version assessed of each submitted application whose (extended) deadline has passed,
    in a-kasse name order. Before its deadline an a-kasse may still submit a new version.
    A fixed number of queries, whatever the number of applications."""
    now = now or utcnow()
    extended = _deadlines(db, call)
    chosen = []
    for versions in _submitted_versions(db, call).values():
        app = versions[0].application
        deadline = extended.get(app.organisation_id, call.deadline_at)
        if deadline > now:
            continue
        before = [v for v in versions if v.submitted_at <= deadline]
        if before:
            chosen.append(before[-1])
    return sorted(chosen, key=lambda v: v.application.organisation.name)


def waiting_for_deadline(db: Session, call: Call, now: datetime | None = None) -> list[Application]:
    """Submitted applications whose extended deadline has not passed yet."""
    now = now or utcnow()
    extended = _deadlines(db, call)
    apps = [versions[0].application for versions in _submitted_versions(db, call).values()]
    return [a for a in apps if extended.get(a.organisation_id, call.deadline_at) > now]


def assessable_version(db: Session, version_id: int) -> ApplicationVersion | None:
    """The version, when it is the one assessed of its application and its deadline passed."""
    version = db.get(ApplicationVersion, version_id)
    if version is None:
        return None
    app = version.application
    if app.status != ApplicationStatus.SUBMITTED:
        return None
    if applications.assessed_version(db, app) is not version:
        return None
    if applications.effective_deadline(db, app) > utcnow():
        return None
    return version


def criteria_of(version: ApplicationVersion) -> list[Criterion]:
    return list(version.application.call.criteria_set.criteria)


def municipality_codes(db: Session) -> set[str]:
    """The municipality codes in the database (read once per request)."""
    return remembered(db, "municipality_codes", lambda: set(db.scalars(select(Municipality.code))))


def requested_covered(
    db: Session, version: ApplicationVersion, known: set[str] | None = None
) -> set[str]:
    """The municipalities the requested extent covers, minus the call's frikommuner
    (`known`: the municipality codes in the database, when the caller has them already)."""
    call = version.application.call
    if known is None:
        known = municipality_codes(db)
    codes = Extent.parse(version.content.get("requested_extent")).resolve(call.exclusion_list)
    return {code for code in codes if code in known}


def ensure_requested(db: Session, version: ApplicationVersion) -> set[str]:
    """Write the version's covered municipalities once; the approved extent refers to them."""
    stored = set(
        db.scalars(
            select(RequestedMunicipality.municipality_code).where(
                RequestedMunicipality.version_id == version.id
            )
        )
    )
    if stored:
        return stored
    covered = requested_covered(db, version)
    db.add_all(
        RequestedMunicipality(version_id=version.id, municipality_code=code)
        for code in sorted(covered)
    )
    db.flush()
    return covered


# --- people ------------------------------------------------------------------------------------


def agency_assessors(db: Session) -> list[User]:
    """Active users who may be assigned: assessors and lead assessors, by name."""
    return list(
        db.scalars(
            select(User)
            .where(User.role.in_([Role.ASSESSOR, Role.LEAD_ASSESSOR]), User.is_active.is_(True))
            .order_by(User.name)
        )
    )


def leads(db: Session) -> list[User]:
    return list(
        db.scalars(select(User).where(User.role == Role.LEAD_ASSESSOR, User.is_active.is_(True)))
    )


def is_lead(user: User) -> bool:
    return user.role == Role.LEAD_ASSESSOR


def _require_lead(user: User) -> None:
    if not is_lead(user):
        raise AssessmentError("lead_only")


# --- assignment --------------------------------------------------------------------------------


_PerVersion = TypeVar("_PerVersion", Assignment, ConflictDeclaration, Assessment)


def _of_version(db: Session, model: type[_PerVersion], version_id: int) -> list[_PerVersion]:
    """Every row of `model` for one version in id order; a page asks several questions of the
    same few rows (is the viewer assigned, who is, has the viewer declared), so the rows are
    read once per request (`remembered`)."""
    return remembered(
        db,
        (model.__name__, "of version", version_id),
        lambda: list(
            db.scalars(
                select(model).where(model.version_id == version_id).order_by(model.id)  # type: ignore[attr-defined]
            )
        ),
    )


def assignments(db: Session, version_ids: Iterable[int]) -> dict[int, list[Assignment]]:
    ids = list(version_ids)
    if len(ids) == 1:  # one version's page: the rows its other questions read too
        return {ids[0]: list(_of_version(db, Assignment, ids[0]))}
    result: dict[int, list[Assignment]] = {vid: [] for vid in ids}
    if not ids:
        return result
    for row in db.scalars(
        select(Assignment).where(Assignment.version_id.in_(ids)).order_by(Assignment.id)
    ):
        result[row.version_id].append(row)
    return result


def find_assignment(db: Session, version_id: int, assessor_id: int) -> Assignment | None:
    rows = _of_version(db, Assignment, version_id)
    return next((a for a in rows if a.assessor_id == assessor_id), None)


def declarations(db: Session, version_ids: Iterable[int]) -> dict[int, list[ConflictDeclaration]]:
    ids = list(version_ids)
    if len(ids) == 1:  # one version's page: the rows its other questions read too
        return {ids[0]: list(_of_version(db, ConflictDeclaration, ids[0]))}
    result: dict[int, list[ConflictDeclaration]] = {vid: [] for vid in ids}
    if not ids:
        return result
    for row in db.scalars(
        select(ConflictDeclaration)
        .where(ConflictDeclaration.version_id.in_(ids))
        .order_by(ConflictDeclaration.id)
    ):
        result[row.version_id].append(row)
    return result


def declaration_of(db: Session, version_id: int, assessor_id: int) -> ConflictDeclaration | None:
    rows = _of_version(db, ConflictDeclaration, version_id)
    return next((d for d in rows if d.assessor_id == assessor_id), None)


@dataclass(frozen=True)
class ProposedAssignment:
    added: int
    gaps: dict[int, int]  # version id -> assessors missing
    status: str


def propose_assignment(db: Session, lead: User, call: Call) -> ProposedAssignment:
    """Fill every application up to two assessors with the assignment model: hand-made pairs
    are kept, declared conflicts are never assigned, loads are balanced."""
    _require_lead(lead)
    versions = assessable_versions(db, call)
    if not versions:
        raise AssessmentError("nothing_to_assign")
    people = [u.id for u in agency_assessors(db) if u.role == Role.ASSESSOR]
    if not people:
        raise AssessmentError("no_assessors")
    ids = [v.id for v in versions]
    existing = {
        (a.version_id, a.assessor_id) for rows in assignments(db, ids).values() for a in rows
    }
    everyone = sorted(set(people) | {assessor for _, assessor in existing})
    conflicts = {
        (d.version_id, d.assessor_id)
        for rows in declarations(db, ids).values()
        for d in rows
        if d.has_conflict and d.assessor_id in everyone
    }
    # A lead (or anyone not an assessor) assigned by hand keeps that assignment but is never
    # given more by the model.
    conflicts |= {
        (vid, person)
        for vid in ids
        for person in everyone
        if person not in people and (vid, person) not in existing
    }
    result = assign(
        AssignmentProblem(
            applications=tuple(ids),
            assessors=tuple(everyone),
            conflicts=frozenset(conflicts),
            fixed=frozenset(existing - conflicts),
            per_application=REQUIRED_ASSESSMENTS,
        )
    )
    new_pairs = sorted(set(result.pairs) - existing)
    db.add_all(
        Assignment(version_id=vid, assessor_id=sid, assigned_by_id=lead.id)
        for vid, sid in new_pairs
    )
    db.flush()
    audit.record(
        db,
        lead.id,
        "assessment.assignment_proposed",
        call,
        added=len(new_pairs),
        status=result.status,
    )
    return ProposedAssignment(len(new_pairs), dict(result.gaps), result.status)


def add_assignment(
    db: Session, lead: User, version: ApplicationVersion, assessor: User
) -> Assignment:
    _require_lead(lead)
    if Role(assessor.role) not in (Role.ASSESSOR, Role.LEAD_ASSESSOR) or not assessor.is_active:
        raise AssessmentError("not_an_assessor")
    declared = declaration_of(db, version.id, assessor.id)
    if declared is not None and declared.has_conflict:
        raise AssessmentError("conflict_declared", name=assessor.name)
    if find_assignment(db, version.id, assessor.id) is not None:
        raise AssessmentError("already_assigned", name=assessor.name)
    row = Assignment(version_id=version.id, assessor_id=assessor.id, assigned_by_id=lead.id)
    db.add(row)
    db.flush()
    audit.record(db, lead.id, "assessment.assigned", version, assessor=assessor.id)
    return row


def remove_assignment(db: Session, lead: User, version: ApplicationVersion, assessor: User) -> None:
    _require_lead(lead)
    row = find_assignment(db, version.id, assessor.id)
    if row is None:
        raise AssessmentError("not_assigned")
    if own_assessment(db, version.id, assessor.id) is not None:
        raise AssessmentError("has_assessment", name=assessor.name)
    db.delete(row)
    db.flush()
    audit.record(db, lead.id, "assessment.unassigned", version, assessor=assessor.id)


# --- conflicts of interest ---------------------------------------------------------------------


def declare(
    db: Session, assessor: User, version: ApplicationVersion, has_conflict: bool, reason: str
) -> ConflictDeclaration:
    """Declared once, before the content is shown. A conflict ends the assignment."""
    assignment = find_assignment(db, version.id, assessor.id)
    if assignment is None:
        raise AssessmentError("not_assigned")
    if declaration_of(db, version.id, assessor.id) is not None:
        raise AssessmentError("already_declared")
    reason = reason.strip()
    if has_conflict and not reason:
        raise AssessmentError("conflict_reason_missing")
    row = ConflictDeclaration(
        version_id=version.id,
        assessor_id=assessor.id,
        has_conflict=has_conflict,
        reason=reason if has_conflict else "",
    )
    db.add(row)
    if has_conflict:
        db.delete(assignment)
    db.flush()
    audit.record(
        db,
        assessor.id,
        "assessment.conflict_declared" if has_conflict else "assessment.no_conflict_declared",
        version,
        reason=row.reason,
    )
    return row


def may_read(db: Session, user: User, version: ApplicationVersion) -> bool:
    """The lead reads every assessable version; an assessor the ones assigned to them, once
    they have declared no conflict of interest."""
    if is_lead(user):
        return True
    if user.role != Role.ASSESSOR or find_assignment(db, version.id, user.id) is None:
        return False
    declared = declaration_of(db, version.id, user.id)
    return declared is not None and not declared.has_conflict


def must_declare(db: Session, user: User, version: ApplicationVersion) -> bool:
    return (
        find_assignment(db, version.id, user.id) is not None
        and declaration_of(db, version.id, user.id) is None
    )


# --- sealed individual assessments -------------------------------------------------------------


def own_assessment(db: Session, version_id: int, assessor_id: int) -> Assessment | None:
    rows = _of_version(db, Assessment, version_id)
    return next((a for a in rows if a.assessor_id == assessor_id), None)


def consolidation_of(db: Session, version_id: int) -> Consolidation | None:
    return db.scalar(select(Consolidation).where(Consolidation.version_id == version_id))


def submitted_assessments(db: Session, version_id: int) -> list[Assessment]:
    rows = _of_version(db, Assessment, version_id)
    return [a for a in rows if a.status == AssessmentStatus.COMPLETED]


def may_see_others(db: Session, viewer: User, version_id: int) -> bool:
    """The sealed rule for one application (see `rules.may_see_others_scores`)."""
    own = own_assessment(db, version_id, viewer.id)
    # A started consolidation opens the scores to the application's assessors only: not to
    # one who declared a conflict (whose assignment is gone) or was never assigned.
    declared = declaration_of(db, version_id, viewer.id)
    assesses = (
        find_assignment(db, version_id, viewer.id) is not None
        and declared is not None
        and not declared.has_conflict
    )
    return rules.may_see_others_scores(
        viewer_submitted=own is not None and own.status == AssessmentStatus.COMPLETED,
        viewer_is_lead=is_lead(viewer),
        consolidation_started=assesses and consolidation_of(db, version_id) is not None,
    )


def visible_assessments(db: Session, viewer: User, version_id: int) -> list[Assessment]:
    """Every individual assessment of the version the viewer may see: their own (also a
    draft), and the others' submitted ones only where the sealed rule allows it. Pages and
    exports that show individual scores take them from here and nowhere else."""
    if Role(viewer.role) not in AGENCY_ROLES or viewer.role == Role.ADMIN:
        return []
    own = own_assessment(db, version_id, viewer.id)
    visible = [own] if own is not None else []
    if may_see_others(db, viewer, version_id):
        visible += [a for a in submitted_assessments(db, version_id) if a.assessor_id != viewer.id]
    return sorted(visible, key=lambda a: a.id)


def save_assessment(
    db: Session,
    assessor: User,
    version: ApplicationVersion,
    entries: Sequence[rules.ScoreEntry],
    submit: bool,
) -> Assessment:
    """Save the assessor's own draft, or submit it (complete, then frozen)."""
    if find_assignment(db, version.id, assessor.id) is None:
        raise AssessmentError("not_assigned")
    declared = declaration_of(db, version.id, assessor.id)
    if declared is None or declared.has_conflict:
        raise AssessmentError("not_declared")
    if consolidation_of(db, version.id) is not None:
        raise AssessmentError("consolidation_started")
    assessment = own_assessment(db, version.id, assessor.id)
    if assessment is not None and assessment.status == AssessmentStatus.COMPLETED:
        raise AssessmentError("already_submitted")
    criteria = criteria_of(version)
    problems = rules.score_problems(
        entries, {c.id: c.scale_max for c in criteria}, require_complete=submit
    )
    if problems:
        raise AssessmentError("invalid_scores", count=len(problems))
    if assessment is None:
        assessment = Assessment(version_id=version.id, assessor_id=assessor.id)
        db.add(assessment)
    by_criterion = {s.criterion_id: s for s in assessment.scores}
    for entry in entries:
        row = by_criterion.get(entry.criterion_id)
        if row is None:
            row = CriterionScore(criterion_id=entry.criterion_id)
            assessment.scores.append(row)
        row.score = entry.score
        row.cannot_assess = entry.cannot_assess
        row.justification = entry.justification.strip()
    now = utcnow()
    assessment.updated_at = now
    if submit:
        assessment.status = AssessmentStatus.COMPLETED
        assessment.submitted_at = now
    db.flush()
    audit.record(
        db,
        assessor.id,
        "assessment.submitted" if submit else "assessment.draft_saved",
        assessment,
        version=version.id,
    )
    return assessment


def reopen(db: Session, lead: User, assessment: Assessment, reason: str) -> None:
    """The lead reopens a submitted assessment, with a reason, before sign-off."""
    _require_lead(lead)
    reason = reason.strip()
    if not reason:
        raise AssessmentError("reopen_reason_missing")
    if assessment.status != AssessmentStatus.COMPLETED:
        raise AssessmentError("not_submitted")
    consolidation = consolidation_of(db, assessment.version_id)
    if consolidation is not None:
        raise AssessmentError("consolidation_started")
    assessment.status = AssessmentStatus.IN_PROGRESS
    assessment.submitted_at = None
    assessment.updated_at = utcnow()
    db.flush()
    audit.record(db, lead.id, "assessment.reopened", assessment, reason=reason)


# --- requests for more information -------------------------------------------------------------


def requests_of(db: Session, version_id: int) -> list[InformationRequest]:
    return list(
        db.scalars(
            select(InformationRequest)
            .where(InformationRequest.version_id == version_id)
            .order_by(InformationRequest.asked_at, InformationRequest.id)
        )
    )


def request_information(
    db: Session, actor: User, version: ApplicationVersion, question: str, answer_due_at: datetime
) -> InformationRequest:
    if not may_read(db, actor, version):
        raise AssessmentError("not_assigned")
    question = question.strip()
    if not question:
        raise AssessmentError("question_missing")
    if answer_due_at <= utcnow():
        raise AssessmentError("due_in_past")
    row = InformationRequest(
        version_id=version.id, question=question, asked_by_id=actor.id, answer_due_at=answer_due_at
    )
    db.add(row)
    db.flush()
    audit.record(db, actor.id, "assessment.information_requested", row, version=version.id)
    return row


def answer_request(db: Session, signatory: User, request: InformationRequest, answer: str) -> None:
    """The a-kasse's signatory answers once; the answer is an addendum to the version."""
    version = db.get(ApplicationVersion, request.version_id)
    if (
        version is None
        or signatory.role != Role.SIGNATORY
        or signatory.organisation_id != version.application.organisation_id
    ):
        raise AssessmentError("not_signatory")
    if request.answer is not None:
        raise AssessmentError("already_answered")
    answer = answer.strip()
    if not answer:
        raise AssessmentError("answer_missing")
    request.answer = answer
    request.answered_by_id = signatory.id
    request.answered_at = utcnow()
    db.flush()
    audit.record(db, signatory.id, "assessment.information_answered", request)


def fund_requests(db: Session, app: Application) -> list[InformationRequest]:
    ids = [v.id for v in app.versions]
    if not ids:
        return []
    return list(
        db.scalars(
            select(InformationRequest)
            .where(InformationRequest.version_id.in_(ids))
            .order_by(InformationRequest.asked_at, InformationRequest.id)
        )
    )


# --- consolidation -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ConsolidatedEntry:
    criterion_id: int
    score: int | None  # None: cannot be assessed on the information given
    reasoning: str
    dissent: str = ""
    dissent_assessor_id: int | None = None


def consolidation_problems(
    version_criteria: Sequence[Criterion],
    entries: Sequence[ConsolidatedEntry],
    assessor_ids: set[int],
    require_complete: bool,
) -> dict[int, tuple[str, str]]:
    """criterion id -> (field, Danish message id) for the first problem of each criterion."""
    by_id = {e.criterion_id: e for e in entries}
    problems: dict[int, tuple[str, str]] = {}
    for criterion in version_criteria:
        entry = by_id.get(criterion.id)
        if entry is None:
            if require_complete:
                problems[criterion.id] = ("reasoning", rules.JUSTIFICATION_MISSING)
            continue
        if (
            entry.score is not None
            and not criterion.scale_min <= entry.score <= criterion.scale_max
        ):
            problems[criterion.id] = ("score", rules.SCORE_OFF_SCALE)
        elif not entry.reasoning.strip() and (require_complete or entry.score is not None):
            problems[criterion.id] = ("reasoning", rules.JUSTIFICATION_MISSING)
        elif (
            entry.dissent_assessor_id is not None and entry.dissent_assessor_id not in assessor_ids
        ):
            problems[criterion.id] = ("dissent_assessor", DISSENT_NOT_ASSESSOR)
        elif entry.dissent_assessor_id is not None and not entry.dissent.strip():
            problems[criterion.id] = ("dissent", DISSENT_TEXT_MISSING)
        elif entry.dissent.strip() and entry.dissent_assessor_id is None:
            problems[criterion.id] = ("dissent_assessor", DISSENT_WHO_MISSING)
    return problems


DISSENT_NOT_ASSESSOR = N_(
    "Dissens kan kun noteres for en sagsbehandler, der har vurderet ansøgningen."
)
DISSENT_TEXT_MISSING = N_("Skriv, hvad dissensen går ud på.")
DISSENT_WHO_MISSING = N_("Vælg den sagsbehandler, der har dissens.")


def save_consolidation(
    db: Session,
    lead: User,
    version: ApplicationVersion,
    entries: Sequence[ConsolidatedEntry],
    sign_off: bool,
) -> Consolidation:
    _require_lead(lead)
    submitted = submitted_assessments(db, version.id)
    if len(submitted) < REQUIRED_ASSESSMENTS:
        raise AssessmentError("too_few_assessments", required=REQUIRED_ASSESSMENTS)
    consolidation = consolidation_of(db, version.id)
    if consolidation is not None and consolidation.signed_off_at is not None:
        raise AssessmentError("consolidation_signed_off")
    problems = consolidation_problems(
        criteria_of(version), entries, {a.assessor_id for a in submitted}, require_complete=sign_off
    )
    if problems:
        raise AssessmentError("invalid_consolidation", count=len(problems))
    if consolidation is None:
        consolidation = Consolidation(version_id=version.id, lead_id=lead.id)
        db.add(consolidation)
    by_criterion = {s.criterion_id: s for s in consolidation.scores}
    for entry in entries:
        if not entry.reasoning.strip():
            continue  # an untouched criterion of a draft
        row = by_criterion.get(entry.criterion_id)
        if row is None:
            row = ConsolidatedScore(criterion_id=entry.criterion_id, reasoning="")
            consolidation.scores.append(row)
        row.score = entry.score
        row.reasoning = entry.reasoning.strip()
        row.dissent = entry.dissent.strip()
        row.dissent_assessor_id = entry.dissent_assessor_id
    consolidation.lead_id = lead.id
    consolidation.updated_at = utcnow()
    if sign_off:
        consolidation.signed_off_at = consolidation.updated_at
        for row in consolidation.scores:
            row.interpretation_id = _relied_on_interpretation(
                db, version.application.call_id, row.criterion_id
            )
    db.flush()
    audit.record(
        db,
        lead.id,
        "assessment.consolidation_signed_off" if sign_off else "assessment.consolidation_saved",
        consolidation,
        version=version.id,
        dissents=sum(1 for e in entries if e.dissent_assessor_id is not None),
    )
    return consolidation


def _relied_on_interpretation(db: Session, call_id: int, criterion_id: int) -> int | None:
    """The newest published interpretation of the criterion in the call: what a score signed
    off now relies on (the dialogue register links earlier scores when it first publishes)."""
    return db.scalar(
        select(CriterionInterpretation.id)
        .where(
            CriterionInterpretation.call_id == call_id,
            CriterionInterpretation.criterion_id == criterion_id,
            CriterionInterpretation.published_at.is_not(None),
        )
        .order_by(CriterionInterpretation.version.desc())
        .limit(1)
    )


def consolidated_scores(consolidation: Consolidation | None) -> dict[int, int | None]:
    if consolidation is None:
        return {}
    return {s.criterion_id: s.score for s in consolidation.scores}


def proposal(db: Session, version: ApplicationVersion) -> tuple[bool, list[int]] | None:
    """(eligible, failing criterion ids) from the signed-off consolidation; None before."""
    consolidation = consolidation_of(db, version.id)
    if consolidation is None or consolidation.signed_off_at is None:
        return None
    thresholds = {c.id: c.threshold for c in criteria_of(version)}
    return rules.proposed_eligibility(consolidated_scores(consolidation), thresholds)


# --- the decision ------------------------------------------------------------------------------


@dataclass(frozen=True)
class DecisionData:
    eligible: bool
    reasoning: str
    override_reason: str = ""
    approved: frozenset[str] = field(default_factory=frozenset)  # municipality codes
    capacity: int | None = None


def decision_of(db: Session, version_id: int) -> EligibilityDecision | None:
    return db.scalar(
        select(EligibilityDecision).where(EligibilityDecision.version_id == version_id)
    )


def declared_capacity(version: ApplicationVersion) -> int | None:
    courses = (version.content.get("capacity") or {}).get("courses")
    return int(courses) if courses is not None else None


def decision_problems(
    db: Session, version: ApplicationVersion, data: DecisionData, proposed: bool
) -> dict[str, str]:
    """field -> Danish message id; empty when the decision may be stored."""
    problems: dict[str, str] = {}
    if not data.reasoning.strip():
        problems["reasoning"] = rules.JUSTIFICATION_MISSING
    if data.eligible != proposed and not data.override_reason.strip():
        problems["override_reason"] = OVERRIDE_REASON_MISSING
    excluded = set(
        db.scalars(
            select(ExclusionEntry.municipality_code)
            .join(ExclusionList)
            .where(ExclusionList.name == version.application.call.exclusion_list)
        )
    )
    extent = rules.extent_problems(
        set(data.approved), requested_covered(db, version), excluded, eligible=data.eligible
    )
    if extent:
        # A frikommune is outside the requested (covered) extent too; name the stronger reason.
        excluded_first = sorted(extent, key=lambda p: p.message != rules.EXTENT_EXCLUDED)
        problems["approved"] = excluded_first[0].message
    if data.eligible:
        capacity = rules.capacity_problem(data.capacity, declared_capacity(version))
        if capacity:
            problems["capacity"] = capacity
    return problems


OVERRIDE_REASON_MISSING = N_(
    "Afgørelsen afviger fra det, de konsoliderede scorer peger på; skriv hvorfor."
)


def decide(
    db: Session, lead: User, version: ApplicationVersion, data: DecisionData
) -> EligibilityDecision:
    """Store or change the pending decision; published decisions are final."""
    _require_lead(lead)
    proposed = proposal(db, version)
    if proposed is None:
        raise AssessmentError("not_consolidated")
    decision = decision_of(db, version.id)
    if decision is not None and decision.status == DecisionStatus.PUBLISHED:
        raise AssessmentError("decision_published")
    if decision_problems(db, version, data, proposed[0]):
        raise AssessmentError("invalid_decision")
    ensure_requested(db, version)
    if decision is None:
        decision = EligibilityDecision(version_id=version.id, decided_by_id=lead.id, reasoning="")
        db.add(decision)
    decision.eligible = data.eligible
    decision.reasoning = data.reasoning.strip()
    decision.proposed_eligible = proposed[0]
    decision.override_reason = data.override_reason.strip() if data.eligible != proposed[0] else ""
    decision.approved_capacity = data.capacity if data.eligible else None
    decision.decided_by_id = lead.id
    decision.decided_at = utcnow()
    # Delete the old extent first: the new one may repeat a municipality (unique per decision).
    decision.extent.clear()
    db.flush()
    decision.extent = [
        ApprovedExtent(version_id=version.id, municipality_code=code)
        for code in (sorted(data.approved) if data.eligible else [])
    ]
    db.flush()
    audit.record(
        db,
        lead.id,
        "eligibility.decided",
        decision,
        eligible=data.eligible,
        municipalities=len(decision.extent),
        capacity=decision.approved_capacity,
        override=bool(decision.override_reason),
    )
    return decision


def pending_decisions(db: Session, call: Call) -> list[EligibilityDecision]:
    return list(
        db.scalars(
            select(EligibilityDecision)
            .join(ApplicationVersion, ApplicationVersion.id == EligibilityDecision.version_id)
            .join(Application, Application.id == ApplicationVersion.application_id)
            .where(
                Application.call_id == call.id,
                EligibilityDecision.status == DecisionStatus.PENDING,
            )
        )
    )


def publish(db: Session, lead: User, call: Call) -> list[int]:
    """Publish every pending decision of the call in one statement, returning their ids; a
    second, concurrent publish finds nothing pending and is refused."""
    _require_lead(lead)
    ids = [d.id for d in pending_decisions(db, call)]
    if not ids:
        raise AssessmentError("nothing_to_publish")
    result = cast(
        "CursorResult[Any]",
        db.execute(
            update(EligibilityDecision)
            .where(
                EligibilityDecision.id.in_(ids),
                EligibilityDecision.status == DecisionStatus.PENDING,
            )
            .values(status=DecisionStatus.PUBLISHED, published_at=utcnow())
            .execution_options(synchronize_session=False)
        ),
    )
    if not result.rowcount:
        raise AssessmentError("nothing_to_publish")
    db.expire_all()
    audit.record(db, lead.id, "eligibility.published", call, decisions=int(result.rowcount))
    return ids


def published_decision(db: Session, app: Application) -> EligibilityDecision | None:
    ids = [v.id for v in app.versions]
    if not ids:
        return None
    return db.scalar(
        select(EligibilityDecision).where(
            EligibilityDecision.version_id.in_(ids),
            EligibilityDecision.status == DecisionStatus.PUBLISHED,
        )
    )


# --- the a-kasse's view ------------------------------------------------------------------------

RECEIVED = "received"
UNDER_ASSESSMENT = "under_assessment"
INFORMATION_REQUESTED = "information_requested"
DECIDED = "decided"


def fund_stage(db: Session, app: Application) -> str | None:
    """Where the application stands as the a-kasse may see it (None before submission)."""
    if app.status != ApplicationStatus.SUBMITTED or not app.versions:
        return None
    if published_decision(db, app) is not None:
        return DECIDED
    if any(r.answer is None for r in fund_requests(db, app)):
        return INFORMATION_REQUESTED
    version = applications.assessed_version(db, app)
    if version is not None and (
        find_any_assignment(db, version.id) or consolidation_of(db, version.id)
    ):
        return UNDER_ASSESSMENT
    return RECEIVED


def find_any_assignment(db: Session, version_id: int) -> bool:
    return (
        db.scalar(select(Assignment.id).where(Assignment.version_id == version_id).limit(1))
        is not None
    )


# --- the overview ------------------------------------------------------------------------------


@dataclass(frozen=True)
class OverviewRow:
    version: ApplicationVersion
    fund_name: str
    assessors: list[User]
    progress: rules.Progress
    conflicting: bool  # None-like False when the viewer may not see the scores
    information_missing: bool
    no_eligible_extent: bool
    decision: EligibilityDecision | None
    mine: bool
    needs_declaration: bool
    own_status: str | None
    gap: int

    @property
    def awaits_viewer(self) -> bool:
        return awaits(self.mine, self.own_status, self.progress)


def awaits(mine: bool, own_status: str | None, progress: rules.Progress) -> bool:
    """Assigned to the viewer, whose own assessment is not in yet, before consolidation."""
    return (
        mine
        and own_status != AssessmentStatus.COMPLETED
        and progress
        in (rules.Progress.NOT_STARTED, rules.Progress.IN_PROGRESS, rules.Progress.SUBMITTED)
    )


def overview(
    db: Session, call: Call, viewer: User, versions: list[ApplicationVersion] | None = None
) -> list[OverviewRow]:
    """One row per assessable version, from a fixed number of queries."""
    versions = assessable_versions(db, call) if versions is None else versions
    ids = [v.id for v in versions]
    if not ids:
        return []
    assigned = assignments(db, ids)
    declared = declarations(db, ids)
    by_version: dict[int, list[Assessment]] = defaultdict(list)
    for row in db.scalars(
        select(Assessment)
        .where(Assessment.version_id.in_(ids))
        .options(selectinload(Assessment.scores))
        .order_by(Assessment.id)
    ):
        by_version[row.version_id].append(row)
    consolidations = {
        c.version_id: c
        for c in db.scalars(select(Consolidation).where(Consolidation.version_id.in_(ids)))
    }
    decisions = {
        d.version_id: d
        for d in db.scalars(
            select(EligibilityDecision).where(EligibilityDecision.version_id.in_(ids))
        )
    }
    open_questions = set(
        db.scalars(
            select(InformationRequest.version_id).where(
                InformationRequest.version_id.in_(ids), InformationRequest.answer.is_(None)
            )
        )
    )
    users = {u.id: u for u in db.scalars(select(User).where(User.role.in_(AGENCY_ROLES)))}
    known = municipality_codes(db)
    rows = []
    for version in versions:
        assessment_rows = by_version[version.id]
        states = [
            rules.SUBMITTED if a.status == AssessmentStatus.COMPLETED else rules.DRAFT
            for a in assessment_rows
        ]
        consolidation = consolidations.get(version.id)
        decision = decisions.get(version.id)
        progress = rules.progress_of(
            states,
            consolidated=consolidation is not None and consolidation.signed_off_at is not None,
            decided=decision is not None,
            required=REQUIRED_ASSESSMENTS,
        )
        pairs = assigned[version.id]
        mine = any(a.assessor_id == viewer.id for a in pairs)
        own = next((a for a in assessment_rows if a.assessor_id == viewer.id), None)
        declaration = next((d for d in declared[version.id] if d.assessor_id == viewer.id), None)
        submitted = [a for a in assessment_rows if a.status == AssessmentStatus.COMPLETED]
        sees_others = rules.may_see_others_scores(
            viewer_submitted=own is not None and own.status == AssessmentStatus.COMPLETED,
            viewer_is_lead=is_lead(viewer),
            consolidation_started=consolidation is not None
            and mine
            and declaration is not None
            and not declaration.has_conflict,
        )
        rows.append(
            OverviewRow(
                version=version,
                fund_name=version.application.organisation.name,
                assessors=[users[a.assessor_id] for a in pairs if a.assessor_id in users],
                progress=progress,
                conflicting=sees_others and bool(conflicting_criteria(submitted)),
                information_missing=version.id in open_questions,
                no_eligible_extent=not requested_covered(db, version, known),
                decision=decision,
                mine=mine,
                needs_declaration=mine and declaration is None,
                own_status=own.status if own else None,
                gap=max(0, REQUIRED_ASSESSMENTS - len(pairs)),
            )
        )
    return rows


@dataclass(frozen=True)
class WorkRow:
    """What a start page counts of one application: a few columns, no content or scores."""

    progress: rules.Progress
    gap: int
    awaits_viewer: bool
    decision_pending: bool


def workload(
    db: Session, call: Call, viewer: User, versions: list[ApplicationVersion]
) -> list[WorkRow]:
    """The start page's view of a call: four narrow queries, whatever the number of
    applications (`overview` reads everything a table row shows)."""
    ids = [v.id for v in versions]
    if not ids:
        return []
    assigned: dict[int, set[int]] = defaultdict(set)
    for version_id, assessor_id in db.execute(
        select(Assignment.version_id, Assignment.assessor_id).where(Assignment.version_id.in_(ids))
    ):
        assigned[version_id].add(assessor_id)
    states: dict[int, list[str]] = defaultdict(list)
    own: dict[int, str] = {}
    for version_id, assessor_id, status in db.execute(
        select(Assessment.version_id, Assessment.assessor_id, Assessment.status).where(
            Assessment.version_id.in_(ids)
        )
    ):
        states[version_id].append(
            rules.SUBMITTED if status == AssessmentStatus.COMPLETED else rules.DRAFT
        )
        if assessor_id == viewer.id:
            own[version_id] = status
    signed_off = set(
        db.scalars(
            select(Consolidation.version_id).where(
                Consolidation.version_id.in_(ids), Consolidation.signed_off_at.is_not(None)
            )
        )
    )
    decided = {
        version_id: status
        for version_id, status in db.execute(
            select(EligibilityDecision.version_id, EligibilityDecision.status).where(
                EligibilityDecision.version_id.in_(ids)
            )
        )
    }
    rows = []
    for vid in ids:
        progress = rules.progress_of(
            states[vid],
            consolidated=vid in signed_off,
            decided=vid in decided,
            required=REQUIRED_ASSESSMENTS,
        )
        mine = viewer.id in assigned[vid]
        rows.append(
            WorkRow(
                progress=progress,
                gap=max(0, REQUIRED_ASSESSMENTS - len(assigned[vid])),
                awaits_viewer=awaits(mine, own.get(vid), progress),
                decision_pending=decided.get(vid) == DecisionStatus.PENDING,
            )
        )
    return rows


def conflicting_criteria(submitted: Sequence[Assessment]) -> set[int]:
    by_criterion: dict[int, list[int]] = defaultdict(list)
    for assessment in submitted:
        for score in assessment.scores:
            if score.score is not None:
                by_criterion[score.criterion_id].append(score.score)
    return {cid for cid, scores in by_criterion.items() if rules.is_conflicting(scores)}


# --- calibration -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Calibration:
    criteria: list[Criterion]
    spread: dict[int, float]
    agreement: dict[int, float]
    flips: dict[int, tuple[int | None, int | None]]
    leniency: dict[int, float]
    assessors: dict[int, User]
    consolidated_count: int
    scored_count: int


def calibration(db: Session, lead: User, call: Call) -> Calibration:
    """Spread and agreement per criterion, leniency per assessor, and the eligibility
    outcomes that would flip if a threshold moved one step: shown to the lead, never applied."""
    _require_lead(lead)
    versions = assessable_versions(db, call)
    criteria = list(call.criteria_set.criteria)
    individual: dict[int, dict[rules.Cell, int]] = defaultdict(dict)
    consolidated_cells: dict[rules.Cell, int] = {}
    consolidated_by_app: dict[int, dict[int, int | None]] = {}
    for version in versions:
        for assessment in submitted_assessments(db, version.id):
            for score in assessment.scores:
                if score.score is not None:
                    individual[assessment.assessor_id][(version.id, score.criterion_id)] = (
                        score.score
                    )
        consolidation = consolidation_of(db, version.id)
        if consolidation is not None and consolidation.signed_off_at is not None:
            scores = consolidated_scores(consolidation)
            consolidated_by_app[version.id] = scores
            for criterion_id, value in scores.items():
                if value is not None:
                    consolidated_cells[(version.id, criterion_id)] = value
    thresholds = {c.id: c.threshold for c in criteria}
    raw_flips = rules.flips_if_threshold_moves(consolidated_by_app, thresholds)
    scale = {c.id: (c.scale_min, c.scale_max) for c in criteria}
    flips: dict[int, tuple[int | None, int | None]] = {}
    for criterion_id, (down, up) in raw_flips.items():
        low, high = scale[criterion_id]
        threshold = thresholds[criterion_id]
        flips[criterion_id] = (
            down if threshold - 1 >= low else None,
            up if threshold + 1 <= high else None,
        )
    people = {u.id: u for u in db.scalars(select(User).where(User.id.in_(list(individual))))}
    return Calibration(
        criteria=criteria,
        spread=rules.spread_by_criterion(individual),
        agreement=rules.agreement_by_criterion(individual),
        flips=flips,
        leniency=rules.leniency(individual, consolidated_cells),
        assessors=people,
        consolidated_count=len(consolidated_by_app),
        scored_count=len({cell[0] for scores in individual.values() for cell in scores}),
    )


# --- exports -----------------------------------------------------------------------------------

SCORE_HEADER = [
    "A-kasse",
    "Version",
    "Kriterium",
    "Sagsbehandler",
    "Status",
    "Score",
    "Kan ikke vurderes",
    "Begrundelse",
]


def score_rows(db: Session, viewer: User, call: Call) -> list[tuple[object, ...]]:
    """The individual scores the viewer may see, through `visible_assessments` only."""
    rows: list[tuple[object, ...]] = []
    for version in assessable_versions(db, call):
        criteria = {c.id: c for c in criteria_of(version)}
        for assessment in visible_assessments(db, viewer, version.id):
            assessor = db.get(User, assessment.assessor_id)
            state = "Indsendt" if assessment.status == AssessmentStatus.COMPLETED else "Kladde"
            for score in sorted(assessment.scores, key=lambda s: criteria[s.criterion_id].position):
                criterion = criteria[score.criterion_id]
                rows.append(
                    (
                        version.application.organisation.name,
                        version.number,
                        f"{criterion.position}. {criterion.title}",
                        assessor.name if assessor else "",
                        state,
                        "" if score.score is None else score.score,
                        "ja" if score.cannot_assess else "nej",
                        score.justification,
                    )
                )
    return rows
