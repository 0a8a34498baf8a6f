"""What the proposal page shows, read from a stored `selection-proposal/1` document and its
problem: the gauges, the shares per dimension, the coverage per municipality, the a-kasser's
rows, and how a relaxation of an infeasible problem becomes a new run's targets; and the gap a
running run's page shows.

Pure: JSON in, plain values out; texts are the documents' own (Danish and English) or message
ids the page translates.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from portal.i18n import N_
from portal.proposals.problem import REPORTED, Targets

DIMENSIONS = ("field", "sector", "size", "region")
DIMENSION_LABELS = {
    "field": N_("Fagligt område"),
    "sector": N_("Sektor"),
    "size": N_("Størrelse"),
    "region": N_("Region"),
}


def gap_of(progress: Mapping[str, Any] | None) -> float | None:
    """The gap in a running run's progress (the solver's last report); None before the first.
    A finished run's page shows the proposal's own status instead."""
    if not progress:
        return None
    gap = progress.get("gap")
    if isinstance(gap, bool) or not isinstance(gap, int | float) or not math.isfinite(gap):
        return None
    return max(0.0, float(gap))


@dataclass(frozen=True)
class Gauge:
    label: str  # message id
    value: float
    low: float | None
    high: float | None
    unit: str  # "courses", "share", "count", "deviation"

    @property
    def within(self) -> bool:
        return (self.low is None or self.value >= self.low - 1e-9) and (
            self.high is None or self.value <= self.high + 1e-9
        )


def gauges(problem: Mapping[str, Any], proposal: Mapping[str, Any]) -> list[Gauge]:
    targets = problem.get("targets") or {}
    volume = float(targets.get("volume", 0.0))
    tolerance = float(targets.get("volume_tolerance", 0.10))
    min_share = float(targets.get("min_share", 0.25))
    max_share = float(targets.get("max_share", 1.0))
    eligible = sum(1 for f in problem.get("funds") or [] if f.get("eligible"))
    chosen = len(proposal.get("selected") or [])
    found = [
        Gauge(
            N_("Forløb om året"),
            float(proposal.get("volume") or 0.0),
            (1 - tolerance) * volume,
            (1 + tolerance) * volume,
            "courses",
        ),
        Gauge(
            N_("Andel af de nyindplacerede"),
            float(proposal.get("share_of_national_inflow") or 0.0),
            min_share,
            max_share if max_share < 1 else None,
            "share",
        ),
        Gauge(
            N_("Antal a-kasser"),
            float(chosen),
            float(targets.get("funds_min", 1)),
            float(targets.get("funds_max", eligible)),
            "count",
        ),
    ]
    for dimension in DIMENSIONS:
        value = (proposal.get("deviation") or {}).get(dimension)
        if value is not None:
            found.append(Gauge(DIMENSION_LABELS[dimension], float(value), None, None, "deviation"))
    return found


@dataclass(frozen=True)
class ShareRow:
    category: str
    label: str
    target: float
    achieved: float


def shares(
    problem: Mapping[str, Any], proposal: Mapping[str, Any], labels: Mapping[str, Mapping[str, str]]
) -> dict[str, list[ShareRow]]:
    """Dimension -> (category, label, target, achieved), in the document's order."""
    region_names = {
        str(m["region"]): str(m["region"]) for m in (problem.get("municipalities") or {}).values()
    }
    result: dict[str, list[ShareRow]] = {}
    for dimension, categories in (proposal.get("shares") or {}).items():
        names = labels.get(dimension, region_names if dimension == "region" else {})
        result[dimension] = [
            ShareRow(str(c), str(names.get(str(c), c)), float(v["target"]), float(v["achieved"]))
            for c, v in categories.items()
        ]
    return result


def coverage(proposal: Mapping[str, Any], names: Mapping[str, str]) -> dict[str, list[str]]:
    """Municipality code -> the names of the chosen a-kasser covering it."""
    covered: dict[str, list[str]] = {}
    for row in proposal.get("selected") or []:
        for code in row.get("municipalities") or []:
            covered.setdefault(str(code), []).append(str(names.get(row["id"], row["id"])))
    return {code: sorted(funds) for code, funds in sorted(covered.items())}


@dataclass(frozen=True)
class FundRow:
    id: str
    name: str
    treated_volume: float
    municipalities: int
    comparison: float | None
    comparison_where: str | None  # region code holding most of the comparison group
    mde: float | None
    warnings: list[dict[str, str]]
    text: dict[str, str] | None


def fund_rows(proposal: Mapping[str, Any], names: Mapping[str, str]) -> list[FundRow]:
    evaluation = {e["fund"]: e for e in (proposal.get("evaluation") or {}).get("funds") or []}
    rows = []
    for row in proposal.get("selected") or []:
        figures = evaluation.get(row["id"], {})
        by_region = figures.get("comparison_by_region") or {}
        where = max(by_region, key=lambda code: by_region[code]) if by_region else None
        rows.append(
            FundRow(
                id=row["id"],
                name=str(names.get(row["id"], row["id"])),
                treated_volume=float(row.get("treated_volume") or 0.0),
                municipalities=len(row.get("municipalities") or []),
                comparison=figures.get("comparison_inflow"),
                comparison_where=where,
                mde=figures.get("mde"),
                warnings=list(figures.get("warnings") or []),
                text=figures.get("text"),
            )
        )
    return sorted(rows, key=lambda r: -r.treated_volume)


def relaxed_targets(
    targets: Targets, relaxation: Mapping[str, Any], problem: Mapping[str, Any]
) -> Targets | None:
    """The targets of a run that applies one relaxation of a diagnosis; None when the
    relaxation has no single setting the portal can change (the page then shows it as text)."""
    kind = str(relaxation.get("target"))
    needed = relaxation.get("needed")
    if kind == "lock_exclude":
        return replace(targets, exclude=())
    if kind == "lock_include":
        return replace(targets, include=())
    if needed is None:
        return None
    needed = float(needed)
    if kind == "volume_low":
        tolerance = float((problem.get("targets") or {}).get("volume_tolerance", 0.10))
        national = float(problem.get("national_inflow") or 0.0)
        volume = math.floor(needed / (1 - tolerance))
        share = math.floor(needed / national * 1000) / 1000 if national else None
        return replace(targets, volume=float(volume), min_share=share)
    if kind == "funds_min":
        return replace(targets, funds_min=int(round(needed)))
    if kind == "funds_max":
        return replace(targets, funds_max=int(round(needed)))
    if kind == "min_comparison_share":
        return replace(targets, min_comparison_share=round(needed, 3))
    if kind == "max_fund_share":
        return replace(targets, max_fund_share=round(needed, 3))
    return None


# --- the inflow a run used -------------------------------------------------------------------


@dataclass(frozen=True)
class InflowSource:
    """Which inflow a run's figures rest on: the modelled one, or a reported file (then some
    a-kasser, those not in the file, may still be modelled)."""

    reported: bool
    year: int | None = None
    sha256: str | None = None
    filename: str | None = None
    modelled_funds: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """A message id naming the inflow, e.g. in a table's caption."""
        if not self.reported:
            return N_("modelleret tilgang")
        if self.modelled_funds:
            return N_("indberettet og modelleret tilgang")
        return N_("indberettet tilgang")


def inflow_source(problem: Mapping[str, Any], options: Mapping[str, Any]) -> InflowSource:
    """From a run's problem document and options; a run from before the portal recorded it
    had the modelled inflow."""
    recorded = problem.get("inflow_source") or {}
    if recorded.get("source") != REPORTED:
        return InflowSource(reported=False)
    in_file = set(recorded.get("reported_funds") or [])
    return InflowSource(
        reported=True,
        year=recorded.get("year"),
        sha256=recorded.get("sha256"),
        filename=(options.get("inflow") or {}).get("filename"),
        modelled_funds=tuple(
            str(f["id"]) for f in problem.get("funds") or [] if f["id"] not in in_file
        ),
    )
