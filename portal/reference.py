"""Load the reference data shipped in `geo` (municipalities, regions, exclusion lists,
a-kasser) into the database. Idempotent: existing rows are updated, none duplicated."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from geo import reference as geo_ref
from portal import audit
from portal.models import (
    ExclusionEntry,
    ExclusionList,
    Municipality,
    Organisation,
    OrganisationKind,
    Region,
)

AGENCY_SHORT_ID = "STAR"
PARTIES_SHORT_ID = "AFTALEPARTIER"
LABOUR_SHORT_ID = "ARBMARKPARTER"


@dataclass(frozen=True)
class LoadReport:
    regions: int
    municipalities: int
    exclusion_lists: int
    funds: int


def load_reference_data(db: Session, actor_id: int | None = None) -> LoadReport:
    regions = _load_regions(db)
    municipalities = _load_municipalities(db)
    lists = _load_exclusions(db)
    funds = _load_funds(db)
    _ensure_other_organisations(db)
    db.flush()
    report = LoadReport(regions, municipalities, lists, funds)
    audit.record(db, actor_id, "reference.loaded", **report.__dict__)
    return report


def _load_regions(db: Session) -> int:
    frame = geo_ref.regions()
    for code, row in frame.iterrows():
        db.merge(Region(code=str(code), name=str(row["name"])))
    db.flush()
    return len(frame)


def _load_municipalities(db: Session) -> int:
    frame = geo_ref.municipalities()
    for code, row in frame.iterrows():
        db.merge(
            Municipality(
                code=str(code),
                name=str(row["name"]),
                region_code=str(row["region_code"]),
                population=int(row["population"]),
                area_km2=float(row["area_km2"]),
                centroid_lon=float(row["centroid_lon"]),
                centroid_lat=float(row["centroid_lat"]),
            )
        )
    db.flush()
    return len(frame)


def _load_exclusions(db: Session) -> int:
    names = [n for n in geo_ref.exclusion_names() if n != geo_ref.NO_EXCLUSIONS]
    for name in names:
        data = geo_ref.exclusion_list(name)
        row = db.scalar(select(ExclusionList).where(ExclusionList.name == data.name))
        if row is None:
            row = ExclusionList(name=data.name, period=data.period, source=data.source)
            db.add(row)
            db.flush()
        row.period, row.source = data.period, data.source
        known = {entry.municipality_code for entry in row.entries}
        for code, reason in sorted(data.reasons.items()):
            if code not in known:
                db.add(ExclusionEntry(list_id=row.id, municipality_code=code, reason=reason))
    return len(names)


def _load_funds(db: Session) -> int:
    frame = geo_ref.funds()
    for fund_id, row in frame.iterrows():
        org = db.scalar(select(Organisation).where(Organisation.short_id == str(fund_id)))
        if org is None:
            org = Organisation(kind=OrganisationKind.FUND, short_id=str(fund_id))
            db.add(org)
        org.name = str(row["name"])
        org.field, org.sector = _text(row["field"]), _text(row["sector"])
        org.size = _text(row["size"])
        members = row["members"]
        org.members = None if members != members or members is None else int(members)
    return len(frame)


def _text(value: object) -> str | None:
    return None if value is None or value != value or value == "" else str(value)


def _ensure_other_organisations(db: Session) -> None:
    others = [
        (AGENCY_SHORT_ID, OrganisationKind.AGENCY, "Styrelsen for Arbejdsmarked og Rekruttering"),
        (PARTIES_SHORT_ID, OrganisationKind.PARTY, "Aftalepartierne"),
        (LABOUR_SHORT_ID, OrganisationKind.LABOUR_PARTY, "Arbejdsmarkedets parter"),
    ]
    for short_id, kind, name in others:
        if db.scalar(select(Organisation).where(Organisation.short_id == short_id)) is None:
            db.add(Organisation(kind=kind, short_id=short_id, name=name))
