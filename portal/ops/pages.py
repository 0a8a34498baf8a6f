"""The audit log as the administrator reads it: a Danish label per action, who did it (name
and organisation), what it concerned (with a link where the portal has a page for it), filters
by organisation, user and dates, and pages of events.

The stored events are never changed: labels and names are looked up when the page is drawn, so
an unknown code shows as itself and a removed object as its type and id.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import ColumnElement, Select, String, and_, cast, func, or_, select
from sqlalchemy.orm import Session, selectinload

from portal.forms import COPENHAGEN
from portal.i18n import N_, ROLE_LABELS
from portal.models import (
    Appeal,
    Application,
    ApplicationVersion,
    Assessment,
    Attachment,
    AuditEvent,
    Call,
    Consolidation,
    CriteriaSet,
    Criterion,
    CriterionInterpretation,
    DialogueMeeting,
    EligibilityDecision,
    InflowUpload,
    InformationRequest,
    Letter,
    LetterTemplate,
    Organisation,
    PartyComment,
    PartyPosition,
    SelectionDecision,
    SelectionRun,
    User,
)
from portal.web import admits, label

PER_PAGE = 50

# Every action code the portal records (`audit.record(...)`), as the log shows it.
ACTION_LABELS = {
    # accounts
    "login.succeeded": N_("Logget ind"),
    "login.failed": N_("Mislykket login"),
    "login.throttled": N_("Login afvist: for mange mislykkede forsøg"),
    "user.created": N_("Bruger oprettet"),
    "user.updated": N_("Brugerens oplysninger ændret"),
    "user.role_changed": N_("Brugerens rolle ændret"),
    "user.deactivated": N_("Bruger spærret"),
    "user.reactivated": N_("Bruger genaktiveret"),
    "user.password_changed": N_("Adgangskode skiftet"),
    "user.password_link_sent": N_("Link til ny adgangskode sendt"),
    "user.password_reset": N_("Ny adgangskode valgt via link"),
    # set-up
    "reference.loaded": N_("Referencedata indlæst"),
    "demo.loaded": N_("Demodata indlæst"),
    "uploads.orphans_deleted": N_("Efterladte uploadfiler slettet"),
    # criteria and calls
    "criteria_set.created": N_("Kriteriesæt oprettet"),
    "criteria_set.published": N_("Kriteriesæt offentliggjort"),
    "criteria_set.versioned": N_("Ny version af kriteriesæt oprettet"),
    "criterion.updated": N_("Kriterium ændret"),
    "call.created": N_("Ansøgningsrunde oprettet"),
    "call.updated": N_("Ansøgningsrunde ændret"),
    "call.closed": N_("Ansøgningsrunde lukket"),
    "call.extension_granted": N_("Fristforlængelse givet"),
    "call.reminders_sent": N_("Påmindelser sendt"),
    "inflow.uploaded": N_("Fil med indberettet tilgang uploadet"),
    "inflow.refused": N_("Fil med indberettet tilgang afvist"),
    "inflow.withdrawn": N_("Indberettet tilgang trukket tilbage"),
    # applications (Trin 1)
    "application.created": N_("Ansøgning oprettet"),
    "application.draft_saved": N_("Kladde til ansøgning gemt"),
    "application.signature_requested": N_("Ansøgning sendt til underskrift"),
    "application.submitted": N_("Ansøgning indsendt"),
    "application.withdrawn": N_("Ansøgning trukket tilbage"),
    "attachment.added": N_("Bilag tilføjet"),
    "attachment.removed": N_("Bilag fjernet"),
    "attachment.refused": N_("Bilag afvist"),
    # mail
    "mail.receipt_sent": N_("Kvittering sendt pr. e-mail"),
    "mail.signature_request_sent": N_("Anmodning om underskrift sendt pr. e-mail"),
    "mail.conflict_declared_sent": N_("Besked om interessekonflikt sendt pr. e-mail"),
    "mail.information_requested_sent": N_("Spørgsmål til a-kassen sendt pr. e-mail"),
    "mail.information_answered_sent": N_("Besked om a-kassens svar sendt pr. e-mail"),
    "mail.decision_published_sent": N_("Besked om afgørelse sendt pr. e-mail"),
    # assessment (Trin 2)
    "assessment.assignment_proposed": N_("Fordeling af ansøgninger foreslået"),
    "assessment.assigned": N_("Sagsbehandler tildelt ansøgning"),
    "assessment.unassigned": N_("Sagsbehandler fjernet fra ansøgning"),
    "assessment.conflict_declared": N_("Interessekonflikt erklæret"),
    "assessment.no_conflict_declared": N_("Habilitet erklæret"),
    "assessment.draft_saved": N_("Vurdering gemt som kladde"),
    "assessment.submitted": N_("Vurdering indsendt"),
    "assessment.reopened": N_("Vurdering genåbnet"),
    "assessment.information_requested": N_("Spørgsmål stillet til a-kassen"),
    "assessment.information_answered": N_("A-kassen har svaret på spørgsmål"),
    "assessment.consolidation_saved": N_("Konsolidering gemt"),
    "assessment.consolidation_signed_off": N_("Konsolidering godkendt"),
    "eligibility.decided": N_("Afgørelse om støtteberettigelse truffet"),
    "eligibility.published": N_("Afgørelser om støtteberettigelse offentliggjort"),
    "eligibility.changed_on_appeal": N_("Afgørelse ændret efter klage"),
    # dialogue (Trin 2)
    "dialogue.interpretation_saved": N_("Fortolkning af kriterium gemt"),
    "dialogue.interpretation_published": N_("Fortolkning af kriterium offentliggjort"),
    "dialogue.meeting_saved": N_("Dialogmøde planlagt eller ændret"),
    "dialogue.minutes_recorded": N_("Referat af dialogmøde registreret"),
    "dialogue.comment_added": N_("Bemærkning til dialogmødet skrevet"),
    # selection (Trin 3)
    "selection.run_started": N_("Beregning startet"),
    "selection.run_repeated": N_("Beregning gentaget"),
    "selection.run_cancelled": N_("Beregning afbrudt"),
    "selection.position_recorded": N_("Partiets holdning registreret"),
    "selection.decided": N_("Beslutning om udvælgelse registreret"),
    # letters and appeals
    "letters.template_saved": N_("Brevskabelon gemt"),
    "letters.template_reset": N_("Brevskabelon sat tilbage til standardteksten"),
    "letter.generated": N_("Brev dannet"),
    "letter.approved": N_("Brev godkendt"),
    "letter.mailed": N_("Brev sendt pr. e-mail"),
    "letter.mail_failed": N_("Brev kunne ikke sendes pr. e-mail"),
    "letter.discarded": N_("Brev kasseret"),
    "appeal.filed": N_("Klage indgivet"),
    "appeal.assigned": N_("Klage fordelt"),
    "appeal.decided": N_("Klage afgjort"),
}


def action_label(code: str) -> str:
    """The Danish label, translated; an unknown code as itself."""
    return label(ACTION_LABELS, code)


# --- filters -------------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditQuery:
    organisation_id: int | None = None
    user_id: int | None = None
    since: date | None = None  # inclusive, Danish time
    until: date | None = None  # inclusive, Danish time


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, COPENHAGEN)


def _ids(column: Any) -> Select[Any]:
    """Ids as the audit log stores them (text)."""
    return select(cast(column, String))


def _organisation_condition(organisation_id: int) -> ColumnElement[bool]:
    """Done by the organisation's people, or about its applications, letters, appeals, people."""
    apps = select(Application.id).where(Application.organisation_id == organisation_id)
    versions = select(ApplicationVersion.id).where(ApplicationVersion.application_id.in_(apps))
    owned = {
        "Application": _ids(Application.id).where(Application.organisation_id == organisation_id),
        "ApplicationVersion": _ids(ApplicationVersion.id).where(
            ApplicationVersion.application_id.in_(apps)
        ),
        "Attachment": _ids(Attachment.id).where(Attachment.application_id.in_(apps)),
        "User": _ids(User.id).where(User.organisation_id == organisation_id),
        "Letter": _ids(Letter.id).where(Letter.organisation_id == organisation_id),
        "Appeal": _ids(Appeal.id).where(Appeal.organisation_id == organisation_id),
        "PartyComment": _ids(PartyComment.id).where(
            PartyComment.organisation_id == organisation_id
        ),
        **{
            model.__name__: _ids(model.id).where(model.version_id.in_(versions))
            for model in (Assessment, Consolidation, InformationRequest, EligibilityDecision)
        },
    }
    members = select(User.id).where(User.organisation_id == organisation_id)
    return or_(
        AuditEvent.actor_id.in_(members),
        *(
            and_(AuditEvent.object_type == kind, AuditEvent.object_id.in_(ids))
            for kind, ids in owned.items()
        ),
    )


def _conditions(query: AuditQuery) -> list[ColumnElement[bool]]:
    found: list[ColumnElement[bool]] = []
    if query.organisation_id is not None:
        found.append(_organisation_condition(query.organisation_id))
    if query.user_id is not None:
        found.append(
            or_(
                AuditEvent.actor_id == query.user_id,
                and_(AuditEvent.object_type == "User", AuditEvent.object_id == str(query.user_id)),
            )
        )
    if query.since is not None:
        found.append(AuditEvent.at >= _start_of(query.since))
    if query.until is not None:
        found.append(AuditEvent.at < _start_of(query.until + timedelta(days=1)))
    return found


# --- the page ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Described:
    text: str
    url: str | None = None


@dataclass(frozen=True)
class Row:
    event: AuditEvent
    action: str
    known: bool
    detail: str | None
    actor: User | None
    actor_url: str | None
    obj: Described | None


@dataclass(frozen=True)
class Page:
    rows: list[Row]
    number: int
    pages: int
    total: int

    @property
    def window(self) -> list[int | None]:
        """Page numbers to link: the first, the last and two either side of this one; None
        where numbers are left out."""
        wanted = {1, self.pages, *range(self.number - 2, self.number + 3)}
        shown = sorted(n for n in wanted if 1 <= n <= self.pages)
        window: list[int | None] = []
        for n in shown:
            if window and n - (window[-1] or 0) > 1:
                window.append(None)
            window.append(n)
        return window


def audit_page(db: Session, query: AuditQuery, number: int) -> Page:
    conditions = _conditions(query)
    total = db.scalar(select(func.count(AuditEvent.id)).where(*conditions)) or 0
    pages = max(1, math.ceil(total / PER_PAGE))
    number = min(max(1, number), pages)
    events = list(
        db.scalars(
            select(AuditEvent)
            .where(*conditions)
            .order_by(AuditEvent.id.desc())
            .offset((number - 1) * PER_PAGE)
            .limit(PER_PAGE)
        )
    )
    return Page(_rows(db, events), number, pages, total)


def _rows(db: Session, events: list[AuditEvent]) -> list[Row]:
    actor_ids = {e.actor_id for e in events if e.actor_id is not None}
    actors = {
        u.id: u
        for u in db.scalars(
            select(User).options(selectinload(User.organisation)).where(User.id.in_(actor_ids))
        )
    }
    objects = _describe_objects(db, events)
    user_url = _link("users.edit")
    rows = []
    for event in events:
        actor = actors.get(event.actor_id) if event.actor_id is not None else None
        rows.append(
            Row(
                event=event,
                action=action_label(event.action),
                known=event.action in ACTION_LABELS,
                detail=_detail(event),
                actor=actor,
                actor_url=user_url(user_id=actor.id) if actor and user_url else None,
                obj=objects.get((event.object_type or "", event.object_id or "")),
            )
        )
    return rows


def _detail(event: AuditEvent) -> str | None:
    """What the label alone does not say, for the events where it matters."""
    data = event.data or {}
    if event.action == "user.role_changed" and "from" in data and "to" in data:
        return f"{label(ROLE_LABELS, data['from'])} → {label(ROLE_LABELS, data['to'])}"
    if event.action == "user.created" and "role" in data:
        return label(ROLE_LABELS, data["role"])
    return None


def _link(endpoint: str) -> Callable[..., str] | None:
    """A URL maker for `endpoint` if its view admits the current user, else None."""
    if not admits(endpoint):
        return None
    return lambda **args: url_for(endpoint, **args)


# --- what an event concerns ----------------------------------------------------------------

# (text, endpoint, url arguments) for one object; the endpoint None when there is no page.
Description = tuple[str, str | None, dict[str, Any]]


def _fund_of_version(db: Session, version_id: int) -> str:
    version = db.get(ApplicationVersion, version_id)
    return version.application.organisation.name if version else "?"


def _organisation_name(db: Session, organisation_id: int) -> str:
    organisation = db.get(Organisation, organisation_id)
    return organisation.name if organisation else "?"


def _on_call(call_id: int) -> dict[str, Any]:
    return {"call_id": call_id}


DESCRIBERS: dict[str, tuple[type[Any], Callable[[Session, Any], Description]]] = {
    "User": (
        User,
        lambda db, u: (_("Bruger: %(name)s", name=u.name), "users.edit", {"user_id": u.id}),
    ),
    "Application": (
        Application,
        lambda db, a: (
            _("Ansøgning fra %(fund)s", fund=a.organisation.name),
            "calls.call_detail",
            _on_call(a.call_id),
        ),
    ),
    "ApplicationVersion": (
        ApplicationVersion,
        lambda db, v: (
            _(
                "Ansøgning fra %(fund)s, version %(number)d",
                fund=v.application.organisation.name,
                number=v.number,
            ),
            "calls.call_detail",
            _on_call(v.application.call_id),
        ),
    ),
    "Attachment": (
        Attachment,
        lambda db, a: (
            _("Bilag %(name)s", name=a.filename),
            "calls.call_detail",
            _on_call(db.get_one(Application, a.application_id).call_id),
        ),
    ),
    "Call": (
        Call,
        lambda db, c: (
            _("Ansøgningsrunde: %(title)s", title=c.title),
            "calls.call_detail",
            _on_call(c.id),
        ),
    ),
    "CriteriaSet": (
        CriteriaSet,
        lambda db, s: (
            _("Kriteriesæt: %(title)s, version %(version)d", title=s.title, version=s.version),
            "calls.criteria_set",
            {"set_id": s.id},
        ),
    ),
    "Criterion": (
        Criterion,
        lambda db, c: (
            _("Kriterium: %(title)s", title=c.title),
            "calls.criteria_set",
            {"set_id": c.criteria_set_id},
        ),
    ),
    "InflowUpload": (
        InflowUpload,
        lambda db, u: (
            _("Tilgangsfil: %(name)s", name=u.filename),
            "calls.inflow",
            _on_call(u.call_id),
        ),
    ),
    "Assessment": (
        Assessment,
        lambda db, a: (
            _("Vurdering af ansøgning fra %(fund)s", fund=_fund_of_version(db, a.version_id)),
            None,
            {},
        ),
    ),
    "Consolidation": (
        Consolidation,
        lambda db, c: (
            _("Konsolidering for %(fund)s", fund=_fund_of_version(db, c.version_id)),
            None,
            {},
        ),
    ),
    "InformationRequest": (
        InformationRequest,
        lambda db, r: (
            _("Spørgsmål til %(fund)s", fund=_fund_of_version(db, r.version_id)),
            None,
            {},
        ),
    ),
    "EligibilityDecision": (
        EligibilityDecision,
        lambda db, d: (
            _("Afgørelse for %(fund)s", fund=_fund_of_version(db, d.version_id)),
            None,
            {},
        ),
    ),
    "SelectionRun": (
        SelectionRun,
        lambda db, r: (_("Beregning nr. %(id)d", id=r.id), "proposals.run", {"run_id": r.id}),
    ),
    "PartyPosition": (
        PartyPosition,
        lambda db, p: (
            _("Holdning til forslag til udvælgelse"),
            "proposals.proposal",
            {"proposal_id": p.proposal_id},
        ),
    ),
    "SelectionDecision": (
        SelectionDecision,
        lambda db, d: (
            _("Beslutning om udvælgelse"),
            "proposals.proposal",
            {"proposal_id": d.proposal_id},
        ),
    ),
    "Letter": (
        Letter,
        lambda db, letter: (
            _("Brev til %(fund)s", fund=_organisation_name(db, letter.organisation_id)),
            "letters.letter",
            {"letter_id": letter.id},
        ),
    ),
    "Appeal": (
        Appeal,
        lambda db, a: (
            _("Klage fra %(fund)s", fund=_organisation_name(db, a.organisation_id)),
            "letters.appeal",
            {"appeal_id": a.id},
        ),
    ),
    "LetterTemplate": (
        LetterTemplate,
        lambda db, t: (_("Brevskabelon"), "letters.edit_template", {"kind": t.kind}),
    ),
    "CriterionInterpretation": (
        CriterionInterpretation,
        lambda db, i: (
            _("Fortolkning af kriterium, version %(version)d", version=i.version),
            "dialogue.interpretation",
            {"interpretation_id": i.id},
        ),
    ),
    "DialogueMeeting": (
        DialogueMeeting,
        lambda db, m: (_("Dialogmøde"), "dialogue.call_page", _on_call(m.call_id)),
    ),
    "PartyComment": (
        PartyComment,
        lambda db, c: (
            _("Bemærkning til dialogmødet"),
            "dialogue.call_page",
            _on_call(c.call_id),
        ),
    ),
}


# What an object is called once it no longer exists (a removed attachment, a discarded draft).
TYPE_LABELS = {
    "User": N_("Bruger"),
    "Application": N_("Ansøgning"),
    "ApplicationVersion": N_("Ansøgningsversion"),
    "Attachment": N_("Bilag"),
    "Call": N_("Ansøgningsrunde"),
    "CriteriaSet": N_("Kriteriesæt"),
    "Criterion": N_("Kriterium"),
    "InflowUpload": N_("Tilgangsfil"),
    "Assessment": N_("Vurdering"),
    "Consolidation": N_("Konsolidering"),
    "InformationRequest": N_("Spørgsmål"),
    "EligibilityDecision": N_("Afgørelse"),
    "SelectionRun": N_("Beregning"),
    "PartyPosition": N_("Holdning"),
    "SelectionDecision": N_("Beslutning om udvælgelse"),
    "Letter": N_("Brev"),
    "Appeal": N_("Klage"),
    "LetterTemplate": N_("Brevskabelon"),
    "CriterionInterpretation": N_("Fortolkning"),
    "DialogueMeeting": N_("Dialogmøde"),
    "PartyComment": N_("Bemærkning"),
}


def _describe_objects(db: Session, events: list[AuditEvent]) -> dict[tuple[str, str], Described]:
    """Each object the events concern, loaded once per type."""
    wanted: dict[str, set[int]] = {}
    for event in events:
        if event.object_type and event.object_id and event.object_id.isdigit():
            wanted.setdefault(event.object_type, set()).add(int(event.object_id))
    found: dict[tuple[str, str], Described] = {}
    for kind, ids in wanted.items():
        if kind not in DESCRIBERS:
            found.update({(kind, str(i)): Described(f"{kind} {i}") for i in ids})
            continue
        model, describe = DESCRIBERS[kind]
        loaded = {o.id: o for o in db.scalars(select(model).where(model.id.in_(ids)))}
        for ident in ids:
            obj = loaded.get(ident)
            found[(kind, str(ident))] = (
                _described(db, obj, describe) if obj is not None else _gone(kind, ident)
            )
    return found


def _gone(kind: str, ident: int) -> Described:
    return Described(
        _("%(kind)s nr. %(id)d (findes ikke længere)", kind=label(TYPE_LABELS, kind), id=ident)
    )


def _described(db: Session, obj: Any, describe: Callable[[Session, Any], Description]) -> Described:
    text, endpoint, args = describe(db, obj)
    make = _link(endpoint) if endpoint else None
    return Described(text, make(**args) if make else None)
