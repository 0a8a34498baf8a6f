"""Tiny problems for the tests, as plain selection-problem/1 data."""

from __future__ import annotations

import copy
from typing import Any

# Two regions, three municipalities each; "R2c" is a frikommune.
MUNICIPALITIES = {
    "a1": {"name": "A1", "region": "R1"},
    "a2": {"name": "A2", "region": "R1"},
    "a3": {"name": "A3", "region": "R1"},
    "b1": {"name": "B1", "region": "R2"},
    "b2": {"name": "B2", "region": "R2"},
    "b3": {"name": "B3", "region": "R2"},
}


def fund(
    fund_id: str,
    inflow: dict[str, float],
    *,
    field: str = "f1",
    sector: str = "private",
    size: str = "small",
    eligible: bool = True,
    capacity: float | None = None,
    extent: list[str] | None = None,
) -> dict[str, Any]:
    return {
        "id": fund_id,
        "name": f"Fund {fund_id}",
        "field": field,
        "sector": sector,
        "size": size,
        "eligible": eligible,
        "capacity": capacity,
        "inflow": inflow,
        "extent": ["national"] if extent is None else extent,
    }


def problem(funds: list[dict[str, Any]], **targets: Any) -> dict[str, Any]:
    """A problem with zero weights except volume unless ``weights`` is given in targets."""
    weights = targets.pop("weights", None)
    granularity = targets.pop("granularity", "fund")
    extra = targets.pop("extra", {})
    base_targets = {"volume": 100.0, "volume_tolerance": 0.1, "min_share": 0.0}
    base_targets.update(targets)
    data: dict[str, Any] = {
        "schema": "selection-problem/1",
        "name": "tiny",
        "years": 4,
        "municipalities": copy.deepcopy(MUNICIPALITIES),
        "excluded_municipalities": [],
        "funds": funds,
        "targets": base_targets,
        "granularity": granularity,
    }
    if weights is not None:
        data["weights"] = weights
    data.update(extra)
    return data
