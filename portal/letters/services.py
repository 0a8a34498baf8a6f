"""Decision letters and appeals: templates, generation, the four-eyes approval, what the
a-kasse sees, and appeals from filing to outcome.

Letters are generated as drafts for a call's published eligibility decisions (after Trin 2)
and, once the agreement parties have decided, for selected and not selected (after Trin 3).
Generation freezes the text; a second person approves, which sends the letter. An a-kasse's
signatory may appeal a sent letter until its complaint deadline; the lead assigns a handler who
took no part in the original assessment; a changed outcome changes the eligibility decision,
which the next selection run reads (`portal.proposals.problem`).

Functions take the session and the acting user, write, record an audit event and flush; the
caller commits. Refusals are `LetterError`s.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from portal import audit
from portal.assessment import rules as assessment_rules
from portal.errors import LetterError
from portal.letters import rules
from portal.letters.defaults import DEFAULTS
from portal.models import (
    AGENCY_ROLES,
    Appeal,
    AppealOutcome,
    AppealStatus,
    Application,
    ApplicationVersion,
    ApprovedExtent,
    Assessment,
    Assignment,
    Call,
    ConflictDeclaration,
    Consolidation,
    DecisionStatus,
    EligibilityDecision,
    ExclusionEntry,
    ExclusionList,
    Letter,
    LetterStage,
    LetterStatus,
    LetterTemplate,
    Municipality,
    Region,
    RequestedMunicipality,
    Role,
    SelectionDecision,
    SelectionProposal,
    User,
    utcnow,
)

COPENHAGEN = ZoneInfo("Europe/Copenhagen")
MANAGERS = frozenset({Role.ADMIN, Role.LEAD_ASSESSOR})


def today() -> date:
    """Today in Denmark: letters are dated, and deadlines end, in Danish time."""
    return utcnow().astimezone(COPENHAGEN).date()


def _require_manager(user: User) -> None:
    if Role(user.role) not in MANAGERS:
        raise LetterError("not_allowed")


# --- templates ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class TemplateText:
    subject: str
    body: str
    guidance: str


def stored_template(db: Session, kind: str) -> LetterTemplate | None:
    return db.scalar(select(LetterTemplate).where(LetterTemplate.kind == kind))


def template_for(db: Session, kind: str) -> TemplateText:
    """The administrator's text for the kind, or the default text."""
    row = stored_template(db, kind)
    if row is not None:
        return TemplateText(row.subject, row.body, row.guidance)
    default = DEFAULTS[kind]
    return TemplateText(default.subject, default.body, default.guidance)


def save_template(db: Session, admin: User, kind: str, text: TemplateText) -> LetterTemplate:
    """Store the kind's text; one with unknown or missing placeholders is refused."""
    if admin.role != Role.ADMIN:
        raise LetterError("admin_only")
    if kind not in rules.KINDS:
        raise LetterError("unknown_kind")
    text = TemplateText(text.subject.strip(), text.body.strip(), text.guidance.strip())
    if rules.template_problems(kind, text.subject, text.body, text.guidance):
        raise LetterError("invalid_template")
    row = stored_template(db, kind)
    if row is None:
        row = LetterTemplate(kind=kind)
        db.add(row)
    row.subject, row.body, row.guidance = text.subject, text.body, text.guidance
    row.updated_by_id, row.updated_at = admin.id, utcnow()
    db.flush()
    audit.record(db, admin.id, "letters.template_saved", row, kind=kind)
    return row


def reset_template(db: Session, admin: User, kind: str) -> None:
    """Back to the default text."""
    if admin.role != Role.ADMIN:
        raise LetterError("admin_only")
    row = stored_template(db, kind)
    if row is not None:
        db.delete(row)
        db.flush()
        audit.record(db, admin.id, "letters.template_reset", None, kind=kind)


# --- what a letter says ------------------------------------------------------------------------


@dataclass(frozen=True)
class Content:
    """The values a letter's placeholders take, and the facts its PDF shows besides the text."""

    kind: str
    values: dict[str, str | None]
    facts: dict[str, Any]


def _version_of(db: Session, decision: EligibilityDecision) -> ApplicationVersion:
    version = db.get(ApplicationVersion, decision.version_id)
    assert version is not None
    return version


def _consolidation_of(db: Session, version_id: int) -> Consolidation | None:
    return db.scalar(select(Consolidation).where(Consolidation.version_id == version_id))


def _requested(db: Session, version: ApplicationVersion) -> set[str]:
    """The municipalities the version applied for that can take part (the call's frikommuner
    taken out): written when its decision was made, and what an approved extent refers to."""
    return set(
        db.scalars(
            select(RequestedMunicipality.municipality_code).where(
                RequestedMunicipality.version_id == version.id
            )
        )
    )


def _declared(version: ApplicationVersion) -> int | None:
    courses = (version.content.get("capacity") or {}).get("courses")
    return int(courses) if courses is not None else None


def _excluded(db: Session, call: Call) -> set[str]:
    return set(
        db.scalars(
            select(ExclusionEntry.municipality_code)
            .join(ExclusionList)
            .where(ExclusionList.name == call.exclusion_list)
        )
    )


def extent_parts(db: Session, call: Call, codes: set[str]) -> tuple[list[rules.RegionPart], bool]:
    """The municipalities by region (in region code order, names sorted), and whether they are
    every municipality that can take part in the call."""
    excluded = _excluded(db, call)
    regions = {r.code: r.name for r in db.scalars(select(Region).order_by(Region.code))}
    towns = list(db.scalars(select(Municipality).order_by(Municipality.name)))
    parts = []
    for code, name in regions.items():
        possible = {m.code for m in towns if m.region_code == code and m.code not in excluded}
        chosen = tuple(m.name for m in towns if m.region_code == code and m.code in codes)
        if chosen:
            parts.append(rules.RegionPart(name, chosen, whole=possible <= codes))
    possible_all = {m.code for m in towns if m.code not in excluded}
    return parts, bool(codes) and possible_all <= codes


def _extent_facts(db: Session, call: Call, codes: set[str]) -> dict[str, Any]:
    parts, national = extent_parts(db, call, codes)
    return {
        "codes": sorted(codes),
        "summary": rules.extent_summary(parts, national),
        "regions": [
            {"region": p.region, "municipalities": list(p.municipalities), "whole": p.whole}
            for p in parts
        ],
    }


def criterion_reasons(db: Session, version: ApplicationVersion) -> list[rules.CriterionReason]:
    """The signed-off consolidation's score and reasoning per criterion (empty before)."""
    consolidation = _consolidation_of(db, version.id)
    if consolidation is None or consolidation.signed_off_at is None:
        return []
    scores = {s.criterion_id: s for s in consolidation.scores}
    return [
        rules.CriterionReason(
            c.position,
            c.title,
            scores[c.id].score,
            c.scale_max,
            c.threshold,
            scores[c.id].reasoning,
        )
        for c in version.application.call.criteria_set.criteria
        if c.id in scores
    ]


def _base(version: ApplicationVersion, decision_text: str, reasoning: str) -> dict[str, str | None]:
    app = version.application
    return {
        "a_kasse": app.organisation.name,
        "runde": app.call.title,
        "afgørelse": decision_text,
        "begrundelse": reasoning.strip() or None,
    }


def _facts(version: ApplicationVersion, **extra: Any) -> dict[str, Any]:
    app = version.application
    return {
        "fund_name": app.organisation.name,
        "fund_cvr": app.organisation.cvr,
        "call_title": app.call.title,
        "exclusion_list": app.call.exclusion_list,
        "version_number": version.number,
        "extent": None,
        "capacity": None,
        "volume": None,
        **extra,
    }


DECISION_SENTENCES = {
    rules.ELIGIBLE: "{fund} opfylder kriterierne og er støtteberettiget i forsøget med "
    "a-kassernes kontaktforløb med den geografiske udstrækning og den kapacitet, I har søgt om.",
    rules.PARTIAL: "{fund} opfylder kriterierne og er støtteberettiget i forsøget med "
    "a-kassernes kontaktforløb, men for en mindre geografisk udstrækning eller kapacitet, end "
    "I har søgt om.",
    rules.REJECTED: "{fund} opfylder ikke kriterierne og er ikke støtteberettiget i forsøget "
    "med a-kassernes kontaktforløb. Ansøgningen er afslået.",
    rules.SELECTED: "Aftalepartierne har den {date} udvalgt {fund} til at deltage i forsøget "
    "med a-kassernes kontaktforløb.",
    rules.NOT_SELECTED: "Aftalepartierne har den {date} besluttet, hvilke a-kasser der skal "
    "deltage i forsøget med a-kassernes kontaktforløb. {fund} er ikke blandt de udvalgte.",
}


def eligibility_content(db: Session, decision: EligibilityDecision) -> Content:
    version = _version_of(db, decision)
    call = version.application.call
    approved = {e.municipality_code for e in decision.extent}
    requested = _requested(db, version)
    declared = _declared(version)
    kind = eligibility_kind_of(db, decision)
    reasons = criterion_reasons(db, version)
    values = _base(
        version,
        DECISION_SENTENCES[kind].format(fund=version.application.organisation.name),
        decision.reasoning,
    )
    values["kriterier"] = rules.criteria_text(reasons) if reasons else None
    facts = _facts(version)
    if kind == rules.REJECTED:
        values["ikke_opfyldt"] = rules.failing_text(reasons) if reasons else None
        return Content(kind, values, facts)
    extent = _extent_facts(db, call, approved)
    capacity = decision.approved_capacity
    values["udstrækning"] = extent["summary"] if approved else None
    values["kapacitet"] = rules.courses(capacity) if capacity is not None else None
    facts.update(extent=extent, capacity=capacity)
    if kind == rules.PARTIAL:
        asked = _extent_facts(db, call, requested)
        values["ansøgt_udstrækning"] = asked["summary"]
        values["ansøgt_kapacitet"] = rules.courses(declared) if declared is not None else None
        values["delvis"] = rules.partial_text(len(approved), len(requested), capacity, declared)
    return Content(kind, values, facts)


@dataclass(frozen=True)
class Selection:
    """The agreement parties' decision: the chosen a-kasser (short id -> their entry in the
    chosen proposal) and the number of eligible a-kasser they chose among."""

    decision: SelectionDecision
    chosen: dict[str, dict[str, Any]]
    eligible_count: int


def selection_of(db: Session, call: Call) -> Selection | None:
    decided = db.scalar(select(SelectionDecision).where(SelectionDecision.call_id == call.id))
    if decided is None:
        return None
    proposal = db.get(SelectionProposal, decided.proposal_id)
    assert proposal is not None
    chosen = {str(s["id"]): s for s in proposal.proposal.get("selected") or []}
    eligible = [d for d in published_decisions(db, call) if d.eligible]
    return Selection(decided, chosen, len(eligible))


def selection_content(db: Session, decision: EligibilityDecision, selection: Selection) -> Content:
    version = _version_of(db, decision)
    fund = version.application.organisation
    entry = selection.chosen.get(fund.short_id)
    kind = rules.SELECTED if entry is not None else rules.NOT_SELECTED
    reasoning = (
        f"Aftalepartierne har udvalgt {len(selection.chosen)} af de "
        f"{selection.eligible_count} støtteberettigede a-kasser. Udvælgelsen skal give en "
        "repræsentativ sammensætning af a-kasser efter faggruppe, størrelse og sektor, nå det "
        "aftalte antal forløb og gøre en solid effektevaluering mulig.\n\n"
        f"Fra beslutningsreferatet: {selection.decision.minutes.strip()}"
    )
    sentence = DECISION_SENTENCES[kind].format(
        fund=fund.name, date=rules.danish_date(selection.decision.decided_on)
    )
    values = _base(version, sentence, reasoning)
    facts = _facts(version, decided_on=selection.decision.decided_on.isoformat())
    if entry is None:
        return Content(kind, values, facts)
    codes = {str(code) for code in entry.get("municipalities") or []}
    extent = _extent_facts(db, version.application.call, codes)
    volume = float(entry.get("treated_volume") or 0)
    capacity = decision.approved_capacity
    values["udstrækning"] = extent["summary"] if codes else None
    values["forløb"] = rules.courses(round(volume))
    values["kapacitet"] = rules.courses(capacity) if capacity is not None else None
    facts.update(extent=extent, capacity=capacity, volume=round(volume))
    return Content(kind, values, facts)


@dataclass(frozen=True)
class Composed:
    subject: str
    body: str
    guidance: str


def compose(fund: str, template: TemplateText, content: Content) -> Composed:
    """The letter's frozen text; refused when a placeholder is unknown to its kind or has no
    value (`{dato}` and `{klagefrist}` are kept, to be filled in when it is sent)."""
    problems = rules.template_problems(
        content.kind, template.subject, template.body, template.guidance
    )
    unknown = [
        name
        for text in (template.subject, template.body, template.guidance)
        for name in rules.placeholders_in(text)
        if name not in rules.ALLOWED[content.kind]
    ]
    if unknown:
        raise LetterError("unknown_placeholder", fund=fund, names=rules.braced(unknown))
    if problems:
        raise LetterError("template_incomplete", fund=fund)
    missing = [
        name
        for text in (template.subject, template.body, template.guidance)
        for name in rules.unresolved(text, content.values, keep=rules.SEND_TIME)
    ]
    if missing:
        raise LetterError("unresolved", fund=fund, names=rules.braced(dict.fromkeys(missing)))
    return Composed(
        *(
            rules.fill(text, content.values, keep=rules.SEND_TIME)
            for text in (template.subject, template.body, template.guidance)
        )
    )


@dataclass(frozen=True)
class Preview:
    """A template filled in for a real decision, stored nowhere; or why it cannot be."""

    kind: str
    stage: str
    text: Composed | None
    facts: dict[str, Any]
    refusal: LetterError | None


def preview(
    db: Session, kind: str, template: TemplateText, decision: EligibilityDecision
) -> Preview:
    version = _version_of(db, decision)
    stage = LetterStage.SELECTION if kind in rules.SELECTION_KINDS else LetterStage.ELIGIBILITY
    if stage == LetterStage.SELECTION:
        selection = selection_of(db, version.application.call)
        if selection is None:
            return Preview(kind, stage, None, {}, LetterError("no_selection_decision"))
        content = selection_content(db, decision, selection)
    else:
        content = eligibility_content(db, decision)
    content = Content(kind, content.values, content.facts)
    try:
        text = compose(version.application.organisation.name, template, content)
    except LetterError as refusal:
        return Preview(kind, stage, None, content.facts, refusal)
    return Preview(kind, stage, text, content.facts, None)


def preview_decisions(db: Session, kind: str) -> list[tuple[EligibilityDecision, str]]:
    """Published decisions to preview a kind's template with, (decision, a-kasse name): those
    whose letter would be of the kind first, then the others of the same stage."""
    found: list[tuple[bool, str, EligibilityDecision]] = []
    for call in db.scalars(select(Call).order_by(Call.id)):
        selection = selection_of(db, call) if kind in rules.SELECTION_KINDS else None
        if kind in rules.SELECTION_KINDS and selection is None:
            continue
        for decision in published_decisions(db, call):
            if selection is not None and not decision.eligible:
                continue
            version = _version_of(db, decision)
            fund = version.application.organisation
            if selection is not None:
                natural = (
                    rules.SELECTED if fund.short_id in selection.chosen else rules.NOT_SELECTED
                )
            else:
                natural = eligibility_kind_of(db, decision)
            found.append((natural != kind, fund.name, decision))
    return [(decision, name) for _other, name, decision in sorted(found, key=lambda f: f[:2])]


def eligibility_kind_of(db: Session, decision: EligibilityDecision) -> str:
    version = _version_of(db, decision)
    return rules.eligibility_kind(
        decision.eligible,
        {e.municipality_code for e in decision.extent},
        _requested(db, version),
        decision.approved_capacity,
        _declared(version),
    )


# --- generation --------------------------------------------------------------------------------


def published_decisions(db: Session, call: Call) -> list[EligibilityDecision]:
    """The call's published eligibility decisions, in a-kasse name order."""
    rows = db.execute(
        select(EligibilityDecision, Application)
        .join(ApplicationVersion, ApplicationVersion.id == EligibilityDecision.version_id)
        .join(Application, Application.id == ApplicationVersion.application_id)
        .where(
            Application.call_id == call.id, EligibilityDecision.status == DecisionStatus.PUBLISHED
        )
    ).all()
    return [d for d, _app in sorted(rows, key=lambda row: row[1].organisation.name)]


def _lettered(db: Session, call: Call, stage: str) -> set[int]:
    """Decisions of the call that have a live letter of the stage."""
    return set(
        db.scalars(
            select(Letter.decision_id).where(
                Letter.call_id == call.id,
                Letter.stage == stage,
                Letter.status != LetterStatus.DISCARDED,
            )
        )
    )


def without_letter(db: Session, call: Call, stage: str) -> list[EligibilityDecision]:
    done = _lettered(db, call, stage)
    decisions = published_decisions(db, call)
    if stage == LetterStage.SELECTION:
        decisions = [d for d in decisions if d.eligible]
    return [d for d in decisions if d.id not in done]


def generate(db: Session, actor: User, call: Call, stage: str) -> list[Letter]:
    """Draft letters for the stage's decisions that have none. Every letter is composed before
    any is stored, so one that cannot be composed stores nothing."""
    _require_manager(actor)
    selection = None
    if stage == LetterStage.SELECTION:
        selection = selection_of(db, call)
        if selection is None:
            raise LetterError("no_selection_decision")
    decisions = without_letter(db, call, stage)
    if not decisions:
        raise LetterError("nothing_to_generate")
    templates: dict[str, TemplateText] = {}
    drafts = []
    for decision in decisions:
        content = (
            selection_content(db, decision, selection)
            if selection is not None
            else eligibility_content(db, decision)
        )
        template = templates.setdefault(content.kind, template_for(db, content.kind))
        version = _version_of(db, decision)
        text = compose(version.application.organisation.name, template, content)
        drafts.append((decision, version, content, text))
    letters = [
        Letter(
            call_id=call.id,
            organisation_id=version.application.organisation_id,
            decision_id=decision.id,
            selection_decision_id=selection.decision.id if selection else None,
            stage=stage,
            kind=content.kind,
            subject=text.subject,
            body=text.body,
            guidance=text.guidance,
            facts=content.facts,
            created_by_id=actor.id,
        )
        for decision, version, content, text in drafts
    ]
    db.add_all(letters)
    try:
        db.flush()
    except IntegrityError as clash:  # generated at the same moment by someone else
        raise LetterError("nothing_to_generate") from clash
    for letter in letters:
        audit.record(db, actor.id, "letter.generated", letter, kind=letter.kind)
    return letters


# --- approval and sending ----------------------------------------------------------------------


def recipients(db: Session, letter: Letter) -> list[str]:
    """The a-kasse's active signatories and the application's contact address."""
    decision = db.get(EligibilityDecision, letter.decision_id)
    assert decision is not None
    app = _version_of(db, decision).application
    emails = set(
        db.scalars(
            select(User.email).where(
                User.organisation_id == letter.organisation_id,
                User.role == Role.SIGNATORY,
                User.is_active.is_(True),
            )
        )
    )
    if app.contact_email:
        emails.add(app.contact_email)
    return sorted(emails)


def approve(db: Session, approver: User, letter: Letter, weeks: int) -> Letter:
    """The second person approves the draft, which sends it: the letter is dated today and
    its complaint deadline set. The author can never approve their own letter, and a letter is
    approved once (a conditional UPDATE, so two approvers at once approve once)."""
    _require_manager(approver)
    if letter.status != LetterStatus.DRAFT:
        raise LetterError("not_a_draft")
    if letter.created_by_id == approver.id:
        raise LetterError("own_letter")
    dated = today()
    result = cast(
        "CursorResult[Any]",
        db.execute(
            update(Letter)
            .where(
                Letter.id == letter.id,
                Letter.status == LetterStatus.DRAFT,
                Letter.created_by_id != approver.id,
            )
            .values(
                status=LetterStatus.SENT,
                approved_by_id=approver.id,
                sent_at=utcnow(),
                letter_date=dated,
                complaint_deadline=rules.complaint_deadline(dated, weeks),
                recipients=recipients(db, letter),
            )
            .execution_options(synchronize_session=False)
        ),
    )
    if not result.rowcount:
        raise LetterError("not_a_draft")
    db.refresh(letter)
    audit.record(
        db,
        approver.id,
        "letter.approved",
        letter,
        author=letter.created_by_id,
        deadline=letter.complaint_deadline,
    )
    return letter


def keep_sent(db: Session, letter: Letter, pdf: bytes, mailed: bool) -> None:
    """The PDF as sent, and whether the mail went (it is in the portal either way)."""
    letter.pdf = pdf
    if mailed:
        letter.mailed_at = utcnow()
    db.flush()
    action = "letter.mailed" if mailed else "letter.mail_failed"
    audit.record(db, None, action, letter, recipients=len(letter.recipients))


def discard(db: Session, actor: User, letter: Letter) -> None:
    """A draft that should not go (a wrong template, a decision about to change)."""
    _require_manager(actor)
    if letter.status != LetterStatus.DRAFT:
        raise LetterError("not_a_draft")
    letter.status = LetterStatus.DISCARDED
    letter.discarded_by_id, letter.discarded_at = actor.id, utcnow()
    db.flush()
    audit.record(db, actor.id, "letter.discarded", letter)


# --- lists -------------------------------------------------------------------------------------


def letters_of(db: Session, status: str) -> list[Letter]:
    query = select(Letter).where(Letter.status == status)
    return list(db.scalars(query.order_by(Letter.created_at.desc(), Letter.id.desc())))


def waiting_for(db: Session, user: User) -> tuple[int, int]:
    """(drafts waiting for approval, of which the user may approve: not their own)."""
    drafts = list(
        db.scalars(select(Letter.created_by_id).where(Letter.status == LetterStatus.DRAFT))
    )
    return len(drafts), sum(1 for author in drafts if author != user.id)


def fund_letters(db: Session, organisation_id: int | None) -> list[Letter]:
    """The a-kasse's sent letters, newest first; drafts and discarded letters are never shown."""
    if organisation_id is None:
        return []
    return list(
        db.scalars(
            select(Letter)
            .where(Letter.organisation_id == organisation_id, Letter.status == LetterStatus.SENT)
            .order_by(Letter.sent_at.desc(), Letter.id.desc())
        )
    )


def appeal_of(db: Session, letter: Letter) -> Appeal | None:
    return db.scalar(select(Appeal).where(Appeal.letter_id == letter.id))


def appeals_by_letter(db: Session, letter_ids: Sequence[int]) -> dict[int, Appeal]:
    if not letter_ids:
        return {}
    return {
        a.letter_id: a
        for a in db.scalars(select(Appeal).where(Appeal.letter_id.in_(list(letter_ids))))
    }


# --- appeals -----------------------------------------------------------------------------------


def local_day(moment: datetime) -> date:
    return moment.astimezone(COPENHAGEN).date()


def may_appeal(letter: Letter, now: datetime | None = None) -> bool:
    return (
        letter.status == LetterStatus.SENT
        and letter.complaint_deadline is not None
        and rules.in_time(local_day(now or utcnow()), letter.complaint_deadline)
    )


def file_appeal(
    db: Session, signatory: User, letter: Letter, reasons: str, now: datetime | None = None
) -> Appeal:
    """The a-kasse's signatory complains about a sent letter's decision, by its deadline."""
    if signatory.role != Role.SIGNATORY or signatory.organisation_id != letter.organisation_id:
        raise LetterError("not_signatory")
    if letter.status != LetterStatus.SENT or letter.complaint_deadline is None:
        raise LetterError("not_sent")
    if appeal_of(db, letter) is not None:
        raise LetterError("already_appealed")
    if not may_appeal(letter, now):
        raise LetterError("appeal_too_late", deadline=rules.danish_date(letter.complaint_deadline))
    reasons = reasons.strip()
    if not reasons:
        raise LetterError("appeal_reasons_missing")
    appeal = Appeal(
        letter_id=letter.id,
        organisation_id=letter.organisation_id,
        decision_id=letter.decision_id,
        filed_by_id=signatory.id,
        filed_at=now or utcnow(),
        reasons=reasons,
    )
    db.add(appeal)
    try:
        db.flush()
    except IntegrityError as clash:  # filed at the same moment by someone else
        raise LetterError("already_appealed") from clash
    audit.record(db, signatory.id, "appeal.filed", appeal, letter=letter.id)
    return appeal


def participants(db: Session, decision: EligibilityDecision) -> set[int]:
    """Everyone who took part in the original assessment of the decision's application (any
    of its versions): assigned, assessed, declared a conflict, consolidated or decided."""
    version = _version_of(db, decision)
    ids = [v.id for v in version.application.versions]
    assessors = set(
        db.scalars(select(Assignment.assessor_id).where(Assignment.version_id.in_(ids)))
    )
    assessors |= set(
        db.scalars(select(Assessment.assessor_id).where(Assessment.version_id.in_(ids)))
    )
    conflicted = set(
        db.scalars(
            select(ConflictDeclaration.assessor_id).where(ConflictDeclaration.version_id.in_(ids))
        )
    )
    consolidation = _consolidation_of(db, version.id)
    leads = {consolidation.lead_id} if consolidation is not None else set()
    return assessors | conflicted | leads | {decision.decided_by_id}


def handler_candidates(db: Session, appeal: Appeal) -> list[User]:
    """Active agency staff who took no part in the original assessment, by name."""
    decision = db.get(EligibilityDecision, appeal.decision_id)
    assert decision is not None
    excluded = participants(db, decision)
    staff = db.scalars(
        select(User)
        .where(User.role.in_([r.value for r in AGENCY_ROLES]), User.is_active.is_(True))
        .order_by(User.name)
    )
    return [u for u in staff if u.id not in excluded]


def assign_handler(db: Session, lead: User, appeal: Appeal, handler: User) -> None:
    """The lead gives the appeal to someone who took no part in the original assessment (and
    may give it to another until it is decided)."""
    if lead.role != Role.LEAD_ASSESSOR:
        raise LetterError("lead_only")
    if appeal.status == AppealStatus.DECIDED:
        raise LetterError("appeal_decided")
    if Role(handler.role) not in AGENCY_ROLES or not handler.is_active:
        raise LetterError("not_a_handler")
    decision = db.get(EligibilityDecision, appeal.decision_id)
    assert decision is not None
    if handler.id in participants(db, decision):
        raise LetterError("handler_took_part", name=handler.name)
    appeal.handler_id, appeal.assigned_by_id = handler.id, lead.id
    appeal.assigned_at, appeal.status = utcnow(), AppealStatus.ASSIGNED
    db.flush()
    audit.record(db, lead.id, "appeal.assigned", appeal, handler=handler.id)


@dataclass(frozen=True)
class OutcomeData:
    outcome: str  # "upheld" or "changed"
    reasoning: str
    # The changed decision (read only when changed):
    eligible: bool = False
    approved: frozenset[str] = field(default_factory=frozenset)
    capacity: int | None = None


def requested_of(db: Session, decision: EligibilityDecision) -> tuple[set[str], int | None]:
    """What the application asked for: its covered municipalities and its capacity."""
    version = _version_of(db, decision)
    return _requested(db, version), _declared(version)


def decision_values(decision: EligibilityDecision) -> dict[str, Any]:
    return {
        "eligible": decision.eligible,
        "capacity": decision.approved_capacity,
        "extent": sorted(e.municipality_code for e in decision.extent),
    }


def change_problems(
    db: Session, decision: EligibilityDecision, data: OutcomeData
) -> dict[str, str]:
    """Field -> Danish message id for a changed decision; the same rules as the original one:
    the extent within the requested one and never a frikommune, the capacity at most the
    declared."""
    version = _version_of(db, decision)
    problems: dict[str, str] = {}
    extent = assessment_rules.extent_problems(
        set(data.approved),
        _requested(db, version),
        _excluded(db, version.application.call),
        eligible=data.eligible,
    )
    if extent:
        first = sorted(extent, key=lambda p: p.message != assessment_rules.EXTENT_EXCLUDED)[0]
        problems["approved"] = first.message
    if data.eligible:
        capacity = assessment_rules.capacity_problem(data.capacity, _declared(version))
        if capacity:
            problems["capacity"] = capacity
    return problems


def decide_appeal(db: Session, handler: User, appeal: Appeal, data: OutcomeData) -> Appeal:
    """Record the outcome. A changed decision is written to the eligibility decision (the
    previous values kept on the appeal), so the next selection run uses it."""
    if appeal.status == AppealStatus.DECIDED:
        raise LetterError("appeal_decided")
    if appeal.handler_id != handler.id:
        raise LetterError("not_handler")
    reasoning = data.reasoning.strip()
    if not reasoning:
        raise LetterError("outcome_reasoning_missing")
    if data.outcome not in (AppealOutcome.UPHELD, AppealOutcome.CHANGED):
        raise LetterError("unknown_outcome")
    decision = db.get(EligibilityDecision, appeal.decision_id)
    assert decision is not None
    if data.outcome == AppealOutcome.CHANGED:
        _change_decision(db, handler, appeal, decision, data)
    appeal.outcome, appeal.outcome_reasoning = data.outcome, reasoning
    appeal.decided_at, appeal.status = utcnow(), AppealStatus.DECIDED
    db.flush()
    audit.record(db, handler.id, "appeal.decided", appeal, outcome=data.outcome)
    return appeal


def _change_decision(
    db: Session, handler: User, appeal: Appeal, decision: EligibilityDecision, data: OutcomeData
) -> None:
    if change_problems(db, decision, data):
        raise LetterError("invalid_change")
    before = decision_values(decision)
    capacity = data.capacity if data.eligible else None
    extent = sorted(data.approved) if data.eligible else []
    after = {"eligible": data.eligible, "capacity": capacity, "extent": extent}
    if after == before:
        raise LetterError("nothing_changed")
    version = _version_of(db, decision)
    decision.eligible, decision.approved_capacity = data.eligible, capacity
    # The old extent goes first: the new one may repeat a municipality (unique per decision).
    decision.extent.clear()
    db.flush()
    decision.extent = [
        ApprovedExtent(version_id=version.id, municipality_code=code) for code in extent
    ]
    appeal.previous, appeal.changed_to = before, after
    db.flush()
    audit.record(
        db,
        handler.id,
        "eligibility.changed_on_appeal",
        decision,
        appeal=appeal.id,
        before=before,
        after=after,
    )


def appeals_for(db: Session, user: User) -> list[Appeal]:
    """The lead sees every appeal; anyone else the ones assigned to them. Open ones first."""
    query = select(Appeal)
    if user.role != Role.LEAD_ASSESSOR:
        query = query.where(Appeal.handler_id == user.id)
    rows = list(db.scalars(query.order_by(Appeal.filed_at.desc(), Appeal.id.desc())))
    return sorted(rows, key=lambda a: a.status == AppealStatus.DECIDED)


def may_see_appeal(user: User, appeal: Appeal) -> bool:
    return user.role == Role.LEAD_ASSESSOR or appeal.handler_id == user.id


def open_appeal_counts(db: Session) -> tuple[int, int]:
    """(appeals waiting for a handler, appeals with their handler)."""
    rows = list(db.scalars(select(Appeal.status).where(Appeal.status != AppealStatus.DECIDED)))
    return rows.count(AppealStatus.FILED), rows.count(AppealStatus.ASSIGNED)


def handled_by(db: Session, user: User) -> int:
    return int(
        db.scalar(
            select(func.count(Appeal.id)).where(
                Appeal.handler_id == user.id, Appeal.status == AppealStatus.ASSIGNED
            )
        )
        or 0
    )
