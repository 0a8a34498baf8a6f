"""The `selection-problem/1` document for a call, from the database and `geo`.

Every a-kasse of the reference data is a fund of the problem; those with a published
eligibility decision that approved them are eligible, with their approved extent (municipality
codes) and capacity, and their mean consolidated score. Inflow per a-kasse and municipality is
`geo`'s model (labelled *modelleret* wherever it shows), scaled to the call's national inflow,
unless the administrator has uploaded reported figures for the call: then every a-kasse in
the file has the file's inflow (*indberettet*; 0 where the file lists no figure) and the others
stay modelled (`geo.inflow.apply_reported`). A what-if or relaxation uses its parent run's
inflow, so that it changes only what it says. A scenario's `inflow_factor` scales either.

The document's `inflow_source` (ignored by the optimizer, covered by the input hash) and the
run's `options["inflow"]` record which inflow a run used: the source, and for a reported one
the file's SHA-256, year and a-kasser (and in the options the upload's id and file name).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from statistics import fmean
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from geo.inflow import MODELLED, REPORTED, apply_reported, model_inflow
from geo.reference import exclusion_list, municipalities
from geo.reference import funds as reference_funds
from portal.calls.services import active_inflow
from portal.models import (
    Application,
    ApplicationVersion,
    Call,
    ConsolidatedScore,
    Consolidation,
    DecisionStatus,
    EligibilityDecision,
    InflowUpload,
    SelectionRun,
)

GRANULARITIES = ("fund", "region", "municipality")


@dataclass(frozen=True)
class Targets:
    """What the parties may change per run; None keeps the call's (or the contract's) value."""

    volume: float | None = None
    min_share: float | None = None
    funds_min: int | None = None
    funds_max: int | None = None
    min_comparison_share: float | None = None
    max_fund_share: float | None = None
    granularity: str = "region"
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    inflow_factor: float | None = None  # scenario: "ledigheden stiger markant"

    def to_json(self) -> dict[str, Any]:
        return {
            "volume": self.volume,
            "min_share": self.min_share,
            "funds_min": self.funds_min,
            "funds_max": self.funds_max,
            "min_comparison_share": self.min_comparison_share,
            "max_fund_share": self.max_fund_share,
            "granularity": self.granularity,
            "include": list(self.include),
            "exclude": list(self.exclude),
            "inflow_factor": self.inflow_factor,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Targets:
        return cls(
            volume=data.get("volume"),
            min_share=data.get("min_share"),
            funds_min=data.get("funds_min"),
            funds_max=data.get("funds_max"),
            min_comparison_share=data.get("min_comparison_share"),
            max_fund_share=data.get("max_fund_share"),
            granularity=data.get("granularity") or "region",
            include=tuple(data.get("include") or ()),
            exclude=tuple(data.get("exclude") or ()),
            inflow_factor=data.get("inflow_factor"),
        )


@dataclass(frozen=True)
class EligibleFund:
    capacity: int | None
    extent: list[str]
    score: float | None


@dataclass(frozen=True)
class BuiltProblem:
    document: dict[str, Any]
    sha256: str
    eligible: dict[str, EligibleFund] = field(default_factory=dict)
    inflow: dict[str, Any] = field(default_factory=dict)  # the run's options["inflow"]


def published_eligible(db: Session, call: Call) -> dict[str, EligibleFund]:
    """A-kasse short id -> what Trin 2 approved, for published positive decisions."""
    rows = db.execute(
        select(EligibilityDecision, Application)
        .join(ApplicationVersion, ApplicationVersion.id == EligibilityDecision.version_id)
        .join(Application, Application.id == ApplicationVersion.application_id)
        .where(
            Application.call_id == call.id,
            EligibilityDecision.status == DecisionStatus.PUBLISHED,
            EligibilityDecision.eligible.is_(True),
        )
    ).all()
    found = {}
    for decision, app in rows:
        scores = [
            s
            for s in db.scalars(
                select(ConsolidatedScore.score)
                .join(Consolidation)
                .where(Consolidation.version_id == decision.version_id)
            )
            if s is not None
        ]
        found[app.organisation.short_id] = EligibleFund(
            capacity=decision.approved_capacity,
            extent=sorted(e.municipality_code for e in decision.extent),
            score=round(fmean(scores), 2) if scores else None,
        )
    return found


def has_published_decisions(db: Session, call: Call) -> bool:
    return (
        db.scalar(
            select(EligibilityDecision.id)
            .join(ApplicationVersion, ApplicationVersion.id == EligibilityDecision.version_id)
            .join(Application, Application.id == ApplicationVersion.application_id)
            .where(
                Application.call_id == call.id,
                EligibilityDecision.status == DecisionStatus.PUBLISHED,
            )
            .limit(1)
        )
        is not None
    )


def inflow_upload_for(
    db: Session, call: Call, parent: SelectionRun | None = None
) -> InflowUpload | None:
    """The reported inflow a new run uses (None: modelled): its parent run's, else the call's
    upload in use."""
    if parent is None:
        return active_inflow(db, call.id)
    upload_id = (parent.options.get("inflow") or {}).get("upload_id")
    return db.get(InflowUpload, upload_id) if upload_id is not None else None


def inflow_table(call: Call, upload: InflowUpload | None) -> pd.DataFrame:
    """`fund_id, municipality_code, inflow, source` for every a-kasse and municipality."""
    model = model_inflow(national_total=float(call.national_inflow))
    if upload is None:
        return model
    reported = pd.DataFrame(upload.rows, columns=["fund_id", "municipality_code", "inflow"])
    return apply_reported(model, reported.assign(year=upload.year))


def _inflow_records(upload: InflowUpload | None) -> tuple[dict[str, Any], dict[str, Any]]:
    """What the document and the run's options say about the inflow used."""
    if upload is None:
        return {"source": MODELLED}, {"source": MODELLED}
    document = {
        "source": REPORTED,
        "sha256": upload.sha256,
        "year": upload.year,
        "reported_funds": sorted({str(row[0]) for row in upload.rows}),
    }
    options = {
        "source": REPORTED,
        "sha256": upload.sha256,
        "upload_id": upload.id,
        "filename": upload.filename,
        "year": upload.year,
    }
    return document, options


def build_problem(
    db: Session, call: Call, targets: Targets, *, parent: SelectionRun | None = None
) -> BuiltProblem:
    """The document for a new run of the call; `parent` is the run a what-if or relaxation
    starts from (its inflow is used)."""
    eligible = published_eligible(db, call)
    towns = municipalities()
    upload = inflow_upload_for(db, call, parent)
    table = inflow_table(call, upload)
    inflow: dict[str, dict[str, float]] = {}
    for row in table.itertuples(index=False):
        if row.inflow > 0:
            inflow.setdefault(str(row.fund_id), {})[str(row.municipality_code)] = round(
                float(row.inflow) * (targets.inflow_factor or 1.0), 2
            )
    source, recorded = _inflow_records(upload)
    funds = []
    for fund_id, fund in reference_funds().iterrows():
        approved = eligible.get(str(fund_id))
        funds.append(
            {
                "id": str(fund_id),
                "name": str(fund["name"]),
                "field": str(fund["field"]),
                "sector": str(fund["sector"]),
                "size": str(fund["size"]),
                "eligible": approved is not None,
                "capacity": approved.capacity if approved else None,
                "score": approved.score if approved else None,
                "extent": approved.extent if approved else [],
                "inflow": inflow.get(str(fund_id), {}),
            }
        )
    targets_doc: dict[str, Any] = {
        "volume": float(targets.volume or call.target_volume),
        "min_share": float(targets.min_share if targets.min_share is not None else call.min_share),
    }
    optional = {
        "funds_min": targets.funds_min,
        "funds_max": targets.funds_max,
        "min_comparison_share": targets.min_comparison_share,
        "max_fund_share": targets.max_fund_share,
    }
    targets_doc.update({key: value for key, value in optional.items() if value is not None})
    document: dict[str, Any] = {
        "schema": "selection-problem/1",
        "name": call.title,
        "years": call.years,
        "municipalities": {
            str(code): {"name": str(row["name"]), "region": str(row["region_code"])}
            for code, row in towns.iterrows()
        },
        "excluded_municipalities": sorted(exclusion_list(call.exclusion_list).codes),
        "national_inflow": float(call.national_inflow) * (targets.inflow_factor or 1.0),
        "funds": funds,
        "targets": targets_doc,
        "granularity": targets.granularity,
        "locks": {"include": sorted(targets.include), "exclude": sorted(targets.exclude)},
        "inflow_source": source,
    }
    return BuiltProblem(document, problem_hash(document), eligible, recorded)


def problem_hash(document: Mapping[str, Any]) -> str:
    canonical = json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()
