"""Tiny instances where one constraint family binds and the optimum is known by hand."""

from __future__ import annotations

import pytest

from selection.check import check
from selection.problem import parse_problem
from selection.solve import propose
from tests.selection.builders import fund, problem

ZERO = {"field": 0, "sector": 0, "size": 0, "region": 0, "volume": 0.25}


def three_funds(**targets: object) -> dict[str, object]:
    funds = [fund("A", {"a1": 60}), fund("B", {"a2": 50}), fund("C", {"b1": 48})]
    return problem(funds, weights=ZERO, **targets)


def solve(data: dict[str, object], **options: object):  # type: ignore[no-untyped-def]
    parsed = parse_problem(data)
    proposal = propose(parsed, time_limit=10, **options)  # type: ignore[arg-type]
    assert check(parsed, proposal.to_json()) == []
    return proposal


def test_propose_volume_band_picks_closest_pair() -> None:
    # Band [90, 110]; A+B = 110, A+C = 108, B+C = 98 -> B+C, |98 − 100| / 100 · 0.25.
    proposal = solve(three_funds())
    assert proposal.status == "optimal"
    assert proposal.selected_ids == ("B", "C")
    assert proposal.objective == pytest.approx(0.005)
    assert proposal.gap == pytest.approx(0.0)


def test_propose_capacity_excludes_fund() -> None:
    data = three_funds()
    data["funds"][1]["capacity"] = 40  # type: ignore[index]
    proposal = solve(data)
    assert proposal.selected_ids == ("A", "C")
    assert proposal.objective == pytest.approx(0.25 * 0.08)


def test_propose_comparison_group_excludes_fund_without_members_outside() -> None:
    funds = [
        fund("A", {"a1": 60, "b2": 20}, extent=["a1"]),
        fund("B", {"a2": 50}),
        fund("C", {"b1": 48, "b3": 20}, extent=["b1"]),
    ]
    proposal = solve(problem(funds, weights=ZERO, min_comparison_share=0.2))
    assert proposal.selected_ids == ("A", "C")
    assert proposal.volume == pytest.approx(108)


def test_propose_fund_share_forces_three_funds() -> None:
    # Band [40, 160]; every pair has a fund above half the volume, so all three: V = 158.
    proposal = solve(three_funds(volume_tolerance=0.6, max_fund_share=0.5))
    assert proposal.selected_ids == ("A", "B", "C")
    assert proposal.objective == pytest.approx(0.25 * 0.58)


def test_propose_lock_include_forces_fund() -> None:
    data = three_funds()
    data["locks"] = {"include": ["A"]}
    proposal = solve(data)
    assert proposal.selected_ids == ("A", "C")


def test_propose_region_granularity_covers_one_region() -> None:
    # A alone: 90 as a whole (outside [54, 66]); region R1 alone gives exactly 60.
    data = problem([fund("A", {"a1": 60, "b1": 30})], weights=ZERO, volume=60)
    assert solve(data).status == "infeasible"
    data["granularity"] = "region"
    proposal = solve(data)
    assert proposal.status == "optimal"
    assert proposal.selection == {"A": ("a1", "a2", "a3")}
    assert proposal.objective == pytest.approx(0.0)


def test_propose_municipality_granularity_picks_municipalities() -> None:
    # a2 + b1 = 70 hits the target exactly; every other subset misses it.
    data = problem([fund("A", {"a1": 30, "a2": 25, "b1": 45})], weights=ZERO, volume=70)
    data["granularity"] = "municipality"
    proposal = solve(data)
    assert proposal.selection == {"A": ("a2", "b1")}
    assert proposal.objective == pytest.approx(0.0)


def test_propose_representation_prefers_matching_field_mix() -> None:
    funds = [
        fund("A", {"a1": 50}, field="x"),
        fund("B", {"a2": 51}, field="x"),
        fund("C", {"b1": 50}, field="y"),
    ]
    weights = {"field": 1, "sector": 0, "size": 0, "region": 0, "volume": 0}
    data = problem(funds, weights=weights, extra={"population": {"field": {"x": 0.5, "y": 0.5}}})
    proposal = solve(data)
    assert proposal.selected_ids == ("A", "C")
    assert proposal.deviation is not None
    assert proposal.deviation["field"] == pytest.approx(0.0)


def test_propose_excluded_municipality_never_covered() -> None:
    data = problem([fund("A", {"a1": 50, "a2": 50})], weights=ZERO, volume=50)
    data["excluded_municipalities"] = ["a2"]
    proposal = solve(data)
    assert proposal.selection == {"A": ("a1", "a3", "b1", "b2", "b3")}
    assert proposal.volume == pytest.approx(50)


def test_propose_same_input_gives_same_proposal() -> None:
    data = three_funds(volume_tolerance=0.6)
    first = solve(data).to_json()
    second = solve(data).to_json()
    first.pop("solve_seconds")
    second.pop("solve_seconds")
    assert first == second
