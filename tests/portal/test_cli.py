"""CLI commands: create-user, load-reference-data, demo-data."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.accounts.passwords import verify_password
from portal.models import (
    Application,
    ApplicationStatus,
    Assessment,
    AssessmentStatus,
    Call,
    ConflictDeclaration,
    ConsolidatedScore,
    DecisionStatus,
    EligibilityDecision,
    ExclusionEntry,
    Municipality,
    Organisation,
    Region,
    Role,
    User,
)


def test_create_user_reads_password_from_stdin(runner, db: Session) -> None:
    result = runner.invoke(
        args=[
            "create-user",
            "ny@star.dk",
            "--role",
            "assessor",
            "--organisation",
            "STAR",
            "--password-stdin",
        ],
        input="en-lang-og-sikker-kode\n",
    )
    assert result.exit_code == 0, result.output
    user = db.scalar(select(User).where(User.email == "ny@star.dk"))
    assert user is not None and user.role == "assessor"
    assert verify_password(user.password_hash, "en-lang-og-sikker-kode")
    assert user.password_hash.startswith("$argon2id$")


def test_create_user_fund_role_needs_a_fund(runner, db: Session) -> None:
    result = runner.invoke(
        args=[
            "create-user",
            "x@hk.dk",
            "--role",
            "signatory",
            "--organisation",
            "STAR",
            "--password-stdin",
        ],
        input="en-lang-og-sikker-kode\n",
    )
    assert result.exit_code != 0
    assert "organisation" in result.output and "needs an a-kasse" in result.output
    assert db.scalar(select(User).where(User.email == "x@hk.dk")) is None


def test_create_user_unknown_organisation_names_the_value(runner) -> None:
    result = runner.invoke(
        args=[
            "create-user",
            "x@hk.dk",
            "--role",
            "drafter",
            "--organisation",
            "NOPE",
            "--password-stdin",
        ],
        input="x" * 20,
    )
    assert result.exit_code != 0 and "'NOPE'" in result.output


def test_create_user_short_password_refused(runner, db: Session) -> None:
    result = runner.invoke(
        args=["create-user", "kort@star.dk", "--role", "admin", "--password-stdin"], input="kort\n"
    )
    assert result.exit_code != 0 and "password" in result.output
    assert db.scalar(select(User).where(User.email == "kort@star.dk")) is None


def test_load_reference_data_is_idempotent(runner, db: Session) -> None:
    for _ in range(2):
        result = runner.invoke(args=["load-reference-data"])
        assert result.exit_code == 0
    assert "98 municipalities" in result.output
    assert db.scalar(select(func.count(Municipality.code))) == 98
    assert db.scalar(select(func.count(Region.code))) == 5
    assert db.scalar(select(func.count(ExclusionEntry.id))) == 15
    funds = db.scalar(select(func.count(Organisation.id)).where(Organisation.kind == "fund"))
    assert funds == 24


def test_demo_data_creates_varied_applications_once(runner, db: Session) -> None:
    for _ in range(2):
        assert runner.invoke(args=["demo-data"]).exit_code == 0
    assert db.scalar(select(func.count(Call.id))) == 1
    statuses = db.scalars(select(Application.status)).all()
    assert len(statuses) == 21
    assert {
        ApplicationStatus.DRAFT,
        ApplicationStatus.SUBMITTED,
        ApplicationStatus.WITHDRAWN,
    } <= set(statuses)
    demo_users = db.scalars(
        select(User.email).where(User.is_demo.is_(True), User.is_active.is_(True))
    ).all()
    assert "dlfa-medarbejder@demo.dk" in demo_users and len(demo_users) == 12
    decisions = db.scalars(select(EligibilityDecision)).all()
    published = [d for d in decisions if d.status == DecisionStatus.PUBLISHED]
    assert len(published) == 13 and sum(1 for d in published if not d.eligible) == 1
    assert (
        db.scalar(
            select(func.count(ConflictDeclaration.id)).where(ConflictDeclaration.has_conflict)
        )
        == 1
    )
    assert (
        db.scalar(
            select(func.count(ConsolidatedScore.id)).where(
                ConsolidatedScore.dissent_assessor_id.is_not(None)
            )
        )
        == 1
    )
    states = set(db.scalars(select(Assessment.status)))
    assert states == {AssessmentStatus.IN_PROGRESS, AssessmentStatus.COMPLETED}


def test_send_reminders_command_writes_outbox(runner, app, db: Session, make_user) -> None:
    from portal.mail import list_outbox
    from tests.portal.helpers import complete_application, open_call

    call = open_call(db)
    complete_application(db, call, make_user(Role.DRAFTER, "HK"))
    result = runner.invoke(args=["send-reminders", str(call.id)])
    assert result.exit_code == 0 and "2 recipient(s)" in result.output
    assert "Påmindelse" in list_outbox(app.config["OUTBOX_DIR"])[0].subject
    missing = runner.invoke(args=["send-reminders", "999"])
    assert missing.exit_code != 0 and "call_id: no call with id 999" in missing.output
