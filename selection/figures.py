"""The figures a selection gives under the contract's semantics.

A selection maps each chosen fund to the municipalities it covers. From it and the problem alone
follow the treated volume, the category volumes, the deviations and the canonical objective:

    objective = Σ_d weight_d · Σ_c |V_d,c − share_d,c · V| / (2T)  +  weight_volume · |V − T| / T

The optimizer reports these figures for the selection it found (not the solver's own numbers), so
they are exactly what anyone recomputes from the problem. ``selection.check`` recomputes them once
more, independently.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from selection.problem import DIMENSIONS, Problem

Selection = Mapping[str, tuple[str, ...]]


@dataclass(frozen=True)
class Figures:
    treated: Mapping[str, float]  # fund id -> treated volume
    volume: float
    share_of_national_inflow: float
    category_volume: Mapping[str, Mapping[str, float]]  # dimension -> category -> V_d,c
    deviation: Mapping[str, float]  # dimension -> Σ_c |V_d,c − s·V| / (2T)
    volume_deviation: float  # |V − T| / T
    objective: float

    def achieved(self, dimension: str, category: str) -> float:
        """The category's share of the treated volume."""
        if self.volume <= 0:
            return 0.0
        return self.category_volume[dimension].get(category, 0.0) / self.volume


def compute_figures(problem: Problem, selection: Selection) -> Figures:
    """Every figure of ``selection`` (fund -> covered municipalities)."""
    phi = problem.targets.treated_fraction
    treated: dict[str, float] = {}
    by_category: dict[str, dict[str, float]] = {d: {} for d in DIMENSIONS}
    for fund_id in sorted(selection):
        fund = problem.fund(fund_id)
        amounts = {code: phi * fund.inflow.get(code, 0.0) for code in selection[fund_id]}
        treated[fund_id] = sum(amounts.values())
        for dimension in ("field", "sector", "size"):
            _add(by_category[dimension], fund.category(dimension), treated[fund_id])
        for code, amount in amounts.items():
            _add(by_category["region"], problem.region_of(code), amount)
    volume = sum(treated.values())
    deviation = {d: _deviation(problem, d, by_category[d], volume) for d in DIMENSIONS}
    target = problem.targets.volume
    volume_deviation = abs(volume - target) / target
    objective = sum(problem.weights[d] * deviation[d] for d in DIMENSIONS)
    objective += problem.weights["volume"] * volume_deviation
    return Figures(
        treated=treated,
        volume=volume,
        share_of_national_inflow=volume / problem.national_inflow,
        category_volume=by_category,
        deviation=deviation,
        volume_deviation=volume_deviation,
        objective=objective,
    )


def _add(bucket: dict[str, float], key: str, amount: float) -> None:
    bucket[key] = bucket.get(key, 0.0) + amount


def _deviation(
    problem: Problem, dimension: str, volumes: Mapping[str, float], volume: float
) -> float:
    categories = set(problem.categories(dimension)) | set(volumes)
    total = sum(
        abs(volumes.get(c, 0.0) - problem.share(dimension, c) * volume) for c in sorted(categories)
    )
    return total / (2 * problem.targets.volume)
