"""The audit log: hash chain, append-only, verification command."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from portal import audit
from portal.models import AuditEvent


def test_audit_chain_links_each_event_to_the_previous(db: Session) -> None:
    first = audit.record(db, None, "test.one", value=1)
    second = audit.record(db, None, "test.two", value=2)
    db.commit()
    assert second.prev_hash == first.hash
    assert audit.verify(db).ok


def test_audit_events_cannot_be_updated_or_deleted(db: Session) -> None:
    event = audit.record(db, None, "test.one")
    db.commit()
    with pytest.raises(DBAPIError):
        db.execute(text("UPDATE audit_events SET action = 'x' WHERE id = :id"), {"id": event.id})
    db.rollback()
    with pytest.raises(DBAPIError):
        db.execute(text("DELETE FROM audit_events WHERE id = :id"), {"id": event.id})
    db.rollback()


def test_audit_verify_reports_first_broken_link(db: Session, runner) -> None:
    audit.record(db, None, "test.one")
    target = audit.record(db, None, "test.two", amount=5)
    audit.record(db, None, "test.three")
    db.commit()
    _tamper(db, target.id)
    report = audit.verify(db)
    assert report.broken_at == target.id
    result = runner.invoke(args=["audit-verify"])
    assert result.exit_code == 1
    assert f"broken at event {target.id}" in result.output


def _tamper(db: Session, event_id: int) -> None:
    """Simulate tampering by someone with direct database access who drops the guard."""
    dialect = db.get_bind().dialect.name
    if dialect == "postgresql":
        db.execute(text("ALTER TABLE audit_events DISABLE TRIGGER audit_events_immutable"))
    else:
        db.execute(text("DROP TRIGGER audit_events_no_update"))
    db.execute(
        text("UPDATE audit_events SET data = :d WHERE id = :id"),
        {"d": '{"amount": 6}', "id": event_id},
    )
    if dialect == "postgresql":
        db.execute(text("ALTER TABLE audit_events ENABLE TRIGGER audit_events_immutable"))
    db.commit()


def test_audit_verify_passes_on_intact_chain(db: Session, runner) -> None:
    audit.record(db, None, "test.one")
    db.commit()
    result = runner.invoke(args=["audit-verify"])
    assert result.exit_code == 0 and "audit chain intact" in result.output
    assert db.query(AuditEvent).count() >= 1
