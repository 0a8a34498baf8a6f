"""Criteria sets and calls (Trin 1); a call's reported inflow (for Trin 3)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal import audit
from portal.calls.criteria_defaults import ANCHORS, DEFAULT_CRITERIA, DEFAULT_FAMILY, DEFAULT_TITLE
from portal.errors import CallError
from portal.models import (
    Application,
    ApplicationStatus,
    Call,
    CallStatus,
    CriteriaSet,
    CriteriaSetStatus,
    Criterion,
    InflowUpload,
    utcnow,
)


@dataclass(frozen=True)
class CriterionData:
    title: str
    guidance: str
    evidence: str
    threshold: int
    weight: float
    anchors: dict[str, str]


def create_default_criteria_set(db: Session, actor_id: int | None) -> CriteriaSet:
    """The six criteria of the policy text as a new draft version."""
    version = (
        db.scalar(select(func.max(CriteriaSet.version)).where(CriteriaSet.family == DEFAULT_FAMILY))
        or 0
    ) + 1
    cset = CriteriaSet(
        family=DEFAULT_FAMILY, version=version, title=DEFAULT_TITLE, status=CriteriaSetStatus.DRAFT
    )
    for position, text in enumerate(DEFAULT_CRITERIA, start=1):
        cset.criteria.append(
            Criterion(
                position=position,
                title=text.title,
                guidance=text.guidance,
                evidence=text.evidence,
                scale_min=0,
                scale_max=4,
                anchors=dict(ANCHORS),
                threshold=2,
                weight=1.0,
            )
        )
    db.add(cset)
    db.flush()
    audit.record(db, actor_id, "criteria_set.created", cset, version=version)
    return cset


def publish_criteria_set(db: Session, actor_id: int | None, cset: CriteriaSet) -> None:
    if cset.status == CriteriaSetStatus.PUBLISHED:
        raise CallError("already_published")
    if not cset.criteria:
        raise CallError("no_criteria")
    cset.status = CriteriaSetStatus.PUBLISHED
    cset.published_at = utcnow()
    db.flush()
    audit.record(db, actor_id, "criteria_set.published", cset)


@dataclass(frozen=True)
class NewCall:
    title: str
    criteria_set_id: int
    opens_at: datetime
    deadline_at: datetime
    dialogue_meeting_on: date | None = None
    page_limit: int = 10
    page_limit_with_annexes: int = 20
    target_volume: int = 37500
    min_share: float = 0.25
    years: int = 4
    national_inflow: int = 150000


def create_call(db: Session, actor_id: int | None, data: NewCall, *, open_now: bool = True) -> Call:
    cset = db.get(CriteriaSet, data.criteria_set_id)
    if cset is None or cset.status != CriteriaSetStatus.PUBLISHED:
        raise CallError("set_not_published")
    if data.deadline_at <= data.opens_at:
        raise CallError("deadline_before_opening")
    if open_now and data.deadline_at <= utcnow():
        raise CallError("deadline_in_past")
    call = Call(**data.__dict__, status=CallStatus.OPEN if open_now else CallStatus.DRAFT)
    db.add(call)
    db.flush()
    audit.record(db, actor_id, "call.created", call, title=data.title)
    return call


@dataclass(frozen=True)
class CallChanges:
    title: str
    deadline_at: datetime
    dialogue_meeting_on: date | None
    page_limit: int
    page_limit_with_annexes: int
    target_volume: int
    min_share: float
    years: int
    national_inflow: int


def update_call(db: Session, actor_id: int | None, call: Call, changes: CallChanges) -> list[str]:
    """Change an open call's settings; returns the names of the fields that changed (audited
    with their old and new values). A closed call is frozen."""
    if call.status != CallStatus.OPEN:
        raise CallError("call_closed")
    same_minute = changes.deadline_at == call.deadline_at.replace(second=0, microsecond=0)
    if same_minute:
        changes = replace(changes, deadline_at=call.deadline_at)
    elif changes.deadline_at <= utcnow():
        raise CallError("deadline_in_past")
    changed: dict[str, tuple[str, str]] = {}
    for name, value in changes.__dict__.items():
        old = getattr(call, name)
        if old != value:
            changed[name] = (str(old), str(value))
            setattr(call, name, value)
    if changed:
        db.flush()
        audit.record(db, actor_id, "call.updated", call, changes=changed)
    return sorted(changed)


def close_call(db: Session, actor_id: int | None, call: Call) -> None:
    """Close an open call: no more applications or submissions, extensions included."""
    if call.status != CallStatus.OPEN:
        raise CallError("call_closed")
    call.status = CallStatus.CLOSED
    db.flush()
    audit.record(db, actor_id, "call.closed", call, deadline=call.deadline_at.isoformat())


def update_criterion(
    db: Session, actor_id: int | None, criterion: Criterion, data: CriterionData
) -> None:
    """Change a criterion of a draft set; a published set is frozen."""
    cset = db.get(CriteriaSet, criterion.criteria_set_id)
    if cset is None or cset.status != CriteriaSetStatus.DRAFT:
        raise CallError("set_frozen")
    criterion.title, criterion.guidance = data.title, data.guidance
    criterion.evidence, criterion.threshold = data.evidence, data.threshold
    criterion.weight, criterion.anchors = data.weight, dict(data.anchors)
    db.flush()
    audit.record(db, actor_id, "criterion.updated", criterion, criteria_set=cset.id)


def new_version(db: Session, actor_id: int | None, source: CriteriaSet) -> CriteriaSet:
    """A draft copy of a set as the family's next version (the only way to change a
    published set)."""
    version = (
        db.scalar(select(func.max(CriteriaSet.version)).where(CriteriaSet.family == source.family))
        or 0
    ) + 1
    copy = CriteriaSet(
        family=source.family, version=version, title=source.title, status=CriteriaSetStatus.DRAFT
    )
    for c in source.criteria:
        copy.criteria.append(
            Criterion(
                position=c.position,
                title=c.title,
                guidance=c.guidance,
                evidence=c.evidence,
                scale_min=c.scale_min,
                scale_max=c.scale_max,
                anchors=dict(c.anchors),
                threshold=c.threshold,
                weight=c.weight,
            )
        )
    db.add(copy)
    db.flush()
    audit.record(db, actor_id, "criteria_set.versioned", copy, source=source.id, version=version)
    return copy


def counts_by_status(db: Session, call_id: int) -> dict[str, int]:
    rows = db.execute(
        select(Application.status, func.count(Application.id))
        .where(Application.call_id == call_id)
        .group_by(Application.status)
    )
    counts = {status.value: 0 for status in ApplicationStatus}
    counts.update({status: count for status, count in rows})
    return counts


# --- reported inflow -----------------------------------------------------------------------


@dataclass(frozen=True)
class NewInflowUpload:
    """A reported inflow file as read (`portal.calls.inflow.read_inflow_csv`)."""

    filename: str
    sha256: str
    size_bytes: int
    year: int
    rows: tuple[tuple[str, str, float], ...]  # (fund id, municipality code, inflow)


@dataclass(frozen=True)
class RefusedInflowUpload:
    filename: str
    sha256: str
    size_bytes: int
    problems: int


def active_inflow(db: Session, call_id: int) -> InflowUpload | None:
    """The upload a new selection run of the call uses: the latest, unless it was withdrawn
    (then the inflow is modelled)."""
    latest = db.scalar(
        select(InflowUpload)
        .where(InflowUpload.call_id == call_id)
        .order_by(InflowUpload.id.desc())
        .limit(1)
    )
    return latest if latest is not None and latest.withdrawn_at is None else None


def inflow_uploads(db: Session, call_id: int) -> list[InflowUpload]:
    """Every upload of the call, the latest first."""
    return list(
        db.scalars(
            select(InflowUpload)
            .where(InflowUpload.call_id == call_id)
            .order_by(InflowUpload.id.desc())
        )
    )


def upload_inflow(db: Session, actor_id: int, call: Call, data: NewInflowUpload) -> InflowUpload:
    """Store a reported inflow file; from now on it is the call's inflow (the latest wins)."""
    if not data.rows:
        raise CallError("inflow_without_rows")
    upload = InflowUpload(
        call_id=call.id,
        uploaded_by_id=actor_id,
        filename=data.filename,
        sha256=data.sha256,
        size_bytes=data.size_bytes,
        year=data.year,
        row_count=len(data.rows),
        rows=[[fund, code, inflow] for fund, code, inflow in data.rows],
    )
    db.add(upload)
    db.flush()
    audit.record(
        db,
        actor_id,
        "inflow.uploaded",
        upload,
        call=call.id,
        filename=data.filename,
        sha256=data.sha256,
        rows=len(data.rows),
        year=data.year,
    )
    return upload


def record_refused_inflow(
    db: Session, actor_id: int, call: Call, refused: RefusedInflowUpload
) -> None:
    """A refused file is not stored; the attempt is logged."""
    audit.record(
        db,
        actor_id,
        "inflow.refused",
        call,
        filename=refused.filename,
        sha256=refused.sha256,
        size_bytes=refused.size_bytes,
        problems=refused.problems,
    )


def withdraw_inflow(db: Session, actor_id: int, call: Call) -> InflowUpload:
    """Back to the modelled inflow: the upload in use is withdrawn (and kept)."""
    upload = active_inflow(db, call.id)
    if upload is None:
        raise CallError("inflow_already_modelled")
    upload.withdrawn_at = utcnow()
    upload.withdrawn_by_id = actor_id
    db.flush()
    audit.record(db, actor_id, "inflow.withdrawn", upload, call=call.id, sha256=upload.sha256)
    return upload
