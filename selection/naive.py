"""The canonical formulation written straightforwardly: the benchmark's baseline.

One binary per (fund, municipality) pair of every resolved extent (zero inflow included), one per
(fund, region) under ``region`` granularity, two rows per absolute value, no aggregation, no
start. It must give the same optimum as ``selection.model``; the benchmark compares their speed
and the tests their answers.
"""

from __future__ import annotations

import pulp

from selection import lp
from selection.problem import DIMENSIONS, Problem


def build_naive(problem: Problem) -> tuple[pulp.LpProblem, dict[str, pulp.LpVariable]]:
    """The naive model and its fund-selection variables."""
    prob = pulp.LpProblem("naive", pulp.LpMinimize)
    tg, phi = problem.targets, problem.targets.treated_fraction
    x = {f.id: lp.binary(prob, f"x_{i}") for i, f in enumerate(problem.funds)}
    a: dict[tuple[str, str], pulp.LpVariable] = {}
    for i, fund in enumerate(problem.funds):
        for code in problem.extent(fund):
            a[(fund.id, code)] = lp.binary(prob, f"a_{i}_{code}")
    _link(problem, prob, x, a)
    treated = {
        f.id: pulp.lpSum(phi * f.inflow.get(c, 0.0) * a[(f.id, c)] for c in problem.extent(f))
        for f in problem.funds
    }
    volume = pulp.lpSum(treated.values())
    count = pulp.lpSum(x.values())
    prob += volume >= tg.min_share * problem.national_inflow
    prob += volume <= tg.max_share * problem.national_inflow
    prob += volume >= tg.band[0]
    prob += volume <= tg.band[1]
    prob += count >= tg.funds_min
    prob += count <= tg.funds_max
    for fund in problem.funds:
        t = treated[fund.id]
        if not fund.eligible or fund.id in problem.locks_exclude:
            prob += x[fund.id] == 0
        if fund.id in problem.locks_include:
            prob += x[fund.id] == 1
        if fund.capacity is not None:
            prob += t <= fund.capacity
        prob += t <= (1 - tg.min_comparison_share) * fund.total_inflow
        prob += t <= tg.max_fund_share * volume
    category_volume = _category_volumes(problem, a)
    for dimension, u in tg.max_treated_share.items():
        for category in problem.categories(dimension):
            limit = u * problem.national_inflow * problem.share(dimension, category)
            prob += category_volume[(dimension, category)] <= limit
    prob.setObjective(_objective(problem, prob, volume, category_volume))
    return prob, x


def _link(
    problem: Problem,
    prob: pulp.LpProblem,
    x: dict[str, pulp.LpVariable],
    a: dict[tuple[str, str], pulp.LpVariable],
) -> None:
    regions: dict[tuple[str, str], pulp.LpVariable] = {}
    for i, fund in enumerate(problem.funds):
        codes = problem.extent(fund)
        for code in codes:
            if problem.granularity == "fund":
                prob += a[(fund.id, code)] == x[fund.id]
            elif problem.granularity == "region":
                key = (fund.id, problem.region_of(code))
                if key not in regions:
                    regions[key] = lp.binary(prob, f"z_{i}_{key[1]}")
                    prob += regions[key] <= x[fund.id]
                prob += a[(fund.id, code)] == regions[key]
            else:
                prob += a[(fund.id, code)] <= x[fund.id]
        prob += pulp.lpSum(a[(fund.id, c)] for c in codes) >= x[fund.id]


def _category_volumes(
    problem: Problem, a: dict[tuple[str, str], pulp.LpVariable]
) -> dict[tuple[str, str], pulp.LpAffineExpression]:
    phi = problem.targets.treated_fraction
    terms: dict[tuple[str, str], list[tuple[pulp.LpVariable, float]]] = {
        (d, c): [] for d in DIMENSIONS for c in problem.categories(d)
    }
    for (fund_id, code), var in a.items():
        fund = problem.fund(fund_id)
        amount = phi * fund.inflow.get(code, 0.0)
        for d in ("field", "sector", "size"):
            terms[(d, fund.category(d))].append((var, amount))
        terms[("region", problem.region_of(code))].append((var, amount))
    return {key: pulp.LpAffineExpression(v) for key, v in terms.items()}


def _objective(
    problem: Problem,
    prob: pulp.LpProblem,
    volume: pulp.LpAffineExpression,
    category_volume: dict[tuple[str, str], pulp.LpAffineExpression],
) -> pulp.LpAffineExpression:
    target = problem.targets.volume
    terms = []
    for i, ((d, c), expr) in enumerate(sorted(category_volume.items())):
        e = lp.variable(prob, f"e_{i}", 0)
        prob += e >= expr - problem.share(d, c) * volume
        prob += e >= problem.share(d, c) * volume - expr
        terms.append(problem.weights[d] / (2 * target) * e)
    ev = lp.variable(prob, "e_volume", 0)
    prob += ev >= volume - target
    prob += ev >= target - volume
    terms.append(problem.weights["volume"] / target * ev)
    return pulp.lpSum(terms)
