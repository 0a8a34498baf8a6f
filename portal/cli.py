"""Flask CLI commands: database, reference data, users, demo, audit."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import select
from werkzeug.serving import run_simple

from portal import audit, db, migrate
from portal.accounts.users import NewUser, UserError, create_user
from portal.applications import reconcile
from portal.calls import reminders
from portal.demo import DEMO_ACCOUNTS, DEMO_PASSWORD, load_demo_data
from portal.i18n import ROLE_LABELS
from portal.models import Call, Organisation, Role
from portal.reference import load_reference_data


def register_cli(app: Flask) -> None:
    for command in (
        db_upgrade,
        load_reference_data_command,
        create_user_command,
        demo_data_command,
        demo_command,
        audit_verify,
        send_reminders_command,
        reconcile_uploads_command,
        worker_command,
    ):
        app.cli.add_command(command)


@click.command("db-upgrade")
@with_appcontext
def db_upgrade() -> None:
    """Apply all database migrations."""
    migrate.upgrade(db.engine())
    click.echo("database at the newest migration")


@click.command("load-reference-data")
@with_appcontext
def load_reference_data_command() -> None:
    """Load municipalities, regions, exclusion lists and a-kasser."""
    report = load_reference_data(db.session())
    db.session().commit()
    click.echo(
        f"loaded {report.regions} regions, {report.municipalities} municipalities, "
        f"{report.exclusion_lists} exclusion list(s), {report.funds} a-kasser"
    )


@click.command("create-user")
@with_appcontext
@click.argument("email")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option(
    "--organisation",
    "organisation",
    default=None,
    help="Organisation id or short id (e.g. HK, STAR)",
)
@click.option("--name", default=None, help="Full name (defaults to the e-mail)")
@click.option(
    "--password-stdin", is_flag=True, required=True, help="Read the password from standard input"
)
def create_user_command(
    email: str, role: str, organisation: str | None, name: str | None, password_stdin: bool
) -> None:
    """Create a user account."""
    password = sys.stdin.readline().rstrip("\n")
    session = db.session()
    org_id = _organisation_id(organisation)
    try:
        user = create_user(
            session,
            None,
            NewUser(
                email=email,
                name=name or email,
                role=Role(role),
                password=password,
                organisation_id=org_id,
            ),
        )
    except UserError as error:
        raise click.ClickException(str(error)) from error
    session.commit()
    click.echo(f"created user {user.id} {user.email} ({role})")


def _organisation_id(value: str | None) -> int | None:
    if value is None:
        return None
    column = Organisation.id if value.isdigit() else Organisation.short_id
    org_id = db.session().scalar(
        select(Organisation.id).where(column == (int(value) if value.isdigit() else value))
    )
    if org_id is None:
        raise click.ClickException(f"organisation: no organisation {value!r}")
    return int(org_id)


@click.command("demo-data")
@with_appcontext
def demo_data_command() -> None:
    """Create demo accounts, a demo call and demo applications."""
    call = load_demo_data(db.session())
    db.session().commit()
    click.echo(f"demo call {call.id}: {call.title}")


@click.command("demo")
@with_appcontext
@click.option("--port", default=5000, type=int)
@click.option("--host", default="127.0.0.1")
def demo_command(port: int, host: str) -> None:
    """Migrate, load reference and demo data, print the accounts and serve."""
    if not current_app.config["DEMO_MODE"]:
        raise click.ClickException("demo needs FLASK_DEMO_MODE=true (make demo sets it)")
    migrate.upgrade(db.engine())
    load_reference_data(db.session())
    load_demo_data(db.session())
    db.session().commit()
    db.session().close()
    click.echo(f"\nForsøgsportalen (demo) på http://{host}:{port}/login\n")
    click.echo(f"Demokonti (adgangskode «{DEMO_PASSWORD}»):")
    for account in DEMO_ACCOUNTS:
        click.echo(
            f"  {account.email:<26} {ROLE_LABELS[account.role.value]} ({account.organisation})"
        )
    click.echo("")
    worker = _start_worker()
    click.echo(f"Arbejdsproces til beregninger kører (pid {worker.pid}).")
    try:
        run_simple(host, port, current_app._get_current_object(), threaded=True)  # type: ignore[attr-defined]
    finally:
        worker.terminate()
        worker.wait(timeout=10)


def _start_worker() -> subprocess.Popen[bytes]:
    """The demo's background worker: a process of its own on the same database and queue."""
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "portal", "worker", "--workers", "2"],
        env=os.environ.copy(),
    )


@click.command("send-reminders")
@with_appcontext
@click.argument("call_id", type=int)
def send_reminders_command(call_id: int) -> None:
    """E-mail everyone holding a draft in a call (e.g. from cron before the deadline)."""
    call = db.session().get(Call, call_id)
    if call is None:
        raise click.ClickException(f"call_id: no call with id {call_id}")
    report = reminders.send_reminders(db.session(), None, call, current_app.config)
    db.session().commit()
    click.echo(f"reminders sent to {report.sent} recipient(s)")
    for name in report.no_address:
        click.echo(f"not sent to {name}: no active user and no contact address", err=True)
    for name in report.failed:
        click.echo(f"mail to {name} failed", err=True)


@click.command("reconcile-uploads")
@with_appcontext
@click.option("--delete", is_flag=True, help="Delete the files found (default: report only).")
@click.option(
    "--min-age-minutes",
    default=60,
    type=click.IntRange(min=0),
    show_default=True,
    help="Leave younger files alone: they may belong to an upload in flight.",
)
def reconcile_uploads_command(delete: bool, min_age_minutes: int) -> None:
    """Report (and with --delete remove) upload files that no attachment row names."""
    folder = current_app.config["UPLOAD_DIR"]
    found = reconcile.orphans(db.session(), folder, timedelta(minutes=min_age_minutes))
    for orphan in found:
        click.echo(f"{orphan.name}\t{orphan.size_bytes} bytes\t{orphan.modified_at:%Y-%m-%d %H:%M}")
    if not delete:
        click.echo(f"{len(found)} file(s) without an attachment row (nothing deleted)")
        return
    deleted = reconcile.delete_orphans(db.session(), folder, found)
    db.session().commit()
    click.echo(f"{deleted} file(s) deleted")


@click.command("worker")
@with_appcontext
@click.option("--workers", default=2, type=click.IntRange(min=1, max=32), show_default=True)
def worker_command(workers: int) -> None:
    """Run the background worker: receipts and optimizer runs from the queue (FLASK_QUEUE_URL)."""
    from huey.consumer import Consumer

    from portal.proposals.jobs import reap_stale_runs

    with db.write_session() as session:
        reaped = reap_stale_runs(session)
    if reaped:
        click.echo(f"{reaped} run(s) left running by a stopped worker marked failed")
    # Poll at least once a second (Huey backs off to 10 s when idle by default): a run must
    # start while the meeting is still talking.
    consumer = Consumer(
        current_app.extensions["huey"], workers=workers, worker_type="thread", max_delay=1.0
    )
    consumer.run()


@click.command("audit-verify")
@with_appcontext
def audit_verify() -> None:
    """Verify the audit log's hash chain; exit 1 at the first broken link."""
    report = audit.verify(db.session())
    if report.ok:
        click.echo(f"audit chain intact: {report.checked} events")
        return
    click.echo(
        f"audit chain broken at event {report.broken_at}: {report.reason} "
        f"({report.checked} events before it are intact)",
        err=True,
    )
    sys.exit(1)
