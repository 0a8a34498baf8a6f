"""Exports of submitted applications: CSV, XLSX and a zip dossier per application."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.applications import deadlines, receipts, uploads
from portal.extent import extent_in_words
from portal.models import (
    Application,
    ApplicationStatus,
    ApplicationVersion,
    Attachment,
    Call,
    ConflictDeclaration,
    InformationRequest,
    User,
)
from portal.pdf import render_pdf

COPENHAGEN = ZoneInfo("Europe/Copenhagen")
HEADER = [
    "A-kasse",
    "Kort id",
    "CVR",
    "Status",
    "Version",
    "Indsendt (dansk tid)",
    "SHA-256",
    "Geografisk udstrækning",
    "Forløb om året",
    "Årsværk",
    "Samtaler pr. årsværk pr. uge",
    "Kontaktperson",
    "Kontakt-e-mail",
]


@dataclass(frozen=True)
class Row:
    values: tuple[object, ...]


def submitted_rows(db: Session, call: Call) -> list[Row]:
    """One row per application with a submitted version: the version that is assessed (or,
    for a withdrawn one, the last version), in a-kasse name order."""
    apps = db.scalars(select(Application).where(Application.call_id == call.id)).all()
    rows = []
    for app in sorted(apps, key=lambda a: a.organisation.name):
        version = deadlines.assessed_version(db, app) or (
            app.versions[-1] if app.versions else None
        )
        if version is None:
            continue
        content = version.content
        capacity = content["capacity"]
        rows.append(
            Row(
                (
                    content["organisation"]["name"],
                    content["organisation"]["short_id"],
                    content["organisation"]["cvr"] or "",
                    _status(app.status),
                    version.number,
                    _local(version.submitted_at),
                    version.content_hash,
                    extent_in_words(content["requested_extent"]),
                    capacity["courses"],
                    capacity["staff_fte"],
                    capacity["interviews_per_fte_week"],
                    content["contact"]["name"] or "",
                    content["contact"]["email"] or "",
                )
            )
        )
    return rows


def _status(status: str) -> str:
    return {
        ApplicationStatus.SUBMITTED: "Indsendt",
        ApplicationStatus.WITHDRAWN: "Trukket tilbage",
        ApplicationStatus.DRAFT: "Kladde",
    }[ApplicationStatus(status)]


def _local(value: datetime) -> str:
    return value.astimezone(COPENHAGEN).strftime("%Y-%m-%d %H:%M:%S")


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> object:
    """Text that a spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_member_name(name: str) -> str:
    """A zip member name that extracts on every system (no reserved characters)."""
    cleaned = re.sub(r'[<>:"/\\|?*\x00-\x1f]', "_", name).strip(" .")
    return cleaned or "bilag.pdf"


def _csv_cell(value: object) -> object:
    """As `_cell`, and decimals with a comma: the semicolon file is for Danish spreadsheets."""
    if isinstance(value, float):
        return repr(value).replace(".", ",") if value == value else ""
    return _cell(value)


def to_csv(rows: list[Row], header: list[str] = HEADER) -> bytes:
    """UTF-8 with BOM, semicolons and decimal commas, as Danish spreadsheet programs expect."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow(header)
    writer.writerows([_csv_cell(v) for v in row.values] for row in rows)
    return ("\ufeff" + buffer.getvalue()).encode()


def to_xlsx(rows: list[Row], header: list[str] = HEADER, sheet_title: str = "Ansøgninger") -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = sheet_title
    sheet.append(header)
    for row in rows:
        sheet.append([_cell(v) for v in row.values])
    for line in sheet.iter_rows(min_row=2):
        for cell in line:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # text, never a formula
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def dossier(db: Session, app: Application, config: Mapping[str, object]) -> bytes:
    """A zip of the assessed (or last) version: answers PDF, receipt and attachments."""
    version = deadlines.assessed_version(db, app) or app.versions[-1]
    content = version.content
    criteria = [
        {"position": c.position, "title": c.title, "answer": content["answers"].get(str(c.id), "")}
        for c in app.call.criteria_set.criteria
    ]
    answers_pdf = render_pdf(
        "pdf/answers.html",
        {
            "fund_name": content["organisation"]["name"],
            "call_title": app.call.title,
            "version_number": version.number,
            "submitted_at": version.submitted_at,
            "content_hash": version.content_hash,
            "criteria": criteria,
            "extent": extent_in_words(content["requested_extent"]),
            "effective_extent": receipts.effective_extent_words(
                app.call.exclusion_list, content["requested_extent"]
            ),
            "capacity": dict(content["capacity"]),
            "contact": dict(content["contact"]),
            "addenda": _addenda(db, version),
            "declarations": _declarations(db, version),
        },
    )
    buffer = io.BytesIO()
    prefix = f"{app.organisation.short_id.lower()}-version-{version.number}"
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{prefix}/ansoegning.pdf", answers_pdf)
        receipt = receipts.stored_receipt(db, version)
        if receipt is not None:
            archive.writestr(f"{prefix}/{receipt.filename}", receipt.content)
        for item in content["attachments"]:
            attachment = db.get(Attachment, item["id"])
            if attachment is not None:
                data = uploads.open_stored(str(config["UPLOAD_DIR"]), attachment.stored_name)
                member = safe_member_name(f"{item['id']}-{item['filename']}")
                archive.writestr(f"{prefix}/bilag/{member}", data)
    return buffer.getvalue()


def _addenda(db: Session, version: ApplicationVersion) -> list[dict[str, object]]:
    rows = db.scalars(
        select(InformationRequest)
        .where(InformationRequest.version_id == version.id)
        .order_by(InformationRequest.asked_at, InformationRequest.id)
    )
    return [
        {
            "question": row.question,
            "asked_at": row.asked_at,
            "answer": row.answer,
            "answered_at": row.answered_at,
        }
        for row in rows
    ]


def _declarations(db: Session, version: ApplicationVersion) -> list[dict[str, object]]:
    rows = db.execute(
        select(ConflictDeclaration, User.name)
        .join(User, User.id == ConflictDeclaration.assessor_id)
        .where(ConflictDeclaration.version_id == version.id)
        .order_by(ConflictDeclaration.declared_at, ConflictDeclaration.id)
    )
    return [
        {
            "name": name,
            "declared_at": row.declared_at,
            "has_conflict": row.has_conflict,
            "reason": row.reason,
        }
        for row, name in rows
    ]
