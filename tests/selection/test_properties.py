"""The optimizer against brute-force enumeration of every subset (granularity ``fund``)."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from selection.check import check
from selection.figures import compute_figures
from selection.problem import Problem, parse_problem
from selection.proposal import proposal_from_selection
from selection.solve import propose
from tests.selection.builders import MUNICIPALITIES, fund, problem

CODES = sorted(MUNICIPALITIES)


@st.composite
def tiny_problems(draw: st.DrawFn) -> dict[str, Any]:
    count = draw(st.integers(3, 6))
    funds = []
    for i in range(count):
        codes = draw(st.lists(st.sampled_from(CODES), min_size=1, max_size=4, unique=True))
        inflow = {c: float(draw(st.integers(1, 80))) for c in codes}
        extent = draw(st.sampled_from([["national"], codes[:1], ["region:R1"]]))
        capacity = draw(st.one_of(st.none(), st.integers(20, 150)))
        funds.append(
            fund(
                f"F{i}",
                inflow,
                field=draw(st.sampled_from(["x", "y", "z"])),
                sector=draw(st.sampled_from(["private", "public"])),
                eligible=draw(st.booleans()) or i == 0,
                capacity=capacity,
                extent=extent,
            )
        )
    weights = {
        "field": draw(st.sampled_from([0, 1])),
        "sector": draw(st.sampled_from([0, 0.5])),
        "size": 0,
        "region": draw(st.sampled_from([0, 1])),
        "volume": draw(st.sampled_from([0.25, 1])),
    }
    return problem(
        funds,
        weights=weights,
        volume=float(draw(st.integers(30, 250))),
        volume_tolerance=draw(st.sampled_from([0.1, 0.3, 0.6])),
        funds_max=draw(st.integers(1, count)),
        min_comparison_share=draw(st.sampled_from([0.0, 0.2])),
        max_fund_share=draw(st.sampled_from([1.0, 0.7])),
    )


def best_feasible(parsed: Problem, selections: Iterable[dict[str, Sequence[str]]]) -> float | None:
    """The least objective among the selections the independent checker accepts."""
    best: float | None = None
    for selection in selections:
        proposal = proposal_from_selection(
            parsed, selection, status="feasible", bound=None, seconds=0.0, solver="-"
        )
        if check(parsed, proposal.to_json()):
            continue
        value = compute_figures(parsed, selection).objective
        best = value if best is None else min(best, value)
    return best


def brute_force(parsed: Problem) -> float | None:
    """The least objective over every feasible subset of whole extents."""
    eligible = [f.id for f in parsed.funds if f.eligible]
    return best_feasible(
        parsed,
        (
            {f: parsed.extent(parsed.fund(f)) for f in subset}
            for size in range(len(eligible) + 1)
            for subset in itertools.combinations(eligible, size)
        ),
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tiny_problems())
def test_optimizer_matches_brute_force(data: dict[str, Any]) -> None:
    parsed = parse_problem(data)
    expected = brute_force(parsed)
    proposal = propose(parsed, time_limit=10)
    if expected is None:
        assert proposal.status == "infeasible"
        return
    assert proposal.status == "optimal"
    assert proposal.objective == pytest.approx(expected, abs=1e-7)
    assert check(parsed, proposal.to_json()) == []


def region_options(parsed: Problem, fund_id: str) -> list[tuple[str, ...] | None]:
    """Not chosen, or any non-empty set of whole regions of the fund's extent."""
    extent = parsed.extent(parsed.fund(fund_id))
    regions = sorted({parsed.region_of(c) for c in extent})
    options: list[tuple[str, ...] | None] = [None]
    for size in range(1, len(regions) + 1):
        for chosen in itertools.combinations(regions, size):
            options.append(tuple(c for c in extent if parsed.region_of(c) in chosen))
    return options


def brute_force_regions(parsed: Problem) -> float | None:
    eligible = [f.id for f in parsed.funds if f.eligible]
    return best_feasible(
        parsed,
        (
            {f: codes for f, codes in zip(eligible, combination, strict=True) if codes}
            for combination in itertools.product(*(region_options(parsed, f) for f in eligible))
        ),
    )


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tiny_problems())
def test_optimizer_matches_brute_force_at_region_granularity(data: dict[str, Any]) -> None:
    data["granularity"] = "region"
    data["funds"] = data["funds"][:4]
    data["targets"]["funds_max"] = min(data["targets"]["funds_max"], 4)
    parsed = parse_problem(data)
    expected = brute_force_regions(parsed)
    proposal = propose(parsed, time_limit=10)
    if expected is None:
        assert proposal.status == "infeasible"
        return
    assert proposal.status == "optimal"
    assert proposal.objective == pytest.approx(expected, abs=1e-7)


def municipality_options(parsed: Problem, fund_id: str) -> list[tuple[str, ...] | None]:
    """Not chosen, or any non-empty set of municipalities of the fund's extent."""
    extent = parsed.extent(parsed.fund(fund_id))
    options: list[tuple[str, ...] | None] = [None]
    for size in range(1, len(extent) + 1):
        options += list(itertools.combinations(extent, size))
    return options


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tiny_problems())
def test_optimizer_matches_brute_force_at_municipality_granularity(data: dict[str, Any]) -> None:
    # The decomposition (aggregated relaxation, fixed funds, full model) must stay exact.
    data["granularity"] = "municipality"
    data["funds"] = data["funds"][:3]
    for entry in data["funds"]:
        if entry["extent"] == ["national"]:
            entry["extent"] = ["region:R1"]
    data["targets"]["funds_max"] = min(data["targets"]["funds_max"], 3)
    parsed = parse_problem(data)
    eligible = [f.id for f in parsed.funds if f.eligible]
    best = best_feasible(
        parsed,
        (
            {f: codes for f, codes in zip(eligible, combination, strict=True) if codes}
            for combination in itertools.product(
                *(municipality_options(parsed, f) for f in eligible)
            )
        ),
    )
    proposal = propose(parsed, time_limit=10)
    if best is None:
        assert proposal.status == "infeasible"
        return
    assert proposal.status == "optimal"
    assert proposal.objective == pytest.approx(best, abs=1e-7)
