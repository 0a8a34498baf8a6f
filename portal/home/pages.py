"""What each role can do now: the items on its start page, computed from the database."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.assessment import services as assessment
from portal.assessment.rules import Progress
from portal.assessment.services import OverviewRow
from portal.i18n import N_
from portal.models import (
    Application,
    AssessmentStatus,
    Call,
    CallStatus,
    MeetingPresentation,
    Role,
    RunStatus,
    SelectionRun,
    User,
)


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
    return builders[Role(user.role)](db, user)


def _admin(db: Session, user: User) -> list[Task]:
    users = db.scalar(select(func.count(User.id))) or 0
    calls = _open_calls(db)
    return [
        Task(
            _("Ansøgningsrunder"),
            _(
                "%(n)d åben ansøgningsrunde(r). Opret runder ud fra kriteriesæt og følg "
                "indsendelser.",
                n=len(calls),
            ),
            "calls.calls_list",
        ),
        Task(
            _("Kriteriesæt"),
            _("Opret, ret og offentliggør versioner af kriterierne."),
            "calls.criteria_sets",
        ),
        Task(_("Brugere"), _("%(n)d brugerkonti i portalen.", n=users)),
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
    ]


def _assessment_rows(db: Session, user: User) -> list[tuple[Call, list[OverviewRow]]]:
    """Each call with applications to assess, with the user's overview rows of it."""
    calls = db.scalars(select(Call).where(Call.status != CallStatus.DRAFT).order_by(Call.id))
    found = []
    for call in calls:
        versions = assessment.assessable_versions(db, call)
        if versions:
            found.append((call, assessment.overview(db, call, user, versions)))
    return found


def _assessor(
    db: Session, user: User, overviews: list[tuple[Call, list[OverviewRow]]] | None = None
) -> list[Task]:
    tasks = []
    for call, rows in _assessment_rows(db, user) if overviews is None else overviews:
        waiting = [
            r
            for r in rows
            if r.mine
            and r.own_status != AssessmentStatus.COMPLETED
            and r.progress in (Progress.NOT_STARTED, Progress.IN_PROGRESS, Progress.SUBMITTED)
        ]
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
                {"call_id": call.id, "vis": "mine" if waiting else "alle"},
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
        t for t in _assessor(db, user, overviews) if "vis" not in t.args or t.args["vis"] == "mine"
    ]
    for call, rows in overviews:
        gaps = sum(1 for r in rows if r.gap)
        ready = sum(1 for r in rows if r.progress == Progress.SUBMITTED)
        consolidated = sum(1 for r in rows if r.progress == Progress.CONSOLIDATED)
        pending = sum(1 for r in rows if r.decision is not None and r.decision.status == "pending")
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
    tasks.append(_selection_task(db))
    return tasks


def _fund(db: Session, user: User) -> list[Task]:
    tasks = []
    for call in _open_calls(db):
        app = db.scalar(
            select(Application).where(
                Application.call_id == call.id, Application.organisation_id == user.organisation_id
            )
        )
        state = _("ingen ansøgning endnu") if app is None else _status_text(app.status)
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
        tasks.append(
            Task(
                _("Din rolle"),
                _("Du kan skrive i udkastet; kun den tegningsberettigede kan indsende."),
            )
        )
    return tasks


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
    calls = list(db.scalars(select(Call).order_by(Call.id)))
    meeting = next((c.dialogue_meeting_on for c in calls if c.dialogue_meeting_on), None)
    text = (
        _(
            "Dialogmøde %(date)s om styrelsens fortolkning af kriterierne.",
            date=meeting.strftime("%d.%m.%Y"),
        )
        if meeting
        else _("Intet dialogmøde planlagt.")
    )
    return [Task(_("Dialogmøde"), text)]
