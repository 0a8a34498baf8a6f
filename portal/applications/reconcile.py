"""Upload files without an attachment row: left when a server died between storing a file and
committing its row. `flask --app portal reconcile-uploads` reports them and, with `--delete`,
removes those older than a grace period (a younger one may belong to an upload in flight).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal import audit
from portal.applications.uploads import STORED_NAME
from portal.models import Attachment


@dataclass(frozen=True)
class Orphan:
    name: str
    size_bytes: int
    modified_at: datetime


def orphans(db: Session, upload_dir: str | Path, older_than: timedelta) -> list[Orphan]:
    """Stored upload files that no attachment row names, last modified before now - older_than."""
    folder = Path(upload_dir)
    if not folder.is_dir():
        return []
    known = set(db.scalars(select(Attachment.stored_name)))
    cutoff = datetime.now(UTC) - older_than
    found = []
    for path in sorted(folder.iterdir()):
        if not path.is_file() or not STORED_NAME.fullmatch(path.name) or path.name in known:
            continue
        stat = path.stat()
        modified = datetime.fromtimestamp(stat.st_mtime, UTC)
        if modified <= cutoff:
            found.append(Orphan(path.name, stat.st_size, modified))
    return found


def delete_orphans(db: Session, upload_dir: str | Path, found: list[Orphan]) -> int:
    """Delete the files (re-checked against the table first) and record one audit event."""
    known = set(db.scalars(select(Attachment.stored_name)))
    deleted = []
    for orphan in found:
        if orphan.name in known:
            continue
        (Path(upload_dir) / orphan.name).unlink(missing_ok=True)
        deleted.append(orphan.name)
    if deleted:
        audit.record(db, None, "uploads.orphans_deleted", files=deleted)
    return len(deleted)
