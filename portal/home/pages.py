"""What each role can do now: the items on its start page, computed from the database."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.models import (
    Application,
    ApplicationStatus,
    Call,
    CallStatus,
    EligibilityDecision,
    Role,
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
    ]


def _assessor(db: Session, user: User) -> list[Task]:
    submitted = _count_applications(db, ApplicationStatus.SUBMITTED)
    return [
        Task(
            _("Ansøgninger til vurdering"),
            _("%(n)d indsendte ansøgninger kan vurderes kriterie for kriterie.", n=submitted),
        )
    ]


def _lead(db: Session, user: User) -> list[Task]:
    decided = db.scalar(select(func.count(EligibilityDecision.id))) or 0
    return [
        *_assessor(db, user),
        Task(
            _("Afgørelser om støtteberettigelse"),
            _(
                "%(n)d afgørelser truffet. Fastlæg godkendt geografisk udstrækning og forbered "
                "dialogmødet.",
                n=decided,
            ),
        ),
    ]


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


def _status_text(status: str) -> str:
    from portal.i18n import APPLICATION_STATUS_LABELS

    return _(APPLICATION_STATUS_LABELS[status]).lower()


def _party(db: Session, user: User) -> list[Task]:
    runs = db.scalar(select(func.count(SelectionRun.id))) or 0
    return [
        Task(
            _("Forslag til udvælgelse"),
            _("%(n)d beregnede forslag til udvælgelse af a-kasser kan gennemgås.", n=runs),
        )
    ]


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
