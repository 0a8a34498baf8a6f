"""One infeasible case per diagnosis."""

from __future__ import annotations

from selection.diagnose import diagnose
from selection.problem import parse_problem
from selection.solve import propose
from tests.selection.builders import fund, problem

ZERO = {"field": 0, "sector": 0, "size": 0, "region": 0, "volume": 0.25}


def capacity_bound() -> dict[str, object]:
    # A can carry 30 of its 60, B 20 of its 50 (municipality granularity); band [90, 110].
    funds = [
        fund("A", {"a1": 30, "a2": 30}, capacity=30),
        fund("B", {"b1": 20, "b2": 30}, capacity=20),
    ]
    return problem(funds, weights=ZERO, granularity="municipality")


def test_diagnose_capacity_names_the_most_volume_and_the_band() -> None:
    found = diagnose(parse_problem(capacity_bound()))
    assert not found.feasible
    assert "capacity" in found.conflict and "volume_low" in found.conflict
    assert found.lines()[0].startswith("De støtteberettigede a-kasser kan højst bære 50 forløb")
    assert "90" in found.lines()[0]


def test_diagnose_capacity_offers_lower_target_and_more_capacity() -> None:
    found = diagnose(parse_problem(capacity_bound()), "en")
    volume = next(r for r in found.relaxations if r.target == "volume_low")
    assert volume.needed == 50
    assert "at most 55 courses" in volume.sentence.en  # 50 / 0.9 = 55.6, rounded down
    capacity = next(r for r in found.relaxations if r.target == "capacity")
    assert capacity.needed == 40  # 90 − 50 more courses of capacity
    assert capacity.detail == {"A": 30.0, "B": 10.0} or sum(capacity.detail.values()) == 40


def test_diagnose_relaxed_target_really_makes_it_feasible() -> None:
    data = capacity_bound()
    data["targets"]["volume"] = 55  # type: ignore[index]
    assert propose(parse_problem(data), time_limit=10).status == "optimal"


def test_diagnose_funds_max_conflict_reports_count() -> None:
    funds = [fund("A", {"a1": 50}), fund("B", {"a2": 50}), fund("C", {"b1": 50})]
    found = diagnose(parse_problem(problem(funds, weights=ZERO, funds_max=1)), "en")
    assert "volume_low" in found.conflict and "funds_max" in found.conflict
    raise_cap = next(r for r in found.relaxations if r.target == "funds_max")
    assert raise_cap.needed == 2


def test_diagnose_locked_in_ineligible_fund_is_named() -> None:
    funds = [fund("A", {"a1": 100}), fund("X", {"a2": 10}, eligible=False)]
    data = problem(funds, weights=ZERO, extra={"locks": {"include": ["X"]}})
    found = diagnose(parse_problem(data))
    assert "X er låst ind, men er ikke støtteberettiget" in found.lines()[0]
    assert any(r.target == "lock_include" and r.needed == 1 for r in found.relaxations)


def test_diagnose_empty_volume_band_is_static() -> None:
    funds = [fund("A", {"a1": 100})]
    data = problem(funds, weights=ZERO, min_share=0.9, max_share=0.5)
    found = diagnose(parse_problem(data), "en")
    assert found.lines("en")[0].startswith("The volume requirements contradict each other")


def test_diagnose_comparison_rule_gives_smallest_share() -> None:
    # Each fund's members all live in its extent: a comparison share of 20% caps volume at 80%.
    funds = [fund("A", {"a1": 60}), fund("B", {"a2": 50})]
    data = problem(funds, weights=ZERO, min_comparison_share=0.2)
    found = diagnose(parse_problem(data))
    comparison = next(r for r in found.relaxations if r.target == "comparison")
    assert comparison.needed is not None and comparison.needed < 0.2


def test_diagnose_feasible_problem_says_so() -> None:
    funds = [fund("A", {"a1": 100})]
    assert diagnose(parse_problem(problem(funds, weights=ZERO))).feasible


def test_propose_infeasible_carries_diagnosis_in_both_languages() -> None:
    proposal = propose(parse_problem(capacity_bound()), time_limit=10)
    data = proposal.to_json()
    assert data["status"] == "infeasible"
    assert data["infeasibility"] == data["diagnosis"]["text"]["da"]
    assert data["diagnosis"]["text"]["en"][0].startswith("The eligible funds can carry")
