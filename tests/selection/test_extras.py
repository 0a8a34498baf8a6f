"""Alternatives, explanations, the evaluation design and scenarios."""

from __future__ import annotations

import math

import pytest

from selection.check import check
from selection.evaluation import design, minimum_detectable_effect
from selection.explain import explain
from selection.problem import parse_problem
from selection.scenario import apply_scenario, parse_scenario
from selection.solve import propose, propose_scenario
from tests.selection.builders import fund, problem

ZERO = {"field": 0, "sector": 0, "size": 0, "region": 0, "volume": 0.25}


def four_funds() -> dict[str, object]:
    # Band [90, 110]; pair volumes: A+B 110, A+C 108, A+D 97, B+C 98, B+D 87, C+D 85.
    funds = [
        fund("A", {"a1": 60, "b1": 10}, extent=["a1"]),
        fund("B", {"a2": 50, "b2": 10}, extent=["a2"]),
        fund("C", {"b1": 48, "a3": 10}, extent=["b1"]),
        fund("D", {"b3": 37, "a1": 10}, extent=["b3"]),
    ]
    return problem(funds, weights=ZERO, funds_max=2)


def test_alternatives_are_distinct_and_in_objective_order() -> None:
    parsed = parse_problem(four_funds())
    proposal = propose(parsed, time_limit=10, alternatives=3)
    alternatives = (proposal.extensions or {})["alternatives"]
    sets = [proposal.selected_ids] + [a.proposal.selected_ids for a in alternatives]
    assert sets == [("B", "C"), ("A", "D"), ("A", "C"), ("A", "B")]
    distances = [a.distance for a in alternatives]
    assert distances == sorted(distances)
    assert distances[0] == pytest.approx(0.25 * 0.03 - 0.25 * 0.02)
    assert alternatives[0].diff("da") == "B ud, C ud, A ind, D ind"
    for alternative in alternatives:
        assert check(parsed, alternative.proposal.to_json()) == []


def test_alternatives_stop_when_no_more_sets_exist() -> None:
    data = four_funds()
    data["targets"]["volume_tolerance"] = 0.02  # type: ignore[index]
    proposal = propose(parse_problem(data), time_limit=10, alternatives=5)
    # Only B+C (98) lies in [98, 102].
    assert proposal.selected_ids == ("B", "C")
    assert (proposal.extensions or {})["alternatives"] == []


def test_explain_chosen_fund_gives_objective_without_it() -> None:
    parsed = parse_problem(four_funds())
    proposal = propose(parsed, time_limit=10)
    found = {e.fund: e for e in explain(parsed, proposal)}
    assert found["B"].chosen and found["B"].objective == pytest.approx(0.25 * 0.03)
    assert found["B"].change == (("A", "D"), ("B", "C"))
    assert "Uden B bliver den bedste samlede afvigelse 0,0075" in found["B"].text()


def test_explain_left_out_fund_gives_objective_with_it() -> None:
    parsed = parse_problem(four_funds())
    proposal = propose(parsed, time_limit=10)
    (only,) = explain(parsed, proposal.to_json(), fund="D", lang="en")
    assert not only.chosen
    assert only.objective == pytest.approx(0.25 * 0.03)
    assert only.text("en").startswith("D is not in the proposal. With D the best total deviation")


def test_explain_impossible_fund_says_why() -> None:
    data = four_funds()
    data["funds"][3]["capacity"] = 20  # type: ignore[index]
    parsed = parse_problem(data)
    (only,) = explain(parsed, propose(parsed, time_limit=10), fund="D")
    assert only.status == "infeasible"
    assert only.text().startswith("D kan ikke komme med")


def test_evaluation_comparison_group_and_mde() -> None:
    data = problem(
        [fund("A", {"a1": 400, "a2": 100, "b1": 500}, extent=["a1", "b1"])], weights=ZERO
    )
    data["excluded_municipalities"] = ["b1"]
    parsed = parse_problem(data)
    report = design(parsed, {"A": ("a1",)})
    (a,) = report.funds
    assert a.treated == 400 and a.comparison == 600
    assert a.comparison_in_excluded == 500
    assert a.comparison_by_region == {"R1": 100, "R2": 500}
    z = 1.959964 + 0.841621
    expected = z * math.sqrt(0.25 * (1 / 1600 + 1 / 2400))
    assert a.mde == pytest.approx(expected, rel=1e-5)
    assert any("frikommuner" in da for da, _ in a.warnings)


def test_evaluation_no_comparison_group_is_a_warning() -> None:
    parsed = parse_problem(problem([fund("A", {"a1": 100})], weights=ZERO))
    (a,) = design(parsed, {"A": ("a1", "a2", "a3", "b1", "b2", "b3")}).funds
    assert a.mde is None
    assert "ingen sammenligningsgruppe" in a.warnings[0][0]


def test_minimum_detectable_effect_shrinks_with_sample_size() -> None:
    small = minimum_detectable_effect(1000, 1000, 0.5)
    large = minimum_detectable_effect(4000, 4000, 0.5)
    assert small is not None and large is not None
    assert large == pytest.approx(small / 2)


def test_scenario_parse_and_apply_scale_inflow() -> None:
    changes = parse_scenario(["inflow=1.3", "volume=45000"])
    assert changes == {"inflow": 1.3, "volume": 45000.0}
    parsed = parse_problem(four_funds())
    scenario = apply_scenario(parsed, changes)
    assert scenario.national_inflow == pytest.approx(1.3 * parsed.national_inflow)
    assert scenario.fund("A").inflow["a1"] == pytest.approx(78)
    assert scenario.targets.volume == 45000


def test_scenario_keeps_base_selection_and_reoptimises() -> None:
    parsed = parse_problem(four_funds())
    result = propose_scenario(parsed, {"inflow": 1.1}, time_limit=10)
    report = (result.extensions or {})["scenario"]
    assert report.base.selected_ids == ("B", "C")
    assert report.kept_volume == pytest.approx(98 * 1.1)
    # × 1.1: B+C = 107.8, A+D = 106.7, B+D = 95.7 (closest to 100), C+D = 93.5.
    assert result.selected_ids == ("B", "D")
    assert report.added == ("D",) and report.removed == ("C",)
    assert "Scenarie: tilgangen × 1,10" in report.lines("da")[0]
