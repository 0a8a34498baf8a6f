"""Trin 2 services for the dialogue meeting: the criteria interpretation register, the meeting
(time, place, agenda, whether a-kasser are named, minutes), the labour-market parties'
comments, and what the parties read (distributions of consolidated scores, published
decisions).

Every writing function takes the session and the acting user, checks the rules, writes and
records an audit event; the caller commits. Refusals are `DialogueError`s.

What the labour-market parties may see is decided here, in one place each: published
interpretations only (`may_see`), consolidated scores only and counted, never an assessor's
(`score_rows`), a-kasse names only when the lead has published them (`names_published`), and
their own party's comments (`comments_for`).

Which interpretation a consolidated score relied on: when the lead signs off a consolidation,
each score is linked to the newest published version of its criterion's interpretation
(`portal.assessment.services.save_consolidation`). Scores signed off before any version
of a criterion was published are linked to the first version when it is published: it writes
down the practice they were assessed under. A later version never moves an existing link, so
the register can say how many scores rest on each version.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, CursorResult, func, select, true, update
from sqlalchemy.orm import Session

from portal import audit
from portal.dialogue import rules
from portal.errors import DialogueError
from portal.models import (
    AGENCY_ROLES,
    Application,
    ApplicationStatus,
    ApplicationVersion,
    ApprovedExtent,
    Call,
    CallStatus,
    ConsolidatedScore,
    Consolidation,
    Criterion,
    CriterionInterpretation,
    DecisionStatus,
    DialogueMeeting,
    EligibilityDecision,
    Organisation,
    PartyComment,
    Role,
    User,
    utcnow,
)

COPENHAGEN = ZoneInfo("Europe/Copenhagen")


# --- who ---------------------------------------------------------------------------------------


def is_agency(user: User) -> bool:
    return Role(user.role) in AGENCY_ROLES


def is_lead(user: User) -> bool:
    return user.role == Role.LEAD_ASSESSOR


def _require_lead(user: User) -> None:
    if not is_lead(user):
        raise DialogueError("lead_only")


def may_see(user: User, interpretation: CriterionInterpretation) -> bool:
    """The agency sees drafts; everyone else only what has been published."""
    return interpretation.is_published or is_agency(user)


def party_of(user: User) -> str:
    """The party organisation a labour-market party's account speaks for."""
    party = (user.party or "").strip()
    if party:
        return party
    return user.organisation.name if user.organisation is not None else ""


# --- the register ------------------------------------------------------------------------------


@dataclass(frozen=True)
class InterpretationData:
    text: str
    borderline: str = ""
    change_note: str = ""


def criteria_of(call: Call) -> list[Criterion]:
    return list(call.criteria_set.criteria)


def versions(db: Session, call: Call) -> dict[int, list[CriterionInterpretation]]:
    """Criterion id -> every version of its interpretation in the call, oldest first."""
    found: dict[int, list[CriterionInterpretation]] = {c.id: [] for c in criteria_of(call)}
    rows = db.scalars(
        select(CriterionInterpretation)
        .where(CriterionInterpretation.call_id == call.id)
        .order_by(CriterionInterpretation.criterion_id, CriterionInterpretation.version)
    )
    for row in rows:
        found.setdefault(row.criterion_id, []).append(row)
    return found


@dataclass(frozen=True)
class RegisterEntry:
    """One criterion as the viewer may see it: the current published version, the draft (for
    the agency), the published history newest first, and what the scores relied on."""

    criterion: Criterion
    current: CriterionInterpretation | None
    draft: CriterionInterpretation | None
    history: list[CriterionInterpretation]
    reliance: rules.Reliance


def register(db: Session, call: Call, viewer: User) -> list[RegisterEntry]:
    by_criterion = versions(db, call)
    relied = _relied_versions(db, call)
    entries = []
    for criterion in criteria_of(call):
        rows = by_criterion.get(criterion.id, [])
        published = [r for r in rows if r.is_published]
        draft = next((r for r in rows if not r.is_published), None)
        entries.append(
            RegisterEntry(
                criterion=criterion,
                current=published[-1] if published else None,
                draft=draft if draft is not None and may_see(viewer, draft) else None,
                history=list(reversed(published)),
                reliance=rules.reliance(relied.get(criterion.id, [])),
            )
        )
    return entries


def criterion_of_call(call: Call, criterion_id: int) -> Criterion | None:
    return next((c for c in criteria_of(call) if c.id == criterion_id), None)


def visible_versions(
    db: Session, call: Call, criterion: Criterion, viewer: User
) -> list[CriterionInterpretation]:
    """The criterion's versions the viewer may see, newest first."""
    rows = versions(db, call).get(criterion.id, [])
    return [r for r in reversed(rows) if may_see(viewer, r)]


def visible_interpretation(
    db: Session, interpretation_id: int, viewer: User
) -> CriterionInterpretation | None:
    """The interpretation, or None when it does not exist or the viewer may not see it."""
    found = db.get(CriterionInterpretation, interpretation_id)
    if found is None or not may_see(viewer, found):
        return None
    return found


def save_interpretation(
    db: Session, lead: User, call: Call, criterion: Criterion, data: InterpretationData
) -> CriterionInterpretation:
    """Store the draft of the criterion's interpretation: the newest version while it is a
    draft, else a new version (which must say what changed)."""
    _require_lead(lead)
    if criterion_of_call(call, criterion.id) is None:
        raise DialogueError("criterion_not_in_call")
    text = data.text.strip()
    if not text:
        raise DialogueError("text_missing")
    rows = versions(db, call).get(criterion.id, [])
    draft = rows[-1] if rows and not rows[-1].is_published else None
    number = draft.version if draft is not None else len(rows) + 1
    change_note = data.change_note.strip()
    if number > 1 and not change_note:
        raise DialogueError("change_note_missing")
    if draft is None:
        draft = CriterionInterpretation(
            call_id=call.id, criterion_id=criterion.id, version=number, author_id=lead.id
        )
        db.add(draft)
    draft.text = text
    draft.borderline = data.borderline.strip()
    draft.change_note = change_note if number > 1 else ""
    draft.author_id = lead.id
    draft.updated_at = utcnow()
    db.flush()
    audit.record(
        db,
        lead.id,
        "dialogue.interpretation_saved",
        draft,
        call=call.id,
        criterion=criterion.id,
        version=number,
    )
    return draft


def publish_interpretation(db: Session, lead: User, interpretation: CriterionInterpretation) -> int:
    """Publish a draft; returns how many signed-off scores it became the basis of (only the
    first published version of a criterion takes scores that had none)."""
    _require_lead(lead)
    if interpretation.is_published:
        raise DialogueError("already_published")
    interpretation.published_at = utcnow()
    interpretation.published_by_id = lead.id
    db.flush()
    linked = _link_unlinked_scores(db, interpretation)
    audit.record(
        db,
        lead.id,
        "dialogue.interpretation_published",
        interpretation,
        call=interpretation.call_id,
        criterion=interpretation.criterion_id,
        version=interpretation.version,
        linked_scores=linked,
    )
    return linked


def publish_drafts(db: Session, lead: User, call: Call) -> list[CriterionInterpretation]:
    """Publish every draft of the call at once."""
    _require_lead(lead)
    drafts = [
        rows[-1] for rows in versions(db, call).values() if rows and not rows[-1].is_published
    ]
    if not drafts:
        raise DialogueError("nothing_to_publish")
    for draft in drafts:
        publish_interpretation(db, lead, draft)
    return drafts


def _signed_off_in_call(call_id: int) -> Any:
    """The ids of the call's signed-off consolidations of submitted applications."""
    return (
        select(Consolidation.id)
        .join(ApplicationVersion, ApplicationVersion.id == Consolidation.version_id)
        .join(Application, Application.id == ApplicationVersion.application_id)
        .where(
            Application.call_id == call_id,
            Application.status == ApplicationStatus.SUBMITTED,
            Consolidation.signed_off_at.is_not(None),
        )
    )


def _link_unlinked_scores(db: Session, interpretation: CriterionInterpretation) -> int:
    result = cast(
        "CursorResult[Any]",
        db.execute(
            update(ConsolidatedScore)
            .where(
                ConsolidatedScore.criterion_id == interpretation.criterion_id,
                ConsolidatedScore.interpretation_id.is_(None),
                ConsolidatedScore.consolidation_id.in_(_signed_off_in_call(interpretation.call_id)),
            )
            .values(interpretation_id=interpretation.id)
            .execution_options(synchronize_session=False)
        ),
    )
    db.expire_all()
    return int(result.rowcount or 0)


# --- consolidated scores, as the parties may see them ------------------------------------------


@dataclass(frozen=True)
class ScoreRow:
    criterion_id: int
    score: int | None
    fund: str
    relied_on_version: int | None


def score_rows(db: Session, call: Call) -> list[ScoreRow]:
    """The call's signed-off consolidated scores: the only scores the dialogue pages read
    (never an individual assessor's)."""
    rows = db.execute(
        select(
            ConsolidatedScore.criterion_id,
            ConsolidatedScore.score,
            Organisation.name,
            CriterionInterpretation.version,
        )
        .join(Consolidation, Consolidation.id == ConsolidatedScore.consolidation_id)
        .join(ApplicationVersion, ApplicationVersion.id == Consolidation.version_id)
        .join(Application, Application.id == ApplicationVersion.application_id)
        .join(Organisation, Organisation.id == Application.organisation_id)
        .outerjoin(
            CriterionInterpretation,
            CriterionInterpretation.id == ConsolidatedScore.interpretation_id,
        )
        .where(Consolidation.id.in_(_signed_off_in_call(call.id)))
        .order_by(ConsolidatedScore.criterion_id, Organisation.name)
    )
    return [ScoreRow(*row) for row in rows]


def _relied_versions(db: Session, call: Call) -> dict[int, list[int | None]]:
    found: dict[int, list[int | None]] = defaultdict(list)
    for row in score_rows(db, call):
        found[row.criterion_id].append(row.relied_on_version)
    return found


def distributions(db: Session, call: Call) -> dict[int, rules.Distribution]:
    """Criterion id -> the distribution of its consolidated scores; a-kasser are named only
    when the lead has published the names."""
    named = names_published(db, call)
    by_criterion: dict[int, list[tuple[int | None, str | None]]] = defaultdict(list)
    for row in score_rows(db, call):
        by_criterion[row.criterion_id].append((row.score, row.fund if named else None))
    return {
        c.id: rules.distribution(c.scale_min, c.scale_max, c.threshold, by_criterion[c.id])
        for c in criteria_of(call)
    }


# --- the meeting -------------------------------------------------------------------------------


@dataclass(frozen=True)
class MeetingData:
    starts_at: datetime  # timezone-aware
    place: str
    agenda: str
    names_published: bool = False


def meeting_of(db: Session, call: Call) -> DialogueMeeting | None:
    return db.scalar(select(DialogueMeeting).where(DialogueMeeting.call_id == call.id))


def names_published(db: Session, call: Call) -> bool:
    meeting = meeting_of(db, call)
    return meeting is not None and meeting.names_published


def meeting_date(meeting: DialogueMeeting) -> date:
    return meeting.starts_at.astimezone(COPENHAGEN).date()


def save_meeting(db: Session, lead: User, call: Call, data: MeetingData) -> DialogueMeeting:
    """Plan or change the meeting (the call's meeting date follows); fixed once the minutes
    are recorded."""
    _require_lead(lead)
    if data.starts_at.tzinfo is None:
        raise ValueError("starts_at must be timezone-aware")
    if not data.place.strip() or not data.agenda.strip():
        raise DialogueError("meeting_incomplete")
    meeting = meeting_of(db, call)
    if meeting is not None and meeting.minutes is not None:
        raise DialogueError("meeting_held")
    if meeting is None:
        meeting = DialogueMeeting(call_id=call.id, updated_by_id=lead.id)
        db.add(meeting)
    meeting.starts_at = data.starts_at
    meeting.place = data.place.strip()
    meeting.agenda = data.agenda.strip()
    meeting.names_published = data.names_published
    meeting.updated_by_id = lead.id
    meeting.updated_at = utcnow()
    call.dialogue_meeting_on = meeting_date(meeting)
    db.flush()
    audit.record(
        db,
        lead.id,
        "dialogue.meeting_saved",
        meeting,
        call=call.id,
        starts_at=meeting.starts_at.isoformat(),
        names_published=meeting.names_published,
    )
    return meeting


def record_minutes(
    db: Session, lead: User, call: Call, minutes: str, now: datetime | None = None
) -> DialogueMeeting:
    """Write (or correct) the minutes once the meeting has been held; the audit log keeps a
    hash of every version."""
    _require_lead(lead)
    meeting = meeting_of(db, call)
    if meeting is None:
        raise DialogueError("meeting_missing")
    now = now or utcnow()
    if now < meeting.starts_at:
        raise DialogueError("meeting_not_held")
    text = minutes.strip()
    if not text:
        raise DialogueError("minutes_missing")
    corrected = meeting.minutes is not None
    meeting.minutes = text
    meeting.minutes_recorded_by_id = lead.id
    meeting.minutes_recorded_at = now
    db.flush()
    audit.record(
        db,
        lead.id,
        "dialogue.minutes_recorded",
        meeting,
        call=call.id,
        corrected=corrected,
        characters=len(text),
        sha256=hashlib.sha256(text.encode()).hexdigest(),
    )
    return meeting


# --- the parties' comments ---------------------------------------------------------------------


@dataclass(frozen=True)
class CommentData:
    text: str
    criterion_id: int | None = None


def add_comment(
    db: Session, author: User, call: Call, data: CommentData, now: datetime | None = None
) -> PartyComment:
    """A labour-market party's comment for the meeting, until the meeting begins."""
    if author.role != Role.LABOUR_PARTY or author.organisation_id is None:
        raise DialogueError("not_a_labour_party")
    text = data.text.strip()
    if not text:
        raise DialogueError("comment_missing")
    if data.criterion_id is not None and criterion_of_call(call, data.criterion_id) is None:
        raise DialogueError("criterion_not_in_call")
    meeting = meeting_of(db, call)
    if meeting is not None and (now or utcnow()) >= meeting.starts_at:
        raise DialogueError("comments_closed")
    comment = PartyComment(
        call_id=call.id,
        criterion_id=data.criterion_id,
        organisation_id=author.organisation_id,
        party=party_of(author),
        author_id=author.id,
        text=text,
    )
    db.add(comment)
    db.flush()
    audit.record(
        db,
        author.id,
        "dialogue.comment_added",
        comment,
        call=call.id,
        criterion=data.criterion_id,
    )
    return comment


def _readable_comments(viewer: User) -> ColumnElement[bool] | None:
    """The agency reads every party's comments; a party its own; nobody else any (None)."""
    if viewer.role == Role.LABOUR_PARTY:
        return PartyComment.party == party_of(viewer)
    return true() if is_agency(viewer) else None


def comments_for(db: Session, call: Call, viewer: User) -> list[PartyComment]:
    readable = _readable_comments(viewer)
    if readable is None:
        return []
    query = select(PartyComment).where(PartyComment.call_id == call.id, readable)
    return list(db.scalars(query.order_by(PartyComment.created_at, PartyComment.id)))


# --- the decisions, as the parties may see them ------------------------------------------------


@dataclass(frozen=True)
class DecisionRow:
    fund: str
    eligible: bool
    municipalities: tuple[str, ...]  # approved, by code
    capacity: int | None


def published_decisions(db: Session, call: Call) -> list[DecisionRow]:
    """The call's published eligibility decisions (pending ones are the agency's own), by
    a-kasse name."""
    decisions = db.execute(
        select(EligibilityDecision.id, Organisation.name, EligibilityDecision.eligible)
        .add_columns(EligibilityDecision.approved_capacity)
        .join(ApplicationVersion, ApplicationVersion.id == EligibilityDecision.version_id)
        .join(Application, Application.id == ApplicationVersion.application_id)
        .join(Organisation, Organisation.id == Application.organisation_id)
        .where(
            Application.call_id == call.id,
            EligibilityDecision.status == DecisionStatus.PUBLISHED,
        )
        .order_by(Organisation.name)
    ).all()
    extents: dict[int, list[str]] = defaultdict(list)
    ids = [row[0] for row in decisions]
    if ids:
        for decision_id, code in db.execute(
            select(ApprovedExtent.decision_id, ApprovedExtent.municipality_code)
            .where(ApprovedExtent.decision_id.in_(ids))
            .order_by(ApprovedExtent.municipality_code)
        ):
            extents[decision_id].append(code)
    return [
        DecisionRow(name, eligible, tuple(extents[decision_id]), capacity)
        for decision_id, name, eligible, capacity in decisions
    ]


def approvals_per_municipality(rows: Sequence[DecisionRow]) -> dict[str, int]:
    """Municipality code -> how many eligible a-kasser it is approved for."""
    counts: dict[str, int] = defaultdict(int)
    for row in rows:
        if row.eligible:
            for code in row.municipalities:
                counts[code] += 1
    return dict(counts)


# --- for the start pages -----------------------------------------------------------------------


@dataclass(frozen=True)
class Standing:
    criteria: int
    published: int  # criteria with a published interpretation
    drafts: int
    meeting: DialogueMeeting | None
    comments: int


def standings(db: Session, calls: Sequence[Call], viewer: User) -> dict[int, Standing]:
    """Call id -> its standing (as `versions`, `meeting_of` and `comments_for` give it), for
    several calls from four narrow queries that read no texts, whatever the number of calls."""
    ids = [call.id for call in calls]
    if not ids:
        return {}
    # The call's criteria and any criterion with an interpretation, as `versions` counts them.
    criteria: dict[int, set[int]] = defaultdict(set)
    for call_id, criterion_id in db.execute(
        select(Call.id, Criterion.id)
        .join(Criterion, Criterion.criteria_set_id == Call.criteria_set_id)
        .where(Call.id.in_(ids))
    ):
        criteria[call_id].add(criterion_id)
    latest_published: dict[tuple[int, int], bool] = {}  # (call, criterion), newest version
    ever_published: set[tuple[int, int]] = set()
    for call_id, criterion_id, published_at in db.execute(
        select(
            CriterionInterpretation.call_id,
            CriterionInterpretation.criterion_id,
            CriterionInterpretation.published_at,
        )
        .where(CriterionInterpretation.call_id.in_(ids))
        .order_by(CriterionInterpretation.version)
    ):
        latest_published[(call_id, criterion_id)] = published_at is not None
        criteria[call_id].add(criterion_id)
        if published_at is not None:
            ever_published.add((call_id, criterion_id))
    meetings = {
        m.call_id: m
        for m in db.scalars(select(DialogueMeeting).where(DialogueMeeting.call_id.in_(ids)))
    }
    readable = _readable_comments(viewer)
    comments: dict[int, int] = {}
    if readable is not None:
        comments = {
            call_id: count
            for call_id, count in db.execute(
                select(PartyComment.call_id, func.count(PartyComment.id))
                .where(PartyComment.call_id.in_(ids), readable)
                .group_by(PartyComment.call_id)
            )
        }
    return {
        call.id: Standing(
            criteria=len(criteria[call.id]),
            published=sum(1 for key in ever_published if key[0] == call.id),
            drafts=sum(
                1
                for key, published in latest_published.items()
                if key[0] == call.id and not published
            ),
            meeting=meetings.get(call.id),
            comments=comments.get(call.id, 0),
        )
        for call in calls
    }


def calls_with_dialogue(db: Session) -> list[Call]:
    """Calls past their draft stage, newest first: the ones a dialogue meeting can concern."""
    return list(
        db.scalars(select(Call).where(Call.status != CallStatus.DRAFT).order_by(Call.id.desc()))
    )
