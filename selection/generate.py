"""A generator of realistic selection problems for tests and benchmarks.

Takes a seed and plain municipality data (code, name, region, population) and returns
``selection-problem/1`` data shaped like the Danish case: a-kasser of different fields, sectors and
sizes whose members' inflow follows the population with a regional lean, about two thirds of them
eligible, with national, regional or municipal extents and capacities below their inflow.
All randomness comes from ``random.Random(seed)``.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

FIELDS = (
    "academic",
    "care_education",
    "cross_occupational",
    "industry_crafts",
    "managers_self_employed",
    "office_commerce",
)
SECTORS = ("mixed", "private", "public")


@dataclass(frozen=True)
class MunicipalityRow:
    code: str
    name: str
    region: str
    population: float


def generate(
    seed: int,
    municipalities: Sequence[MunicipalityRow],
    *,
    funds: int = 24,
    granularity: str = "region",
    excluded: Sequence[str] = (),
    national_inflow: float = 150_000.0,
    eligible_share: float = 0.67,
    national_share: float = 0.5,
) -> dict[str, Any]:
    """A ``selection-problem/1`` instance; the same arguments give the same instance.

    ``national_share``: the chance that an eligible fund's extent is the whole country (the rest
    get one or more regions, or a list of municipalities).
    """
    rng = random.Random(seed)
    regions = sorted({m.region for m in municipalities})
    weights = sorted((rng.lognormvariate(0, 1.0) for _ in range(funds)), reverse=True)
    scale = national_inflow / sum(weights)
    shares = (eligible_share, national_share)
    fund_list = [
        _fund(rng, i, weights[i] * scale, municipalities, regions, funds, shares)
        for i in range(funds)
    ]
    return {
        "schema": "selection-problem/1",
        "name": f"generated seed={seed} funds={funds} {granularity}",
        "years": 4,
        "municipalities": {
            m.code: {"name": m.name, "region": m.region} for m in sorted(municipalities, key=_code)
        },
        "excluded_municipalities": sorted(excluded),
        "national_inflow": national_inflow,
        "funds": fund_list,
        "targets": _targets(national_inflow, funds),
        "weights": {"field": 1, "sector": 1, "size": 0.5, "region": 1, "volume": 0.25},
        "granularity": granularity,
    }


def _code(row: MunicipalityRow) -> str:
    return row.code


def _targets(national_inflow: float, funds: int) -> dict[str, Any]:
    return {
        "volume": round(0.25 * national_inflow),
        "volume_tolerance": 0.1,
        "min_share": 0.25,
        "max_share": 0.6,
        "funds_min": 4,
        "funds_max": max(10, funds // 5),
        "treated_fraction": 1.0,
        "max_treated_share": {"field": 0.8, "region": 0.7},
        "min_comparison_share": 0.2,
        "max_fund_share": 1.0,
    }


def _fund(
    rng: random.Random,
    rank: int,
    total: float,
    municipalities: Sequence[MunicipalityRow],
    regions: Sequence[str],
    funds: int,
    shares: tuple[float, float],
) -> dict[str, Any]:
    eligible_share, national_share = shares
    size = "large" if rank < funds / 6 else "medium" if rank < funds / 2 else "small"
    # Large a-kasser apply and pass Trin 2 more often than small ones.
    eligible = rng.random() < min(1.0, eligible_share * (1.25 if size == "large" else 1.0))
    inflow = _inflow(rng, total, municipalities, regions)
    entry: dict[str, Any] = {
        "id": f"F{rank + 1:03d}",
        "name": f"A-kasse {rank + 1}",
        "field": rng.choice(FIELDS),
        "sector": rng.choice(SECTORS),
        "size": size,
        "eligible": eligible,
        "capacity": None,
        "score": None,
        "inflow": inflow,
        "extent": None,
    }
    if eligible:
        entry["capacity"] = round(total * rng.uniform(0.5, 1.0))
        entry["score"] = round(rng.uniform(2.0, 4.0), 1)
        entry["extent"] = _extent(rng, municipalities, regions, national_share)
    return entry


def _inflow(
    rng: random.Random,
    total: float,
    municipalities: Sequence[MunicipalityRow],
    regions: Sequence[str],
) -> dict[str, float]:
    """Members' inflow by municipality: population share, a regional lean, some noise."""
    lean = {r: rng.lognormvariate(0, 0.5) for r in regions}
    raw = {
        m.code: m.population * lean[m.region] * rng.lognormvariate(0, 0.3) for m in municipalities
    }
    norm = sum(raw.values())
    return {code: round(total * v / norm, 1) for code, v in sorted(raw.items())}


def _extent(
    rng: random.Random,
    municipalities: Sequence[MunicipalityRow],
    regions: Sequence[str],
    national_share: float,
) -> list[str]:
    kind = rng.random()
    if kind < national_share:
        return ["national"]
    if kind < national_share + (1 - national_share) / 2:
        count = rng.randint(1, max(1, math.ceil(len(regions) / 2)))
        return [f"region:{r}" for r in sorted(rng.sample(list(regions), count))]
    count = rng.randint(5, min(20, len(municipalities)))
    return sorted(rng.sample([m.code for m in municipalities], count))


def municipalities_from_rows(rows: Sequence[dict[str, str]]) -> list[MunicipalityRow]:
    """Rows of the reference CSV (code, name, region_code, population) -> ``MunicipalityRow``."""
    return [
        MunicipalityRow(
            code=row["code"].zfill(3),
            name=row["name"],
            region=row.get("region_code") or row["region"],
            population=float(row["population"]),
        )
        for row in rows
    ]
