"""Criteria sets and calls (Trin 1)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal import audit
from portal.criteria_defaults import ANCHORS, DEFAULT_CRITERIA, DEFAULT_FAMILY, DEFAULT_TITLE
from portal.models import Call, CallStatus, CriteriaSet, CriteriaSetStatus, Criterion, utcnow


class CallError(ValueError):
    pass


def create_default_criteria_set(db: Session, actor_id: int | None) -> CriteriaSet:
    """The six criteria of the policy text as a new draft version."""
    version = (db.scalar(select(func.max(CriteriaSet.version))
                         .where(CriteriaSet.family == DEFAULT_FAMILY)) or 0) + 1
    cset = CriteriaSet(family=DEFAULT_FAMILY, version=version, title=DEFAULT_TITLE,
                       status=CriteriaSetStatus.DRAFT)
    for position, text in enumerate(DEFAULT_CRITERIA, start=1):
        cset.criteria.append(Criterion(
            position=position, title=text.title, guidance=text.guidance, evidence=text.evidence,
            scale_min=0, scale_max=4, anchors=dict(ANCHORS), threshold=2, weight=1.0))
    db.add(cset)
    db.flush()
    audit.record(db, actor_id, "criteria_set.created", cset, version=version)
    return cset


def publish_criteria_set(db: Session, actor_id: int | None, cset: CriteriaSet) -> None:
    if cset.status == CriteriaSetStatus.PUBLISHED:
        raise CallError("criteria set is already published")
    if not cset.criteria:
        raise CallError("a criteria set needs at least one criterion")
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
        raise CallError("criteria_set_id: a call needs a published criteria set")
    if data.deadline_at <= data.opens_at:
        raise CallError("deadline_at: the deadline must be after the opening time")
    call = Call(**data.__dict__, status=CallStatus.OPEN if open_now else CallStatus.DRAFT)
    db.add(call)
    db.flush()
    audit.record(db, actor_id, "call.created", call, title=data.title)
    return call
