"""The mixed-integer model of the selection problem (PuLP).

Decision variables
    x[f]      1 if fund f is chosen (candidates: eligible funds, and funds locked in)
    y[f,u]    1 if fund f covers unit u. A unit is what the granularity lets one choose: the
              fund's whole resolved extent (``fund``), the part of it in one region (``region``)
              or one municipality (``municipality``). Units are aggregated up front, so under
              ``region`` there is one variable per (fund, region), not per (fund, municipality);
              under ``fund`` y[f,u] is x[f] itself. Units without inflow change no figure and get
              no variable; they only let a chosen fund "cover at least one municipality".
    p[d,c]    ≥ the positive part of V_d,c − share_d,c · V (deviation, see ``_add_objective``)
    q         ≥ |V − T|

Excluded municipalities (frikommuner) are removed from every extent before units are formed, so
constraint 7 of the contract holds by construction and has no row.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import pulp

from selection import families, lp
from selection.problem import DIMENSIONS, FUND_DIMENSIONS, Fund, Problem

SHARE_EPSILON = 1e-12


@dataclass(frozen=True)
class Unit:
    """What one fund can cover as a whole under the problem's granularity."""

    fund: str
    key: str  # "*" (whole extent), a region code or a municipality code
    municipalities: tuple[str, ...]
    inflow: float  # summed inflow of the fund's members in these municipalities (before φ)
    region_inflow: tuple[tuple[str, float], ...]


@dataclass(frozen=True)
class FundUnits:
    fund: str
    units: tuple[Unit, ...]  # units with inflow > 0
    free: tuple[Unit, ...]  # units without inflow


@dataclass
class Model:
    """The PuLP problem and handles to its variables and expressions."""

    problem: Problem
    prob: pulp.LpProblem
    units: Mapping[str, FundUnits]
    x: dict[str, pulp.LpVariable] = field(default_factory=dict)
    y: dict[tuple[str, str], pulp.LpVariable] = field(default_factory=dict)
    treated: dict[str, pulp.LpAffineExpression] = field(default_factory=dict)
    volume: pulp.LpAffineExpression = field(default_factory=pulp.LpAffineExpression)
    category_volume: dict[tuple[str, str], pulp.LpAffineExpression] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)  # label -> name-safe token
    nogoods: list[frozenset[str]] = field(default_factory=list)  # fund sets cut off

    @property
    def candidates(self) -> tuple[str, ...]:
        return tuple(sorted(self.x))

    def constraint_names(self) -> tuple[str, ...]:
        return lp.constraint_names(self.prob)


def add_nogood(model: Model, funds: frozenset[str]) -> None:
    """Cut off the fund set ``funds`` (a no-good cut on x): any other set stays allowed.

    Σ_{f ∈ S} (1 − x[f]) + Σ_{f ∉ S} x[f] ≥ 1
    """
    inside = [model.x[f] for f in model.candidates if f in funds]
    outside = [model.x[f] for f in model.candidates if f not in funds]
    row = pulp.lpSum(outside) - pulp.lpSum(inside) >= 1 - len(inside)
    model.prob += row, f"nogood__{len(model.nogoods) + 1}"
    model.nogoods.append(funds)


# --- units ---------------------------------------------------------------------------------


def fund_units(problem: Problem, fund: Fund) -> FundUnits:
    """The fund's units under the problem's granularity, sorted by key."""
    extent = problem.extent(fund)
    if problem.granularity == "fund":
        groups: dict[str, tuple[str, ...]] = {"*": extent} if extent else {}
    elif problem.granularity == "region":
        groups = {}
        for code in extent:
            region = problem.region_of(code)
            groups[region] = (*groups.get(region, ()), code)
    else:
        groups = {code: (code,) for code in extent}
    units = [_unit(problem, fund, key, codes) for key, codes in sorted(groups.items())]
    return FundUnits(
        fund=fund.id,
        units=tuple(u for u in units if u.inflow > 0),
        free=tuple(u for u in units if u.inflow <= 0),
    )


def _unit(problem: Problem, fund: Fund, key: str, codes: tuple[str, ...]) -> Unit:
    by_region: dict[str, float] = {}
    for code in codes:
        amount = fund.inflow.get(code, 0.0)
        if amount > 0:
            region = problem.region_of(code)
            by_region[region] = by_region.get(region, 0.0) + amount
    return Unit(
        fund=fund.id,
        key=key,
        municipalities=codes,
        inflow=sum(by_region.values()),
        region_inflow=tuple(sorted(by_region.items())),
    )


def candidates(problem: Problem) -> tuple[Fund, ...]:
    """Funds that get a selection variable: the eligible ones and any locked in."""
    return tuple(f for f in problem.funds if f.eligible or f.id in problem.locks_include)


def safe_names(ids: Iterable[str]) -> dict[str, str]:
    """Id -> a token PuLP keeps as is (it rewrites ``-``, spaces, ...), unique among ``ids``."""
    result: dict[str, str] = {}
    used: set[str] = set()
    for i, name in enumerate(sorted(set(ids))):
        token = "".join(ch if ch.isalnum() or ch == "_" else "_" for ch in name)
        if token in used:
            token = f"{token}_{i}"
        used.add(token)
        result[name] = token
    return result


# --- the model -----------------------------------------------------------------------------


def build_model(problem: Problem, omit: Iterable[str] = (), *, cover: bool = True) -> Model:
    """The model of ``problem``; ``omit`` names relaxable row families to leave out (diagnosis;
    see ``selection.families``).

    ``cover=False`` leaves out "a chosen fund covers at least one municipality"; only the
    relaxation in ``selection.engine`` uses it.
    """
    skip = frozenset(omit)
    unknown = skip.difference(families.ROWS)
    if unknown:
        raise ValueError(f"not relaxable row families: {', '.join(sorted(unknown))}")
    model = _variables(problem, cover)
    _add_structure(model, cover)
    _add_eligibility(model)
    _add_locks(model, skip)
    _add_fund_count(model, skip)
    _add_volume_share(model, skip)
    _add_volume_band(model, skip)
    _add_capacity(model, skip)
    _add_max_treated_share(model, skip)
    _add_comparison(model, skip)
    _add_fund_share(model, skip)
    _add_objective(model)
    return model


def _whole(granularity: str, units: FundUnits, cover: bool) -> bool:
    """Whether covering is all or nothing, so y[f,u] is x[f] itself: always under ``fund``,
    and for a fund with a single unit (and no unit without inflow) when it must cover one."""
    return granularity == "fund" or (cover and len(units.units) == 1 and not units.free)


def _variables(problem: Problem, cover: bool) -> Model:
    chosen = candidates(problem)
    model = Model(
        problem=problem,
        prob=pulp.LpProblem("selection", pulp.LpMinimize),
        units={f.id: fund_units(problem, f) for f in chosen},
    )
    model.names = safe_names(_all_labels(problem, model.units))
    phi = problem.targets.treated_fraction
    for fund in chosen:
        token = model.names[fund.id]
        x = model.x[fund.id] = lp.binary(model.prob, f"x__{token}")
        terms = []
        for unit in model.units[fund.id].units:
            if _whole(problem.granularity, model.units[fund.id], cover):
                y = x
            else:
                y = lp.binary(model.prob, f"y__{token}__{model.names[unit.key]}")
            model.y[(fund.id, unit.key)] = y
            terms.append((y, phi * unit.inflow))
        model.treated[fund.id] = pulp.LpAffineExpression(terms)
    model.volume = pulp.lpSum(model.treated[f] for f in model.candidates)
    model.category_volume = _category_volumes(model)
    return model


def _all_labels(problem: Problem, units: Mapping[str, FundUnits]) -> list[str]:
    """Every label used in a variable or constraint name: fund ids, categories, unit keys."""
    labels = list(units)
    labels += [c for d in DIMENSIONS for c in problem.categories(d)]
    labels += [u.key for fu in units.values() for u in fu.units]
    return labels


def _category_volumes(model: Model) -> dict[tuple[str, str], pulp.LpAffineExpression]:
    """V_d,c: the fund's category for field/sector/size, the municipality's region for region."""
    problem = model.problem
    phi = problem.targets.treated_fraction
    result: dict[tuple[str, str], list[tuple[pulp.LpVariable, float]]] = {}
    for fund_id in model.candidates:
        fund = problem.fund(fund_id)
        for dimension in FUND_DIMENSIONS:
            for y, coefficient in model.treated[fund_id].items():
                result.setdefault((dimension, fund.category(dimension)), []).append(
                    (y, coefficient)
                )
        for unit in model.units[fund_id].units:
            y = model.y[(fund_id, unit.key)]
            for region, amount in unit.region_inflow:
                result.setdefault(("region", region), []).append((y, phi * amount))
    return {key: pulp.LpAffineExpression(terms) for key, terms in sorted(result.items())}


def _add_structure(model: Model, cover: bool) -> None:
    # Links: a fund covers a unit only if chosen, y[f,u] ≤ x[f]; cover: a chosen fund covers at
    # least one municipality, Σ_u y[f,u] ≥ x[f] (void when it has a unit without inflow, which
    # it can always cover at no cost).
    prob = model.prob
    for fund_id in model.candidates:
        token, x = model.names[fund_id], model.x[fund_id]
        units = model.units[fund_id]
        if _whole(model.problem.granularity, units, cover):
            continue
        for unit in units.units:
            prob += model.y[(fund_id, unit.key)] <= x, f"link__{token}__{model.names[unit.key]}"
        if cover and not units.free:
            covered = pulp.lpSum(model.y[(fund_id, u.key)] for u in units.units)
            prob += covered - x >= 0, f"cover__{token}"


def _add_eligibility(model: Model) -> None:
    # Constraint 5 (second half): an ineligible fund is never chosen, even when locked in.
    for fund_id in model.candidates:
        if not model.problem.fund(fund_id).eligible:
            model.prob += model.x[fund_id] <= 0, f"eligible__{model.names[fund_id]}"


def _add_locks(model: Model, skip: frozenset[str]) -> None:
    # Constraint 5: x[f] = 1 for f in locks.include, x[f] = 0 for f in locks.exclude.
    problem = model.problem
    for fund_id in model.candidates:
        token, x = model.names[fund_id], model.x[fund_id]
        if fund_id in problem.locks_include and "lock_include" not in skip:
            model.prob += x >= 1, f"lock_include__{token}"
        if fund_id in problem.locks_exclude and "lock_exclude" not in skip:
            model.prob += x <= 0, f"lock_exclude__{token}"


def _add_fund_count(model: Model, skip: frozenset[str]) -> None:
    # Constraint 4: funds_min ≤ Σ_f x[f] ≤ funds_max.
    count = pulp.lpSum(model.x[f] for f in model.candidates)
    targets = model.problem.targets
    if "funds_min" not in skip and targets.funds_min > 0:
        model.prob += count >= targets.funds_min, "funds_min"
    if "funds_max" not in skip:
        model.prob += count <= targets.funds_max, "funds_max"


def _add_volume_share(model: Model, skip: frozenset[str]) -> None:
    # Constraint 1: min_share · N ≤ V ≤ max_share · N.
    targets, n = model.problem.targets, model.problem.national_inflow
    if "min_share" not in skip and targets.min_share > 0:
        model.prob += model.volume >= targets.min_share * n, "min_share"
    if "max_share" not in skip and targets.max_share < 1:
        model.prob += model.volume <= targets.max_share * n, "max_share"


def _add_volume_band(model: Model, skip: frozenset[str]) -> None:
    # Constraint 2: (1 − tolerance) · T ≤ V ≤ (1 + tolerance) · T.
    low, high = model.problem.targets.band
    if "volume_band_low" not in skip:
        model.prob += model.volume >= low, "volume_band_low"
    if "volume_band_high" not in skip:
        model.prob += model.volume <= high, "volume_band_high"


def _add_capacity(model: Model, skip: frozenset[str]) -> None:
    # Constraint 3: treated[f] ≤ capacity[f] · x[f]; left out where it cannot bind.
    if "capacity" in skip:
        return
    for fund_id in model.candidates:
        capacity = model.problem.fund(fund_id).capacity
        if capacity is not None and capacity < _max_treated(model, fund_id):
            expr = model.treated[fund_id] - capacity * model.x[fund_id]
            model.prob += expr <= 0, f"capacity__{model.names[fund_id]}"


def _add_max_treated_share(model: Model, skip: frozenset[str]) -> None:
    # Constraint 6: V_d,c ≤ u_d · N · share_d,c for each max_treated_share entry (d, u_d).
    problem = model.problem
    for dimension, u in sorted(problem.targets.max_treated_share.items()):
        if families.capped(dimension) in skip:
            continue
        for (d, category), expr in model.category_volume.items():
            limit = u * problem.national_inflow * problem.share(d, category)
            if d == dimension and limit < _upper(expr):
                model.prob += expr <= limit, f"max_treated_share__{d}__{model.names[category]}"


def _add_comparison(model: Model, skip: frozenset[str]) -> None:
    # Constraint 8: treated[f] ≤ (1 − c) · total_inflow[f] · x[f], so at least the share c of a
    # chosen fund's members stays untreated as a comparison group.
    c = model.problem.targets.min_comparison_share
    if "comparison" in skip or c <= 0:
        return
    for fund_id in model.candidates:
        limit = (1 - c) * model.problem.fund(fund_id).total_inflow
        if limit < _max_treated(model, fund_id):
            expr = model.treated[fund_id] - limit * model.x[fund_id]
            model.prob += expr <= 0, f"comparison__{model.names[fund_id]}"


def _add_fund_share(model: Model, skip: frozenset[str]) -> None:
    # Constraint 9: treated[f] ≤ s · V, no single fund dominates.
    s = model.problem.targets.max_fund_share
    if "fund_share" in skip or s >= 1:
        return
    for fund_id in model.candidates:
        expr = model.treated[fund_id] - s * model.volume
        model.prob += expr <= 0, f"fund_share__{model.names[fund_id]}"


def _add_objective(model: Model) -> None:
    # Minimise Σ_d w_d · Σ_c |V_d,c − s_d,c·V| / (2T) + w_vol · |V − T| / T.
    # With z_c = V_d,c − s_c·V and S = Σ_c s_c we have Σ_c z_c = (1 − S)·V, hence
    # Σ_c |z_c| = 2·Σ_c max(z_c, 0) − (1 − S)·V: one row per category (p_c ≥ z_c, p_c ≥ 0)
    # instead of two, and none at all for categories that can get no volume (z_c ≤ 0 there).
    problem, target = model.problem, model.problem.targets.volume
    terms: list[pulp.LpAffineExpression] = []
    for dimension in DIMENSIONS:
        weight = problem.weights[dimension]
        if weight > 0:
            terms.append(weight / (2 * target) * _deviation_sum(model, dimension))
    q = lp.variable(model.prob, "volume_deviation", 0)
    model.prob += q - model.volume >= -target, "volume_above"
    model.prob += q + model.volume >= target, "volume_below"
    terms.append(problem.weights["volume"] / target * q)
    model.prob.setObjective(pulp.lpSum(terms))


def _deviation_sum(model: Model, dimension: str) -> pulp.LpAffineExpression:
    """An expression equal to Σ_c |V_d,c − s_c·V| at the optimum."""
    problem = model.problem
    positive_parts = []
    for (d, category), expr in model.category_volume.items():
        if d != dimension:
            continue
        p = lp.variable(model.prob, f"dev__{d}__{model.names[category]}", 0)
        share = problem.share(d, category)
        model.prob += (
            p - expr + share * model.volume >= 0,
            f"deviation__{d}__{model.names[category]}",
        )
        positive_parts.append(p)
    total_share = sum(problem.share(dimension, c) for c in problem.categories(dimension))
    result = 2 * pulp.lpSum(positive_parts)
    if abs(1 - total_share) > SHARE_EPSILON:
        result -= (1 - total_share) * model.volume
    return result


def _max_treated(model: Model, fund_id: str) -> float:
    return float(sum(model.treated[fund_id].values()))


def _upper(expr: pulp.LpAffineExpression) -> float:
    """The largest value of a non-negative combination of binaries."""
    return float(sum(coefficient for coefficient in expr.values() if coefficient > 0))
