"""The append-only, hash-chained audit log.

Each event's hash is SHA-256 over the previous event's hash and a canonical JSON of the
event. `record()` writes in the caller's transaction, so the event commits with the change or
not at all. `verify()` walks the chain and reports the first broken link.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from portal.models import AuditEvent, utcnow

GENESIS = "0" * 64


def _digest(
    prev_hash: str,
    at: datetime,
    actor_id: int | None,
    action: str,
    object_type: str | None,
    object_id: str | None,
    data: dict[str, Any],
) -> str:
    payload = json.dumps(
        {
            "at": at.isoformat(timespec="microseconds"),
            "actor": actor_id,
            "action": action,
            "object": [object_type, object_id],
            "data": data,
        },
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256((prev_hash + payload).encode()).hexdigest()


def _lock_chain(session: Session) -> None:
    """Serialise appends on PostgreSQL; SQLite serialises writers by itself."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(727001)"))


def record(
    session: Session, actor_id: int | None, action: str, obj: Any = None, **data: Any
) -> AuditEvent:
    _lock_chain(session)
    last = session.scalar(select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1))
    prev_hash = last or GENESIS
    object_type = type(obj).__name__ if obj is not None else None
    object_id = str(obj.id) if obj is not None and getattr(obj, "id", None) is not None else None
    at = utcnow()
    clean = json.loads(json.dumps(data, default=str))
    event = AuditEvent(
        at=at,
        actor_id=actor_id,
        action=action,
        object_type=object_type,
        object_id=object_id,
        data=clean,
        prev_hash=prev_hash,
        hash=_digest(prev_hash, at, actor_id, action, object_type, object_id, clean),
    )
    session.add(event)
    session.flush()
    return event


@dataclass(frozen=True)
class ChainReport:
    checked: int
    broken_at: int | None
    reason: str | None

    @property
    def ok(self) -> bool:
        return self.broken_at is None


def verify(session: Session) -> ChainReport:
    prev_hash = GENESIS
    checked = 0
    query = select(AuditEvent).order_by(AuditEvent.id).execution_options(populate_existing=True)
    for event in session.scalars(query).yield_per(500):
        if event.prev_hash != prev_hash:
            return ChainReport(checked, event.id, "prev_hash does not match the previous event")
        expected = _digest(
            prev_hash,
            event.at,
            event.actor_id,
            event.action,
            event.object_type,
            event.object_id,
            event.data,
        )
        if event.hash != expected:
            return ChainReport(checked, event.id, "hash does not match the event's content")
        prev_hash = event.hash
        checked += 1
    return ChainReport(checked, None, None)
