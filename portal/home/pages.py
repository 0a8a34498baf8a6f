"""What each role can do now: the items on its start page, computed from the database."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.applications import services as applications
from portal.assessment import services as assessment
from portal.assessment.rules import Progress
from portal.assessment.services import WorkRow
from portal.calls import services as calls
from portal.dialogue import services as dialogue
from portal.i18n import N_
from portal.letters import services as letters
from portal.models import (
    AGENCY_ROLES,
    FUND_ROLES,
    Application,
    Call,
    CallStatus,
    DialogueMeeting,
    MeetingPresentation,
    Role,
    RunStatus,
    SelectionRun,
    User,
)
from portal.web import format_when


@dataclass(frozen=True)
class Task:
    title: str
    text: str
    endpoint: str | None = None
    args: dict[str, object] = field(default_factory=dict)


def _open_calls(db: Session) -> list[Call]:
    return list(db.scalars(select(Call).where(Call.status == CallStatus.OPEN).order_by(Call.id)))


def _count_applications(db: Session, status: str) -> int:
    return db.scalar(select(func.count(Application.id)).where(Application.status == status)) or 0


def tasks_for(db: Session, user: User) -> list[Task]:
    builders = {
        Role.ADMIN: _admin,
        Role.LEAD_ASSESSOR: _lead,
        Role.ASSESSOR: _assessor,
        Role.SIGNATORY: _fund,
        Role.DRAFTER: _fund,
        Role.PARTY_MEMBER: _party,
        Role.LABOUR_PARTY: _labour,
    }
    urgent, later = _letter_tasks(db, user)
    return [*urgent, *builders[Role(user.role)](db, user), *later]


def _admin(db: Session, user: User) -> list[Task]:
    users = db.scalar(select(func.count(User.id))) or 0
    calls = _open_calls(db)
    return [
        Task(
            _("Ansøgningsrunder"),
            ngettext(
                "%(num)d åben ansøgningsrunde. Opret runder ud fra kriteriesæt og følg "
                "indsendelser.",
                "%(num)d åbne ansøgningsrunder. Opret runder ud fra kriteriesæt og følg "
                "indsendelser.",
                len(calls),
            ),
            "calls.calls_list",
        ),
        Task(
            _("Kriteriesæt"),
            _("Opret, ret og offentliggør versioner af kriterierne."),
            "calls.criteria_sets",
        ),
        Task(_("Brugere"), _("%(n)d brugerkonti i portalen.", n=users), "users.index"),
        Task(
            _("Udbakke"),
            _("Læs de e-mails, portalen har sendt (kvitteringer og påmindelser)."),
            "ops.outbox",
        ),
        Task(
            _("Revisionslog"),
            _("Kontrollér at revisionsloggens kæde er ubrudt."),
            "ops.audit_log",
        ),
        _selection_task(db),
        *_inflow_tasks(db),
    ]


def _inflow_tasks(db: Session) -> list[Task]:
    """Per call that is not a draft: which inflow its selection runs use, and where to
    upload the reported figures."""
    tasks = []
    for call in db.scalars(select(Call).where(Call.status != CallStatus.DRAFT).order_by(Call.id)):
        upload = calls.active_inflow(db, call.id)
        text = (
            _(
                "Indberettet: filen %(name)s for %(year)d bruges i nye beregninger.",
                name=upload.filename,
                year=upload.year,
            )
            if upload
            else _(
                "Modelleret. Upload de faktiske tal pr. a-kasse og kommune, når styrelsen har dem."
            )
        )
        tasks.append(
            Task(
                _("Tilgang: %(call)s", call=call.title), text, "calls.inflow", {"call_id": call.id}
            )
        )
    return tasks


def _assessment_rows(db: Session, user: User) -> list[tuple[Call, list[WorkRow]]]:
    """Each call with applications to assess, with where each stands for the user."""
    calls = db.scalars(select(Call).where(Call.status != CallStatus.DRAFT).order_by(Call.id))
    found = []
    for call in calls:
        versions = assessment.assessable_versions(db, call)
        if versions:
            found.append((call, assessment.workload(db, call, user, versions)))
    return found


def _assessor(
    db: Session, user: User, overviews: list[tuple[Call, list[WorkRow]]] | None = None
) -> list[Task]:
    tasks = []
    for call, rows in _assessment_rows(db, user) if overviews is None else overviews:
        waiting = [r for r in rows if r.awaits_viewer]
        title = (
            ngettext(
                "%(num)d ansøgning venter på din vurdering",
                "%(num)d ansøgninger venter på din vurdering",
                len(waiting),
            )
            if waiting
            else _("Ingen ansøgninger venter på din vurdering")
        )
        tasks.append(
            Task(
                title,
                _("%(call)s: %(n)d ansøgninger i alt.", call=call.title, n=len(rows)),
                "assessment.overview",
                {"call_id": call.id, "vis": "venter" if waiting else "alle"},
            )
        )
    if not tasks:
        tasks.append(
            Task(
                _("Ansøgninger til vurdering"),
                _("Ingen ansøgninger kan vurderes endnu; de kommer, når fristen er udløbet."),
                "assessment.index",
            )
        )
    return tasks


def _lead(db: Session, user: User) -> list[Task]:
    overviews = _assessment_rows(db, user)
    tasks = [
        t
        for t in _assessor(db, user, overviews)
        if "vis" not in t.args or t.args["vis"] == "venter"
    ]
    for call, rows in overviews:
        gaps = sum(1 for r in rows if r.gap)
        ready = sum(1 for r in rows if r.progress == Progress.SUBMITTED)
        consolidated = sum(1 for r in rows if r.progress == Progress.CONSOLIDATED)
        pending = sum(1 for r in rows if r.decision_pending)
        if gaps:
            tasks.append(
                Task(
                    _("Fordeling"),
                    ngettext(
                        "%(num)d ansøgning mangler sagsbehandlere.",
                        "%(num)d ansøgninger mangler sagsbehandlere.",
                        gaps,
                    ),
                    "assessment.assignments",
                    {"call_id": call.id},
                )
            )
        tasks.append(
            Task(
                _("Konsolidering og afgørelser"),
                _(
                    "%(ready)d klar til konsolidering, %(consolidated)d venter på afgørelse, "
                    "%(pending)d afgørelser afventer offentliggørelse.",
                    ready=ready,
                    consolidated=consolidated,
                    pending=pending,
                ),
                "assessment.overview",
                {"call_id": call.id, "vis": "afventer" if pending and not ready else "alle"},
            )
        )
        tasks.append(
            Task(
                _("Kalibrering"),
                _("Se spredning, enighed og mildhed i vurderingerne."),
                "assessment.calibration",
                {"call_id": call.id},
            )
        )
    tasks.extend(_interpretation_tasks(db, user))
    tasks.append(_selection_task(db))
    return tasks


def _fund(db: Session, user: User) -> list[Task]:
    tasks = []
    open_calls = _open_calls(db)
    for call in open_calls:
        app = db.scalar(
            select(Application).where(
                Application.call_id == call.id, Application.organisation_id == user.organisation_id
            )
        )
        state = _("ingen ansøgning endnu") if app is None else _status_text(app.status)
        if app is not None and user.role == Role.SIGNATORY:
            tasks.extend(_handed_over(db, call, app))
        tasks.append(
            Task(
                call.title,
                _("Jeres ansøgning: %(state)s.", state=state),
                "applications.edit",
                {"call_id": call.id},
            )
        )
        stage = assessment.fund_stage(db, app) if app is not None else None
        if stage is not None:
            tasks.append(
                Task(
                    _("Status og afgørelse"),
                    _(STAGE_TEXTS[stage]),
                    "applications.status",
                    {"app_id": app.id},  # type: ignore[union-attr]
                )
            )
    if not tasks:
        tasks.append(
            Task(_("Ingen åbne ansøgningsrunder"), _("Der er ingen åben ansøgningsrunde lige nu."))
        )
    if user.role == Role.DRAFTER:
        org = user.organisation_id
        writable = org is not None and any(applications.is_open_for(db, c, org) for c in open_calls)
        tasks.append(
            Task(
                _("Din rolle"),
                _("Du kan skrive i udkastet; kun den tegningsberettigede kan indsende.")
                if writable
                else _(
                    "Ingen ansøgningsfrist er åben for jer nu, så udkastet kan ikke ændres; "
                    "kun den tegningsberettigede kan indsende."
                ),
            )
        )
    return tasks


def _handed_over(db: Session, call: Call, app: Application) -> list[Task]:
    """A draft a drafter has sent to the signatory for submission, until it is submitted."""
    handed = applications.pending_signature_request(db, app)
    if handed is None:
        return []
    return [
        Task(
            _("Kladde klar til underskrift fra %(name)s", name=handed.by),
            _(
                "%(call)s: sendt %(when)s. Gennemse ansøgningen, og indsend den før fristen "
                "%(deadline)s.",
                call=call.title,
                when=format_when(handed.at),
                deadline=format_when(applications.effective_deadline(db, app)),
            ),
            "applications.submit",
            {"app_id": app.id},
        )
    ]


STAGE_TEXTS = {
    assessment.RECEIVED: N_("Ansøgningen er modtaget og venter på styrelsens vurdering."),
    assessment.UNDER_ASSESSMENT: N_("Styrelsen er i gang med at vurdere ansøgningen."),
    assessment.INFORMATION_REQUESTED: N_(
        "Styrelsen har stillet et spørgsmål, som venter på jeres svar."
    ),
    assessment.DECIDED: N_("Styrelsen har truffet afgørelse. Læs den her."),
}


def _status_text(status: str) -> str:
    from portal.i18n import APPLICATION_STATUS_LABELS

    return _(APPLICATION_STATUS_LABELS[status]).lower()


def _party(db: Session, user: User) -> list[Task]:
    done = (
        db.scalar(select(func.count(SelectionRun.id)).where(SelectionRun.status == RunStatus.DONE))
        or 0
    )
    tasks = [
        Task(
            ngettext(
                "%(num)d beregnet forslag til udvælgelse",
                "%(num)d beregnede forslag til udvælgelse",
                done,
            ),
            _(
                "Gennemse forslag og alternativer, spørg hvad-nu-hvis, skriv noter og "
                "partiets holdning."
            ),
            "proposals.index",
        )
    ]
    for shown in db.scalars(select(MeetingPresentation).order_by(MeetingPresentation.call_id)):
        tasks.append(
            Task(
                _("Mødevisning"),
                _("Følg det forslag, der præsenteres på mødet."),
                "proposals.meeting",
                {"call_id": shown.call_id},
            )
        )
    return tasks


def _selection_task(db: Session) -> Task:
    runs = db.scalar(select(func.count(SelectionRun.id))) or 0
    return Task(
        _("Udvælgelse (trin 3)"),
        ngettext(
            "%(num)d beregning. Beregn forslag, præsentér dem og registrér beslutningen.",
            "%(num)d beregninger. Beregn forslag, præsentér dem og registrér beslutningen.",
            runs,
        ),
        "proposals.index",
    )


def _labour(db: Session, user: User) -> list[Task]:
    """Per call with published material: the meeting, the interpretations, the packet and
    the party's own comments; each card leads to the page that holds it."""
    tasks = []
    calls = dialogue.calls_with_dialogue(db)
    standings = dialogue.standings(db, calls, user)
    for call in calls:
        standing = standings[call.id]
        if not standing.published and standing.meeting is None:
            continue
        args: dict[str, object] = {"call_id": call.id}
        tasks.append(
            Task(
                _("Dialogmøde %(date)s", date=_meeting_words(standing.meeting)),
                _("%(call)s: mødets tid, sted og dagsorden.", call=call.title),
                "dialogue.call_page",
                {**args, "_anchor": "moedet"},
            )
        )
        tasks.append(
            Task(
                _("Styrelsens fortolkning af kriterierne"),
                _(
                    "%(published)d af %(total)d kriterier har en offentliggjort fortolkning; "
                    "med fordelingen af de konsoliderede scorer.",
                    published=standing.published,
                    total=standing.criteria,
                ),
                "dialogue.call_page",
                {**args, "_anchor": "fortolkninger"},
            )
        )
        tasks.append(
            Task(
                _("Mødemateriale (PDF)"),
                _("Kriterier, fortolkninger, fordelinger, afgørelser med kort og dagsorden."),
                "dialogue.packet_pdf",
                args,
            )
        )
        tasks.append(
            Task(
                _("Jeres bemærkninger"),
                ngettext(
                    "%(num)d bemærkning til mødet. Skriv flere, indtil mødet begynder.",
                    "%(num)d bemærkninger til mødet. Skriv flere, indtil mødet begynder.",
                    standing.comments,
                ),
                "dialogue.call_page",
                {**args, "_anchor": "bemaerkninger"},
            )
        )
    if not tasks:
        tasks.append(
            Task(
                _("Dialogmøde"),
                _(
                    "Styrelsen har endnu ikke offentliggjort sin fortolkning af kriterierne "
                    "eller planlagt dialogmødet."
                ),
                "dialogue.index",
            )
        )
    return tasks


def _meeting_words(meeting: DialogueMeeting | None) -> str:
    if meeting is None:
        return _("(ikke planlagt endnu)")
    return str(format_when(meeting.starts_at))


def _interpretation_tasks(db: Session, user: User) -> list[Task]:
    """The lead's register per call: drafts to publish, criteria still without one."""
    tasks = []
    calls = dialogue.calls_with_dialogue(db)
    standings = dialogue.standings(db, calls, user)
    for call in calls:
        standing = standings[call.id]
        tasks.append(
            Task(
                _("Fortolkninger og dialogmøde"),
                ngettext(
                    "%(call)s: %(published)d af %(total)d kriterier offentliggjort, %(num)d "
                    "kladde; dialogmøde %(date)s.",
                    "%(call)s: %(published)d af %(total)d kriterier offentliggjort, %(num)d "
                    "kladder; dialogmøde %(date)s.",
                    standing.drafts,
                    call=call.title,
                    published=standing.published,
                    total=standing.criteria,
                    date=_meeting_words(standing.meeting),
                ),
                "dialogue.call_page",
                {"call_id": call.id, "_anchor": "fortolkninger"},
            )
        )
    return tasks


def _letter_tasks(db: Session, user: User) -> tuple[list[Task], list[Task]]:
    """Decision letters and appeals: (what waits for the user, what they may read)."""
    role = Role(user.role)
    urgent: list[Task] = []
    later: list[Task] = []
    if role in (Role.ADMIN, Role.LEAD_ASSESSOR):
        drafts, approvable = letters.waiting_for(db, user)
        if drafts:
            urgent.append(
                Task(
                    ngettext(
                        "%(num)d brev venter på godkendelse",
                        "%(num)d breve venter på godkendelse",
                        drafts,
                    ),
                    _(
                        "Du kan godkende og sende %(n)d af dem; et brev, du selv har dannet, "
                        "skal godkendes af en anden.",
                        n=approvable,
                    ),
                    "letters.index",
                )
            )
        else:
            later.append(
                Task(
                    _("Breve om afgørelser"),
                    _("Dan breve til a-kasserne om deres afgørelser, og følg de sendte."),
                    "letters.index",
                )
            )
    if role == Role.LEAD_ASSESSOR:
        filed, assigned = letters.open_appeal_counts(db)
        if filed or assigned:
            urgent.append(
                Task(
                    ngettext(
                        "%(num)d klage venter på en sagsbehandler",
                        "%(num)d klager venter på en sagsbehandler",
                        filed,
                    ),
                    _("%(n)d klager er under behandling.", n=assigned),
                    "letters.appeals",
                )
            )
    handling = letters.handled_by(db, user) if role in AGENCY_ROLES else 0
    if handling:
        urgent.append(
            Task(
                ngettext(
                    "%(num)d klage venter på din afgørelse",
                    "%(num)d klager venter på din afgørelse",
                    handling,
                ),
                _("Afgør om afgørelsen fastholdes eller ændres, med en begrundelse."),
                "letters.appeals",
            )
        )
    if role in FUND_ROLES:
        count = len(letters.fund_letters(db, user.organisation_id))
        later.append(
            Task(
                _("Breve fra styrelsen"),
                ngettext(
                    "I har %(num)d brev om jeres afgørelser. Læs det, og klag, hvis I er uenige.",
                    "I har %(num)d breve om jeres afgørelser. Læs dem, og klag, hvis I er uenige.",
                    count,
                )
                if count
                else _("I har ikke fået breve fra styrelsen endnu."),
                "letters.fund_index",
            )
        )
    return urgent, later
